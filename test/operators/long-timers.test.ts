/**
 * Issue 10, item 6 (timers): Node clamps a timer delay over 2^31-1 ms to 1 ms. Every wait armed by
 * the operators, the rate limiter and the governed model is chunked, and an absurd retry-after
 * fails the call with a typed error instead of waiting. Vitest's fake timers clamp exactly like
 * Node, so these tests run the real asyncScheduler in fake (virtual) time.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NEVER, asyncScheduler, defer, lastValueFrom, throwError, toArray, type SchedulerLike } from 'rxjs';
import { anthropicModel, execute, governedModel, graph, isOptionsError, llm, type Model } from 'rx-orchestra';
import {
  RateLimiter,
  RetryAfterTooLongError,
  isRetryAfterTooLongError,
  retryWithBackoff,
  timeout,
  TimeoutError,
  MAX_TIMER_MS,
} from 'rx-orchestra/operators';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { testScheduler } from '../run/virtual-run.js';

const DAY = 86_400_000;

/** asyncScheduler, counting the timers armed through it. */
function counting(): SchedulerLike & { armed: number } {
  const scheduler = {
    armed: 0,
    now: () => asyncScheduler.now(),
    schedule: ((...args: Parameters<SchedulerLike['schedule']>) => {
      scheduler.armed += 1;
      return asyncScheduler.schedule(...args);
    }) as SchedulerLike['schedule'],
  };
  return scheduler;
}

describe('timers past 2^31-1 ms (fake timers clamp like Node)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('timeout({ total: 3_000_000_000 }) fires after 3e9 ms, not after 1 ms', () => {
    const errors: unknown[] = [];
    NEVER.pipe(timeout(3_000_000_000)).subscribe({ error: (e: unknown) => errors.push(e) });
    vi.advanceTimersByTime(1_000);
    expect(errors).toEqual([]);
    vi.advanceTimersByTime(3_000_000_000 - 1_001);
    expect(errors).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(errors).toEqual([new TimeoutError('total', 3_000_000_000)]);
  });

  it('first and idle deadlines past the limit are chunked too', () => {
    const errors: unknown[] = [];
    NEVER.pipe(timeout({ first: 40 * DAY })).subscribe({ error: (e: unknown) => errors.push(e) });
    NEVER.pipe(timeout({ idle: 30 * DAY })).subscribe({ error: (e: unknown) => errors.push(e) });
    vi.advanceTimersByTime(29 * DAY);
    expect(errors).toEqual([]);
    vi.advanceTimersByTime(DAY);
    expect(errors).toEqual([new TimeoutError('idle', 30 * DAY)]);
    vi.advanceTimersByTime(10 * DAY);
    expect(errors).toEqual([new TimeoutError('idle', 30 * DAY), new TimeoutError('first', 40 * DAY)]);
  });

  it('a rate limiter paused for 30 days arms one timer per 24.8 days, not one per ms, and admits after 30 days', () => {
    const scheduler = counting();
    const limiter = new RateLimiter({ requestsPerMinute: 60 }, { scheduler });
    limiter.pause(30 * DAY);
    const admitted: number[] = [];
    limiter.acquire({}).subscribe(() => admitted.push(Date.now()));
    const start = Date.now();
    vi.advanceTimersByTime(1_000);
    expect(scheduler.armed).toBe(1);
    vi.advanceTimersByTime(30 * DAY - 1_001);
    expect(admitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(admitted).toEqual([start + 30 * DAY]);
    expect(scheduler.armed).toBeLessThanOrEqual(2);
  });

  it('retryWithBackoff waits a long accepted retry-after in full (maxRetryAfter: Infinity)', () => {
    let attempts = 0;
    const source = defer(() => {
      attempts += 1;
      return attempts === 1 ? throwError(() => Object.assign(new Error('429'), { retryAfterMs: 3_000_000_000 })) : ['ok'];
    });
    const values: string[] = [];
    source.pipe(retryWithBackoff({ count: 1, maxRetryAfter: Infinity, jitter: 0 })).subscribe((v) => values.push(v));
    vi.advanceTimersByTime(1_000);
    expect(attempts).toBe(1);
    vi.advanceTimersByTime(3_000_000_000);
    expect(values).toEqual(['ok']);
  });
});

describe('an absurd retry-after fails the call with a typed error', () => {
  it('retryWithBackoff: a 30-day retry-after gives up at once with RetryAfterTooLongError (default at most 10 min)', () => {
    const result = testScheduler().run(({ flush }) => {
      let attempts = 0;
      const cause = Object.assign(new Error('429'), { retryAfterMs: 30 * DAY });
      const giveUps: string[] = [];
      let error: unknown;
      defer(() => {
        attempts += 1;
        return throwError(() => cause);
      })
        .pipe(retryWithBackoff({ count: 3, onGiveUp: ({ reason }) => giveUps.push(reason) }))
        .subscribe({ error: (e: unknown) => (error = e) });
      flush();
      return { attempts, error, giveUps, cause };
    });
    expect(result.attempts).toBe(1);
    expect(result.giveUps).toEqual(['notRetryable']);
    expect(isRetryAfterTooLongError(result.error)).toBe(true);
    expect(result.error).toMatchObject({ code: 'RETRY_AFTER_TOO_LONG', retryable: false, retryAfterMs: 30 * DAY, maxMs: 600_000, cause: result.cause });
    expect((result.error as Error).message).toMatch(/30 days.*10 min/);
  });

  it('governedModel: a 30-day retry-after fails the call without pausing the quota for everyone', () => {
    const outcome = testScheduler().run(({ flush }) => {
      let calls = 0;
      const provider: Model = {
        model: 'claude-haiku-4-5',
        stream: () =>
          defer(() => {
            calls += 1;
            return calls === 1 ? throwError(() => Object.assign(new Error('429'), { status: 429, code: 'RATE_LIMITED', retryAfterMs: 30 * DAY })) : NEVER;
          }),
        complete: () => NEVER,
      };
      const model = governedModel(provider, { concurrency: 4 });
      let error: unknown;
      model.stream({ prompt: 'a' }).subscribe({ error: (e: unknown) => (error = e) });
      model.stream({ prompt: 'b' }).subscribe();
      flush();
      return { error, calls };
    });
    expect(outcome.error).toBeInstanceOf(RetryAfterTooLongError);
    expect(outcome.calls).toBe(2); // the second call was not held for 30 days
  });

  it('the real SDK over HTTP: a 429 asking for 30 days fails the node at once with RETRY_AFTER_TOO_LONG', { timeout: 10_000 }, async () => {
    const server: FakeAnthropic = await startFakeAnthropic();
    try {
      server.reply({ status: 429, retryAfterSeconds: 30 * 86_400 }, { text: 'never asked' });
      const claude = anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-haiku-4-5' });
      const g = graph().node('n', { run: llm({ prompt: () => 'go' }), retry: 3 }).build();
      const events = await lastValueFrom(execute(g, { model: claude }).pipe(toArray()));
      expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ attempts: 1, error: { code: 'RETRY_AFTER_TOO_LONG', retryable: false } });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('operator settings that no timer can honour are refused', () => {
  it('names the field', () => {
    const refused = (make: () => unknown) => {
      try {
        make();
      } catch (error) {
        return isOptionsError(error, 'operators') ? error.field : 'other';
      }
      return undefined;
    };
    expect(refused(() => retryWithBackoff({ initialDelay: Infinity }))).toBe('initialDelay');
    expect(refused(() => retryWithBackoff({ maxDelay: Infinity }))).toBe('maxDelay');
    expect(refused(() => retryWithBackoff({ maxRetryAfter: -1 }))).toBe('maxRetryAfter');
    expect(refused(() => timeout({ total: '5' as unknown as number }))).toBe('total');
    expect(refused(() => new RateLimiter().pause(Number.NaN))).toBe('ms');
    expect(refused(() => governedModel({ model: 'm', stream: () => NEVER, complete: () => NEVER }, { maxRetryAfterMs: -5 }))).toBe('maxRetryAfterMs');
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });
});
