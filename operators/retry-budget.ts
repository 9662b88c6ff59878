import { OptionsError } from '../src/errors/options-error.js';

/**
 * The retry budget's defaults, the one place they are set: retries at most 30 % of calls, at least 10.
 * `createRetryBudget()` and a run's own budget (`execute(g)` without `retryBudget`) both use them.
 */
export const DEFAULT_RETRY_BUDGET: Readonly<Required<RetryBudgetConfig>> = { ratio: 0.3, minRetries: 10 };

/** Settings of {@link createRetryBudget}. */
export interface RetryBudgetConfig {
  /**
   * Retries allowed as a fraction of calls (first attempts): with 0.2, 100 calls may retry 20
   * times in total, however the retries are spread over the calls. @default 0.3
   */
  ratio?: number;
  /**
   * Retries always allowed whatever the number of calls, so a small run can still retry.
   * @default 10
   */
  minRetries?: number;
}

/**
 * A shared allowance of retries: one per run, handed to every {@link retryWithBackoff} of that run
 * (as `budget`). Each call records itself once; each retry must be granted by {@link tryRetry}.
 * Retries are granted while `retries < max(minRetries, floor(ratio * calls))`, so the run never
 * makes more than `max(minRetries, ratio * calls)` retries in all.
 */
export interface RetryBudget {
  /** Calls recorded so far (first attempts, not retries). */
  readonly calls: number;
  /** Retries granted so far. */
  readonly retries: number;
  /** Retries refused so far. */
  readonly denied: number;
  /** Retries allowed in all at the current number of calls: `max(minRetries, floor(ratio * calls))`. */
  readonly limit: number;
  /**
   * Records a call (a first attempt). {@link retryWithBackoff} calls it once per subscription, also
   * with `count: 0`: the operator is the one place that charges the budget.
   */
  recordAttempt(): void;
  /** Grants one retry and counts it if the budget allows, else counts a denial; says which. */
  tryRetry(): boolean;
}

/**
 * Creates a retry budget, like Finagle's and gRPC's: retries are capped at a fraction of the calls
 * (plus a small fixed allowance), so when a provider fails every call the run stops retrying instead
 * of multiplying its load by the retry count (a retry storm). Share one budget among all the calls of
 * a run by passing it to each {@link retryWithBackoff} as `budget`; once it is spent, a failing call
 * gives up at once with its last error (reported to `onGiveUp` with reason `'budget'`).
 *
 * The budget counts over the whole run (no time window), so create one per run.
 *
 * ## Example
 * ```ts
 * import { createRetryBudget, retryWithBackoff } from 'rx-orchestra/operators';
 * import { merge } from 'rxjs';
 * const budget = createRetryBudget({ ratio: 0.2, minRetries: 10 });
 * merge(...calls.map((call$) => call$.pipe(retryWithBackoff({ count: 3, budget })))).subscribe({
 *   complete: () => console.log(`${budget.retries} retries for ${budget.calls} calls, ${budget.denied} refused`),
 * });
 * ```
 * @param config a {@link RetryBudgetConfig}
 */
export function createRetryBudget(config: RetryBudgetConfig = {}): RetryBudget {
  const { ratio = DEFAULT_RETRY_BUDGET.ratio, minRetries = DEFAULT_RETRY_BUDGET.minRetries } = config;
  if (!(ratio >= 0 && ratio !== Infinity)) {
    throw new OptionsError('ratio', `createRetryBudget: 'ratio' must be a finite number >= 0, got ${String(ratio)}`, 'operators');
  }
  if (!(Number.isInteger(minRetries) && minRetries >= 0)) {
    throw new OptionsError('minRetries', `createRetryBudget: 'minRetries' must be an integer >= 0, got ${String(minRetries)}`, 'operators');
  }
  let calls = 0;
  let retries = 0;
  let denied = 0;
  // The epsilon keeps 0.2 * 15 = 3.0000000000000004 from counting as more than 3 (or 0.1 * 30 as less).
  const limit = () => Math.max(minRetries, Math.floor(ratio * calls + 1e-9));
  return {
    get calls() {
      return calls;
    },
    get retries() {
      return retries;
    },
    get denied() {
      return denied;
    },
    get limit() {
      return limit();
    },
    recordAttempt() {
      calls += 1;
    },
    tryRetry() {
      if (retries < limit()) {
        retries += 1;
        return true;
      }
      denied += 1;
      return false;
    },
  };
}
