/** Regressions found in review: re-entrant slot hand-over, release order, refunds of unused estimates. */
import { describe, expect, it } from 'vitest';
import { Observable, merge, of, timer, mergeMap, lastValueFrom, toArray, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConcurrencyLimiter, RateLimiter, limitConcurrency, rateLimit } from 'rx-orchestra/operators';

describe('ConcurrencyLimiter hand-over', () => {
  it('serves 10,000 queued calls that finish synchronously without growing the stack', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const calls = Array.from({ length: 10_000 }, (_, i) => of(i).pipe(limitConcurrency(limiter)));
    const all = await lastValueFrom(merge(timer(1).pipe(mergeMap(() => of(-1))).pipe(limitConcurrency(limiter)), ...calls).pipe(toArray()));
    expect(all).toHaveLength(10_001);
    expect(limiter.inFlight).toBe(0);
  });

  it('stops a cancelled call before its slot goes to the next one', () => {
    const log: string[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const limiter = new ConcurrencyLimiter(1);
      const call = (name: string) =>
        new Observable<string>((subscriber) => {
          log.push(`start ${name}`);
          const inner = cold('10ms (x|)', { x: name }).subscribe(subscriber);
          return () => (inner.unsubscribe(), log.push(`stop ${name}`));
        }).pipe(limitConcurrency(limiter));
      expectObservable(call('a'), '^ 5ms !').toBe('');
      expectObservable(call('b')).toBe('16ms (x|)', { x: 'b' });
    });
    expect(log).toEqual(['start a', 'stop a', 'start b', 'stop b']);
  });
});

describe('RateLimiter refunds', () => {
  it('gives back the output estimate of a call that failed, so the next call is not held', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const limiter = new RateLimiter({ outputTokensPerMinute: 1_000 });
      const failing = throwError(() => new Error('503')).pipe(rateLimit(limiter, { outputTokens: 1_000 }, { usageOf: () => undefined }));
      expectObservable(failing).toBe('#', undefined, new Error('503'));
      // the failed call produced no output: its 1,000-token reservation is given back at once
      expectObservable(cold('(x|)').pipe(rateLimit(limiter, { outputTokens: 1_000 }))).toBe('(x|)');
    });
  });
});
