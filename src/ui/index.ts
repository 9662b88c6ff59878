/**
 * The live dashboard: a page on 127.0.0.1 fed by Server-Sent Events from a run's event stream, or
 * replaying a recorded run log. Loaded on demand by `rx-orchestra run --ui`.
 * @module
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { replayRunEvents, type ReplayOptions } from './replay.js';
export { DashboardOptionsError, isDashboardOptionsError, type DashboardOptionsErrorCode } from './errors.js';
