import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { of } from 'rxjs';
import { isOptionsError } from 'rx-orchestra';
import { RateLimiter, TokenBucket, rateLimit, QUOTA_PRESETS, type RateLimitWait } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('TokenBucket', () => {
  it('refills continuously and reports whole ms until an amount fits', () => {
    const rpm = TokenBucket.perMinute(60, 0); // one per second
    rpm.take(60, 0);
    expect(rpm.timeUntil(1, 0)).toBe(1000);
    expect(rpm.level(500)).toBeCloseTo(0.5);
    expect(rpm.timeUntil(2, 500)).toBe(1500);
    rpm.take(10, 1000); // debt
    expect(rpm.level(1000)).toBe(-9);
    expect(rpm.timeUntil(1, 1000)).toBe(10_000);
    expect(rpm.level(1_000_000)).toBe(60); // never above capacity
  });
});

describe('RateLimiter + rateLimit: admission times in virtual time', () => {
  it('admits calls while the request bucket has room, then one per refill, in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ requestsPerMinute: 2 });
      const call = (name: string) => cold('(x|)', { x: name }).pipe(rateLimit(limiter, {}));
      expectObservable(call('a')).toBe('(a|)', { a: 'a' });
      expectObservable(call('b')).toBe('(b|)', { b: 'b' });
      expectObservable(call('c')).toBe('30s (c|)', { c: 'c' }); // half a minute refills one request
      expectObservable(call('d')).toBe('60s (d|)', { d: 'd' });
    });
  });

  it('holds a large call until its input tokens fit, and later calls wait behind it (first come, first served)', () => {
    const waits: RateLimitWait[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ inputTokensPerMinute: 6_000 }); // 100 tokens per second
      const call = (name: string, inputTokens: number) =>
        cold('(x|)', { x: name }).pipe(rateLimit(limiter, { inputTokens }, { onWait: (w) => waits.push(w) }));
      expectObservable(call('first', 5_000)).toBe('(x|)', { x: 'first' });
      expectObservable(call('big', 3_000)).toBe('20s (x|)', { x: 'big' }); // needs 2,000 more: 20 s
      expectObservable(call('small', 100)).toBe('21s (x|)', { x: 'small' }); // behind big, then 1 s
    });
    expect(waits).toEqual([
      { waitMs: 20_000, limitedBy: 'inputTokens', queued: 1 },
      { waitMs: 20_000, limitedBy: 'inputTokens', queued: 2 },
    ]);
  });

  it('charges real output tokens after the call (a debt later calls wait out)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ outputTokensPerMinute: 600 }); // 10 per second
      const answer = (tokens: number) => cold('10ms (x|)', { x: { outputTokens: tokens } });
      const first = answer(1_200).pipe(rateLimit(limiter, { outputTokens: 100 }, { usageOf: (v) => v }));
      expectObservable(first).toBe('10ms (x|)', { x: { outputTokens: 1_200 } });
      // at 10 ms the bucket holds 600 - 1,200 = -600 (+0.1): 100 more tokens need about 70 s
      const second = answer(50).pipe(rateLimit(limiter, { outputTokens: 100 }));
      expectObservable(second, '20ms ^').toBe('20ms 69990ms (x|)', { x: { outputTokens: 50 } });
    });
  });

  it('pauses every queued call for a retry-after, and learns undeclared limits from the provider', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter();
      limiter.pause(5_000);
      expectObservable(cold('(x|)').pipe(rateLimit(limiter, {}))).toBe('5s (x|)');
      limiter.observe({ requests: { limit: 60, remaining: 0 } });
      expect(limiter.quota).toEqual({ requestsPerMinute: 60 });
      expectObservable(cold('(y|)').pipe(rateLimit(limiter, {}))).toBe('5s (y|)'); // 1 s refill < 5 s pause
    });
  });

  it('leaves the queue when a waiting call is cancelled, so the next one moves up', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ requestsPerMinute: 1 });
      expectObservable(cold('(a|)').pipe(rateLimit(limiter, {}))).toBe('(a|)');
      expectObservable(cold('(b|)').pipe(rateLimit(limiter, {})), '^ 10s !').toBe('');
      expectObservable(cold('(c|)').pipe(rateLimit(limiter, {}))).toBe('60s (c|)'); // b left at 10 s: c is next
    });
  });

  it('ships tier presets and rejects a bad limit naming the field', () => {
    expect(QUOTA_PRESETS.tier1).toEqual({ requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000 });
    try {
      new RateLimiter({ requestsPerMinute: 0 });
      expect.unreachable();
    } catch (error) {
      expect(isOptionsError(error, 'operators') && error.field).toBe('requestsPerMinute');
    }
    expect(() => of(1).pipe(rateLimit(new RateLimiter(), {}))).not.toThrow();
  });
});
