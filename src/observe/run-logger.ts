import type { DestinationStream, Logger, pino as createPino } from 'pino';
import { loadPeer } from '../peer/load-peer.js';
import type { RunEvent } from '../run/events.js';
import { levelOf, logFieldsOf, redactSecrets } from './event-log-fields.js';

/**
 * Paths redacted in every record of {@link createRunLogger}: API keys and auth headers never reach
 * a log, wherever an error or a custom field puts them. Written in pino's `redact` path syntax, so
 * a logger of your own can use them (`pino({ redact: REDACTED_PATHS })`).
 *
 * The run logger does not hand them to pino's `redact` (whose wildcard paths made pino call its
 * redactor on every field of every record): its `formatters.log` (and the bindings of its child
 * loggers) go through a key-based redactor instead, which replaces with `'[REDACTED]'` the value
 * of every `apiKey`, `authorization` and `x-api-key` key, in any letter case (`Authorization`,
 * `X-API-Key`), at the top level and in objects, arrays and errors nested up to 6 levels below it.
 * That covers every path here and more (deeper, and other letter cases). Only object-valued
 * fields are walked, and a record without a secret is logged as is, not copied.
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
  // Secrets are redacted by `redactSecrets` (see REDACTED_PATHS), not by pino's `redact`.
  const settings = { level: options.level ?? process.env.LOG_LEVEL ?? 'info', formatters: { log: redactSecrets<Record<string, unknown>>, bindings: redactSecrets<Record<string, unknown>> }, base: { name: 'rx-orchestra' } };
  const { pino } = loadPeer<{ pino: typeof createPino }>('pino'); // throws MISSING_PEER naming the fix
  return redactChildBindings(options.destination ? pino(settings, options.destination) : pino(settings));
}

/**
 * pino gives a child logger's bindings to no formatter of ours (it resets `formatters.bindings`
 * for children), so `child` and `setBindings` redact them first; a child's own `formatters.log`
 * is redacted after. Children inherit both methods from the root logger.
 */
function redactChildBindings(logger: Logger): Logger {
  const { child, setBindings } = logger;
  const redactingChild = function (this: Logger, bindings: Record<string, unknown>, childOptions?: { formatters?: { log?: (object: Record<string, unknown>) => Record<string, unknown> } }) {
    const log = childOptions?.formatters?.log;
    const options = log ? { ...childOptions, formatters: { ...childOptions.formatters, log: (object: Record<string, unknown>) => redactSecrets(log(object)) } } : childOptions;
    return child.call(this, redactSecrets(bindings), options as never);
  };
  const redactingSetBindings = function (this: Logger, bindings: Record<string, unknown>) {
    setBindings.call(this, redactSecrets(bindings));
  };
  return Object.assign(logger, { child: redactingChild, setBindings: redactingSetBindings }) as Logger;
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
