import type { EventOf, NodeView, RunEvent, RunSummary } from '../run/events.js';
import { STATUS_OF_END_EVENT, isNodeEndEvent } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';
import { ownEntry } from '../run/id-record.js';
import { formatError } from './format.js';

/**
 * A node's lifecycle state, as `run.snapshot` names it.
 *
 * ## Example
 * ```ts
 * import type { LiveNodeState } from './live-state.js';
 * const inFlight = (s: LiveNodeState) => s === 'running' || s === 'retrying';
 * ```
 */
export type LiveNodeState = NodeView['state'];

/**
 * All lifecycle states, in the order the views list their counts.
 *
 * ## Example
 * ```ts
 * import { LIVE_NODE_STATES } from './live-state.js';
 * const counts = LIVE_NODE_STATES.map((s) => `${s} ${state.counts[s]}`);
 * ```
 */
export const LIVE_NODE_STATES: readonly LiveNodeState[] = ['succeeded', 'fellBack', 'running', 'retrying', 'queued', 'pending', 'failed', 'timedOut', 'skipped'];

/**
 * One node as the terminal views show it. Mutated in place by {@link LiveRunState.apply}.
 *
 * ## Example
 * ```ts
 * import type { LiveNode } from './live-state.js';
 * const node: LiveNode | undefined = state.nodes.get('plan');
 * node?.attempts; // 2 after one retry
 * ```
 */
export interface LiveNode {
  readonly id: string;
  readonly deps: readonly string[];
  state: LiveNodeState;
  /** Attempts started so far. */
  attempts: number;
  /** When the first attempt started (scheduler ms). */
  startedAt?: number;
  endedAt?: number;
  /** Input + output tokens of the node's model calls so far. */
  tokens: number;
  costUsd: number;
  /** The last error (retrying, failed, timed out, fell back) or why it was skipped. */
  note?: string;
}

/**
 * A run's state for the terminal, folded from its events in O(1) per event: every node, counts
 * by state kept up to date, the nodes in flight (in the order they started) and the failed ones,
 * and totals. Memory is bounded by the graph's size. Views read it; {@link LiveRunState.version}
 * tells them whether anything changed since they last drew.
 *
 * ## Example
 * ```ts
 * import { LiveRunState } from './live-state.js';
 * const state = new LiveRunState();
 * execute(g).subscribe((event) => state.apply(event));
 * state.counts.running; // nodes running now
 * ```
 */
export class LiveRunState {
  runId: string | undefined;
  /** `run.started`'s time. */
  startedAt: number | undefined;
  concurrency: number | undefined;
  /** The time of the latest event. */
  lastAt = 0;
  readonly nodes = new Map<string, LiveNode>();
  /** Nodes in definition order. */
  readonly order: LiveNode[] = [];
  readonly counts: Record<LiveNodeState, number> = zeroCounts();
  /** Nodes running or waiting to retry, in the order they first started. */
  readonly active = new Set<LiveNode>();
  /** Nodes that failed or timed out, in the order they ended. */
  readonly problems: LiveNode[] = [];
  tokens = 0;
  costUsd = 0;
  retries = 0;
  /** Set by `run.completed`. */
  summary: RunSummary | undefined;
  /** Set when the run's spend crossed its budget. */
  budgetExceeded: EventOf<'budget.exceeded'> | undefined;
  /** The pre-run cost estimate `run.started` carried (runs with a budget). */
  costEstimate: EventOf<'run.started'>['costEstimate'];
  /** Grows with every change. */
  version = 0;

  /** Takes one event into account. */
  apply(event: RunEvent): void {
    this.version++;
    this.lastAt = event.at;
    if (isNodeEndEvent(event)) {
      const node = this.nodes.get(event.nodeId);
      if (!node) return;
      node.endedAt = event.at;
      if (event.type === 'node.skipped') node.note = describeSkip(event.cause);
      else {
        node.attempts = event.attempts;
        node.startedAt = event.startedAt;
        node.note = event.type === 'node.succeeded' ? undefined : formatError(event.error); // a success clears the last retry's error
      }
      this.#move(node, STATUS_OF_END_EVENT[event.type]);
      return;
    }
    switch (event.type) {
      case 'run.started':
        this.#reset(event.runId, event.at, event.concurrency ?? Infinity, event.nodes);
        this.costEstimate = event.costEstimate;
        return;
      case 'run.snapshot':
        this.#fromSnapshot(event);
        return;
      case 'run.completed':
        this.summary = event.summary;
        return;
      case 'budget.exceeded':
        this.budgetExceeded = event;
        return;
      case 'node.queued':
        this.#withNode(event.nodeId, (node) => this.#move(node, 'queued'));
        return;
      case 'node.started':
        this.#withNode(event.nodeId, (node) => {
          node.attempts = event.attempt;
          node.startedAt ??= event.at;
          this.#move(node, 'running');
        });
        return;
      case 'node.retrying':
        this.retries++;
        this.#withNode(event.nodeId, (node) => {
          node.note = formatError(event.error);
          this.#move(node, 'retrying');
        });
        return;
      case 'node.usage': {
        const tokens = event.usage.inputTokens + event.usage.outputTokens;
        this.tokens += tokens;
        this.costUsd += event.costUsd;
        this.#withNode(event.nodeId, (node) => {
          node.tokens += tokens;
          node.costUsd += event.costUsd;
        });
        return;
      }
      default:
        return;
    }
  }

  /** How many nodes have ended (any way). */
  get ended(): number {
    const c = this.counts;
    return c.succeeded + c.fellBack + c.failed + c.timedOut + c.skipped;
  }

  #withNode(id: string, change: (node: LiveNode) => void): void {
    const node = this.nodes.get(id);
    if (node) change(node);
  }

  #move(node: LiveNode, state: LiveNodeState): void {
    if (node.state === state) return;
    this.counts[node.state]--;
    this.counts[state]++;
    node.state = state;
    if (state === 'running' || state === 'retrying') this.active.add(node);
    else this.active.delete(node);
    if (state === 'failed' || state === 'timedOut') this.problems.push(node);
  }

  #reset(runId: string, at: number, concurrency: number | undefined, nodes: readonly { id: string; deps: readonly string[] }[]): void {
    this.runId = runId;
    this.startedAt = at;
    this.concurrency = concurrency;
    this.nodes.clear();
    this.order.length = 0;
    this.active.clear();
    this.problems.length = 0;
    Object.assign(this.counts, zeroCounts());
    this.tokens = this.costUsd = this.retries = 0;
    for (const info of nodes) {
      const node: LiveNode = { id: info.id, deps: info.deps, state: 'pending', attempts: 0, tokens: 0, costUsd: 0 };
      this.nodes.set(info.id, node);
      this.order.push(node);
    }
    this.counts.pending = this.order.length;
  }

  /** A late start: the state so far from a shared run's `run.snapshot`. */
  #fromSnapshot(event: EventOf<'run.snapshot'>): void {
    this.#reset(event.runId, event.at, undefined, event.nodes);
    for (const node of this.order) {
      const view = ownEntry(event.states, node.id);
      if (!view) continue;
      node.attempts = view.attempts;
      if (view.startedAt !== undefined) node.startedAt = view.startedAt;
      if (view.endedAt !== undefined) node.endedAt = view.endedAt;
      node.tokens = view.tokens ?? 0;
      node.costUsd = view.costUsd ?? 0;
      this.tokens += node.tokens;
      this.costUsd += node.costUsd;
      this.#move(node, view.state);
    }
    for (const end of event.ended) {
      const node = this.nodes.get(end.nodeId);
      if (!node) continue;
      node.note = end.type === 'node.skipped' ? describeSkip(end.cause) : end.type === 'node.succeeded' ? undefined : formatError(end.error);
    }
    let first = Infinity;
    for (const node of this.order) if (node.startedAt !== undefined && node.startedAt < first) first = node.startedAt;
    if (first !== Infinity) this.startedAt = first;
    if (event.summary) this.summary = event.summary;
  }
}

function zeroCounts(): Record<LiveNodeState, number> {
  return { pending: 0, queued: 0, running: 0, retrying: 0, succeeded: 0, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 };
}
