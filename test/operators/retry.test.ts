import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { backoffDelay, isRetryable, retryWithBackoff, type GiveUpInfo, type RetryInfo } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const fatal = Object.assign(new Error('unauthorized'), { retryable: false });

describe('retryWithBackoff', () => {
  it('resubscribes after exponentially growing waits: 10, 20, 40', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#');
      const retried = source.pipe(retryWithBackoff({ count: 3, initialDelay: 10, jitter: 0 }));
      //                         try 1, wait 10, try 2, wait 20, try 3, wait 40, try 4 fails: give up
      expectObservable(retried).toBe('-      10ms    -      20ms     -      40ms     -#');
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!', '73ms ^!']);
    });
  });

  it('caps the delay at maxDelay', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { initialDelay: 100, maxDelay: 500, jitter: 0 }))).toEqual([100, 200, 400, 500, 500]);
  });

  it('draws jitter below the backoff: delay in [d * (1 - jitter), d]', () => {
    expect(backoffDelay(2, { initialDelay: 100, jitter: 0.5 }, () => 0)).toBe(200);
    expect(backoffDelay(2, { initialDelay: 100, jitter: 0.5 }, () => 0.999)).toBe(100); // 100.1, whole ms
    expect(backoffDelay(2, { initialDelay: 100, jitter: 1 }, () => 0.5)).toBe(100);
  });

  it('waits the retry-after an error asks for when it is longer than the backoff', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const rateLimited = Object.assign(new Error('429'), { retryAfterMs: 7 });
      const source = cold('-#', undefined, rateLimited);
      const retried = source.pipe(retryWithBackoff({ count: 1, initialDelay: 2, jitter: 0 }));
      //                         fails at 1, waits 7 (retry-after) instead of 2, fails again
      expectObservable(retried).toBe('- 7ms -#', undefined, rateLimited);
    });
  });

  it('does not retry an error that says retryable: false, nor one the predicate refuses', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--#', undefined, fatal);
      expectObservable(source.pipe(retryWithBackoff(3))).toBe('--#', undefined, fatal);
      expectSubscriptions(source.subscriptions).toBe('^-!');
      const other = cold('-#');
      expectObservable(other.pipe(retryWithBackoff({ count: 3, retryIf: () => false }))).toBe('-#');
    });
    expect(isRetryable(fatal)).toBe(false);
    expect(isRetryable(new Error('503'))).toBe(true);
  });

  it('reports each retry (attempt, error, delay) before waiting', () => {
    const seen: RetryInfo[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-#');
      const retried = source.pipe(retryWithBackoff({ count: 2, initialDelay: 5, jitter: 0, onRetry: (info) => seen.push(info) }));
      expectObservable(retried).toBe('- 5ms - 10ms -#');
    });
    expect(seen.map(({ attempt, delayMs }) => [attempt, delayMs])).toEqual([[1, 5], [2, 10]]);
  });

  it('reports giving up once, with the last attempt and why: exhausted or not retryable', () => {
    const gaveUp: GiveUpInfo[] = [];
    const onGiveUp = (info: GiveUpInfo) => gaveUp.push(info);
    testScheduler().run(({ cold, expectObservable }) => {
      const overloaded = Object.assign(new Error('529'), { status: 529 });
      //                                                                              try 1, wait 3, try 2, wait 6, try 3 fails: count spent
      expectObservable(cold('-#', undefined, overloaded).pipe(retryWithBackoff({ count: 2, initialDelay: 3, jitter: 0, onGiveUp }))).toBe('- 3ms - 6ms -#', undefined, overloaded);
      expectObservable(cold('--#', undefined, fatal).pipe(retryWithBackoff({ count: 2, onGiveUp }))).toBe('--#', undefined, fatal);
    });
    expect(gaveUp.map(({ attempt, reason, error }) => [attempt, reason, (error as Error).message])).toEqual([
      [1, 'notRetryable', 'unauthorized'],
      [3, 'exhausted', '529'],
    ]);
  });

  it('does not report giving up when the source completes or the subscriber leaves mid-wait', () => {
    const gaveUp: GiveUpInfo[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a|').pipe(retryWithBackoff({ count: 1, onGiveUp: (i) => gaveUp.push(i) }))).toBe('-a|');
      expectObservable(cold('-#').pipe(retryWithBackoff({ count: 1, initialDelay: 10, onGiveUp: (i) => gaveUp.push(i) })), '^--!').toBe('---');
    });
    expect(gaveUp).toEqual([]);
  });

  it('passes values through and stops retrying once the source completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|').pipe(retryWithBackoff(3))).toBe('-a-|');
    });
  });

  it('rejects bad settings, naming the field', () => {
    expect(() => retryWithBackoff({ count: -1 })).toThrow(/'count' must be an integer >= 0/);
    expect(() => retryWithBackoff({ jitter: 2 })).toThrow(/'jitter' must be between 0 and 1/);
  });
});

describe('isRetryable by HTTP status', () => {
  it('retries 408, 409, 429 and 5xx; not 400, 401, 403, 404, 413, 422; an explicit retryable wins', () => {
    const withStatus = (status: number, extra = {}) => Object.assign(new Error(String(status)), { status }, extra);
    expect([408, 409, 429, 500, 503, 529].map((s) => isRetryable(withStatus(s)))).toEqual([true, true, true, true, true, true]);
    expect([400, 401, 403, 404, 413, 422].map((s) => isRetryable(withStatus(s)))).toEqual([false, false, false, false, false, false]);
    expect(isRetryable(withStatus(400, { retryable: true }))).toBe(true);
    expect(isRetryable(withStatus(503, { retryable: false }))).toBe(false);
  });
});

describe('retry budget and retry-after', () => {
  it('does not spend the budget on retries the service paced with a retry-after', async () => {
    const { createRetryBudget } = await import('rx-orchestra/operators');
    const budget = createRetryBudget({ ratio: 0, minRetries: 0 });
    testScheduler().run(({ cold, expectObservable }) => {
      const throttled = Object.assign(new Error('429'), { retryAfterMs: 5 });
      const source = cold('-#', undefined, throttled);
      expectObservable(source.pipe(retryWithBackoff({ count: 2, initialDelay: 1, jitter: 0, budget }))).toBe('- 5ms - 5ms -#', undefined, throttled);
      const plain = cold('-#');
      expectObservable(plain.pipe(retryWithBackoff({ count: 2, initialDelay: 1, jitter: 0, budget }))).toBe('-#'); // no budget left for it
    });
    expect(budget.retries).toBe(0);
  });
});
