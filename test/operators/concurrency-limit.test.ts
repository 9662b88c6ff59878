import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { mergeMap, of, throwError, timer, map, from, type Observable } from 'rxjs';
import { ConcurrencyLimiter, limitConcurrency, type LimitChange } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const overloaded = () => Object.assign(new Error('429'), { status: 429 });

describe('ConcurrencyLimiter: fixed', () => {
  it('never runs more than the limit, across separate pipelines sharing it (nested stages do not add up)', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const shared = new ConcurrencyLimiter(2);
      const a = cold('10ms (a|)');
      const b = cold('10ms (b|)');
      const c = cold('10ms (c|)');
      // two "stages" that each think they may run everything: together they hold 2 slots
      expectObservable(a.pipe(limitConcurrency(shared))).toBe('10ms (a|)');
      expectObservable(b.pipe(limitConcurrency(shared))).toBe('10ms (b|)');
      expectObservable(c.pipe(limitConcurrency(shared))).toBe('20ms (c|)');
      expectSubscriptions(c.subscriptions).toBe('10ms ^ 9ms !');
    });
  });

  it('frees the slot when a holder is cancelled', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const shared = new ConcurrencyLimiter(1);
      expectObservable(cold('100ms (a|)').pipe(limitConcurrency(shared)), '^ 5ms !').toBe('');
      expectObservable(cold('10ms (b|)').pipe(limitConcurrency(shared))).toBe('16ms (b|)');
    });
  });
});

describe('ConcurrencyLimiter: adaptive (AIMD)', () => {
  /** Calls that succeed after 10 ms, except those whose index is in `overloadedAt`. */
  function drive(limiter: ConcurrencyLimiter, calls: number, overloadedAt: ReadonlySet<number>): Observable<unknown> {
    return from(Array.from({ length: calls }, (_, i) => i)).pipe(
      mergeMap(
        (i) =>
          (overloadedAt.has(i) ? timer(10).pipe(mergeMap(() => throwError(overloaded))) : timer(10).pipe(map(() => i))).pipe(
            limitConcurrency(limiter),
            mergeMap((v) => of(v)),
          ),
        Infinity,
      ),
      mergeMap((v) => of(v)),
    );
  }

  it('grows by one per round of successes and halves on a 429, once per round trip', () => {
    const changes: Omit<LimitChange, 'at'>[] = [];
    testScheduler().run(({ flush }) => {
      const limiter = new ConcurrencyLimiter({ initial: 2, min: 1, max: 8 });
      limiter.changes$.subscribe(({ at: _at, ...change }) => changes.push(change));
      // 2 successes (2 -> 3), 3 successes (3 -> 4), then a round where two calls get 429 together
      drive(limiter, 5, new Set()).subscribe();
      flush();
      drive(limiter, 4, new Set([0, 1])).subscribe({ error: () => undefined });
      flush();
    });
    expect(changes).toEqual([
      { limit: 3, previous: 2, reason: 'increase' },
      { limit: 4, previous: 3, reason: 'increase' },
      { limit: 2, previous: 4, reason: 'overload' }, // the second 429 of the same round does not halve again
    ]);
  });

  it('backs off on rising latency when asked, and stays within bounds', () => {
    const changes: LimitChange[] = [];
    testScheduler().run(({ cold, flush }) => {
      const limiter = new ConcurrencyLimiter({ initial: 4, min: 2, max: 4, latencyTolerance: 2 });
      limiter.changes$.subscribe((c) => changes.push(c));
      cold('10ms (x|)').pipe(limitConcurrency(limiter)).subscribe(); // fastest: 10 ms
      flush();
      cold('50ms (x|)').pipe(limitConcurrency(limiter)).subscribe(); // 5x slower
      flush();
      cold('50ms (x|)').pipe(limitConcurrency(limiter)).subscribe(); // would go below min
      flush();
    });
    expect(changes.map((c) => [c.previous, c.limit, c.reason, c.at])).toEqual([[4, 2, 'latency', 60]]);
  });

  it('rejects settings out of range, naming the field', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(/'limit'/);
    expect(() => new ConcurrencyLimiter({ initial: 10, max: 8 })).toThrow(/'initial'/);
    expect(() => new ConcurrencyLimiter({ decrease: 1.5 })).toThrow(/'decrease'/);
  });
});
