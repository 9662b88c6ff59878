import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { backoffDelay, checkBackoffConfig, type BackoffConfig } from './backoff.js';
import { OperatorConfigError } from './errors.js';

/** What {@link retryWithBackoff} reports before each retry. */
export interface RetryInfo {
  /** The attempt that just failed (1 = the first subscription). */
  attempt: number;
  /** The error it failed with. */
  error: unknown;
  /** How long the operator waits before the next attempt, in ms. */
  delayMs: number;
}

/** Settings of {@link retryWithBackoff}. Every field is optional. */
export interface RetryConfig extends BackoffConfig {
  /** Retries after the first attempt (so at most `count + 1` attempts). @default 3 */
  count?: number;
  /**
   * Says whether an error is worth another attempt. @default {@link isRetryable}: everything
   * except errors that carry `retryable: false`.
   */
  retryIf?: (error: unknown, attempt: number) => boolean;
  /** Called before each retry, e.g. to emit a `node.retrying` event. */
  onRetry?: (info: RetryInfo) => void;
  /** Random source in [0, 1) for jitter. @default Math.random */
  random?: () => number;
  /** Scheduler for the waits. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** HTTP statuses worth another attempt: timeout, conflict, rate limit, server errors, overload. */
const RETRYABLE_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/**
 * The default retry predicate. An error that says `retryable` is taken at its word; otherwise one
 * with an HTTP `status` is retryable for 408, 409, 429 and 5xx (so 400, 401, 403, 404, 413 and 422
 * are not), and any other error is retryable.
 *
 * ## Example
 * ```ts
 * import { isRetryable } from 'rx-orchestra/operators';
 * isRetryable(Object.assign(new Error('bad request'), { status: 400 })); // false
 * isRetryable(new Error('socket hang up')); // true
 * ```
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const { retryable, status } = error as { retryable?: unknown; status?: unknown };
  if (typeof retryable === 'boolean') return retryable;
  return typeof status === 'number' ? RETRYABLE_STATUS(status) : true;
}

/** The `retryAfterMs` an error asks for (e.g. from a 429's `retry-after` header), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  const value = typeof error === 'object' && error !== null ? (error as { retryAfterMs?: unknown }).retryAfterMs : undefined;
  return typeof value === 'number' && value >= 0 ? value : undefined;
}

/**
 * Resubscribes to the source after an error, waiting an exponentially growing, jittered delay;
 * honours an error's `retryAfterMs` when it is longer than the backoff. Gives up (rethrows the
 * last error) after `count` retries or when `retryIf` says no.
 *
 * ## Example
 * ```ts
 * import { retryWithBackoff } from 'rx-orchestra/operators';
 * callModel$.pipe(retryWithBackoff({ count: 3, initialDelay: 1000, maxDelay: 8000 }));
 * flaky$.pipe(retryWithBackoff(2)); // two retries, default backoff
 * ```
 * @param config a retry count, or a {@link RetryConfig}
 */
export function retryWithBackoff<T>(config: number | RetryConfig = {}): MonoTypeOperatorFunction<T> {
  const options: RetryConfig = typeof config === 'number' ? { count: config } : config;
  checkRetryConfig(options, 'retryWithBackoff');
  const { count = 3, retryIf = isRetryable, onRetry, random = Math.random, scheduler = asyncScheduler } = options;
  if (count === 0) return (source) => source;
  return retry({
    count,
    delay: (error: unknown, retryCount: number) => {
      if (!retryIf(error, retryCount)) return throwError(() => error);
      const delayMs = Math.max(backoffDelay(retryCount, options, random), retryAfterOf(error) ?? 0);
      onRetry?.({ attempt: retryCount, error, delayMs });
      return timer(delayMs, scheduler);
    },
  });
}

/**
 * Throws a RangeError naming the field when a retry setting is out of range.
 * @internal
 */
export function checkRetryConfig(config: RetryConfig, where: string): void {
  const { count } = config;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new OperatorConfigError('count', `${where}: 'count' must be an integer >= 0, got ${String(count)}`);
  }
  checkBackoffConfig(config, where);
}
