import { describe, expect, expectTypeOf, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { Observable, of, type OperatorFunction } from 'rxjs';
import { fallbackChain, isRetryable, type FallbackChainStep as FallbackStep } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const overloaded = (model: string) => Object.assign(new Error(`${model} overloaded`), { status: 529 });

describe('fallbackChain', () => {
  it('falls from Opus to Sonnet to Haiku: each alternative starts when the one before fails', () => {
    const steps: FallbackStep[] = [];
    const opusError = overloaded('opus');
    const sonnetError = overloaded('sonnet');
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const opus = cold('--#', undefined, opusError);
      const sonnet = cold('  ---#', undefined, sonnetError);
      const haiku = cold('        -(h|)');
      const answer = opus.pipe(fallbackChain([() => sonnet, () => haiku], { onFallback: (step) => steps.push(step) }));
      expectObservable(answer).toBe('------(h|)');
      expectSubscriptions(opus.subscriptions).toBe('^-!');
      expectSubscriptions(sonnet.subscriptions).toBe('--^--!');
      expectSubscriptions(haiku.subscriptions).toBe('-----^!');
    });
    expect(steps).toEqual([
      { index: 0, error: opusError },
      { index: 1, error: sonnetError },
    ]);
  });

  it('rethrows the last error when every alternative fails', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const last = overloaded('haiku');
      const chain = fallbackChain([() => cold('-#', undefined, overloaded('sonnet')), () => cold('-#', undefined, last)]);
      expectObservable(cold('-#', undefined, overloaded('opus')).pipe(chain)).toBe('---#', undefined, last);
    });
  });

  it('stops at an error `when` refuses (a 400 fails on every model) and rethrows it', () => {
    const steps: number[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const invalid = Object.assign(new Error('prompt too long'), { status: 400 });
      const sonnet = cold('-#', undefined, invalid);
      const haiku = cold('-(h|)');
      const chain = fallbackChain([() => sonnet, () => haiku], { when: isRetryable, onFallback: ({ index }) => steps.push(index) });
      expectObservable(cold('-#', undefined, overloaded('opus')).pipe(chain)).toBe('--#', undefined, invalid);
      expectSubscriptions(haiku.subscriptions).toBe([]);
      // the source's own error is checked too
      expectObservable(cold('-#', undefined, invalid).pipe(chain)).toBe('-#', undefined, invalid);
    });
    expect(steps).toEqual([0]);
  });

  it('ends with a static default when the models all fail', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const chain = fallbackChain<string, string>([() => cold('--#', undefined, overloaded('sonnet')), { value: 'no answer' }]);
      expectObservable(cold('-#', undefined, overloaded('opus')).pipe(chain)).toBe('---(d|)', { d: 'no answer' });
    });
  });

  it('passes the error to each alternative and aborts the signal only if the alternative is cancelled', () => {
    const seen: { error: string; signal: AbortSignal }[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const chain = fallbackChain<string, string>([
        (error, signal) => (seen.push({ error: (error as Error).message, signal }), cold('-#', undefined, overloaded('sonnet'))),
        (error, signal) => (seen.push({ error: (error as Error).message, signal }), cold('-----(h|)')),
      ]);
      expectObservable(cold('-#', undefined, overloaded('opus')).pipe(chain), '^--!').toBe('');
    });
    expect(seen.map(({ error, signal }) => [error, signal.aborted])).toEqual([
      ['opus overloaded', false], //  failed on its own: nothing to abort
      ['sonnet overloaded', true], // still running at the unsubscription (frame 3): aborted
    ]);
  });

  it('leaves a source that succeeds alone: no alternative is called', () => {
    let called = 0;
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|').pipe(fallbackChain([() => (called++, of('z'))]))).toBe('-a-|');
    });
    expect(called).toBe(0);
  });

  it('takes Promises and plain values from alternatives, and widens the type to T | U', async () => {
    const { lastValueFrom, throwError } = await import('rxjs');
    const failing = throwError((): unknown => new Error('opus'));
    await expect(lastValueFrom(failing.pipe(fallbackChain([() => Promise.reject(new Error('sonnet')), () => 'plain string'])))).resolves.toBe(
      'plain string',
    );
    expectTypeOf(fallbackChain<string, number>([() => of(42), { value: 0 }])).toEqualTypeOf<OperatorFunction<string, string | number>>();
    expectTypeOf(new Observable<string>().pipe(fallbackChain([() => of(42), () => Promise.resolve(1)]))).toEqualTypeOf<Observable<string | number>>();
  });

  it('rejects an empty chain, and a { value } that is not last (what follows could never run)', () => {
    expect(() => fallbackChain([])).toThrow(/needs at least one alternative/);
    expect(() => fallbackChain([{ value: 1 }, () => of(2)])).toThrow(/the \{ value \} at index 0 never fails.*put it last/);
  });
});
