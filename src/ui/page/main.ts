/**
 * The dashboard page: receives the run's events over Server-Sent Events (batches of JSON events),
 * validates each one with the published `RunEventSchema` (zod, the same module the library uses),
 * applies the valid ones to the in-memory model at once and counts the others, and redraws at most
 * once per animation frame (each view throttles itself further).
 */
import { RunEventSchema } from '../../run/events.js';
import { DagView } from './dag-view.js';
import { DetailView } from './detail-view.js';
import { Finder } from './finder.js';
import { esc, formatInt, formatMs, formatUsd } from './format.js';
import { GanttView } from './gantt-view.js';
import { MetricsView } from './metrics-view.js';
import { DashboardModel, NODE_STATES } from './model.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const wallNow = () => performance.timeOrigin + performance.now();

const model = new DashboardModel();
let selected: string | undefined;
let framePending = false;

/** What the page measures about itself (read by the benchmark through `window.rxoDashboard`). */
const stats = {
  batches: 0,
  connects: 0,
  /** Wall-clock ms from the server sending a batch to the page having applied it. */
  lagMs: Number.NaN,
  maxLagMs: 0,
  lagSum: 0,
  frames: 0,
  drawMs: 0,
  maxDrawMs: 0,
  /** Where the slowest frame's time went, in ms: the graph, the timeline, and the other panels. */
  slowestFrame: { dag: 0, gantt: 0, rest: 0 },
  stream: 'connecting' as 'connecting' | 'open' | 'reconnecting' | 'ended',
  endError: undefined as string | undefined,
};
const rate = { at: wallNow(), applied: 0, perSecond: 0 };

const requestFrame = () => {
  if (framePending) return;
  framePending = true;
  requestAnimationFrame(drawFrame);
};

const select = (id: string | undefined) => {
  selected = id;
  model.pinned = id;
  dag.select(id);
  gantt.select(id);
  requestFrame();
};

const dag = new DagView($('dag'), $('dag-info'), select, requestFrame);
const gantt = new GanttView($('gantt'), $<HTMLCanvasElement>('gantt-overview'), select, requestFrame);
const metrics = new MetricsView($('metrics'), $('questions'), requestFrame);
const detail = new DetailView($('detail'), {
  decide: postDecision,
  toggleGroup: (id) => dag.toggle(id),
  isCollapsed: (id) => dag.isCollapsed(id),
  select: (id) => select(id),
  fetchValue,
});
const finder = new Finder(
  model,
  {
    search: $<HTMLInputElement>('search'),
    searchInfo: $('search-info'),
    searchNext: $<HTMLButtonElement>('search-next'),
    problemsOnly: $<HTMLInputElement>('problems-only'),
    problemsCount: $('problems-count'),
    problemsNext: $<HTMLButtonElement>('problems-next'),
  },
  { dag, gantt, select },
  requestFrame,
);
/** The approvals button jumps to the waiting nodes in turn. */
let waitingCursor = -1;
$('approvals-banner').addEventListener('click', () => {
  const waiting = [...model.waiting];
  if (waiting.length === 0) return;
  waitingCursor = (waitingCursor + 1) % waiting.length;
  finder.jumpTo(waiting[waitingCursor]!.id);
});

/** Sends a decision to the dashboard server (`POST /decide`), which gives it to the run; resolves with the refusal, if any. */
/** Nodes whose value is being fetched (a snapshot carried a preview): one request each. */
const fetchingValues = new Set<string>();

/** Fetches a node's whole value (as live events carry it) from the dashboard, and shows it. */
function fetchValue(nodeId: string): void {
  if (fetchingValues.has(nodeId)) return;
  fetchingValues.add(nodeId);
  void fetch(`value?node=${encodeURIComponent(nodeId)}`)
    .then(async (response) => (response.ok ? ((await response.json()) as { value?: unknown }) : undefined))
    .then((body) => {
      if (body && 'value' in body) model.setValue(nodeId, body.value);
      else model.setValue(nodeId, model.nodes.get(nodeId)?.value); // none to fetch: the preview is all there is
      requestFrame();
    })
    .catch(() => undefined) // the preview stays; the next draw of the node asks again
    .finally(() => fetchingValues.delete(nodeId));
}

async function postDecision(nodeId: string, approve: boolean, reason: string): Promise<string | undefined> {
  try {
    const response = await fetch('/decide', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nodeId, approve, ...(reason ? { reason } : {}) }),
    });
    if (response.ok) return undefined;
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    return body.error ?? `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
$('dag-fit').addEventListener('click', () => dag.fit());
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') select(undefined);
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
  if (event.key === '/' && !typing) {
    event.preventDefault();
    $('search').focus();
  }
});
buildChips();

const source = new EventSource('/events');
source.addEventListener('open', () => {
  stats.connects += 1; // more than one: the server cut a page that fell behind, and it resynced from a snapshot
  setStream('open');
});
source.addEventListener('error', () => {
  if (stats.stream !== 'ended') setStream(source.readyState === EventSource.CLOSED ? 'ended' : 'reconnecting');
});
source.addEventListener('batch', (message) => onBatch((message as MessageEvent<string>).data));
source.addEventListener('end', (message) => {
  source.close();
  const { error } = JSON.parse((message as MessageEvent<string>).data) as { error?: string };
  stats.endError = error;
  setStream('ended');
});

function onBatch(data: string): void {
  let batch: { t: number; events: unknown[] };
  try {
    batch = JSON.parse(data) as { t: number; events: unknown[] };
  } catch {
    model.reject({ type: '(not JSON)', issue: 'the batch is not JSON' });
    return requestFrame();
  }
  let joined = false;
  for (const raw of batch.events) {
    const parsed = RunEventSchema.safeParse(raw);
    if (parsed.success) {
      model.apply(parsed.data);
      joined ||= parsed.data.type === 'run.snapshot';
    } else {
      const issue = parsed.error.issues[0];
      const type = typeof (raw as { type?: unknown } | null)?.type === 'string' ? (raw as { type: string }).type : '(no type)';
      model.reject({ type, issue: issue ? `${issue.path.join('.') || '(event)'}: ${issue.message}` : 'invalid' });
    }
  }
  const lag = wallNow() - batch.t;
  stats.batches += 1;
  stats.lagMs = lag;
  stats.lagSum += lag;
  stats.maxLagMs = Math.max(stats.maxLagMs, lag);
  // A snapshot (a late join, a resync) is drawn at once: the batches that queued up while it was
  // applied would otherwise all run before the next animation frame (~150 ms at 20k events/s).
  if (joined) drawFrame();
  else requestFrame();
}

function setStream(state: typeof stats.stream): void {
  stats.stream = state;
  document.body.dataset.stream = state;
  requestFrame();
}

function drawFrame(): void {
  framePending = false;
  const started = performance.now();
  dag.draw(model, started);
  const dagAt = performance.now();
  gantt.draw(model, started);
  const ganttAt = performance.now();
  metrics.draw(model, started);
  finder.draw(started);
  detail.draw(model, selected);
  drawHeader();
  const ended = performance.now();
  const ms = ended - started;
  stats.frames += 1;
  stats.drawMs += ms;
  if (ms > stats.maxDrawMs) stats.slowestFrame = { dag: dagAt - started, gantt: ganttAt - dagAt, rest: ended - ganttAt };
  stats.maxDrawMs = Math.max(stats.maxDrawMs, ms);
}

let headerVersion = -1;
let listsVersion = -1;
let listsDrawnAt = -Infinity;
function drawHeader(): void {
  const now = wallNow();
  if (now - rate.at >= 1_000) {
    rate.perSecond = ((model.applied - rate.applied) * 1_000) / (now - rate.at);
    rate.at = now;
    rate.applied = model.applied;
  }
  $('events-rate').textContent = formatInt(rate.perSecond);
  $('lag').textContent = Number.isNaN(stats.lagMs) ? '–' : formatMs(stats.lagMs);
  if (model.version !== listsVersion) {
    if (now - listsDrawnAt >= 250) drawLists(now);
    else requestFrame();
  }
  if (model.version === headerVersion) return;
  headerVersion = model.version;
  const status = model.status === 'completed' ? (model.summary?.status ?? 'completed') : stats.stream === 'ended' && model.status === 'running' ? 'stopped' : model.status;
  document.body.dataset.status = model.status;
  $('run-status').textContent = status;
  $('run-status').dataset.status = status;
  $('run-status').title = status;
  $('run-id').textContent = model.runId ?? '';
  for (const state of NODE_STATES) $(`count-${state}`).textContent = formatInt(model.counts[state]);
  const banner = $('approvals-banner');
  banner.hidden = model.waiting.size === 0;
  banner.textContent = `${formatInt(model.waiting.size)} awaiting approval`;
  const t = model.totals;
  const tokens = $('total-tokens');
  tokens.textContent = formatInt(t.tokens);
  tokens.title = `${formatInt(t.inputTokens)} in · ${formatInt(t.outputTokens)} out`;
  tokens.dataset.tokens = String(t.tokens);
  tokens.dataset.inputTokens = String(t.inputTokens);
  tokens.dataset.outputTokens = String(t.outputTokens);
  const cost = $('total-cost');
  cost.textContent = formatUsd(t.costUsd);
  cost.dataset.costUsd = String(t.costUsd);
  $('elapsed').textContent = model.startAt === undefined ? '–' : formatMs(model.summary?.makespanMs ?? (model.lastAt ?? model.startAt) - model.startAt);
  $('events-applied').textContent = formatInt(model.applied);
  const invalid = $('invalid-count');
  invalid.textContent = formatInt(model.rejected);
  invalid.dataset.count = String(model.rejected);
  const cap = model.concurrency === null ? '∞' : model.concurrency === undefined ? '–' : formatInt(model.concurrency);
  $('concurrency').textContent = model.concurrencyLimit !== undefined ? `${cap} · adaptive ${model.concurrencyLimit}` : cap;
}

function drawLists(now: number): void {
  listsDrawnAt = now;
  listsVersion = model.version;
  $('incidents').innerHTML = model.incidents
    .slice(-30)
    .reverse()
    .map((i) => `<li data-kind="${esc(i.kind)}"><time>${formatMs(i.at - (model.startAt ?? i.at))}</time> ${i.nodeId ? `<b>${esc(i.nodeId)}</b> ` : ''}${esc(i.text)}</li>`)
    .join('');
  $('invalid-list').innerHTML = model.rejections
    .slice()
    .reverse()
    .map((r) => `<li><b>${esc(r.type)}</b> ${esc(r.issue)}</li>`)
    .join('');
}

function buildChips(): void {
  $('state-chips').innerHTML = NODE_STATES.map((s) => `<span class="chip" data-state="${s}"><span class="swatch" data-state="${s}"></span>${s} <b id="count-${s}">0</b></span>`).join('');
}

/** A handle for tests and the benchmark: the model and the page's own measurements. */
(window as unknown as { rxoDashboard: unknown }).rxoDashboard = {
  model,
  select,
  decide: postDecision,
  /** Selects a node and brings it into view in the graph and the timeline. */
  jumpTo: (id: string) => finder.jumpTo(id),
  /** Scales the whole graph into view. */
  fit: () => dag.fit(),
  /** The graph's drawn nodes and their centres (undefined while the layout is on its way). */
  placed: () => dag.placed,
  /** Starts the peak figures (max lag, max frame time) over. */
  resetPeaks: () => {
    stats.maxLagMs = 0;
    stats.maxDrawMs = 0;
  },
  stats: () => ({
    ...stats,
    applied: model.applied,
    rejected: model.rejected,
    meanLagMs: stats.batches > 0 ? stats.lagSum / stats.batches : Number.NaN,
    meanDrawMs: stats.frames > 0 ? stats.drawMs / stats.frames : Number.NaN,
    layoutMs: dag.layoutMs,
    status: model.status,
    lastAt: model.lastAt,
  }),
};
