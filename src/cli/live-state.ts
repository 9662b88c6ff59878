import type { EventOf, RunEvent, RunSummary } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';
import { NodeTemplate, RunState, type NodeState, type TrackedNode } from '../run/run-state.js';
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
export type LiveNodeState = NodeState;

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
 * One node as the terminal views show it: the run's node record ({@link TrackedNode}: state,
 * attempts, times, tokens, cost), plus the line's note. Updated in place by
 * {@link LiveRunState.apply}. Once the node ended, `attempts` and `startedAt` are the end event's.
 *
 * ## Example
 * ```ts
 * import type { LiveNode } from './live-state.js';
 * const node: LiveNode | undefined = state.nodes.get('plan');
 * node?.attempts; // 2 after one retry
 * ```
 */
export interface LiveNode extends TrackedNode {
  /** The last error (retrying, failed, timed out, fell back) or why it was skipped. */
  note?: string | undefined;
}

/** A {@link LiveNode} before its first event (the run's reducer copies it for each node). */
class LiveNodeTemplate extends NodeTemplate implements LiveNode {
  declare note: string | undefined;

  constructor() {
    super();
    this.note = undefined;
  }
}

/**
 * A run's state for the terminal, folded from its events in O(1) per event by the run's one
 * reducer ({@link RunState}): every node, counts by state kept up to date, totals; on top of it,
 * the nodes in flight (in the order they started), the failed ones, and each node's note. Memory
 * is bounded by the graph's size. Views read it; {@link LiveRunState.version} tells them whether
 * anything changed since they last drew.
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
  /** Nodes running or waiting to retry, in the order they first started. */
  readonly active = new Set<LiveNode>();
  /** Nodes that failed or timed out, in the order they ended. */
  readonly problems: LiveNode[] = [];
  readonly #run = new RunState<LiveNode>({
    template: new LiveNodeTemplate(),
    onReset: () => {
      this.active.clear();
      this.problems.length = 0;
    },
    onMove: (node) => {
      const state = node.state;
      if (state === 'running' || state === 'retrying') this.active.add(node);
      else this.active.delete(node);
      if (state === 'failed' || state === 'timedOut') this.problems.push(node);
    },
    unknownNodes: 'ignore', // the terminal lists the graph's nodes
  });

  get runId(): string | undefined {
    return this.#run.runId;
  }
  /** `run.started`'s time (a snapshot's earliest start). */
  get startedAt(): number | undefined {
    return this.#run.startedAt;
  }
  /** The run's concurrency cap (Infinity when unbounded); undefined when joined from a snapshot. */
  get concurrency(): number | undefined {
    const cap = this.#run.concurrency;
    return cap === null ? Infinity : cap;
  }
  /** The time of the latest event. */
  get lastAt(): number {
    return this.#run.lastAt ?? 0;
  }
  get nodes(): ReadonlyMap<string, LiveNode> {
    return this.#run.nodes;
  }
  /** Nodes in definition order. */
  get order(): readonly LiveNode[] {
    return this.#run.order;
  }
  get counts(): Readonly<Record<LiveNodeState, number>> {
    return this.#run.counts;
  }
  get tokens(): number {
    return this.#run.totals.tokens;
  }
  get costUsd(): number {
    return this.#run.totals.costUsd;
  }
  get retries(): number {
    return this.#run.totals.retries;
  }
  /** Set by `run.completed`. */
  get summary(): RunSummary | undefined {
    return this.#run.summary;
  }
  /** Set when the run's spend crossed its budget. */
  get budgetExceeded(): EventOf<'budget.exceeded'> | undefined {
    return this.#run.budgetExceeded;
  }
  /** The pre-run cost estimate `run.started` carried (runs with a budget). */
  get costEstimate(): EventOf<'run.started'>['costEstimate'] {
    return this.#run.costEstimate;
  }
  /** Grows with every change. */
  get version(): number {
    return this.#run.version;
  }

  /** Takes one event into account. */
  apply(event: RunEvent): void {
    const node = this.#run.apply(event);
    if (node !== undefined) {
      switch (event.type) {
        case 'node.retrying':
          node.note = formatError(event.error);
          break;
        case 'node.skipped':
          node.note = describeSkip(event.cause);
          break;
        case 'node.succeeded':
        case 'node.failed':
        case 'node.timedOut':
        case 'node.fellBack':
          node.attempts = event.attempts;
          node.startedAt = event.startedAt;
          node.note = event.type === 'node.succeeded' ? undefined : formatError(event.error); // a success clears the last retry's error
          break;
        default:
          break;
      }
    } else if (event.type === 'run.snapshot') {
      for (const end of event.ended) {
        const ended = this.#run.nodes.get(end.nodeId);
        if (ended) ended.note = end.type === 'node.skipped' ? describeSkip(end.cause) : end.type === 'node.succeeded' ? undefined : formatError(end.error);
      }
    }
  }

  /** How many nodes have ended (any way). */
  get ended(): number {
    const c = this.#run.counts;
    return c.succeeded + c.fellBack + c.failed + c.timedOut + c.skipped;
  }
}
