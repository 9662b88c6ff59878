import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { RxOrchestraError, brandError } from '../errors/rx-orchestra-error.js';
import { RunEventSchema, type RunEvent } from '../run/events.js';

/** One line of a run log: seed 004's `{ timestamp, agent, node, ms }` plus the whole event. */
export interface RunLogLine {
  /** The event's scheduler time. */
  timestamp: number;
  agent?: string;
  node?: string;
  /** For node-end events: the node's duration. */
  ms?: number;
  event: RunEvent;
}

/**
 * Writes a run's events to a JSON-lines file (seed 004's runs.jsonl), one line per event, so a run
 * can be read back, analysed or replayed in the dashboard. Returns a subscriber; call `close()`
 * when done (it also closes on `run.completed`).
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { writeRunLog } from 'rx-orchestra/observe';
 * execute(g).subscribe(writeRunLog('runs.jsonl'));
 * ```
 */
export function writeRunLog(path: string, options: { append?: boolean } = {}): ((event: RunEvent) => void) & { close(): Promise<void> } {
  const stream: WriteStream = createWriteStream(path, { flags: options.append === false ? 'w' : 'a' });
  const agents = new Map<string, string>();
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve) => stream.end(resolve))); // resolves once flushed
  const write = (event: RunEvent) => {
    if (event.type === 'run.started') {
      for (const node of event.nodes) if (typeof node.meta?.agent === 'string') agents.set(node.id, node.meta.agent);
    }
    stream.write(`${JSON.stringify(lineOf(event, agents))}\n`);
    if (event.type === 'run.completed') void close();
  };
  return Object.assign(write, { close });
}

/** The log line for an event. Pure. */
export function lineOf(event: RunEvent, agents: ReadonlyMap<string, string> = new Map()): RunLogLine {
  const node = 'nodeId' in event ? event.nodeId : undefined;
  const agent = node ? (agents.get(node) ?? node) : undefined;
  const ms = 'durationMs' in event ? event.durationMs : undefined;
  return { timestamp: event.at, ...(agent ? { agent } : {}), ...(node ? { node } : {}), ...(ms !== undefined ? { ms } : {}), event };
}

/** A line of a run log that is not valid JSON or not a valid event. */
export class RunLogError extends RxOrchestraError {
  static {
    brandError(this, 'RunLogError');
  }
  override readonly name = 'RunLogError';
  readonly code = 'INVALID_RUN_LOG' as const;
  readonly retryable = false;
  constructor(
    readonly path: string,
    readonly line: number,
    message: string,
  ) {
    super(`${path}:${line}: ${message}`);
  }
}

/**
 * Reads a run log back: every line parsed and its event validated with the published schema.
 * Throws a {@link RunLogError} naming the file and line of the first bad one.
 *
 * ## Example
 * ```ts
 * import { readRunLog } from 'rx-orchestra/observe';
 * const lines = readRunLog('runs.jsonl');
 * const slow = lines.filter((l) => (l.ms ?? 0) > 10_000);
 * ```
 */
export function readRunLog(path: string): RunLogLine[] {
  // Line numbers are the file's (what an editor shows): blank lines are skipped but counted.
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((text, index) => ({ text, line: index + 1 }))
    .filter(({ text }) => text.trim() !== '')
    .map(({ text, line }) => {
      let raw: { event?: unknown };
      try {
        raw = JSON.parse(text) as { event?: unknown };
      } catch (error) {
        throw new RunLogError(path, line, `not JSON: ${(error as Error).message}`);
      }
      const parsed = RunEventSchema.safeParse(raw.event);
      if (!parsed.success) throw new RunLogError(path, line, `not a run event: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return { ...(raw as Omit<RunLogLine, 'event'>), event: parsed.data };
    });
}
