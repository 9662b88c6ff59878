import { describe, expect, it } from 'vitest';
import { asyncScheduler, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isRetryable, retryAfterOf, retryWithBackoff } from 'rx-orchestra/operators';
import { simulatedModel, type Completion, type SimulatedModelOptions } from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1000, p95Ms: 1000 };
/** 'hi there' → 2 input tokens; answer '[sim] hi there' → 4 output tokens. */
const HI = { prompt: 'hi there' };

interface Seen<T> {
  value?: T;
  error?: unknown;
  at?: number;
}
type Call = Seen<Completion>;

/** Subscribes at `at` (virtual ms) and records what the call did. */
function callAt<T>(at: number, source: Observable<T>): Seen<T> {
  const seen: Seen<T> = {};
  asyncScheduler.schedule(
    () =>
      source.subscribe({
        next: (value) => Object.assign(seen, { value, at: asyncScheduler.now() }),
        error: (error: unknown) => Object.assign(seen, { error, at: asyncScheduler.now() }),
      }),
    at,
  );
  return seen;
}

const model = (options: SimulatedModelOptions) => simulatedModel({ latency: FIXED, ...options });

describe('simulatedModel quota', () => {
  it('RPM 2: a third call at t=0 gets a 429 after 20 ms asking for exactly 30 s; at 30 s it is admitted', () => {
    testScheduler().run(({ flush }) => {
      const sim = model({ quota: { requestsPerMinute: 2 } });
      const [a, b, c] = [0, 0, 0].map((at) => callAt(at, sim.complete(HI))) as [Call, Call, Call];
      const early = callAt(29_999, sim.complete(HI));
      const onTime = callAt(30_000, sim.complete(HI));
      flush();
      expect([a.at, b.at]).toEqual([1_000, 1_000]);
      expect(c.at).toBe(20);
      expect(c.error).toMatchObject({ name: 'SimulatedModelError', code: 'RATE_LIMITED', status: 429, retryable: true, retryAfterMs: 30_000 });
      expect(c.error).toMatchObject({ rateLimit: { requests: { limit: 2, remaining: 0, resetAt: 60_000 } } });
      expect(isRetryable(c.error) && retryAfterOf(c.error)).toBe(30_000);
      expect(early.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1_000 }); // 1 ms short, rounded up to a second
      expect(onTime).toMatchObject({ at: 31_000, value: { text: '[sim] hi there' } });
    });
  });

  it('lets the retry operator wait out the retry-after: the refused call succeeds at 20 + 30000 + 1000 ms', () => {
    testScheduler().run(({ expectObservable }) => {
      const sim = model({ quota: { requestsPerMinute: 2 } });
      sim.complete(HI).subscribe();
      sim.complete(HI).subscribe();
      const third = sim.complete(HI).pipe(retryWithBackoff({ count: 1, initialDelay: 100, jitter: 0 }));
      expectObservable(third).toBe('31020ms (c|)', { c: expect.objectContaining({ latencyMs: 1_000 }) });
    });
  });

  it('ITPM: takes input tokens at admission and refuses a call that does not fit until enough has refilled', () => {
    testScheduler().run(({ flush }) => {
      const prompt = 'x'.repeat(160); // 40 input tokens
      const sim = model({ quota: { inputTokensPerMinute: 100 } });
      const calls = [0, 0, 0].map((at) => callAt(at, sim.complete({ prompt })));
      const later = callAt(12_000, sim.complete({ prompt }));
      flush();
      expect(calls.map((call) => call.at)).toEqual([1_000, 1_000, 20]);
      expect(calls[2]!.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 12_000, message: expect.stringContaining('100 input tokens per minute') });
      expect(later.value).toBeDefined();
    });
  });

  it('answers a request larger than the ITPM limit with a non-retryable 413, at once', () => {
    testScheduler().run(({ flush }) => {
      const call = callAt(0, model({ quota: { inputTokensPerMinute: 100 } }).complete({ prompt: 'x'.repeat(404) })); // 101 tokens
      flush();
      expect(call).toMatchObject({ at: 0, error: { code: 'REQUEST_TOO_LARGE', status: 413, retryable: false } });
    });
  });

  it('OTPM: charges output when a call ends, may run into debt, and refuses calls until it is paid back', () => {
    testScheduler().run(({ flush }) => {
      const sim = model({ quota: { outputTokensPerMinute: 5 }, respond: () => 'x'.repeat(24) }); // 6 output tokens per call
      const [a, b] = [0, 0].map((at) => callAt(at, sim.complete(HI))) as [Call, Call]; // both admitted: nothing charged yet
      const refused = callAt(1_001, sim.complete(HI)); // after both ended: 5 - 12 = -7
      const tooEarly = callAt(96_999, sim.complete(HI));
      const admitted = callAt(97_000, sim.complete(HI)); // 8 tokens back at 5 per minute: 96 s after 1000
      flush();
      expect([a.at, b.at]).toEqual([1_000, 1_000]);
      // headers after each charge: -1 (6 tokens to refill: 72 s), then -7 (12 tokens: 144 s)
      expect(a.value?.rateLimit?.outputTokens).toEqual({ limit: 5, remaining: 0, resetAt: 1_000 + 72_000 });
      expect(b.value?.rateLimit?.outputTokens).toEqual({ limit: 5, remaining: 0, resetAt: 1_000 + 144_000 });
      expect(refused.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 96_000, rateLimit: { outputTokens: { remaining: 0 } } });
      expect(tooEarly.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1_000 });
      expect(admitted.value).toBeDefined();
    });
  });

  it('charges only the output generated so far when a stream is cancelled', () => {
    const refusedAfterCancelAt = (cancelAt: number) =>
      testScheduler().run(({ flush }) => {
        const sim = model({ quota: { outputTokensPerMinute: 2 }, outputTokensPerSecond: 10 }); // tokens at 1000, 1100, 1200, 1300
        const subscription = sim.stream(HI).subscribe();
        asyncScheduler.schedule(() => subscription.unsubscribe(), cancelAt);
        const next = callAt(1_150, sim.complete(HI));
        flush();
        return next.error;
      });
    expect(refusedAfterCancelAt(1_050)).toBeUndefined(); // one token charged: one left
    expect(refusedAfterCancelAt(1_150)).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 30_000 }); // two charged: empty
  });

  it('reports limit, remaining and resetAt of each declared bucket on every completion, in scheduler ms', () => {
    testScheduler().run(({ flush }) => {
      const sim = model({ quota: { requestsPerMinute: 10, inputTokensPerMinute: 100, outputTokensPerMinute: 500 }, respond: () => 'x'.repeat(48) });
      const call = callAt(0, sim.complete({ prompt: 'x'.repeat(52) })); // 13 in, 12 out
      const unlimited = callAt(0, simulatedModel({ latency: FIXED }).complete(HI));
      flush();
      expect(call.value?.rateLimit).toEqual({
        requests: { limit: 10, remaining: 9, resetAt: 6_000 },
        inputTokens: { limit: 100, remaining: 88, resetAt: 7_800 },
        outputTokens: { limit: 500, remaining: 488, resetAt: 2_440 },
      });
      expect(unlimited.value).not.toHaveProperty('rateLimit');
    });
  });

  it('draws nothing for refused calls: the admitted ones keep the latencies of the seed', () => {
    const latencies = (quota?: { requestsPerMinute: number }) =>
      testScheduler().run(({ flush }) => {
        const sim = simulatedModel({ seed: 17, ...(quota ? { quota } : {}) });
        const calls = [0, 0, 0, 60_000].map((at) => callAt(at, sim.complete(HI)));
        flush();
        return calls.flatMap((call) => (call.value ? [call.value.latencyMs] : []));
      });
    const free = latencies();
    expect(latencies({ requestsPerMinute: 1 })).toEqual(free.slice(0, 2)); // calls 2 and 3 refused at t=0
  });

  it('starts the quota clock on the scheduler the calls run on (a model built outside the virtual run)', () => {
    const sim = simulatedModel({ latency: FIXED, quota: { requestsPerMinute: 1 } });
    testScheduler().run(({ expectObservable }) => {
      expectObservable(sim.complete(HI)).toBe('1000ms (a|)', { a: expect.anything() });
      expectObservable(sim.complete(HI).pipe(retryWithBackoff({ count: 1, initialDelay: 1, jitter: 0 }))).toBe('61020ms (b|)', { b: expect.anything() });
    });
  });
});
