import type { RunEvent } from '../run/events.js';
import { CliError, EXIT_CODES, isCliError } from './errors.js';
import { formatCount, noun } from './format.js';
import type { CliIo } from './io.js';
import { openDashboardStream, type DashboardStream } from './dashboard-stream.js';
import { RunTerminal } from './run-terminal.js';

/**
 * The settings of `rx-orchestra watch`, parsed from the command line.
 *
 * ## Example
 * ```ts
 * import type { WatchCommandOptions } from './watch-command.js';
 * const options: WatchCommandOptions = { url: '127.0.0.1:4800', streamUrl: 'http://127.0.0.1:4800/events.ndjson', plain: false };
 * ```
 */
export interface WatchCommandOptions {
  /** The dashboard's address as the user gave it (for messages). */
  url: string;
  /** Its event stream, `…/events.ndjson` (see `dashboardStreamUrl`). */
  streamUrl: string;
  /** Plain progress lines even in a terminal. */
  plain: boolean;
}

/** A stream that ends before the run did is opened again (it starts from a fresh snapshot) at most this many times. */
const MAX_RECONNECTS = 5;

/**
 * `rx-orchestra watch <dashboard-url>`: attaches this terminal to a run another process serves
 * (`rx-orchestra run --ui`, or `startDashboard` in code), at any moment. It reads the dashboard's
 * `GET /events.ndjson` (a `run.snapshot` of the run so far, then its events), validates every line
 * with `RunEventSchema`, and shows the run as `run` does: the live view in a terminal, progress
 * lines otherwise. The snapshot carries every count (tokens in and out, retries, tallies), so a
 * terminal attached late shows the numbers one attached from the start shows. When the run
 * completes: its nodes' values and verdict line, as `replay` prints them, and 0, whatever the run's
 * status (watching succeeded; the run's own process reports its status). A stream cut before the
 * run completed (a dashboard drops a reader that falls far behind) is opened again, from a fresh
 * snapshot; a dashboard gone before the run completed is `✗ …`, exit 1. Ctrl-C detaches (exit
 * 130); the run goes on.
 *
 * ## Example
 * ```ts
 * import { watchCommand } from './watch-command.js';
 * const code = await watchCommand({ url: '4800', streamUrl: 'http://127.0.0.1:4800/events.ndjson', plain: true }, io);
 * ```
 * @throws {CliError} `DASHBOARD_UNREACHABLE`, `NOT_A_DASHBOARD`, `STREAM_INVALID` (exit 2)
 */
export async function watchCommand(command: WatchCommandOptions, io: Pick<CliIo, 'stdout' | 'stderr' | 'env' | 'interrupts'>): Promise<number> {
  const url = new URL(command.streamUrl);
  const terminal = new RunTerminal(io, { plain: command.plain });
  let stream: DashboardStream | undefined;
  let interrupted = false;
  let detach!: () => void;
  const interrupt = new Promise<void>((resolve) => (detach = resolve));
  const interrupts = io.interrupts.subscribe(() => {
    interrupted = true;
    detach();
    stream?.close();
  });
  const onEvent = (event: RunEvent): boolean => {
    // a dashboard of a shared stream may go on to another run: the view starts over with it
    if (event.type === 'run.started' && terminal.state.runId !== undefined && terminal.state.runId !== event.runId) terminal.startRun();
    terminal.apply(event);
    return event.type === 'run.completed' || (event.type === 'run.snapshot' && event.summary !== undefined);
  };
  try {
    for (let connection = 0; ; connection++) {
      stream = openDashboardStream(url, command.url);
      const opened = await Promise.race([stream.opened.then(() => true), interrupt.then(() => false)]).catch((error: unknown) => {
        if (connection > 0 && isCliError(error) && error.code !== 'STREAM_INVALID') return error; // it was there: it went away
        throw error;
      });
      if (interrupted) return detached(terminal, io);
      if (opened instanceof CliError) return wentAway(terminal, io, command.url, opened.code === 'DASHBOARD_UNREACHABLE' ? 'it no longer answers' : opened.message);
      if (connection === 0) io.stderr.write(`◆ watching ${command.url} (Ctrl-C detaches; the run goes on)\n`);
      const read = await Promise.race([stream.read(onEvent), interrupt.then(() => undefined)]);
      if (interrupted || !read) return detached(terminal, io);
      if (read.stopped) {
        terminal.endRun();
        return EXIT_CODES.ok;
      }
      // the stream ended before the run completed: the dashboard closed, the run stopped without a summary, or we fell behind
      if (read.events <= 1 || connection >= MAX_RECONNECTS) {
        return wentAway(terminal, io, command.url, read.events === 0 ? 'its stream ended without a run event' : 'its stream ended before the run completed');
      }
    }
  } finally {
    interrupts.unsubscribe();
    stream?.close();
    terminal.stopView();
    await terminal.flush();
  }
}

/** Ctrl-C: the final frame, and a line saying the run goes on. */
async function detached(terminal: RunTerminal, io: Pick<CliIo, 'stderr'>): Promise<number> {
  terminal.stopView();
  await terminal.flush();
  io.stderr.write(`◆ detached${terminal.state.runId === undefined ? '' : ` from run ${terminal.state.runId} (${progress(terminal)})`}; the run goes on\n`);
  return EXIT_CODES.interrupted;
}

/** The dashboard stopped serving the run before it completed. */
async function wentAway(terminal: RunTerminal, io: Pick<CliIo, 'stderr'>, url: string, why: string): Promise<number> {
  terminal.stopView();
  await terminal.flush();
  const run = terminal.state.runId === undefined ? 'the run' : `run ${terminal.state.runId}`;
  io.stderr.write(`✗ the dashboard at ${url} stopped serving ${run} before it completed${terminal.state.runId === undefined ? '' : ` (${progress(terminal)})`}: ${why}\n`);
  return EXIT_CODES.runFailed;
}

/** `4/9 nodes ended`. */
function progress({ state }: RunTerminal): string {
  const total = state.order.length;
  return `${formatCount(state.ended)}/${formatCount(total)} ${noun(total, 'node')} ended`;
}
