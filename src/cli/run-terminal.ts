import { asyncScheduler } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import type { CliIo } from './io.js';
import { LiveRunState } from './live-state.js';
import { startLiveView, type LiveView } from './live-view.js';
import { NodeOutputs } from './node-outputs.js';
import { bufferedLines, type LineWriter } from './output.js';
import { progressLine } from './progress-lines.js';
import { chooseView, type ViewChoice } from './terminal.js';
import { judgeRun } from './verdict.js';

/**
 * Settings of a {@link RunTerminal}.
 *
 * ## Example
 * ```ts
 * import type { RunTerminalOptions } from './run-terminal.js';
 * const options: RunTerminalOptions = { plain: false, speed: 4 };
 * ```
 */
export interface RunTerminalOptions {
  /** `--plain`: progress lines even in a terminal. */
  plain: boolean;
  /**
   * How fast the run's clock goes compared to the wall's, for the elapsed times of the live view
   * between two events (a replay at `--speed 4`: 4; `Infinity`: the time of the last event). @default 1
   */
  speed?: number;
}

/**
 * A run shown in a terminal from its events, as `replay` and `watch` show it: the live view in a
 * TTY (plain progress lines otherwise, or with `--plain`, `NO_COLOR`, a 0x0 terminal: the rules of
 * `run`, see `chooseView`), and at the end of the run its nodes' values and its verdict line. A
 * `run.snapshot` (a run joined late) is taken like any event: the view starts from it. Lines said
 * with {@link RunTerminal.say} keep their order with the view's frames.
 *
 * ## Example
 * ```ts
 * import { RunTerminal } from './run-terminal.js';
 * const terminal = new RunTerminal(io, { plain: false });
 * events.forEach((event) => terminal.apply(event));
 * terminal.endRun(); // values, then '✓ run succeeded in 1.20s: 3 nodes, 412 tok, $0.0031'
 * await terminal.flush();
 * ```
 */
export class RunTerminal {
  /** The state of the run shown now (a new one for each run of a log, see {@link RunTerminal.startRun}). */
  state = new LiveRunState();
  /** The values of the run shown now. */
  outputs = new NodeOutputs();
  readonly choice: ViewChoice;
  readonly #io: Pick<CliIo, 'stdout'>;
  readonly #out: LineWriter;
  readonly #speed: number;
  #view: LiveView | undefined;
  #lastWall = asyncScheduler.now();

  constructor(io: Pick<CliIo, 'stdout' | 'env'>, options: RunTerminalOptions) {
    this.#io = io;
    this.choice = chooseView({ isTTY: io.stdout.isTTY, columns: io.stdout.columns, rows: io.stdout.rows, env: io.env, lines: options.plain });
    this.#out = bufferedLines(io.stdout);
    this.#speed = options.speed ?? 1;
  }

  /** True when drawing the live view (else plain lines). */
  get live(): boolean {
    return this.choice.live;
  }

  /** The width of the end-of-run lines: the terminal's with a live view, else 120. */
  get width(): number {
    return this.choice.live ? Math.max(20, (this.#io.stdout.columns ?? 100) - 1) : 120;
  }

  /** The run's time now: the last event's, plus the wall time since it came (times the speed). */
  now(): number {
    return this.#speed === Infinity ? this.state.lastAt : this.state.lastAt + (asyncScheduler.now() - this.#lastWall) * this.#speed;
  }

  /** Writes a line below what is shown (the live view writes directly: lines around it must too, to keep their order). */
  say(line: string): void {
    if (this.choice.live) this.#io.stdout.write(`${line}\n`);
    else this.#out.line(line);
  }

  /** Starts showing a new run (the next one of a log): a fresh state and values. */
  startRun(): void {
    this.stopView();
    this.state = new LiveRunState();
    this.outputs = new NodeOutputs();
  }

  /** Takes one event: into the state and the values, then the view (started by the first event) or its progress line. */
  apply(event: RunEvent): void {
    this.#lastWall = asyncScheduler.now();
    this.state.apply(event);
    this.outputs.apply(event);
    if (this.choice.live) {
      this.#view ??= startLiveView(this.state, this.#io.stdout, { color: this.choice.color, now: () => this.now() }); // its first frame shows the run
    } else {
      const line = progressLine(event, this.state);
      if (line !== undefined) this.#out.line(line);
    }
  }

  /**
   * Ends the run shown: the final frame, then the nodes' values and the verdict line (a `partial`
   * run reads `⚠ run partial …`: showing a run reports it, it does not fail). Nothing but the
   * final frame when the run did not complete.
   */
  endRun(): void {
    this.stopView();
    for (const line of this.outputs.lines(this.width)) this.say(line);
    if (this.state.summary) this.say(judgeRun(this.state.summary, this.state, { allowPartial: true }).line.replace(/ \(allowed\)$/, ''));
  }

  /** Draws the final frame and stops redrawing (no values, no verdict: an interrupt). */
  stopView(): void {
    this.#view?.stop();
    this.#view = undefined;
  }

  /** Writes the lines queued. */
  flush(): Promise<void> {
    return this.#out.flush();
  }
}
