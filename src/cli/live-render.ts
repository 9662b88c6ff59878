import type { LiveNode, LiveNodeState, LiveRunState } from './live-state.js';
import { LIVE_NODE_STATES } from './live-state.js';
import { liveRows, type LiveRow } from './live-rows.js';
import { formatCost, formatCount, formatSeconds, plural, shortRunId, truncate } from './format.js';

/**
 * Settings of {@link renderLiveView}.
 *
 * ## Example
 * ```ts
 * import type { LiveViewSize } from './live-render.js';
 * const size: LiveViewSize = { now: Date.now(), columns: process.stdout.columns, rows: process.stdout.rows, color: true };
 * ```
 */
export interface LiveViewSize {
  /** The current time, on the run's clock (the scheduler's `now()`). */
  now: number;
  /** Terminal width in characters. */
  columns: number;
  /** Terminal height in lines: the view uses at most `rows - 1`, so redrawing in place never scrolls. */
  rows: number;
  /** ANSI colours. @default false */
  color?: boolean;
}

/**
 * How each state is shown: icon, label and ANSI colour.
 *
 * ## Example
 * ```ts
 * import { STATE_STYLE } from './live-render.js';
 * STATE_STYLE.retrying.icon; // '↻'
 * ```
 */
export const STATE_STYLE: Record<LiveNodeState, { icon: string; label: string; color: string }> = {
  succeeded: { icon: '✓', label: 'done', color: '32' },
  fellBack: { icon: '↩', label: 'fell back', color: '33' },
  running: { icon: '▶', label: 'running', color: '36' },
  retrying: { icon: '↻', label: 'retrying', color: '33' },
  queued: { icon: '·', label: 'queued', color: '2' },
  pending: { icon: '○', label: 'pending', color: '2' },
  waiting: { icon: '⏸', label: 'awaiting approval', color: '35' },
  failed: { icon: '✗', label: 'failed', color: '31' },
  timedOut: { icon: '⏱', label: 'timed out', color: '31' },
  skipped: { icon: '⤼', label: 'skipped', color: '2' },
};

const HEADER_LINES = 2;
/** Waiting nodes stand out: their line in their state's colour, bold. */
const WAITING_COLOR = `1;${STATE_STYLE.waiting.color}`;
const ID_WIDTH_MAX = 32;

/**
 * The live terminal view of a run as lines (no newlines), a pure function of the state, the time
 * and the terminal size. A header (the run id's first 8 characters, elapsed time, progress, counts by state, tokens, cost),
 * then, when every node fits, one line per node (state, elapsed, attempt, tokens, cost, for an
 * agent node its steps, tool calls and the tool called last, last error, for a waiting node what
 * it asks approval of), the children of a fan-out or subgraph indented under it; when not, each
 * fan-out as one line with its children's progress (`explore … [412/1,000 done, 3 running, 1 failed]`);
 * for a graph too big even for that (10,000 nodes), the nodes awaiting approval, the fan-outs in
 * progress, the nodes in flight and the failed ones, each list cut with `… and N more` (see
 * `liveRows`). Nodes awaiting approval are bold magenta and counted first. At most `rows - 1`
 * lines, each at most `columns - 1` characters (the header's first line narrows its progress bar,
 * then drops the brand, to fit 80 columns), and the work is proportional to the lines drawn,
 * not to the graph.
 *
 * ## Example
 * ```ts
 * import { renderLiveView } from './live-render.js';
 * const lines = renderLiveView(state, { now: Date.now(), columns: 100, rows: 30 });
 * // rx-orchestra  run 1f0c…  2.41s  9/15 ended  concurrency 4
 * // ✓ 9 done  ▶ 2 running  · 4 queued   1,204 tok  $0.0112
 * // ✓ plan           done      0.61s      412 tok  $0.0031
 * // ▶ search_web     running   1.80s
 * ```
 */
export function renderLiveView(state: LiveRunState, size: LiveViewSize): string[] {
  const width = Math.max(1, size.columns - 1);
  const height = Math.max(1, size.rows - 1);
  const paint = (text: string, color: string) => (size.color ? `\x1b[${color}m${text}\x1b[0m` : text);
  const fit = (text: string, color?: string) => (color ? paint(truncate(text, width), color) : truncate(text, width));

  const lines = [fit(titleLine(state, size.now, width), '1'), fit(countsLine(state))].slice(0, height);
  const room = height - HEADER_LINES;
  if (room <= 0 || state.order.length === 0) return lines;

  const shown = liveRows(state, room);
  const idWidth = Math.min(ID_WIDTH_MAX, shown.reduce((w, row) => (typeof row === 'string' ? w : Math.max(w, row.node.id.length + 2 * row.depth)), 4));
  for (const row of shown) {
    if (typeof row === 'string') lines.push(fit(row, '1'));
    else lines.push(fit(nodeLine(row, idWidth, size.now), row.node.state === 'waiting' ? WAITING_COLOR : STATE_STYLE[row.node.state].color));
  }
  return lines;
}

/**
 * The header's first line, fitted to `width`: the brand, the run's short id, the elapsed time,
 * progress with a bar, the concurrency and, once ended, the status. When it does not fit, the bar
 * narrows (to 8 cells), then the brand goes (the bar gets its room back), then the bar goes.
 */
function titleLine(state: LiveRunState, now: number, width: number): string {
  if (state.runId === undefined) return 'rx-orchestra  starting…';
  const elapsed = state.summary ? state.summary.makespanMs : state.startedAt === undefined ? 0 : now - state.startedAt;
  const total = state.order.length;
  const progress = `${formatCount(state.ended)}/${formatCount(total)} ended`;
  const tail: string[] = [];
  if (state.concurrency !== undefined) tail.push(`concurrency ${state.concurrency === Infinity ? '∞' : state.concurrency}`);
  if (state.summary) tail.push(`■ ${state.summary.status}`);
  const line = (brand: boolean, cells: number) =>
    [`${brand ? 'rx-orchestra  ' : ''}run ${shortRunId(state.runId!)}`, formatSeconds(elapsed), cells > 0 ? `${progress} ${bar(state.ended, total, cells)}` : progress, ...tail].join('  ');
  for (const brand of [true, false]) {
    const room = width - line(brand, 0).length - 3; // ' [' and ']'
    if (room >= 8) return line(brand, Math.min(BAR_CELLS, room));
  }
  return line(false, 0);
}

const BAR_CELLS = 20;

function bar(done: number, total: number, cells: number): string {
  const full = total === 0 ? 0 : Math.floor((done / total) * cells);
  return `[${'█'.repeat(full)}${'░'.repeat(cells - full)}]`;
}

function countsLine(state: LiveRunState): string {
  const counts = LIVE_NODE_STATES.filter((s) => state.counts[s] > 0 || s === 'succeeded' || s === 'running' || s === 'failed').map((s) => {
    const { icon, label } = STATE_STYLE[s];
    return `${icon} ${formatCount(state.counts[s])} ${label}`;
  });
  const retries = state.retries > 0 ? `  ${plural(state.retries, 'retry', 'retries')}` : '';
  return `${counts.join('  ')}   ${formatCount(state.tokens)} tok  ${formatCost(state.costUsd)}${retries}`;
}

function nodeLine(row: Exclude<LiveRow, string>, idWidth: number, now: number): string {
  const { node } = row;
  const { icon, label } = STATE_STYLE[node.state];
  const elapsed = node.startedAt === undefined ? '' : formatSeconds((node.endedAt ?? now) - node.startedAt);
  const attempt = node.attempts > 1 ? `#${node.attempts}` : '';
  const tokens = node.tokens > 0 ? `${formatCount(node.tokens)} tok` : '';
  const cost = node.costUsd > 0 ? formatCost(node.costUsd) : '';
  const note = node.note && node.state !== 'running' ? `  ${node.note}` : '';
  const id = truncate(`${'  '.repeat(row.depth)}${node.id}`, idWidth).padEnd(idWidth);
  const group = row.group === undefined ? '' : `  ${row.group}`;
  return `${icon} ${id}  ${label.padEnd(9)}  ${elapsed.padStart(7)}  ${attempt.padStart(3)}  ${tokens.padStart(10)}  ${cost.padStart(8)}${group}${agentPart(node)}${note}`.trimEnd();
}

/** An agent node's loop so far: `  step 2 · 3 tools (1 failed) · lookup` (the steps ended, the tool calls, the last tool). */
function agentPart(node: LiveNode): string {
  if (node.agentSteps === 0 && node.toolCalls === 0) return '';
  const failed = node.toolFailures > 0 ? ` (${formatCount(node.toolFailures)} failed)` : '';
  const last = node.lastTool !== undefined && node.state === 'running' ? ` · ${node.lastTool}` : '';
  return `  step ${formatCount(node.agentSteps)} · ${plural(node.toolCalls, 'tool')}${failed}${last}`;
}
