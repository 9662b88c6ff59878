import { asyncScheduler, interval, type SchedulerLike, type Subscription } from 'rxjs';
import type { LiveRunState } from './live-state.js';
import { renderLiveView } from './live-render.js';

/**
 * A terminal to draw on: a TTY write stream (`process.stdout`) or a stand-in in tests.
 *
 * ## Example
 * ```ts
 * import type { TerminalOutput } from './live-view.js';
 * const fake: TerminalOutput = { columns: 80, rows: 24, write: (chunk) => chunks.push(chunk) };
 * ```
 */
export interface TerminalOutput {
  write(chunk: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
}

/**
 * Settings of {@link startLiveView}.
 *
 * ## Example
 * ```ts
 * import { startLiveView, type LiveViewOptions } from './live-view.js';
 * const options: LiveViewOptions = { intervalMs: 250, color: false };
 * startLiveView(state, process.stdout, options);
 * ```
 */
export interface LiveViewOptions {
  /** Redraw at most this often, in ms. @default 100 */
  intervalMs?: number;
  /** Clock of the run (for elapsed times) and of the redraw ticks. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** ANSI colours. @default true */
  color?: boolean;
  /** The run's time now, for elapsed times (a replay's runs are on their recorded clock). @default scheduler.now */
  now?: () => number;
}

/**
 * Frame statistics of a live view: how many were drawn and how long rendering took.
 *
 * ## Example
 * ```ts
 * import type { LiveViewStats } from './live-view.js';
 * const average = (s: LiveViewStats) => s.renderMs / s.frames;
 * ```
 */
export interface LiveViewStats {
  frames: number;
  /** Total and worst time spent in `renderLiveView`, in ms (wall clock). */
  renderMs: number;
  maxRenderMs: number;
}

/**
 * A running live view; see {@link startLiveView}.
 *
 * ## Example
 * ```ts
 * import { startLiveView, type LiveView } from './live-view.js';
 * const view: LiveView = startLiveView(state, process.stdout);
 * view.stop();
 * ```
 */
export interface LiveView {
  /** Draws now if anything changed (the ticks call it; call it to force a frame). */
  draw(): void;
  /**
   * Stops redrawing for a while (a question is asked below the view): draws the latest frame, shows
   * the cursor, and leaves the frame where it is; {@link LiveView.resume} draws on below what was
   * written meanwhile.
   */
  pause(): void;
  resume(): void;
  /** Draws the final frame, shows the cursor again and stops redrawing. Idempotent. */
  stop(): void;
  readonly stats: LiveViewStats;
}

const ESC = '\x1b[';
/** Hide the cursor; turn off line wrapping, so a line too long for the terminal cannot add rows. */
const ENTER = `${ESC}?25l${ESC}?7l`;
const LEAVE = `${ESC}?7h${ESC}?25h`;

/**
 * Draws a run's live view on a terminal and redraws it in place (cursor up, erase line, redraw,
 * erase below) at most every `intervalMs`, skipping frames when nothing changed and no node is
 * running. Each frame is one write of at most `rows - 1` lines, so it never scrolls and the
 * cursor always gets back to the top of the previous frame, whatever the graph's size.
 *
 * ## Example
 * ```ts
 * import { LiveRunState } from './live-state.js';
 * import { startLiveView } from './live-view.js';
 * const state = new LiveRunState();
 * const view = startLiveView(state, process.stdout);
 * await collect(execute(g).pipe(tap((e) => state.apply(e))));
 * view.stop();
 * ```
 */
export function startLiveView(state: LiveRunState, out: TerminalOutput, options: LiveViewOptions = {}): LiveView {
  const { intervalMs = 100, scheduler = asyncScheduler, color = true } = options;
  const now = options.now ?? (() => scheduler.now());
  const stats: LiveViewStats = { frames: 0, renderMs: 0, maxRenderMs: 0 };
  let drawnLines = 0;
  let drawnVersion = -1;
  let drawnSize = '';
  let stopped = false;
  let paused = false;

  const restore = () => out.write(LEAVE);
  process.once('exit', restore);
  out.write(ENTER);

  const frame = (force: boolean) => {
    if (paused) return;
    const columns = out.columns ?? 80;
    const rows = out.rows ?? 24;
    const size = `${columns}x${rows}`;
    if (!force && state.version === drawnVersion && state.active.size === 0 && size === drawnSize) return;
    const began = performance.now();
    const lines = renderLiveView(state, { now: now(), columns, rows, color });
    const took = performance.now() - began;
    stats.frames++;
    stats.renderMs += took;
    stats.maxRenderMs = Math.max(stats.maxRenderMs, took);
    let text = drawnLines > 0 ? `\r${ESC}${drawnLines}A` : '\r';
    for (const line of lines) text += `\r${ESC}2K${line}\n`; // \r: column 1 even where \n is a bare line feed
    out.write(`${text}${ESC}J`);
    drawnLines = lines.length;
    drawnVersion = state.version;
    drawnSize = size;
  };

  const ticks: Subscription = interval(intervalMs, scheduler).subscribe(() => frame(false));
  frame(true);
  return {
    stats,
    draw: () => {
      if (!stopped) frame(false);
    },
    pause: () => {
      if (stopped || paused) return;
      frame(true);
      paused = true;
      restore();
      drawnLines = 0; // what is written meanwhile stays: the next frame starts below it
    },
    resume: () => {
      if (stopped || !paused) return;
      paused = false;
      out.write(ENTER);
      frame(true);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      paused = false;
      ticks.unsubscribe();
      frame(true);
      restore();
      process.removeListener('exit', restore);
    },
  };
}
