import { catchError, throwError, type Observable, type OperatorFunction } from 'rxjs';
import { OptionsError } from '../src/errors/options-error.js';
import { fallbackValue, type FallbackSource } from './fallback.js';

/** What {@link fallbackChain} reports before it tries an alternative. */
export interface FallbackStep {
  /** Which alternative is tried now (0 = the first after the source). */
  index: number;
  /** The error that made the previous one (the source, for index 0) fail. */
  error: unknown;
}

/** Settings of {@link fallbackChain}. */
export interface FallbackChainConfig {
  /**
   * Which errors fall through to the next alternative; any other error (from the source or an
   * alternative) is rethrown at once. @default every error
   */
  when?: (error: unknown) => boolean;
  /** Called before each alternative is tried, e.g. to emit a `node.fellBack` event. @default undefined */
  onFallback?: (step: FallbackStep) => void;
}

/**
 * On the source's error, tries the alternatives in order: each is a function of the error (and an
 * AbortSignal that aborts, with an `AttemptAbortError`, if the alternative is cancelled before it
 * finished) returning an Observable, a Promise or a
 * value, e.g. a call to a cheaper model; or a constant `{ value }`, which cannot fail and so must
 * come last. When an alternative fails too, the next one is tried; when all fail, the last error is
 * rethrown. The result type widens to `T | U`.
 *
 * ## Example
 * ```ts
 * import { fallbackChain, isRetryable } from 'rx-orchestra/operators';
 * opus$.pipe(
 *   fallbackChain([(error, signal) => callModel('sonnet', signal), (error, signal) => callModel('haiku', signal), { value: 'no answer' }], {
 *     when: (error) => isRetryable(error),                  // a 400 would fail on every model: stop there
 *     onFallback: ({ index, error }) => log('fell back', index, error),
 *   }),
 * );
 * ```
 * @param alternatives tried in order after the source fails; at least one
 */
export function fallbackChain<T, U>(alternatives: readonly FallbackSource<U>[], config: FallbackChainConfig = {}): OperatorFunction<T, T | U> {
  if (alternatives.length === 0) {
    throw new OptionsError('alternatives', 'fallbackChain: needs at least one alternative', 'operators');
  }
  const constant = alternatives.findIndex((alternative) => typeof alternative !== 'function');
  if (constant !== -1 && constant !== alternatives.length - 1) {
    throw new OptionsError(
      'alternatives',
      `fallbackChain: the { value } at index ${constant} never fails, so the alternatives after it could never run; put it last`,
      'operators',
    );
  }
  const { when = () => true, onFallback } = config;
  const tryFrom =
    (index: number) =>
    (error: unknown): Observable<U> => {
      const alternative = alternatives[index];
      if (alternative === undefined || !when(error)) return throwError(() => error);
      onFallback?.({ index, error });
      return fallbackValue(alternative, error).pipe(catchError(tryFrom(index + 1)));
    };
  return catchError(tryFrom(0));
}
