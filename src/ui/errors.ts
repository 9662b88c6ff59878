/**
 * The code of a {@link DashboardOptionsError}.
 *
 * ## Example
 * ```ts
 * import type { DashboardOptionsErrorCode } from 'rx-orchestra';
 * const code: DashboardOptionsErrorCode = 'INVALID_DASHBOARD_OPTIONS';
 * ```
 */
export type DashboardOptionsErrorCode = 'INVALID_DASHBOARD_OPTIONS';

/**
 * Thrown by `startDashboard` (and `replayRunEvents`) for an invalid option, naming the field.
 *
 * ## Example
 * ```ts
 * import { startDashboard, isDashboardOptionsError } from 'rx-orchestra';
 * try {
 *   await startDashboard({ replay: { path: 'runs.jsonl', speed: 0 } });
 * } catch (error) {
 *   if (isDashboardOptionsError(error)) console.error(error.field, error.message); // 'replay.speed'
 * }
 * ```
 */
export class DashboardOptionsError extends Error {
  override readonly name = 'DashboardOptionsError';
  readonly code: DashboardOptionsErrorCode = 'INVALID_DASHBOARD_OPTIONS';
  constructor(
    /** The offending option, e.g. `replay.speed`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * True for a {@link DashboardOptionsError}, also across duplicate copies of the package.
 *
 * ## Example
 * ```ts
 * import { isDashboardOptionsError } from 'rx-orchestra';
 * if (isDashboardOptionsError(error)) console.error(`bad option ${error.field}`);
 * ```
 */
export function isDashboardOptionsError(error: unknown): error is DashboardOptionsError {
  return error instanceof Error && (error as { code?: unknown }).code === 'INVALID_DASHBOARD_OPTIONS';
}
