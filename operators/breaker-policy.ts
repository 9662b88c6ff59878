import { OptionsError } from '../src/errors/options-error.js';

/**
 * The running count a {@link BreakerPolicy} keeps while its breaker is closed. The breaker makes a
 * fresh one each time it closes, so a tally never sees calls from before the last outage.
 */
export interface BreakerTally {
  /** A call succeeded at `now` (scheduler time, ms). */
  success(now: number): void;
  /** A call failed at `now` (scheduler time, ms). Returns true when the breaker should open. */
  failure(now: number): boolean;
  /** Failures that currently count (reported in the `circuit.opened` event). */
  readonly failures: number;
}

/**
 * When a circuit breaker opens: a small strategy that counts outcomes. Use
 * {@link consecutiveFailures} or {@link failureRate}, or write your own.
 *
 * ## Example
 * ```ts
 * import { createCircuitBreaker, failureRate } from 'rx-orchestra/operators';
 * const breaker = createCircuitBreaker({ name: 'sonnet', policy: failureRate({ threshold: 0.5, windowMs: 60_000 }) });
 * ```
 */
export interface BreakerPolicy {
  /** What the policy does, for messages, e.g. `5 consecutive failures`. */
  readonly description: string;
  /** A fresh tally for one breaker, called whenever it (re)closes. */
  create(): BreakerTally;
}

/**
 * Opens after `n` failures in a row; any success starts the count again.
 *
 * ## Example
 * ```ts
 * import { createCircuitBreaker, consecutiveFailures } from 'rx-orchestra/operators';
 * const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(3) });
 * ```
 * @param n failures in a row that open the breaker, an integer >= 1
 */
export function consecutiveFailures(n: number): BreakerPolicy {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new OptionsError('n', `consecutiveFailures: 'n' must be an integer >= 1, got ${String(n)}`, 'operators');
  }
  return {
    description: `${n} consecutive failure${n === 1 ? '' : 's'}`,
    create: () => {
      let failures = 0;
      return {
        get failures() {
          return failures;
        },
        success: () => {
          failures = 0;
        },
        failure: () => ++failures >= n,
      };
    },
  };
}

/** Settings of {@link failureRate}. */
export interface FailureRateConfig {
  /** Share of failed calls, 0..1, at or above which the breaker opens. @default 0.5 */
  threshold?: number;
  /** Length of the sliding window on the scheduler's clock, in ms: calls that ended longer ago are forgotten. @default 60000 */
  windowMs?: number;
  /** Calls the window must hold before the rate is trusted (one early failure is not 100 %). @default 10 */
  minimumCalls?: number;
}

/**
 * Opens when, over the last `windowMs`, at least `minimumCalls` calls ended and at least
 * `threshold` of them failed. Time is the breaker's scheduler clock, so the window slides in
 * virtual time in marble tests.
 *
 * ## Example
 * ```ts
 * import { createCircuitBreaker, failureRate } from 'rx-orchestra/operators';
 * // open when half of the calls of the last minute failed, once there were at least 20
 * const breaker = createCircuitBreaker({ name: 'haiku', policy: failureRate({ threshold: 0.5, windowMs: 60_000, minimumCalls: 20 }) });
 * ```
 */
export function failureRate(config: FailureRateConfig = {}): BreakerPolicy {
  const { threshold = 0.5, windowMs = 60_000, minimumCalls = 10 } = config;
  const bad = (field: string, value: unknown, rule: string) =>
    new OptionsError(field, `failureRate: '${field}' must be ${rule}, got ${String(value)}`, 'operators');
  if (!(threshold > 0 && threshold <= 1)) throw bad('threshold', threshold, 'greater than 0 and at most 1');
  if (!(windowMs > 0)) throw bad('windowMs', windowMs, 'a number of ms > 0');
  if (!(Number.isInteger(minimumCalls) && minimumCalls >= 1)) throw bad('minimumCalls', minimumCalls, 'an integer >= 1');
  return {
    description: `${Math.round(threshold * 100)} % failures over ${windowMs} ms (at least ${minimumCalls} calls)`,
    create: () => {
      // Outcomes in the order they ended; `head` skips the ones that slid out of the window.
      const ends: number[] = [];
      const failed: boolean[] = [];
      let head = 0;
      let failures = 0;
      const record = (now: number, isFailure: boolean) => {
        while (head < ends.length && (ends[head] as number) <= now - windowMs) {
          if (failed[head]) failures--;
          head++;
        }
        if (head > 64 && head * 2 > ends.length) {
          ends.splice(0, head);
          failed.splice(0, head);
          head = 0;
        }
        ends.push(now);
        failed.push(isFailure);
        if (isFailure) failures++;
        const calls = ends.length - head;
        return calls >= minimumCalls && failures >= threshold * calls;
      };
      return {
        get failures() {
          return failures;
        },
        success: (now) => {
          record(now, false);
        },
        failure: (now) => record(now, true),
      };
    },
  };
}
