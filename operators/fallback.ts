import { catchError, isObservable, of, type Observable, type ObservableInput, type OperatorFunction } from 'rxjs';
import { attempt, type AttemptConfig } from './attempt.js';

/**
 * A fallback: a constant `{ value }`, or a function of the error returning a value, a Promise or an
 * Observable. The function also gets an AbortSignal that aborts if the fallback is cancelled.
 */
export type FallbackSource<F> = { value: F } | ((error: unknown, signal: AbortSignal) => F | PromiseLike<F> | Observable<F>);

/** Settings of {@link fallback}. */
export interface FallbackConfig {
  /** Which errors fall back; others pass through. @default every error */
  when?: (error: unknown) => boolean;
  /** Called when the fallback is used, e.g. to emit a `node.fellBack` event. */
  onFallback?: (error: unknown) => void;
}

/**
 * Replaces an error with a fallback value: a constant `{ value }`, or a function of the error that
 * returns a value, a Promise or an Observable (e.g. a call to a cheaper model). The result type
 * widens to `T | F`.
 *
 * ## Example
 * ```ts
 * import { fallback } from 'rx-orchestra/operators';
 * summary$.pipe(fallback({ value: 'summary unavailable' }));
 * opus$.pipe(fallback((error) => sonnet$));
 * ```
 */
export function fallback<T, F>(source: FallbackSource<F>, config: FallbackConfig = {}): OperatorFunction<T, T | F> {
  const { when = () => true, onFallback } = config;
  return catchError((error: unknown) => {
    if (!when(error)) throw error;
    onFallback?.(error);
    return fallbackValue(source, error);
  });
}

/**
 * The fallback for an error as an Observable: `{ value }` as is, or the function's result (a value,
 * a Promise or an Observable, whose values all pass through) run by {@link attempt}, so that its
 * signal aborts with an `AttemptAbortError` if the fallback is unsubscribed before it finished.
 * Used by {@link fallback}, `fallbackChain` and the executor.
 *
 * ## Example
 * ```ts
 * import { fallbackValue } from 'rx-orchestra/operators';
 * fallbackValue((error, signal) => callModel('haiku', signal), new Error('opus overloaded')).subscribe(console.log);
 * ```
 */
export function fallbackValue<F>(source: FallbackSource<F>, error: unknown): Observable<F> {
  if (typeof source !== 'function') return of(source.value);
  return attempt<F>(({ signal }) => {
    const result = source(error, signal);
    return isObservable(result) || isPromiseLike(result) ? (result as ObservableInput<F>) : of(result as F); // a plain value is one value
  }, ALL_VALUES);
}

/** A fallback replaces a stream: every value passes, and an empty one completes empty. */
const ALL_VALUES: AttemptConfig = { values: 'all' };

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
