import type { DestinationStream, Logger, pino as createPino } from 'pino';
import { loadPeer } from '../peer/load-peer.js';
import type { RunEvent } from '../run/events.js';
import { levelOf, logFieldsOf } from './event-log-fields.js';

/**
 * Paths pino redacts in every record: API keys and auth headers never reach a log, wherever an
 * error or a custom field puts them.
 */
export const REDACTED_PATHS = [
  'apiKey',
  '*.apiKey',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'authorization',
  '*.authorization',
  '["x-api-key"]',
  '*["x-api-key"]',
];

/** Settings of {@link createRunLogger} and {@link logRunEvents}. */
export interface RunLoggerOptions {
  /** @default process.env.LOG_LEVEL ?? 'info' */
  level?: string;
  /** Where the JSON lines go. @default standard output */
  destination?: DestinationStream;
  /** Log prompt/response bodies (node values, streamed text). @default false: only their sizes */
  includeBodies?: boolean;
}

/**
 * A pino logger set up for runs: JSON lines, level from `LOG_LEVEL`, secrets redacted.
 *
 * ## Example
 * ```ts
 * import { createRunLogger } from 'rx-orchestra/observe';
 * const logger = createRunLogger({ level: 'debug' });
 * ```
 */
export function createRunLogger(options: RunLoggerOptions = {}): Logger {
  const settings = { level: options.level ?? process.env.LOG_LEVEL ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' }, base: { name: 'rx-orchestra' } };
  const { pino } = loadPeer<{ pino: typeof createPino }>('pino'); // throws MISSING_PEER naming the fix
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * Logs a run's events as structured JSON (seed 002): every record carries the run id (the trace
 * id), the node id, the node's agent (from its `meta.agent`) and the attempt, so
 * `grep <runId> | jq` tells a request's whole story in order. Use it as a subscriber or in `tap`.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { logRunEvents } from 'rx-orchestra/observe';
 * execute(g).pipe(tap(logRunEvents())).subscribe();
 * ```
 */
export function logRunEvents(options: RunLoggerOptions & { logger?: Logger } = {}): (event: RunEvent) => void {
  const logger = options.logger ?? createRunLogger(options);
  const includeBodies = options.includeBodies ?? false;
  const agents = new Map<string, string>();
  return (event) => {
    if (event.type === 'run.started') {
      for (const node of event.nodes) if (typeof node.meta?.agent === 'string') agents.set(node.id, node.meta.agent);
    }
    const level = levelOf(event);
    if (!logger.isLevelEnabled(level)) return;
    const agent = 'nodeId' in event ? agents.get(event.nodeId) : undefined;
    logger[level]({ event: event.type, ...logFieldsOf(event, includeBodies), ...(agent ? { agent } : {}) }, event.type);
  };
}
