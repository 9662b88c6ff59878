import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { EMPTY, Observable, lastValueFrom, of, retry, type ObservableInput } from 'rxjs';
// Imported from its file until the lead adds it to the `rx-orchestra/operators` entry.
import { AttemptAbortError, AttemptHandle, attempt, isAttemptAbortError, isAttemptResultError, type AttemptConfig } from '../../operators/attempt.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** An attempt whose work is `source`, recording each subscription's signal. */
function recorded<T>(source: ObservableInput<T>, config?: AttemptConfig) {
  const signals: AbortSignal[] = [];
  const attempt$ = attempt(({ signal }) => (signals.push(signal), source), config);
  return { attempt$, signals };
}

describe('attempt', () => {
  it('emits the last value when the work completes, and calls nothing before subscription', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const work = cold('-a-b-c|');
      const { attempt$, signals } = recorded(work);
      expect(signals).toHaveLength(0); // cold
      expectObservable(attempt$).toBe('------(c|)');
      expectSubscriptions(work.subscriptions).toBe('^-----!');
    });
  });

  it('aborts the signal when unsubscribed before the work finished, with an AttemptAbortError', () => {
    const { attempt$, signals } = recorded(new Observable<never>());
    testScheduler().run(({ expectObservable }) => {
      expectObservable(attempt$, '^--!').toBe('');
    });
    const [signal] = signals;
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBeInstanceOf(AttemptAbortError);
    expect(signal!.reason).toMatchObject({ name: 'AbortError', code: 'CANCELLED', retryable: false });
    expect(isAttemptAbortError(signal!.reason)).toBe(true);
  });

  it('leaves the signal alone after the work completed or errored', () => {
    const { done, failed } = testScheduler().run(({ cold, expectObservable }) => {
      const done = recorded(cold('--a|'));
      const failed = recorded(cold('--#', undefined, new Error('overloaded')));
      expectObservable(done.attempt$, '^-----!').toBe('---(a|)');
      expectObservable(failed.attempt$, '^-----!').toBe('--#', undefined, new Error('overloaded'));
      return { done, failed };
    });
    expect([done.signals[0]!.aborted, failed.signals[0]!.aborted]).toEqual([false, false]);
  });

  it('errors with config.empty() when the work completes without a value, an EMPTY_RESULT by default', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const named = new Error("node 'summary' completed without a value");
      expectObservable(attempt(() => cold('--|'), { empty: () => named })).toBe('--#', undefined, named);
      expectObservable(attempt(() => cold('--|'))).toBe('--#', undefined, expect.objectContaining({ name: 'AttemptResultError', code: 'EMPTY_RESULT' }));
    });
    let error: unknown;
    attempt(() => EMPTY).subscribe({ error: (e: unknown) => (error = e) });
    expect(isAttemptResultError(error)).toBe(true);
  });

  it('turns a synchronous throw of the work, and a result that is no ObservableInput, into an error notification', () => {
    const thrown = new Error('bad prompt');
    testScheduler().run(({ expectObservable }) => {
      expectObservable(
        attempt(() => {
          throw thrown;
        }),
      ).toBe('#', undefined, thrown);
      expectObservable(attempt(() => 42 as never)).toBe('#', undefined, expect.objectContaining({ code: 'INVALID_RESULT' }));
      expectObservable(attempt(() => 42 as never, { invalid: (result) => new Error(`got ${String(result)}`) })).toBe('#', undefined, new Error('got 42'));
    });
  });

  it('takes Promises, async iterables and iterables; a string is one value', async () => {
    await expect(lastValueFrom(attempt(() => Promise.resolve('from a promise')))).resolves.toBe('from a promise');
    async function* tokens() {
      yield 'Hel';
      yield 'Hello';
    }
    await expect(lastValueFrom(attempt(() => tokens()))).resolves.toBe('Hello');
    await expect(lastValueFrom(attempt(() => [1, 2, 3]))).resolves.toBe(3);
    await expect(lastValueFrom(attempt(() => 'a whole answer'))).resolves.toBe('a whole answer');
    await expect(lastValueFrom(attempt(() => Promise.reject(new Error('rejected'))))).rejects.toThrow('rejected');
  });

  it('passes every value on with values: "all", and completes empty without an error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(attempt(() => cold('-a-b|'), { values: 'all' })).toBe('-a-b|');
      expectObservable(attempt(() => cold('--|'), { values: 'all' })).toBe('--|');
    });
  });

  it('runs the work anew on each subscription, with a signal of its own, so a retry starts afresh', () => {
    const signals = testScheduler().run(({ cold, expectObservable }) => {
      let calls = 0;
      const flaky = recorded(new Observable<string>((subscriber) => (++calls < 3 ? subscriber.error(new Error('flaky')) : (subscriber.next('z'), subscriber.complete()))));
      expectObservable(flaky.attempt$.pipe(retry(2))).toBe('(z|)');
      const failing = recorded(cold('-#'));
      expectObservable(failing.attempt$.pipe(retry(1))).toBe('--#');
      return () => [...flaky.signals, ...failing.signals];
    })();
    expect(signals).toHaveLength(5);
    expect(new Set(signals).size).toBe(5);
  });

  it('passes a parent signal’s abort on with its reason, and stops listening once the attempt ended', () => {
    const parent = new AbortController();
    const { attempt$, signals } = recorded(new Observable<never>(), { signal: parent.signal });
    const subscription = attempt$.subscribe({ error: () => {} });
    parent.abort('user left');
    expect(signals[0]!.reason).toBe('user left');
    subscription.unsubscribe();
    expect(signals[0]!.reason).toBe('user left'); // the first reason stays

    const later = new AbortController();
    const done = recorded(of(1), { signal: later.signal });
    done.attempt$.subscribe();
    later.abort('too late');
    expect(done.signals[0]!.aborted).toBe(false);

    const aborted = AbortSignal.abort('already gone');
    let seen: AbortSignal | undefined;
    attempt(({ signal }) => ((seen = signal), of(1)), { signal: aborted }).subscribe();
    expect(seen!.reason).toBe('already gone');
  });

  it('creates the AbortController only when the signal is read, and aborts it even when read after teardown', () => {
    const Original = globalThis.AbortController;
    let created = 0;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        created += 1;
      }
    };
    let handle: AttemptHandle | undefined;
    try {
      const subscription = attempt((h) => ((handle = h), new Observable<never>())).subscribe();
      subscription.unsubscribe();
      expect(created).toBe(0);
      expect(handle!.signal).toBe(handle!.signal);
      expect(created).toBe(1);
    } finally {
      globalThis.AbortController = Original;
    }
    expect(handle!.ended).toBe(true);
    expect(handle!.signal.aborted).toBe(true);
    expect(isAttemptAbortError(handle!.signal.reason)).toBe(true);
  });

  it('stop() aborts the signal and silences the work ahead of its teardown', () => {
    const handle = testScheduler().run(({ cold, expectObservable }) => {
      let handle: AttemptHandle | undefined;
      const work = cold('----a|');
      expectObservable(attempt((h) => ((handle = h), work))).toBe(''); // no value, no completion
      cold('--x|').subscribe(() => handle!.stop());
      return () => handle!;
    })();
    expect(handle.ended).toBe(true);
    expect(isAttemptAbortError(handle.signal.reason)).toBe(true);
  });
});
