/**
 * The timeline's overview: every row of the Gantt squeezed into a strip a few dozen pixels high
 * (a 10,000-row run is 10,000 rows in 44 px), bars coloured by outcome with the problem ones (failed,
 * timed out, retried, fell back) painted last so they show, and a brush over the rows in view.
 * Clicking or dragging in the strip scrolls the timeline there. The rows are painted into an
 * offscreen layer at most every 250 ms (every second past 5,000 rows); the brush follows scrolling at once.
 */
import { OUTCOME_COLORS } from './colors.js';
import type { BarOutcome, NodeModel } from './model.js';

/** Outcomes painted over the others. */
const LOUD: ReadonlySet<BarOutcome> = new Set<BarOutcome>(['failed', 'timedOut', 'retried', 'fellBack']);
/** A row's height in the strip at most (CSS pixels): a short run does not fill it. */
const MAX_ROW_PX = 4;

/** What the overview needs from the timeline to draw. */
export interface OverviewFrame {
  rows: readonly NodeModel[];
  t0: number;
  t1: number;
  /** The rows in view: first (inclusive) and last (exclusive). */
  first: number;
  last: number;
  /** The model's version when the rows were taken (the strip is repainted when it changed). */
  version: number;
  /** The timeline's label column: bars start after it, as in the Gantt. */
  labelWidth: number;
}

export class GanttOverview {
  readonly #canvas: HTMLCanvasElement;
  readonly #layer: HTMLCanvasElement;
  #frame: OverviewFrame | undefined;
  #paintedVersion = -1;
  #paintedAt = -Infinity;
  #paintedSize = '';

  /** `scrollToRow` is called with a row index when the user clicks or drags in the strip. */
  constructor(canvas: HTMLCanvasElement, scrollToRow: (row: number) => void) {
    this.#canvas = canvas;
    this.#layer = document.createElement('canvas');
    let dragging = false;
    const go = (event: PointerEvent) => {
      const frame = this.#frame;
      if (!frame || frame.rows.length === 0) return;
      const rect = canvas.getBoundingClientRect();
      const rowPx = rowHeight(rect.height, frame.rows.length);
      scrollToRow(Math.min(frame.rows.length - 1, Math.max(0, Math.floor((event.clientY - rect.top) / rowPx))));
    };
    canvas.addEventListener('pointerdown', (event) => {
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      go(event);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (dragging) go(event);
    });
    canvas.addEventListener('pointerup', () => {
      dragging = false;
    });
  }

  /** Draws the strip for this frame of the timeline (`now`: performance.now(), for the repaint throttle). */
  draw(frame: OverviewFrame, now: number): void {
    this.#frame = frame;
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const size = `${width}x${height}x${dpr}`;
    if (size !== this.#paintedSize) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      this.#layer.width = canvas.width;
      this.#layer.height = canvas.height;
    }
    const every = frame.rows.length > 5_000 ? 1_000 : 250;
    if (size !== this.#paintedSize || (frame.version !== this.#paintedVersion && now - this.#paintedAt >= every)) {
      this.#paintRows(frame, width, height, dpr);
      this.#paintedSize = size;
      this.#paintedVersion = frame.version;
      this.#paintedAt = now;
    }
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(this.#layer, 0, 0);
    if (frame.rows.length === 0) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const rowPx = rowHeight(height, frame.rows.length);
    const y0 = frame.first * rowPx;
    const h = Math.max(3, (frame.last - frame.first) * rowPx);
    ctx.fillStyle = 'rgba(37, 99, 235, 0.12)';
    ctx.fillRect(0, y0, width, h);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = '#1d4ed8';
    ctx.strokeRect(0.75, y0 + 0.75, width - 1.5, h - 1.5);
    canvas.dataset.first = String(frame.first);
    canvas.dataset.last = String(frame.last);
  }

  /** Draws the last frame again (its rows may now be repainted). */
  redraw(now: number): void {
    if (this.#frame) this.draw(this.#frame, now);
  }

  /** Whether the strip must be repainted soon (its rows changed since it was last painted). */
  get stale(): boolean {
    return this.#frame !== undefined && this.#frame.version !== this.#paintedVersion;
  }

  #paintRows(frame: OverviewFrame, width: number, height: number, dpr: number): void {
    const ctx = this.#layer.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.#layer.width, this.#layer.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const { rows, t0, t1, labelWidth } = frame;
    if (rows.length === 0) return;
    const rowPx = rowHeight(height, rows.length);
    const scale = (width - labelWidth - 16) / Math.max(1, t1 - t0);
    const xOf = (t: number) => labelWidth + (t - t0) * scale;
    const h = Math.max(rowPx, 1 / dpr);
    const paths = new Map<BarOutcome, Path2D>();
    const path = (outcome: BarOutcome) => {
      let p = paths.get(outcome);
      if (!p) paths.set(outcome, (p = new Path2D()));
      return p;
    };
    for (let r = 0; r < rows.length; r++) {
      const y = r * rowPx;
      for (const bar of rows[r]!.bars) {
        const x = xOf(bar.start);
        path(bar.outcome).rect(x, y, Math.max(1, xOf(bar.end ?? t1) - x), h);
      }
    }
    for (const loud of [false, true]) {
      for (const [outcome, p] of paths) {
        if (LOUD.has(outcome) !== loud) continue;
        ctx.fillStyle = OUTCOME_COLORS[outcome];
        ctx.fill(p);
      }
    }
    ctx.fillStyle = '#64748b';
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(`${rows.length.toLocaleString('en-US')} rows`, 6, 2);
  }
}

/** A row's height in the strip: all rows fit, none taller than {@link MAX_ROW_PX}. */
function rowHeight(height: number, rows: number): number {
  return Math.min(MAX_ROW_PX, height / Math.max(1, rows));
}
