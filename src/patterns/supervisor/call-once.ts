import type { Observable, ObservableInput } from 'rxjs';
import { attempt } from '../../../operators/attempt.js';

/**
 * Runs one cancellable call (a router's decision, a worker's turn) as a cold Observable of its last
 * value, by `attempt` (operators/attempt.ts): `work` gets an AbortSignal of its own that aborts with
 * `parent`'s reason when `parent` does, or with an `AttemptAbortError` when the call is
 * unsubscribed before it ended. A call that completes without a value errors with `empty()`; one
 * that throws, with what it threw.
 * @internal
 */
export function callOnce<T>(parent: AbortSignal, work: (signal: AbortSignal) => ObservableInput<T>, empty: () => Error): Observable<T> {
  return attempt(({ signal }) => work(signal), { signal: parent, empty });
}
