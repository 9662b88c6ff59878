/**
 * `rx-orchestra/ui`: the live dashboard. A page on 127.0.0.1 fed by Server-Sent Events from a run's
 * event stream, or replaying a recorded run log; loaded on demand by `rx-orchestra run --ui`. Needs
 * nothing beyond the root's peers: the page's layout library (d3-dag) ships inside the package.
 *
 * ## Example
 * ```ts
 * import { shareRun, execute } from 'rx-orchestra';
 * import { startDashboard } from 'rx-orchestra/ui';
 * const dashboard = await startDashboard({ events$: shareRun(execute(g)).events$ });
 * console.log(dashboard.url);
 * ```
 * @module
 */
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard.js';
export { replayRunEvents, type ReplayOptions } from './replay.js';
export type { LoopbackHost } from './loopback.js';
