/**
 * The dashboard page: receives the run's events over Server-Sent Events (batches of JSON events, read by `EventStream`),
 * validates each one with the published `RunEventSchema` (zod, the same module the library uses),
 * applies the valid ones to the in-memory model (in turns of a few ms, frames drawn in between) and
 * counts the others, and redraws at most once per animation frame (each view throttles itself further).
 */
import { RunEventSchema } from '../../run/events.js';
import { DagView } from './dag-view.js';
import { DetailView } from './detail-view.js';
import { EventStream } from './event-stream.js';
import { Finder } from './finder.js';
import { esc, formatInt, formatMs, formatUsd } from './format.js';
import { GanttView } from './gantt-view.js';
import { MetricsView } from './metrics-view.js';
import { warmUp } from './warm-up.js';
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
  /** When (page clock, ms) the stream first opened, its first batch (the snapshot, for a late page) arrived and how long it was, and when that was applied. */
  join: {} as { open?: number; firstBatch?: number; firstBytes?: number; firstApplied?: number },
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

const source = new EventStream('/events', {
  open: () => {
    stats.connects += 1; // more than one: the server cut a page that fell behind, and it resynced from a snapshot
    stats.join.open ??= performance.now();
    setStream('open');
  },
  error: (retrying) => {
    if (stats.stream !== 'ended') setStream(retrying ? 'reconnecting' : 'ended');
  },
  message: ({ type, data }) => {
    if (type === 'batch') {
      if (stats.join.firstBatch === undefined) {
        stats.join.firstBatch = performance.now();
        stats.join.firstBytes = data.length;
      }
      receive(() => onBatch(data));
    } else if (type === 'end') {
      source.close();
      receive(() => {
        const { error } = JSON.parse(data) as { error?: string };
        stats.endError = error;
        setStream('ended');
        return false;
      });
    }
  },
});

warmUp(); // while the stream opens and the server sends what happened so far

/**
 * What the stream brought and the page has not applied yet, in order. It is applied in turns of
 * about {@link TURN_MS} so frames get drawn in between, and after a snapshot the next turn waits for
 * a frame: a page that joins late draws the run as soon as its snapshot is applied, instead of after
 * the events that queued up meanwhile (at 20k events/s, ~300 ms of them behind a 10,000-node snapshot).
 */
const inbox: (() => boolean)[] = [];
const TURN_MS = 8;
const turns = new MessageChannel();
let turnPending = false;

/** Queues what applies a message: true when it applied a snapshot. */
function receive(apply: () => boolean): void {
  inbox.push(apply);
  if (!turnPending) nextTurn();
}

function nextTurn(): void {
  turnPending = true;
  turns.port2.postMessage(null);
}

turns.port1.onmessage = () => {
  const until = performance.now() + TURN_MS;
  let joined = false;
  while (inbox.length > 0 && !joined && performance.now() < until) joined = applyNext();
  if (inbox.length === 0) turnPending = false;
  else if (joined) afterFrame(nextTurn);
  else nextTurn();
};

/** Applies the oldest thing received; one that throws (a bug, not bad input: that is rejected before) is counted among the rejected and the rest goes on (the pump never stops on it). */
function applyNext(): boolean {
  try {
    return inbox.shift()!();
  } catch (error) {
    model.reject({ type: '(page error)', issue: error instanceof Error ? error.message : String(error) });
    requestFrame();
    return false;
  }
}

/**
 * Runs `fn` once the next frame has been drawn (a message posted from a frame callback runs after
 * that frame), or after 100 ms at most: a hidden tab draws no frames, and must not stop applying.
 */
function afterFrame(fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(once);
  // eslint-disable-next-line no-restricted-globals -- the browser page's own clock (no scheduler here)
  setTimeout(once, 100);
}

/** Applies a batch of events; true when it held a snapshot (the run joined or resynced). */
function onBatch(data: string): boolean {
  let batch: { t: number; events: unknown[] };
  try {
    batch = JSON.parse(data) as { t: number; events: unknown[] };
  } catch {
    model.reject({ type: '(not JSON)', issue: 'the batch is not JSON' });
    requestFrame();
    return false;
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
  stats.join.firstApplied ??= performance.now();
  requestFrame();
  return joined;
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
  gantt.draw(model, started);
  metrics.draw(model, started);
  finder.draw(started);
  detail.draw(model, selected);
  drawHeader();
  const ms = performance.now() - started;
  stats.frames += 1;
  stats.drawMs += ms;
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
