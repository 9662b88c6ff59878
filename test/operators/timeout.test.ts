import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { TimeoutError, isTimeoutError, timeout } from 'rx-orchestra/operators';
import { anotherCopy } from '../errors/another-copy.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('timeout', () => {
  it('passes a source that completes before the total deadline', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('  -a-b-|');
      expectObservable(source.pipe(timeout(10))).toBe('-a-b-|');
    });
  });

  it('errors at the total deadline even while values keep coming, and unsubscribes the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-c-d-e-|');
      expectObservable(source.pipe(timeout({ total: 5 }))).toBe('a-b-c#', undefined, new TimeoutError('total', 5));
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('errors when the first value is late (first-byte timeout)', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-----a|');
      expectObservable(source.pipe(timeout({ first: 3 }))).toBe('---#', undefined, new TimeoutError('first', 3));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('errors when the stream stalls between values (idle timeout), resetting on every value', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c------d|');
      expectObservable(source.pipe(timeout({ idle: 3 }))).toBe('a-b-c--#', undefined, new TimeoutError('idle', 3));
    });
  });

  it('passes errors of the source through unchanged', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-#', undefined, new Error('boom')).pipe(timeout(5))).toBe('-#', undefined, new Error('boom'));
    });
  });

  it('has a typed, retryable error and a guard', async () => {
    const error = new TimeoutError('first', 100);
    expect(error).toMatchObject({ code: 'TIMEOUT', kind: 'first', ms: 100, retryable: true });
    expect(isTimeoutError(error)).toBe(true);
    const copy = await anotherCopy(() => import('../../operators/timeout.js'));
    expect(isTimeoutError(new copy.TimeoutError('first', 100))).toBe(true); // from another copy of the package
    expect(isTimeoutError(Object.assign(new Error('x'), { code: 'TIMEOUT' }))).toBe(false); // another class with the same code
    expect(isTimeoutError(new Error('x'))).toBe(false);
  });

  it('rejects a negative deadline, naming the field', () => {
    expect(() => timeout({ idle: -1 })).toThrow(/'idle' must be a number of ms >= 0/);
  });
});
