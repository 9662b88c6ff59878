import { asyncScheduler, defer, retry, throwError, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { backoffDelay, checkBackoffConfig, type BackoffConfig } from './backoff.js';
import { RxOrchestraError, brandError, hasErrorTag } from '../src/errors/rx-orchestra-error.js';
import { OptionsError } from '../src/errors/options-error.js';
import { delayOf } from './long-timer.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * The longest retry-after honoured unless told otherwise: 10 minutes. Per-minute quotas refill
 * within a minute; a service asking for much longer (a daily cap, a misconfigured proxy, 30 days)
 * is not worth holding a call, a slot or a whole quota for.
 */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * A service asked to wait longer before retrying than the caller accepts (`maxRetryAfter`, by
 * default {@link DEFAULT_MAX_RETRY_AFTER_MS}): the call fails with this instead of waiting. Not
 * retryable; `cause` is the service's error.
 *
 * ## Example
 * ```ts
 * import { isRetryAfterTooLongError } from 'rx-orchestra/operators';
 * if (isRetryAfterTooLongError(error)) console.log(`asked to wait ${error.retryAfterMs} ms, at most ${error.maxMs} accepted`);
 * ```
 */
export class RetryAfterTooLongError extends RxOrchestraError {
  static {
    brandError(this, 'RetryAfterTooLongError');
  }
  override readonly name = 'RetryAfterTooLongError';
  readonly code = 'RETRY_AFTER_TOO_LONG' as const;
  readonly retryable = false;
  constructor(
    /** How long the service asked to wait, in ms. */
    readonly retryAfterMs: number,
    /** The longest wait accepted, in ms. */
    readonly maxMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the service asked to wait ${describeMs(retryAfterMs)} before retrying, more than the ${describeMs(maxMs)} accepted (maxRetryAfter): failing instead of waiting`, options);
  }
}

/** True for a {@link RetryAfterTooLongError}, also one from another copy of this package. */
export function isRetryAfterTooLongError(error: unknown): error is RetryAfterTooLongError {
  return hasErrorTag(error, 'RetryAfterTooLongError');
}

function describeMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 360_000) / 10} h`;
  return `${Math.round(ms / 8_640_000) / 10} days`;
}

/** What {@link retryWithBackoff} reports before each retry. */
export interface RetryInfo {
  /** The attempt that just failed (1 = the first subscription). */
  attempt: number;
  /** The error it failed with. */
  error: unknown;
  /** How long the operator waits before the next attempt, in ms. */
  delayMs: number;
}

/**
 * Why {@link retryWithBackoff} stopped retrying: the shared {@link RetryBudget} refused the retry,
 * `retryIf` said the error is not worth another attempt, or all `count` retries were used.
 */
export type GiveUpReason = 'budget' | 'notRetryable' | 'exhausted';

/** What {@link retryWithBackoff} reports when it gives up and rethrows the last error. */
export interface GiveUpInfo {
  /** The attempt that failed last (1 = the first subscription). */
  attempt: number;
  /** The error it failed with; the operator rethrows it. */
  error: unknown;
  /** Why there is no further attempt. */
  reason: GiveUpReason;
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
  /** Called before each retry, e.g. to emit a `node.retrying` event. @default undefined */
  onRetry?: (info: RetryInfo) => void;
  /**
   * Called once when the operator gives up and rethrows the last error, with the reason, e.g. to
   * emit an event. Not called when the source completes or the subscriber unsubscribes.
   * @default undefined
   */
  onGiveUp?: (info: GiveUpInfo) => void;
  /**
   * A {@link RetryBudget} shared by all the calls of a run (from `createRetryBudget`). Each
   * subscription records one call (also with `count: 0`, so that calls that may not retry still
   * count towards the ratio: the operator is the one place that charges the budget); each retry must be granted by `budget.tryRetry()` (except a retry
   * the service itself paced with a retry-after, which is flow control it asked for, not a storm), and when it is
   * refused the operator gives up at once with the last error (reason `'budget'`). Errors that are
   * not retryable, and the last failure after `count` retries, never consume the budget.
   * @default undefined (no budget: only `count` limits retries)
   */
  budget?: RetryBudget;
  /**
   * The longest retry-after (an error's `retryAfterMs`, e.g. a 429's header) the operator waits
   * for, in ms; an error asking for longer ends the retries at once with a
   * {@link RetryAfterTooLongError} (reason `'notRetryable'`) instead of waiting.
   * @default 600000 (10 minutes, {@link DEFAULT_MAX_RETRY_AFTER_MS})
   */
  maxRetryAfter?: number;
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
 * last error, after telling `onGiveUp` why) after `count` retries, when `retryIf` says no, or when
 * the shared `budget` refuses the retry.
 *
 * ## Example
 * ```ts
 * import { createRetryBudget, retryWithBackoff } from 'rx-orchestra/operators';
 * callModel$.pipe(retryWithBackoff({ count: 3, initialDelay: 1000, maxDelay: 8000 }));
 * flaky$.pipe(retryWithBackoff(2)); // two retries, default backoff
 *
 * const budget = createRetryBudget(); // one per run: retries <= max(10, 20 % of calls)
 * callModel$.pipe(retryWithBackoff({ count: 3, budget, onGiveUp: ({ reason }) => log(reason) }));
 * ```
 * @param config a retry count, or a {@link RetryConfig}
 */
export function retryWithBackoff<T>(config: number | RetryConfig = {}): MonoTypeOperatorFunction<T> {
  const options: RetryConfig = typeof config === 'number' ? { count: config } : config;
  checkRetryConfig(options, 'retryWithBackoff');
  const { count = 3, retryIf = isRetryable, onRetry, onGiveUp, budget, maxRetryAfter = DEFAULT_MAX_RETRY_AFTER_MS, random = Math.random, scheduler = asyncScheduler } = options;
  if (count === 0 && !onGiveUp) {
    // No retry can happen: the budget (if any) only counts the call, once per subscription.
    return budget ? (source) => defer(() => (budget.recordAttempt(), source)) : (source) => source;
  }
  // rxjs' retry gets no count: the delay function sees every failure, so the last one (count
  // exhausted) is reported to onGiveUp too. `attempt` is the failed attempt, 1-based.
  const retrying = retry<T>({
    delay: (error: unknown, attempt: number) => {
      const reason: GiveUpReason | undefined =
        attempt > count
          ? 'exhausted'
          : !retryIf(error, attempt)
            ? 'notRetryable'
            : budget && retryAfterOf(error) === undefined && !budget.tryRetry()
              ? 'budget'
              : undefined;
      if (reason) {
        onGiveUp?.({ attempt, error, reason });
        return throwError(() => error);
      }
      const retryAfter = retryAfterOf(error);
      if (retryAfter !== undefined && retryAfter > maxRetryAfter) {
        const tooLong = new RetryAfterTooLongError(retryAfter, maxRetryAfter, { cause: error });
        onGiveUp?.({ attempt, error: tooLong, reason: 'notRetryable' });
        return throwError(() => tooLong);
      }
      const delayMs = Math.max(backoffDelay(attempt, options, random), retryAfter ?? 0);
      onRetry?.({ attempt, error, delayMs });
      return delayOf(delayMs, scheduler);
    },
  });
  if (!budget) return retrying;
  // One call per subscription of the operator; retry's resubscriptions happen inside the defer.
  return (source) =>
    defer(() => {
      budget.recordAttempt();
      return source.pipe(retrying);
    });
}

/**
 * Throws a RangeError naming the field when a retry setting is out of range.
 * @internal
 */
export function checkRetryConfig(config: RetryConfig, where: string): void {
  const { count } = config;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new OptionsError('count', `${where}: 'count' must be an integer >= 0, got ${String(count)}`, 'operators');
  }
  const { budget } = config;
  if (budget !== undefined && (typeof budget !== 'object' || budget === null || typeof budget.tryRetry !== 'function' || typeof budget.recordAttempt !== 'function')) {
    throw new OptionsError('budget', `${where}: 'budget' must be a RetryBudget (from createRetryBudget), got ${String(budget)}`, 'operators');
  }
  const { maxRetryAfter } = config;
  if (maxRetryAfter !== undefined && !(typeof maxRetryAfter === 'number' && maxRetryAfter >= 0)) {
    throw new OptionsError('maxRetryAfter', `${where}: 'maxRetryAfter' must be a number of ms >= 0 (Infinity to honour any), got ${String(maxRetryAfter)}`, 'operators');
  }
  checkBackoffConfig(config, where);
}
