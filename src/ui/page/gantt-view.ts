/**
 * The Gantt timeline: a row per node that has started (by first start), a bar per attempt
 * coloured by how it ended, an agent's tool calls as thin sub-bars inside it (dark when ok, red when
 * failed), hatched marks for retry backoffs and rate-limiter waits, and a diamond
 * where a fallback answered, a magenta span while a node awaits approval. Only the rows in view are
 * drawn (a 10,000-node run scrolls), at most every 50 ms; the overview strip above shows them all
 * ({@link GanttOverview}). With the "problems only" filter, only the rows of nodes that need a look;
 * rows of problem nodes have a red label, waiting ones a magenta one, search matches a highlight.
 */
import { OUTCOME_COLORS, STATE_COLORS } from './colors.js';
import { esc, formatMs } from './format.js';
import { GanttOverview } from './gantt-overview.js';
import type { DashboardModel, NodeModel } from './model.js';
import { isProblem } from './problems.js';

const ROW = 22;
const AXIS = 22;
const LABEL = 170;
const REDRAW_MS = 50;

export class GanttView {
  readonly #host: HTMLElement;
  readonly #spacer: HTMLDivElement;
  readonly #svg: SVGSVGElement;
  readonly #requestFrame: () => void;
  #drawnVersion = -1;
  #lastDraw = -Infinity;
  #force = true;
  #selected: string | undefined;
  #problemsOnly = false;
  #matches: ReadonlySet<string> = new Set();
  readonly #overview: GanttOverview;
  /** The rows drawn last (all of the model's, or the problem ones) and the model version they were taken at. */
  #rows: readonly NodeModel[] = [];
  #rowsVersion = -1;

  constructor(host: HTMLElement, overview: HTMLCanvasElement, onSelect: (id: string) => void, requestFrame: () => void) {
    this.#host = host;
    this.#requestFrame = requestFrame;
    this.#overview = new GanttOverview(overview, (row) => this.#scrollToRow(row));
    this.#spacer = document.createElement('div');
    this.#spacer.className = 'gantt-spacer';
    this.#svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.#svg.classList.add('gantt-svg');
    host.append(this.#spacer, this.#svg);
    host.addEventListener('scroll', () => this.#redrawSoon());
    new ResizeObserver(() => this.#redrawSoon()).observe(host);
    this.#svg.addEventListener('click', (event) => {
      const id = (event.target as Element | null)?.closest<SVGGElement>('.row')?.dataset.node;
      if (id !== undefined) onSelect(id);
    });
  }

  select(id: string | undefined): void {
    this.#selected = id;
    this.#redrawSoon();
  }

  /** Shows only the rows of nodes that need a look (failed, timed out, fell back, retrying, retried), or all. */
  setProblemsOnly(on: boolean): void {
    this.#problemsOnly = on;
    this.#rowsVersion = -1;
    this.#host.scrollTop = 0;
    this.#redrawSoon();
  }

  /** Highlights the search's matches. */
  highlight(ids: ReadonlySet<string>): void {
    this.#matches = ids;
    this.#redrawSoon();
  }

  /** Scrolls a node's row into the middle of the view; false when it has no row (not started, or filtered out). */
  reveal(id: string): boolean {
    const row = this.#rows.findIndex((node) => node.id === id);
    if (row < 0) return false;
    this.#scrollToRow(row);
    return true;
  }

  #scrollToRow(row: number): void {
    this.#host.scrollTop = Math.max(0, AXIS + row * ROW - this.#host.clientHeight / 2);
    this.#redrawSoon();
  }

  draw(model: DashboardModel, now: number): void {
    if (model.version === this.#drawnVersion && !this.#force) {
      if (this.#overview.stale) {
        this.#overview.redraw(now); // its throttle held the last change back
        if (this.#overview.stale) this.#requestFrame();
      }
      return;
    }
    if (now - this.#lastDraw < REDRAW_MS) {
      this.#requestFrame();
      return;
    }
    this.#lastDraw = now;
    this.#drawnVersion = model.version;
    this.#force = false;
    this.#render(model, now);
  }

  #redrawSoon(): void {
    this.#force = true;
    this.#lastDraw = -Infinity;
    this.#requestFrame();
  }

  #render(model: DashboardModel, now: number): void {
    if (this.#rowsVersion !== model.version) {
      this.#rows = this.#problemsOnly ? model.rows.filter(isProblem) : model.rows;
      this.#rowsVersion = model.version;
    }
    const rows = this.#rows;
    const width = this.#host.clientWidth;
    const height = this.#host.clientHeight;
    const top = this.#host.scrollTop;
    this.#spacer.style.height = `${AXIS + rows.length * ROW}px`;
    this.#svg.style.top = `${top}px`;
    this.#svg.setAttribute('width', String(width));
    this.#svg.setAttribute('height', String(height));
    const t0 = model.startAt ?? 0;
    const t1 = Math.max(model.lastAt ?? t0, t0 + 1);
    const scale = (width - LABEL - 16) / (t1 - t0);
    const xOf = (t: number) => LABEL + (t - t0) * scale;
    const parts: string[] = [
      '<defs>',
      '<pattern id="hatch-retry" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fef3c7"/><line x1="0" y1="0" x2="0" y2="5" stroke="#f59e0b" stroke-width="3"/></pattern>',
      '<pattern id="hatch-ratelimit" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="5" height="5" fill="#e0e7ff"/><line x1="0" y1="0" x2="0" y2="5" stroke="#6366f1" stroke-width="3"/></pattern>',
      `<pattern id="hatch-approval" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fae8ff"/><line x1="0" y1="0" x2="0" y2="6" stroke="${STATE_COLORS.waiting}" stroke-width="3"/></pattern>`,
      '</defs>',
      axis(t0, t1, xOf, width),
    ];
    const first = Math.max(0, Math.floor(top / ROW) - 1);
    const last = Math.min(rows.length, Math.ceil((top + height) / ROW) + 1);
    for (let r = first; r < last; r++) parts.push(row(rows[r]!, AXIS + r * ROW - top, xOf, model.lastAt ?? t1, this.#selected, this.#matches));
    this.#svg.innerHTML = parts.join('');
    this.#host.dataset.rows = String(rows.length);
    this.#host.dataset.filter = this.#problemsOnly ? 'problems' : 'none';
    const inView = { first: Math.max(0, Math.floor(top / ROW)), last: Math.min(rows.length, Math.ceil((top + height - AXIS) / ROW)) };
    this.#overview.draw({ rows, t0, t1, ...inView, version: model.version, labelWidth: LABEL }, now);
  }
}

function row(node: NodeModel, y: number, xOf: (t: number) => number, now: number, selected: string | undefined, matches: ReadonlySet<string>): string {
  const id = esc(node.id);
  const classes = `row${node.id === selected ? ' selected' : ''}${isProblem(node) ? ' problem' : ''}${node.state === 'waiting' ? ' waiting' : ''}${matches.has(node.id) ? ' match' : ''}`;
  const parts = [`<g class="${classes}" data-node="${id}" data-state="${node.state}" transform="translate(0,${y})">`];
  parts.push(`<rect class="row-bg" x="0" y="0" width="100%" height="${ROW}"/>`);
  parts.push(`<text class="row-label" x="8" y="15">${esc(node.id.length > 24 ? `${node.id.slice(0, 23)}…` : node.id)}</text>`);
  for (const wait of node.waits) {
    const x = xOf(wait.start);
    const w = Math.max(2, xOf(wait.start + wait.ms) - x);
    const what = wait.kind === 'retry' ? `retry backoff after attempt ${wait.attempt}` : `rate limiter wait (${wait.detail})`;
    parts.push(
      `<rect class="wait wait-${wait.kind}" data-node="${id}" data-attempt="${wait.attempt}" x="${r(x)}" y="${wait.kind === 'retry' ? 6 : 15}" width="${r(w)}" height="${wait.kind === 'retry' ? 10 : 5}" fill="url(#hatch-${wait.kind})"><title>${esc(`${node.id}: ${what}, ${formatMs(wait.ms)}${wait.kind === 'retry' ? ` — ${wait.detail}` : ''}`)}</title></rect>`,
    );
  }
  for (const bar of node.bars) {
    const x = xOf(bar.start);
    const w = Math.max(2, xOf(bar.end ?? now) - x);
    const title = `${node.id} attempt ${bar.attempt}: ${bar.outcome}${bar.approx ? ' (from a snapshot)' : ''}, ${formatMs((bar.end ?? now) - bar.start)}`;
    parts.push(
      `<rect class="bar${bar.approx ? ' approx' : ''}" data-node="${id}" data-attempt="${bar.attempt}" data-outcome="${bar.outcome}" x="${r(x)}" y="4" width="${r(w)}" height="14" rx="3" fill="${OUTCOME_COLORS[bar.outcome]}"><title>${esc(title)}</title></rect>`,
    );
  }
  const lanes = toolLanes(node.tools, now);
  const laneHeight = Math.max(2, Math.floor(10 / lanes.count));
  node.tools.forEach((call, i) => {
    const x = xOf(call.start);
    const w = Math.max(2, xOf(call.end ?? now) - x);
    const y = 6 + lanes.of[i]! * laneHeight;
    const took = formatMs((call.end ?? now) - call.start);
    const title = `${node.id} step ${call.step}: ${call.tool} ${call.outcome === 'succeeded' ? 'ok' : call.outcome}, ${took}${call.error === undefined ? '' : ` — ${call.error}`}`;
    parts.push(
      `<rect class="tool-call" data-node="${id}" data-tool="${esc(call.tool)}" data-outcome="${call.outcome}" x="${r(x)}" y="${y}" width="${r(w)}" height="${laneHeight - 1}" fill="${TOOL_COLORS[call.outcome]}"><title>${esc(title)}</title></rect>`,
    );
  });
  if (node.approval) {
    const x = xOf(node.approval.at);
    parts.push(
      `<rect class="wait wait-approval" data-node="${id}" x="${r(x)}" y="3" width="${r(Math.max(4, xOf(now) - x))}" height="16" rx="3" fill="url(#hatch-approval)"><title>${esc(`${node.id} awaits approval since ${formatMs(now - node.approval.at)}`)}</title></rect>`,
    );
  }
  if (node.fallback && node.endedAt !== undefined) {
    const x = xOf(node.endedAt);
    parts.push(`<path class="mark mark-fallback" data-node="${id}" d="M${r(x)},4 l7,7 l-7,7 l-7,-7 z"><title>${esc(`${node.id} fell back (step ${node.fallback.via}) after it ${node.fallback.reason}`)}</title></path>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function axis(t0: number, t1: number, xOf: (t: number) => number, width: number): string {
  const span = t1 - t0;
  const step = niceStep(span / Math.max(2, Math.floor((width - LABEL) / 90)));
  const parts = [`<g class="axis"><rect x="0" y="0" width="100%" height="${AXIS}" class="axis-bg"/>`];
  for (let t = 0; t <= span + 1e-9; t += step) {
    const x = r(xOf(t0 + t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${AXIS - 5}" y2="100%"/><text x="${x}" y="13">${formatMs(t)}</text>`);
  }
  parts.push('</g>');
  return parts.join('');
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

/**
 * Lanes for tool calls that overlap (parallel calls of one step): each call takes the first lane
 * free at its start, so parallel calls sit one above the other inside the attempt's bar (at most 5 lanes).
 */
function toolLanes(calls: readonly { start: number; end: number | undefined }[], now: number): { of: number[]; count: number } {
  const freeAt: number[] = [];
  const of = calls.map((call) => {
    let lane = freeAt.findIndex((t) => t <= call.start);
    if (lane < 0) lane = freeAt.length < 5 ? freeAt.length : freeAt.indexOf(Math.min(...freeAt));
    freeAt[lane] = call.end ?? now;
    return lane;
  });
  return { of, count: Math.max(1, freeAt.length) };
}

/** Fill of a tool call's sub-bar, on top of its attempt's bar. */
const TOOL_COLORS = { running: '#1e3a8a', succeeded: '#14532d', failed: '#b91c1c', cancelled: '#57534e' } as const;

const r = (n: number) => Math.round(n * 10) / 10;
