import { describe, expect, it } from 'vitest';
import { defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { createRetryBudget, retryWithBackoff, type GiveUpInfo } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const fatal = Object.assign(new Error('unauthorized'), { retryable: false });

describe('createRetryBudget', () => {
  it('grants minRetries with no calls at all, then refuses and counts the refusals', () => {
    const budget = createRetryBudget({ ratio: 0, minRetries: 2 });
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false, false]);
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied, limit: budget.limit }).toEqual({ calls: 0, retries: 2, denied: 2, limit: 2 });
  });

  it('grows with the calls: retries never exceed max(minRetries, ratio * calls)', () => {
    const budget = createRetryBudget({ ratio: 0.5, minRetries: 0 });
    budget.recordAttempt();
    expect(budget.tryRetry()).toBe(false); // 1 call: 0.5 of a retry is not a retry
    budget.recordAttempt();
    expect([budget.tryRetry(), budget.tryRetry()]).toEqual([true, false]); // 2 calls: 1 retry
    for (let i = 0; i < 8; i++) budget.recordAttempt();
    expect(Array.from({ length: 5 }, () => budget.tryRetry())).toEqual([true, true, true, true, false]); // 10 calls: 5 retries in all
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied, limit: budget.limit }).toEqual({ calls: 10, retries: 5, denied: 3, limit: 5 });
  });

  it('defaults to 30 % of calls with 10 retries always allowed, and is not fooled by float rounding', () => {
    const budget = createRetryBudget();
    expect(budget.limit).toBe(10);
    for (let i = 0; i < 36; i++) budget.recordAttempt();
    expect(budget.limit).toBe(10); // 0.3 * 36 = 10.8
    for (let i = 0; i < 4; i++) budget.recordAttempt();
    expect(budget.limit).toBe(12); // 0.3 * 40 = 12
    for (let i = 0; i < 60; i++) budget.recordAttempt();
    expect(budget.limit).toBe(30);
    const tenth = createRetryBudget({ ratio: 0.1, minRetries: 0 });
    for (let i = 0; i < 30; i++) tenth.recordAttempt();
    expect(tenth.limit).toBe(3); // 0.1 * 30 = 3.0000000000000004
    const fifth = createRetryBudget({ ratio: 0.2, minRetries: 0 });
    for (let i = 0; i < 15; i++) fifth.recordAttempt();
    expect(fifth.limit).toBe(3); // 0.2 * 15 = 3.0000000000000004
  });

  it('rejects bad settings, naming the field', () => {
    expect(() => createRetryBudget({ ratio: -0.1 })).toThrow(/'ratio' must be a finite number >= 0/);
    expect(() => createRetryBudget({ ratio: Number.NaN })).toThrow(/'ratio'/);
    expect(() => createRetryBudget({ minRetries: 1.5 })).toThrow(/'minRetries' must be an integer >= 0/);
    expect(() => retryWithBackoff({ budget: {} as never })).toThrow(/'budget' must be a RetryBudget/);
  });
});

describe('retryWithBackoff with a retry budget', () => {
  it('minRetries 2, ratio 0: exactly two retries across concurrent sources, then every other failure gives up at once', () => {
    const budget = createRetryBudget({ ratio: 0, minRetries: 2 });
    const gaveUp: Array<[string, GiveUpInfo['reason'], number]> = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const retried = (name: string, source: ReturnType<typeof cold>) =>
        source.pipe(retryWithBackoff({ count: 3, initialDelay: 10, jitter: 0, budget, onGiveUp: ({ reason, attempt }) => gaveUp.push([name, reason, attempt]) }));
      const a = cold('-#');
      const b = cold('--#');
      const c = cold('---#');
      const d = cold('----#');
      //                                    a fails at 1: retry 1 of 2 granted, waits 10, fails again at 12: refused
      expectObservable(retried('a', a)).toBe('-   10ms   -#');
      //                                    b fails at 2: retry 2 of 2 granted, waits 10, fails again at 14: refused
      expectObservable(retried('b', b)).toBe('--  10ms   --#');
      //                                    c and d fail with the budget spent: no retry at all
      expectObservable(retried('c', c)).toBe('---#');
      expectObservable(retried('d', d)).toBe('----#');
      expectSubscriptions(a.subscriptions).toBe(['^!', '11ms ^!']);
      expectSubscriptions(b.subscriptions).toBe(['^-!', '12ms ^-!']);
      expectSubscriptions(c.subscriptions).toBe('^--!');
      expectSubscriptions(d.subscriptions).toBe('^---!');
    });
    expect(gaveUp).toEqual([
      ['c', 'budget', 1],
      ['d', 'budget', 1],
      ['a', 'budget', 2],
      ['b', 'budget', 2],
    ]);
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied }).toEqual({ calls: 4, retries: 2, denied: 4 });
  });

  it('ratio 0.5 with ten concurrent calls: five are retried, five fail at once', () => {
    const budget = createRetryBudget({ ratio: 0.5, minRetries: 0 });
    testScheduler().run(({ cold, expectObservable }) => {
      for (let i = 0; i < 10; i++) {
        // each call fails once at 1, and would succeed on its second attempt
        let attempts = 0;
        const call = defer(() => (attempts++ === 0 ? cold('-#') : cold('-(a|)')));
        //                                    the first five get the five retries; the rest give up at once
        expectObservable(call.pipe(retryWithBackoff({ count: 3, initialDelay: 10, jitter: 0, budget }))).toBe(i < 5 ? '- 10ms -(a|)' : '-#');
      }
    });
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied }).toEqual({ calls: 10, retries: 5, denied: 5 });
  });

  it('counts one call per subscription, not per retry', () => {
    const budget = createRetryBudget({ ratio: 0, minRetries: 10 });
    testScheduler().run(({ cold, expectObservable }) => {
      const retried = cold('-#').pipe(retryWithBackoff({ count: 2, initialDelay: 1, jitter: 0, budget }));
      expectObservable(retried).toBe('- 1ms - 2ms -#');
      expectObservable(retried).toBe('- 1ms - 2ms -#'); // a second subscriber is a second call
    });
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied }).toEqual({ calls: 2, retries: 4, denied: 0 });
  });

  it('spends no budget on errors that are not retryable, nor on the last failure after count retries', () => {
    const budget = createRetryBudget({ ratio: 0, minRetries: 5 });
    const gaveUp: GiveUpInfo[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const onGiveUp = (info: GiveUpInfo) => gaveUp.push(info);
      expectObservable(cold('-#', undefined, fatal).pipe(retryWithBackoff({ count: 3, budget, onGiveUp }))).toBe('-#', undefined, fatal);
      expectObservable(cold('-#').pipe(retryWithBackoff({ count: 1, initialDelay: 4, jitter: 0, budget, onGiveUp }))).toBe('- 4ms -#');
    });
    expect(gaveUp.map(({ attempt, reason }) => [attempt, reason])).toEqual([
      [1, 'notRetryable'],
      [2, 'exhausted'],
    ]);
    expect({ calls: budget.calls, retries: budget.retries, denied: budget.denied }).toEqual({ calls: 2, retries: 1, denied: 0 });
  });

  it('counts calls that are never retried (count 0) and reports their failure as exhausted', () => {
    const budget = createRetryBudget();
    const reasons: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-#').pipe(retryWithBackoff({ count: 0, budget, onGiveUp: ({ reason }) => reasons.push(reason) }))).toBe('-#');
    });
    expect(reasons).toEqual(['exhausted']);
    expect(budget.calls).toBe(1);
  });
});
