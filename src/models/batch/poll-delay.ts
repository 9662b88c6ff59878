/**
 * How often a batch is polled: a growing interval, from `initialMs` by `factor` up to `maxMs`.
 *
 * ## Example
 * ```ts
 * import type { BatchPollInterval } from 'rx-orchestra';
 * const poll: BatchPollInterval = { initialMs: 10_000, factor: 2, maxMs: 300_000 };
 * ```
 */
export interface BatchPollInterval {
  /** Wait before the first poll, in ms. @default 10000 */
  initialMs?: number;
  /** Each wait is the previous one times this. @default 1.5 */
  factor?: number;
  /** The longest wait between polls, in ms. @default 300000 (5 minutes) */
  maxMs?: number;
}

/** The poll interval when none is given. */
export const DEFAULT_POLL_INTERVAL: Required<BatchPollInterval> = { initialMs: 10_000, factor: 1.5, maxMs: 300_000 };

/**
 * The wait before poll `n` (1 for the first): `min(maxMs, initialMs x factor^(n-1))`, rounded to
 * whole ms. Pure.
 *
 * ## Example
 * ```ts
 * import { pollDelay } from 'rx-orchestra';
 * [1, 2, 3].map((n) => pollDelay(n, { initialMs: 1000, factor: 2, maxMs: 3000 })); // [1000, 2000, 3000]
 * ```
 */
export function pollDelay(n: number, interval: BatchPollInterval = {}): number {
  const { initialMs, factor, maxMs } = { ...DEFAULT_POLL_INTERVAL, ...interval };
  return Math.round(Math.min(maxMs, initialMs * factor ** Math.max(0, n - 1)));
}
