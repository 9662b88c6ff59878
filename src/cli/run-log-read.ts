import { readFile, stat } from 'node:fs/promises';
import { RunEventSchema, type RunEvent } from '../run/events.js';
import { CliError, oneLine } from './errors.js';

/**
 * One run of a run log: its id and its events, `run.started` first.
 *
 * ## Example
 * ```ts
 * import type { LoggedRun } from './run-log-read.js';
 * const count = (run: LoggedRun) => run.events.length;
 * ```
 */
export interface LoggedRun {
  readonly runId: string;
  readonly events: readonly RunEvent[];
}

/**
 * Reads a run log (JSON lines from `--runs-log` / `writeRunLog`) for `rx-orchestra replay`:
 * every line parsed and its event validated with the published schema, then the events split into
 * runs at each `run.started` (a log appended to by several runs holds several). Lines that are bare
 * events (`rx-orchestra run --json` output) are taken too. Blank lines are
 * allowed and counted, so the line numbers in errors are the file's (what an editor shows).
 * Errors are {@link CliError}s: `RUN_LOG_NOT_FOUND` for a missing file, `RUN_LOG_INVALID` naming
 * the first bad line (`runs.jsonl:7: not JSON: …`, `runs.jsonl:9: not a run event: at.type …`)
 * or a log with no run in it.
 *
 * ## Example
 * ```ts
 * import { readLoggedRuns } from './run-log-read.js';
 * const runs = await readLoggedRuns('runs.jsonl');
 * runs.map((run) => run.runId); // ['weekly-1', 'weekly-2']
 * ```
 * @throws {CliError}
 */
export async function readLoggedRuns(path: string, shownAs = path): Promise<LoggedRun[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CliError('RUN_LOG_NOT_FOUND', `no such file: '${shownAs}'`);
  if (!info.isFile()) throw new CliError('RUN_LOG_NOT_FOUND', `not a file: '${shownAs}'`);
  const text = await readFile(path, 'utf8');
  const events: RunEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const parsed = parseEventLine(line, { wrapped: true });
    if (typeof parsed === 'string') throw new CliError('RUN_LOG_INVALID', oneLine(`${shownAs}:${i + 1}: ${parsed}`));
    events.push(parsed);
  }
  const runs: { runId: string; events: RunEvent[] }[] = [];
  for (const event of events) {
    const last = runs[runs.length - 1];
    if (!last || event.type === 'run.started' || last.runId !== event.runId) runs.push({ runId: event.runId, events: [event] });
    else last.events.push(event);
  }
  if (runs.length === 0) throw new CliError('RUN_LOG_INVALID', `${shownAs}: no events in it (a run log has one JSON line per event, as --runs-log writes)`);
  return runs;
}

/**
 * One JSON line as a run event, validated with the published `RunEventSchema`; or, when it is not
 * one, what is wrong with it (`not JSON: …`, `not a run event: type: …`), for an error that names the
 * line. With `wrapped`, a line of `writeRunLog` (`{ timestamp, …, event }`) gives its event (a bare
 * event is taken too). Pure.
 *
 * ## Example
 * ```ts
 * import { parseEventLine } from './run-log-read.js';
 * parseEventLine('{"type":"node.teleported"}', { wrapped: false }); // 'not a run event: type: Invalid input…'
 * ```
 */
export function parseEventLine(line: string, options: { wrapped: boolean }): RunEvent | string {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return `not JSON: ${(error as Error).message}`;
  }
  // A line of writeRunLog is { timestamp, node, …, event }; a bare event (--json output) is taken too.
  const candidate = options.wrapped && typeof raw === 'object' && raw !== null && 'event' in raw ? (raw as { event: unknown }).event : raw;
  const parsed = RunEventSchema.safeParse(candidate);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `not a run event: ${issue ? `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}` : 'invalid'}`;
}
