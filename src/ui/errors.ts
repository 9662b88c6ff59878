import { OptionsError, isOptionsError } from '../errors/options-error.js';

/**
 * The code of a {@link DashboardOptionsError}.
 *
 * ## Example
 * ```ts
 * import type { DashboardOptionsErrorCode } from 'rx-orchestra/ui';
 * const code: DashboardOptionsErrorCode = 'INVALID_DASHBOARD_OPTIONS';
 * ```
 * @deprecated Use `OptionsErrorCode`.
 */
export type DashboardOptionsErrorCode = 'INVALID_DASHBOARD_OPTIONS';

/**
 * Thrown by `startDashboard` (and `replayRunEvents`) for an invalid option: an {@link OptionsError}
 * of scope `'dashboard'` (name `DashboardOptionsError`, code `INVALID_DASHBOARD_OPTIONS`) naming
 * the field.
 *
 * ## Example
 * ```ts
 * import { startDashboard, isDashboardOptionsError } from 'rx-orchestra/ui';
 * try {
 *   await startDashboard({ replay: { path: 'runs.jsonl', speed: 0 } });
 * } catch (error) {
 *   if (isDashboardOptionsError(error)) console.error(error.field, error.message); // 'replay.speed'
 * }
 * ```
 * @deprecated Use {@link OptionsError} and `isOptionsError(e, 'dashboard')`.
 */
export type DashboardOptionsError = OptionsError & { readonly scope: 'dashboard'; readonly code: DashboardOptionsErrorCode };
/** @deprecated Use {@link OptionsError}: `new OptionsError(field, message, 'dashboard')`. */
export const DashboardOptionsError = OptionsError;

/**
 * True for an {@link OptionsError} the dashboard threw, also across duplicate copies of the package.
 *
 * ## Example
 * ```ts
 * import { isDashboardOptionsError } from 'rx-orchestra/ui';
 * if (isDashboardOptionsError(error)) console.error(`bad option ${error.field}`);
 * ```
 * @deprecated Use `isOptionsError(error, 'dashboard')`.
 */
export function isDashboardOptionsError(error: unknown): error is DashboardOptionsError {
  return isOptionsError(error, 'dashboard');
}
