import { resolve } from 'node:path';
import { Subject, type Subscription } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import { replayRunEvents } from '../ui/replay.js';
import { CliError, EXIT_CODES } from './errors.js';
import { formatCount, plural } from './format.js';
import { readLoggedRuns } from './run-log-read.js';
import { RunTerminal } from './run-terminal.js';
import type { CliIo } from './io.js';
import { waitForWatcher } from './ui-wait.js';
import { linger, loadDashboard, type Dashboard } from './dashboard.js';

/**
 * The settings of `rx-orchestra replay`, parsed from the command line.
 *
 * ## Example
 * ```ts
 * import type { ReplayCommandOptions } from './replay-command.js';
 * const options: ReplayCommandOptions = { file: 'runs.jsonl', speed: 4, plain: false, ui: false };
 * ```
 */
export interface ReplayCommandOptions {
  /** The run log (JSON lines, as `--runs-log` writes), relative to the working directory. */
  file: string;
  /** 1 plays the runs in real time, 4 four times faster, `Infinity` at once. */
  speed: number;
  /** Plain progress lines even in a terminal. */
  plain: boolean;
  /** Serve the dashboard too. */
  ui: boolean;
  uiPort?: number;
  uiHost?: string;
  uiLingerSeconds?: number;
  /** Start playing once a page has connected (or Enter, or after `uiWaitSeconds`). */
  uiWait?: boolean;
  uiWaitSeconds?: number;
}

/** No pause between two events of a replay is longer than this (ms of playback time): an idle stretch does not stall it. */
const MAX_GAP_MS = 5_000;

/**
 * `rx-orchestra replay <runs.jsonl>`: plays a run log back through the live terminal view (plain
 * lines when not a terminal), each event when it happened divided by `--speed`, and with `--ui`
 * through the dashboard too. A log holding several runs plays them one after the other and says
 * `◆ run 2 of 2: <runId>` as each starts; each run ends with its verdict line and its nodes'
 * values. A missing file or a bad line (named by its number) is a usage error before anything is
 * shown. Resolves with 0 once played (130 when interrupted), whatever the runs' statuses.
 *
 * ## Example
 * ```ts
 * import { replayCommand } from './replay-command.js';
 * const code = await replayCommand({ file: 'runs.jsonl', speed: 10, plain: true, ui: false }, io);
 * ```
 * @throws {CliError} `RUN_LOG_NOT_FOUND`, `RUN_LOG_INVALID`, `UI_UNAVAILABLE`
 */
export async function replayCommand(command: ReplayCommandOptions, io: CliIo): Promise<number> {
  const runs = await readLoggedRuns(resolve(io.cwd, command.file), command.file);
  const events = runs.flatMap((run) => run.events);
  const ui = command.ui ? await (io.dashboard ?? loadDashboard)() : undefined;
  const events$ = new Subject<RunEvent>();
  let dashboard: Dashboard | undefined;
  if (ui) {
    const where = { ...(command.uiPort !== undefined ? { port: command.uiPort } : {}), ...(command.uiHost ? { host: command.uiHost } : {}) };
    dashboard = await ui.startDashboard({ events$, ...where }).catch((error: unknown) => {
      throw new CliError('UI_UNAVAILABLE', `--ui: the dashboard could not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    io.stderr.write(`◆ dashboard: ${dashboard.url}\n`);
  }
  try {
    io.stderr.write(`◆ replaying ${plural(runs.length, 'run')} (${plural(events.length, 'event')}) from ${command.file}${command.speed === Infinity ? ', at once' : command.speed === 1 ? ', in real time' : ` at ${command.speed}x`}\n`);
    if (dashboard && command.uiWait) {
      const outcome = await waitForWatcher({ url: dashboard.url, firstWatcher: dashboard.firstWatcher, input: io.stdin ?? process.stdin, output: io.stderr, interrupts: io.interrupts, seconds: command.uiWaitSeconds, what: 'the replay' });
      if (outcome === 'interrupted') return EXIT_CODES.interrupted;
    }
    const interrupted = await play(runs.length, events, events$, command, io);
    if (interrupted) return EXIT_CODES.interrupted;
    if (dashboard) await linger(dashboard, command.uiLingerSeconds, io);
    return EXIT_CODES.ok;
  } finally {
    await dashboard?.close();
  }
}

/** Plays the events into `events$` and the terminal; resolves true when interrupted. */
async function play(runCount: number, events: readonly RunEvent[], events$: Subject<RunEvent>, command: ReplayCommandOptions, io: CliIo): Promise<boolean> {
  const terminal = new RunTerminal(io, { plain: command.plain, speed: command.speed });
  let index = 0;
  const onEvent = (event: RunEvent) => {
    if (event.type === 'run.started' || index === 0) {
      if (index > 0) terminal.endRun();
      index += 1;
      terminal.startRun();
      terminal.say(`◆ run ${formatCount(index)} of ${formatCount(runCount)}: ${event.runId}`);
    }
    terminal.apply(event);
    events$.next(event);
  };

  let subscription: Subscription | undefined;
  let stop: Subscription | undefined;
  let interrupted = false;
  try {
    await new Promise<void>((resolve, reject) => {
      stop = io.interrupts.subscribe(() => {
        interrupted = true;
        subscription?.unsubscribe();
        resolve();
      });
      subscription = replayRunEvents(events, { speed: command.speed, maxGapMs: MAX_GAP_MS }).subscribe({ next: onEvent, error: reject, complete: resolve });
    });
  } finally {
    stop?.unsubscribe();
    if (!interrupted) terminal.endRun();
    else {
      terminal.stopView();
      terminal.say(`✗ replay interrupted at run ${formatCount(index)} of ${formatCount(runCount)}`);
    }
    events$.complete();
    await terminal.flush();
  }
  return interrupted;
}
