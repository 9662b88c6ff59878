import { OptionsError } from '../src/errors/options-error.js';

/** How long to wait before retry number `n`: exponential, capped, with jitter. */
export interface BackoffConfig {
  /** Delay before the first retry, in ms. @default 1000 */
  initialDelay?: number;
  /** Growth factor per retry. @default 2 */
  factor?: number;
  /** Upper bound of the (pre-jitter) delay, in ms. @default 30000 */
  maxDelay?: number;
  /**
   * Share of the delay that is randomised, 0..1: the delay is drawn uniformly from
   * `[d * (1 - jitter), d]`. 0 is deterministic, 1 is "full jitter". @default 0.5
   */
  jitter?: number;
}

/** Defaults of {@link BackoffConfig}. */
export const DEFAULT_BACKOFF: Required<BackoffConfig> = { initialDelay: 1000, factor: 2, maxDelay: 30_000, jitter: 0.5 };

/**
 * The delay before retry number `retry` (1-based): `min(maxDelay, initialDelay * factor^(retry-1))`,
 * then jittered with `random()` (a number in [0, 1)) and rounded to whole ms. Pure; pass your own
 * `random` for determinism.
 *
 * ## Example
 * ```ts
 * import { backoffDelay } from 'rx-orchestra/operators';
 * backoffDelay(3, { initialDelay: 100, jitter: 0 }); // 400
 * ```
 */
export function backoffDelay(retry: number, config: BackoffConfig = {}, random: () => number = Math.random): number {
  const { initialDelay, factor, maxDelay, jitter } = { ...DEFAULT_BACKOFF, ...config };
  const base = Math.min(maxDelay, initialDelay * factor ** Math.max(0, retry - 1));
  return jitter === 0 ? base : Math.round(base * (1 - jitter * random()));
}

/**
 * Throws a RangeError naming the field when a backoff setting is out of range.
 * @internal
 */
export function checkBackoffConfig(config: BackoffConfig, where: string): void {
  const { initialDelay, factor, maxDelay, jitter } = config;
  const bad = (field: string, value: unknown, rule: string) =>
    new OptionsError(field, `${where}: '${field}' must be ${rule}, got ${String(value)}`, 'operators');
  // Finite: an infinite wait would hold the call forever (waits longer than a timer can hold are armed in chunks).
  const ms = (value: number | undefined) => value === undefined || (typeof value === 'number' && value >= 0 && Number.isFinite(value));
  if (!ms(initialDelay)) throw bad('initialDelay', initialDelay, 'a finite number of ms >= 0');
  if (factor !== undefined && !(factor >= 1)) throw bad('factor', factor, '>= 1');
  if (!ms(maxDelay)) throw bad('maxDelay', maxDelay, 'a finite number of ms >= 0');
  if (jitter !== undefined && !(jitter >= 0 && jitter <= 1)) throw bad('jitter', jitter, 'between 0 and 1');
}
