import type { EventOf, NodeEndEvent, NodeView, RunEvent } from './events.js';

/** An event a node's history may hold (any but `run.snapshot`). */
type HistoryEvent = Exclude<RunEvent, EventOf<'run.snapshot'>>;
import { idRecord } from './id-record.js';
import { NodeTemplate, RunState, VIEW_BOUNDS, nodeViewOf, type NodeInfo } from './run-state.js';

/** Bounds of a {@link RunTracker}: what a `run.snapshot` may carry at most. */
export interface RunTrackerOptions {
  /** Events kept per node in its history (the oldest dropped first, and counted). @default 256 */
  maxHistoryPerNode?: number;
  /**
   * Events kept in all nodes' histories: past it, the nodes that ended first keep only their last
   * 8 events (the rest counted as cut). @default 200_000
   */
  maxHistoryTotal?: number;
  /** Characters of streamed text kept per node (its tail). @default 16_000 */
  maxTextPerNode?: number;
  /** Characters of streamed text kept over all nodes (the least recent streamers' text dropped first). @default 2_000_000 */
  maxTextTotal?: number;
  /** Durations kept per agent and per tool for the tallies (a ring past this). @default 20_000 */
  maxDurations?: number;
  /**
   * Called with a node whose view changed because of an event about another node (its text evicted,
   * its history trimmed): for a serializer that keeps what did not change (see {@link RunTracker.snapshotParts}).
   * Every other change of a node's view comes with an event whose `nodeId` is that node. @default none
   */
  onCut?: (nodeId: string) => void;
}

/** The parts of a `run.snapshot`, for a serializer that keeps what did not change (the dashboard's). */
export interface SnapshotParts {
  /** Every field of the snapshot but `states` (`nodes` and `ended` hold the same entry objects until they change). */
  readonly head: Omit<EventOf<'run.snapshot'>, 'states'>;
  /** The ids of `states`, in its order (a live array: read it at once). */
  readonly ids: readonly string[];
  /** `snapshot().states[id]`, built for this node alone. */
  view(id: string): NodeView;
}

/** The bounds a tracker keeps within unless told otherwise (the dashboard page's own, so a page joined late shows what one connected from the start shows). */
export const DEFAULT_TRACKER_BOUNDS: Required<Omit<RunTrackerOptions, 'onCut'>> = {
  maxHistoryPerNode: 256,
  maxHistoryTotal: 200_000,
  ...VIEW_BOUNDS,
};

/** A node's history is trimmed to this many events when the run's total is over its bound. */
const TRIMMED_HISTORY = 8;

/** A tracked node and its recent events. */
class TrackerNode extends NodeTemplate {
  declare history: HistoryEvent[] | undefined;
  declare historyCut: number;
  constructor() {
    super();
    this.history = undefined;
    this.historyCut = 0;
  }
}

/**
 * Folds a run's events into its state so far (through the run's one reducer, the same the CLI's
 * live view, the dashboard and `runMetrics` fold with) and tells it as a `run.snapshot`: per node
 * its state, attempts, times, tokens in and out, cost, retries, cache hits, agent steps and tool
 * calls, the tail of its streamed text and its recent events (starts, retries with their backoff,
 * rate-limit waits, agent steps, tool calls, approvals); each ended node's end event; the run's
 * totals, per-agent and per-tool tallies, concurrency, cost estimate, budget stop and summary. A
 * view that starts from that snapshot shows what a view that saw every event shows, within the
 * bounds ({@link RunTrackerOptions}; the snapshot says what was cut: `textCut`, `historyCut`).
 * Memory is bounded by the graph's size and those bounds, not by the number of events.
 * A `run.snapshot` applied to it (a run joined late) is the state it starts from.
 *
 * ## Example
 * ```ts
 * import { RunTracker } from 'rx-orchestra';
 * const tracker = new RunTracker();
 * execute(g).subscribe((event) => tracker.apply(event));
 * const snapshot = tracker.snapshot();
 * snapshot?.states.outline.state; // 'running'
 * snapshot?.states.outline.text; // what it streamed so far
 * ```
 */
export class RunTracker {
  readonly #bounds: Required<Omit<RunTrackerOptions, 'onCut'>>;
  readonly #onCut: ((nodeId: string) => void) | undefined;
  readonly #state: RunState<TrackerNode>;
  #infos: { graph: readonly NodeInfo[]; byId: Map<string, NodeInfo> } | undefined;
  /** Events in all histories now. */
  #historyTotal = 0;
  /** How far `state.ended` has been trimmed (the nodes that ended first are trimmed first). */
  #trimmed = 0;

  constructor(options: RunTrackerOptions = {}) {
    const { onCut, ...limits } = options;
    const bounds = (this.#bounds = { ...DEFAULT_TRACKER_BOUNDS, ...limits });
    this.#onCut = onCut;
    this.#state = new RunState<TrackerNode>({
      template: new TrackerNode(),
      keepEnds: true,
      tallies: { agentsFrom: 'anyEvent', tools: true, maxDurations: bounds.maxDurations, maxRoutedAround: 200 },
      text: { maxPerNode: bounds.maxTextPerNode, maxTotal: bounds.maxTextTotal, onEvict: onCut && ((node) => onCut(node.id)) },
      onReset: () => {
        this.#historyTotal = 0;
        this.#trimmed = 0;
      },
    });
  }

  /** Takes one event into account. */
  apply(event: RunEvent): void {
    const node = this.#state.apply(event);
    if (event.type === 'run.snapshot') this.#historiesFrom(event);
    else if (node !== undefined && keptInHistory(event)) this.#remember(node, event);
  }

  /** The state so far as a `run.snapshot` event; undefined before `run.started` (or a `run.snapshot`). */
  snapshot(): EventOf<'run.snapshot'> | undefined {
    const parts = this.snapshotParts();
    if (!parts) return undefined;
    return { ...parts.head, states: idRecord(parts.ids.map((id) => [id, parts.view(id)] as const)) };
  }

  /** The event that ended the node (its value, error, fallback or skip cause), or undefined while it has not ended. */
  endOf(nodeId: string): NodeEndEvent | undefined {
    return this.#state.nodes.get(nodeId)?.end;
  }

  /** The parts of {@link snapshot}, for a serializer that rebuilds only the nodes that changed; undefined before the run started. */
  snapshotParts(): SnapshotParts | undefined {
    const state = this.#state;
    if (state.runId === undefined) return undefined;
    const head: Omit<EventOf<'run.snapshot'>, 'states'> = {
      type: 'run.snapshot',
      runId: state.runId,
      at: state.lastAt ?? 0,
      nodes: state.graph as NodeInfo[], // the run's own list, as run.started carried it
      ended: state.ended.map((node) => node.end!),
      totals: { ...state.totals },
      tallies: {
        agents: [...state.agents.values()].map((t) => ({ ...t, durations: t.durations.slice() })),
        tools: [...state.tools.values()].map((t) => ({ ...t, durations: t.durations.slice() })),
        routing: { ...state.routing },
        routedAround: state.routedAround.slice(),
      },
      bounds: { maxHistoryPerNode: this.#bounds.maxHistoryPerNode, maxTextPerNode: this.#bounds.maxTextPerNode, maxTextTotal: this.#bounds.maxTextTotal },
    };
    if (state.concurrency !== undefined) head.concurrency = state.concurrency;
    if (state.concurrencyLimit !== undefined) head.concurrencyLimit = state.concurrencyLimit;
    if (state.costEstimate) head.costEstimate = state.costEstimate;
    if (state.budgetExceeded) head.budgetExceeded = state.budgetExceeded;
    if (state.summary) head.summary = state.summary;
    return {
      head,
      ids: state.order.map((node) => node.id),
      view: (id) => {
        const node = state.nodes.get(id);
        if (!node) throw new Error(`RunTracker.snapshotParts: no node ${id}`);
        const view = nodeViewOf(node, this.#infoOf(id));
        if (node.history) view.history = node.history.slice();
        if (node.historyCut > 0) view.historyCut = node.historyCut;
        return view;
      },
    };
  }

  /** A node's entry in the graph's list (the index is rebuilt when the list changes: a new run, an expansion). */
  #infoOf(id: string): NodeInfo | undefined {
    const graph = this.#state.graph;
    if (this.#infos?.graph !== graph) this.#infos = { graph, byId: new Map(graph.map((info) => [info.id, info] as const)) };
    return this.#infos.byId.get(id);
  }

  #remember(node: TrackerNode, event: HistoryEvent): void {
    const history = (node.history ??= []);
    history.push(event);
    if (history.length > this.#bounds.maxHistoryPerNode) {
      history.shift();
      node.historyCut += 1;
    } else this.#historyTotal += 1;
    if (this.#historyTotal > this.#bounds.maxHistoryTotal) this.#trim(node);
  }

  /** The run's histories are over their bound: the nodes that ended first keep their last few events (failing that, this node does). */
  #trim(current: TrackerNode): void {
    const ended = this.#state.ended;
    while (this.#historyTotal > this.#bounds.maxHistoryTotal && this.#trimmed < ended.length) this.#cut(ended[this.#trimmed++]!);
    if (this.#historyTotal > this.#bounds.maxHistoryTotal) this.#cut(current);
  }

  #cut(node: TrackerNode): void {
    const history = node.history;
    if (!history || history.length <= TRIMMED_HISTORY) return;
    const cut = history.length - TRIMMED_HISTORY;
    history.splice(0, cut);
    node.historyCut += cut;
    this.#historyTotal -= cut;
    this.#onCut?.(node.id);
  }

  /** A snapshot started the state: its nodes' histories are where they go on from. */
  #historiesFrom(snapshot: EventOf<'run.snapshot'>): void {
    for (const [id, view] of Object.entries(snapshot.states)) {
      const node = this.#state.nodes.get(id);
      if (!node) continue;
      if (view.history) {
        node.history = view.history.slice(-this.#bounds.maxHistoryPerNode);
        this.#historyTotal += node.history.length;
      }
      node.historyCut = (view.historyCut ?? 0) + (view.history ? view.history.length - node.history!.length : 0);
    }
  }
}

/** What a node's history keeps: its events but streamed text and thinking, usage (counted), `node.queued`, `node.expanded` (its children are listed) and its end (kept apart). */
function keptInHistory(event: RunEvent): event is HistoryEvent {
  switch (event.type) {
    case 'node.token':
    case 'node.thinking':
    case 'node.usage':
    case 'node.queued':
    case 'node.expanded':
    case 'node.succeeded':
    case 'node.failed':
    case 'node.timedOut':
    case 'node.fellBack':
    case 'node.skipped':
    case 'run.started':
    case 'run.completed':
    case 'run.snapshot':
      return false;
    default:
      return true;
  }
}
