import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { fallback } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('fallback', () => {
  it('replaces an error with a constant value', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-#').pipe(fallback({ value: 'z' }))).toBe('-a-(z|)');
    });
  });

  it('calls a function of the error, which may return an Observable (e.g. a cheaper model)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const cheaper = cold('---b|');
      const seen: unknown[] = [];
      const result = cold('--#', undefined, new Error('overloaded')).pipe(
        fallback((error) => {
          seen.push((error as Error).message);
          return cheaper;
        }),
      );
      expectObservable(result).toBe('-----b|');
      expect(seen).toEqual([]); // nothing ran before subscription
    });
  });

  it('leaves errors the `when` predicate refuses untouched, and reports the ones it uses', () => {
    const used: unknown[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const fatal = new Error('fatal');
      const onlyTransient = fallback({ value: 0 }, { when: (e) => e !== fatal, onFallback: (e) => used.push(e) });
      expectObservable(cold('-#', undefined, fatal).pipe(onlyTransient)).toBe('-#', undefined, fatal);
      expectObservable(cold('-#', undefined, new Error('transient')).pipe(onlyTransient)).toBe('-(0|)', { 0: 0 });
    });
    expect(used).toHaveLength(1);
  });

  it('returns a plain value from the function as one value, even a string', async () => {
    const { lastValueFrom, throwError } = await import('rxjs');
    await expect(lastValueFrom(throwError(() => new Error('x')).pipe(fallback(() => 'plain')))).resolves.toBe('plain');
    await expect(lastValueFrom(throwError(() => new Error('x')).pipe(fallback(() => Promise.resolve(2))))).resolves.toBe(2);
  });
});
