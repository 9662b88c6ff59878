import type { EventOf, RunEvent, RunSummary } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';
import { NodeTemplate, RunState, emptyStateCounts, parentFromId, type NodeState, type TrackedNode } from '../run/run-state.js';
import { formatError } from './format.js';
import { payloadPreview, type LiveGroup } from './live-groups.js';

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
export const LIVE_NODE_STATES: readonly LiveNodeState[] = ['waiting', 'succeeded', 'fellBack', 'running', 'retrying', 'queued', 'pending', 'failed', 'timedOut', 'skipped'];

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
  /** The last error (retrying, failed, timed out, fell back), why it was skipped, or what it waits for approval of. */
  note?: string | undefined;
  /** For a node a fan-out or subgraph added (`node.expanded`): that node's id. */
  parent?: string | undefined;
  /** While it waits for a decision (`node.waiting`): what the person is asked to approve. */
  payload?: unknown;
}

/** A {@link LiveNode} before its first event (the run's reducer copies it for each node). */
class LiveNodeTemplate extends NodeTemplate implements LiveNode {
  declare note: string | undefined;
  declare parent: string | undefined;
  declare payload: unknown;

  constructor() {
    super();
    this.note = undefined;
    this.parent = undefined;
    this.payload = undefined;
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
  /** Nodes waiting for a decision (`node.waiting`), in the order they asked. */
  readonly waiting = new Set<LiveNode>();
  /** The graph's own nodes (no parent), in definition order: the rows a grouped view starts from. */
  readonly roots: LiveNode[] = [];
  /** The children of each fan-out or subgraph node (by its id), with counts by state. */
  readonly groups = new Map<string, LiveGroup<LiveNode>>();
  /** Nodes added by the event being applied, whose parent is set once it is (see `apply`). */
  readonly #added: LiveNode[] = [];
  readonly #run = new RunState<LiveNode>({
    template: new LiveNodeTemplate(),
    extend: (node) => {
      this.#added.push(node);
    },
    onReset: () => {
      this.active.clear();
      this.problems.length = 0;
      this.waiting.clear();
      this.roots.length = 0;
      this.groups.clear();
    },
    onMove: (node, from) => {
      const state = node.state;
      if (state === 'running' || state === 'retrying') this.active.add(node);
      else this.active.delete(node);
      if (state === 'failed' || state === 'timedOut') this.problems.push(node);
      if (state === 'waiting') this.waiting.add(node);
      else if (from === 'waiting') this.waiting.delete(node);
      if (node.parent !== undefined) {
        const counts = this.groups.get(node.parent)?.counts;
        if (counts) {
          counts[from] -= 1;
          counts[state] += 1;
        }
      }
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
    if (this.#added.length > 0) this.#place(event);
    if (node !== undefined) {
      switch (event.type) {
        case 'node.expanded': {
          const group = this.groups.get(node.id);
          if (group) group.kind = event.kind;
          break;
        }
        case 'node.waiting':
          node.payload = event.payload;
          node.note = `asks: ${payloadPreview(event.payload)}${event.timeoutMs === null ? '' : ` (decide within ${formatWait(event.timeoutMs)})`}`;
          break;
        case 'node.decided':
          node.payload = undefined;
          node.note = `${event.approve ? 'approved' : 'rejected'}${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
          break;
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
          node.payload = undefined;
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

  /**
   * Gives the nodes the last event added their place: a child of the fan-out or subgraph that
   * expanded (`node.expanded` says which), or, from a snapshot (which does not), of the node its id
   * extends (`explore[3]` → `explore`); else a root.
   */
  #place(event: RunEvent): void {
    const parentOf = event.type === 'node.expanded' ? new Map(event.nodes.map((info) => [info.id, info.parent])) : undefined;
    const isNode = (id: string) => this.#run.nodes.has(id);
    for (const node of this.#added) {
      const parent = parentOf ? parentOf.get(node.id) : parentFromId(node.id, isNode);
      if (parent === undefined || !isNode(parent)) {
        this.roots.push(node);
        continue;
      }
      node.parent = parent;
      let group = this.groups.get(parent);
      if (!group) {
        group = { id: parent, kind: event.type === 'node.expanded' ? event.kind : undefined, children: [], counts: emptyStateCounts() };
        this.groups.set(parent, group);
      }
      group.children.push(node);
      group.counts[node.state] += 1;
    }
    this.#added.length = 0;
  }

  /** How many nodes have ended (any way). */
  get ended(): number {
    const c = this.#run.counts;
    return c.succeeded + c.fellBack + c.failed + c.timedOut + c.skipped;
  }
}

/** A wait as `2m00s`/`30.00s`, for an approval's deadline. */
const formatWait = (ms: number): string => (ms < 60_000 ? `${(ms / 1000).toFixed(0)}s` : `${Math.round(ms / 60_000)}m`);
