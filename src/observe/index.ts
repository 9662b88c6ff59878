/**
 * `rx-orchestra/observe`: watching runs. pino run logs (run id, node, agent and attempt on every line;
 * secrets redacted), JSON-lines run log files, per-agent metrics and OpenTelemetry spans. `pino` and
 * `@opentelemetry/api` are optional peer dependencies: `createRunLogger`/`logRunEvents` need pino and
 * `traceRunEvents` needs @opentelemetry/api; without them those calls throw a `MissingPeerError` naming the
 * package to install, and the rest of this entry works.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { logRunEvents, runMetrics } from 'rx-orchestra/observe';
 * execute(g).pipe(tap(logRunEvents())).subscribe();
 * ```
 * @module
 */
export { createRunLogger, logRunEvents, REDACTED_PATHS, type RunLoggerOptions } from './run-logger.js';
export { writeRunLog, readRunLog, RunLogError, type RunLogLine } from './run-log-file.js';
export { runMetrics, type RunMetrics, type CallStats, type ToolStats } from './run-metrics.js';
export { traceRunEvents } from './run-tracing.js';
