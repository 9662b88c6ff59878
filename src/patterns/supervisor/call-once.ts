import { Observable, Subscription, from, of, type ObservableInput } from 'rxjs';

/**
 * Runs one cancellable call as a cold Observable of its last value: `work` gets an AbortSignal of
 * its own that aborts when `parent` does, or when the call is unsubscribed before it ended. A call
 * that completes without a value errors with `empty()`; one that throws, with what it threw.
 * @internal
 */
export function callOnce<T>(parent: AbortSignal, work: (signal: AbortSignal) => ObservableInput<T>, empty: () => Error): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    const onAbort = () => controller.abort(parent.reason);
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    let latest: T | undefined;
    let hasValue = false;
    const subscription = new Subscription();
    try {
      const result = work(controller.signal);
      const source = typeof result === 'string' ? of(result as T) : from(result);
      subscription.add(
        source.subscribe({
          next: (value) => {
            latest = value;
            hasValue = true;
          },
          error: (error: unknown) => {
            finished = true;
            subscriber.error(error);
          },
          complete: () => {
            finished = true;
            if (!hasValue) {
              subscriber.error(empty());
              return;
            }
            subscriber.next(latest as T);
            subscriber.complete();
          },
        }),
      );
    } catch (error) {
      finished = true;
      subscriber.error(error);
    }
    return () => {
      subscription.unsubscribe();
      parent.removeEventListener('abort', onAbort);
      if (!finished) controller.abort(new CallCancelledError());
    };
  });
}

/** The reason a call's signal aborts when the call is unsubscribed before it ended. @internal */
export class CallCancelledError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('the call was cancelled');
  }
}
