import { expect } from 'vitest';
import { map, timer, throwError, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { RunEvent } from 'rx-orchestra';

/** A TestScheduler that compares with vitest's deep equality. */
export const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Work that takes `ms` of (virtual) time and then yields `value`. */
export const work = <T>(ms: number, value: T): Observable<T> => timer(ms).pipe(map(() => value));

/** Work that takes `ms` of (virtual) time and then fails with `error`. */
export const failAfter = (ms: number, error: unknown = new Error('boom')): Observable<never> =>
  timer(ms).pipe(mergeMap(() => throwError(() => error)));

/** Subscribes and pushes every event into the returned array (fills up as virtual time flushes). */
export function record(run$: Observable<RunEvent>): RunEvent[] {
  const events: RunEvent[] = [];
  run$.subscribe((event) => events.push(event));
  return events;
}
