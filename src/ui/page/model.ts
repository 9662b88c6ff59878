/**
 * The dashboard's in-memory model of a run: events are applied to it as they arrive (cheap, no
 * DOM), and the views draw from it at most once per frame. Every collection is bounded: per node,
 * the streamed text, the Gantt bars and the wait marks are capped, and so are the incidents and
 * the rejected events; the rest is one record per node and per agent. Runs in the browser and in
 * Node (for unit tests).
 */
import type { EventOf, NodeEndEvent, NodeView, RunEvent, RunSummary } from '../../run/events.js';

/** A node's lifecycle state, as in `run.snapshot`. */
export type NodeState = NodeView['state'];

/** Every node state, in the order the legend shows them. */
export const NODE_STATES: readonly NodeState[] = ['pending', 'queued', 'running', 'retrying', 'succeeded', 'fellBack', 'failed', 'timedOut', 'skipped'];

/** How one attempt ended; `retried` when it failed and another attempt followed. */
export type BarOutcome = 'running' | 'retried' | 'succeeded' | 'failed' | 'timedOut' | 'fellBack' | 'cancelled';

/** One attempt of a node on the Gantt timeline (scheduler ms). */
export interface Bar {
  attempt: number;
  start: number;
  end: number | undefined;
  outcome: BarOutcome;
  /** Rebuilt from a snapshot: one bar from the first start to the end, attempts not told apart. */
  approx?: boolean;
}

/** A wait on the timeline: a retry's backoff, or the rate limiter holding a call. */
export interface Wait {
  kind: 'retry' | 'ratelimit';
  attempt: number;
  start: number;
  ms: number;
  /** The error that was retried, or what the limiter waited for. */
  detail: string;
}

/** What the page knows about one node. */
export interface NodeModel {
  readonly id: string;
  /** Position in the graph's definition order. */
  readonly index: number;
  readonly deps: readonly string[];
  /** `meta.agent`, else the node id. */
  readonly agent: string;
  state: NodeState;
  attempts: number;
  firstStart: number | undefined;
  endedAt: number | undefined;
  durationMs: number | undefined;
  bars: Bar[];
  waits: Wait[];
  /** Bars and waits dropped by the per-node cap (oldest first). */
  dropped: number;
  inputTokens: number;
  outputTokens: number;
  /** Input + output tokens (a snapshot tells only the sum). */
  tokens: number;
  costUsd: number;
  /** Model calls answered from the response cache. */
  cacheHits: number;
  /** The tail of the streamed text (`node.token`), at most `maxTextPerNode` characters. */
  text: string;
  /** Characters streamed in all. */
  streamedChars: number;
  /** Text was cut to its tail, or dropped to keep the page's total within bounds. */
  textCut: 'no' | 'tail' | 'evicted';
  error: string | undefined;
  /** The node's value, as JSON, maybe cut by the server. */
  value: string | undefined;
  fallback: { via: number; reason: string } | undefined;
  skipped: string | undefined;
  /** Bumped on every change, so a view can tell whether to redraw. */
  version: number;
}

/** Per-agent figures, with the same meaning as `runMetrics`'s. */
export interface AgentStats {
  readonly agent: string;
  calls: number;
  succeeded: number;
  failures: number;
  retries: number;
  fellBack: number;
  /** Durations of ended executions (ms), the latest `maxDurationsPerAgent`. */
  durations: number[];
  durationCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Something worth a look: a retry, a failure, a fallback, an open circuit, a budget stop. */
export interface Incident {
  at: number;
  nodeId: string | undefined;
  kind: string;
  text: string;
}

/** An event the page refused: its `type` (if any) and the schema's complaint. */
export interface Rejection {
  type: string;
  issue: string;
}

/** Bounds of the model. */
export interface ModelLimits {
  maxTextPerNode: number;
  maxTextTotal: number;
  maxMarksPerNode: number;
  maxIncidents: number;
  maxRejections: number;
  maxDurationsPerAgent: number;
}

/** The bounds used unless told otherwise. */
export const DEFAULT_LIMITS: ModelLimits = {
  maxTextPerNode: 16_000,
  maxTextTotal: 2_000_000,
  maxMarksPerNode: 64,
  maxIncidents: 200,
  maxRejections: 20,
  maxDurationsPerAgent: 20_000,
};

/** Totals of the run so far. */
export interface Totals {
  calls: number;
  /** Model calls answered from the response cache, and what they would have cost. */
  cacheHits: number;
  savedUsd: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  costUsd: number;
}

const STATE_OF_END = {
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.timedOut': 'timedOut',
  'node.fellBack': 'fellBack',
  'node.skipped': 'skipped',
} as const;

/** The run as the page sees it. */
export class DashboardModel {
  readonly limits: ModelLimits;
  runId: string | undefined;
  status: 'waiting' | 'running' | 'completed' = 'waiting';
  startAt: number | undefined;
  /** The latest event time (the run's "now"). */
  lastAt: number | undefined;
  summary: RunSummary | undefined;
  /** The run's concurrency cap; null when unbounded. */
  concurrency: number | null | undefined;
  /** The adaptive concurrency limit, when the model reports it. */
  concurrencyLimit: number | undefined;
  nodes = new Map<string, NodeModel>();
  /** Nodes in definition order. */
  order: NodeModel[] = [];
  /** Nodes that have started, by first start: the Gantt's rows. */
  rows: NodeModel[] = [];
  agents = new Map<string, AgentStats>();
  counts = emptyCounts();
  totals: Totals = { calls: 0, cacheHits: 0, savedUsd: 0, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0 };
  /** Seed 004: requests handled by a top-level supervisor and the routing calls they took. */
  routing = { requests: 0, calls: 0 };
  /** Failures that did not fail the work: a fallback answered, or a supervisor routed elsewhere. */
  routedAround: { nodeId: string; agent: string; how: 'fallback' | 'rerouted'; error: string }[] = [];
  incidents: Incident[] = [];
  rejections: Rejection[] = [];
  /** Events applied and refused so far. */
  applied = 0;
  rejected = 0;
  /** Bumped on every change. */
  version = 0;
  /** Bumped when the graph changes (a new run, a snapshot): the layout must be redone. */
  structure = 0;
  /** A node whose text is never evicted (the one the user is reading). */
  pinned: string | undefined;
  readonly #dirty = new Set<NodeModel>();
  readonly #textHolders = new Set<NodeModel>();
  #textTotal = 0;
  readonly #failedWorkers = new Map<string, { worker: string; error: string }>();

  constructor(limits: Partial<ModelLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Nodes changed since the last call (for the graph's colours). */
  drainDirty(): NodeModel[] {
    const nodes = [...this.#dirty];
    this.#dirty.clear();
    return nodes;
  }

  /** Counts an event the schema refused. */
  reject(rejection: Rejection): void {
    this.rejected += 1;
    this.rejections.push(rejection);
    if (this.rejections.length > this.limits.maxRejections) this.rejections.shift();
    this.version += 1;
  }

  /** Applies one (validated) event. */
  apply(event: RunEvent): void {
    this.applied += 1;
    this.version += 1;
    if (event.type === 'run.snapshot') return this.#applySnapshot(event);
    if (event.type === 'run.started') return this.#reset(event.runId, event.nodes, event.at, event.concurrency);
    if (event.at > (this.lastAt ?? -Infinity)) this.lastAt = event.at;
    switch (event.type) {
      case 'run.completed':
        this.summary = event.summary;
        this.status = 'completed';
        return;
      case 'budget.exceeded':
        return this.#incident(event.at, event.nodeId, 'budget', `budget exceeded: $${event.spentUsd.toFixed(4)} of $${event.maxUsd}`);
      default:
        break;
    }
    const node = this.nodes.get(event.nodeId) ?? this.#unknownNode(event.nodeId);
    const agent = this.#agent(node.agent);
    switch (event.type) {
      case 'node.queued':
        this.#setState(node, 'queued');
        break;
      case 'node.started':
        this.#setState(node, 'running');
        node.attempts = event.attempt;
        if (node.firstStart === undefined) {
          node.firstStart = event.at;
          this.rows.push(node);
        }
        this.#closeBar(node, 'cancelled', event.at);
        this.#mark(node, node.bars, { attempt: event.attempt, start: event.at, end: undefined, outcome: 'running' });
        if (event.attempt > 1 && node.text !== '') this.#appendText(node, `\n\n[attempt ${event.attempt}]\n`, false);
        agent.calls += 1;
        this.totals.calls += 1;
        break;
      case 'node.retrying':
        this.#setState(node, 'retrying');
        this.#closeBar(node, 'retried', event.at);
        this.#mark(node, node.waits, { kind: 'retry', attempt: event.attempt, start: event.at, ms: event.delayMs, detail: event.error.message });
        node.error = event.error.message;
        agent.retries += 1;
        this.#incident(event.at, node.id, 'retry', `attempt ${event.attempt} failed (${event.error.code ?? event.error.name}): ${event.error.message}; retry in ${Math.round(event.delayMs)} ms`);
        break;
      case 'ratelimit.waiting':
        this.#mark(node, node.waits, { kind: 'ratelimit', attempt: event.attempt, start: event.at, ms: event.waitMs, detail: `${event.limitedBy}, ${event.queued} queued` });
        break;
      case 'node.token':
        this.#appendText(node, event.text);
        break;
      case 'node.usage': {
        const { inputTokens, outputTokens } = event.usage;
        for (const t of [node, agent, this.totals]) {
          t.inputTokens += inputTokens;
          t.outputTokens += outputTokens;
          t.costUsd += event.costUsd;
        }
        node.tokens += inputTokens + outputTokens;
        this.totals.tokens += inputTokens + outputTokens;
        break;
      }
      case 'concurrency.changed':
        this.concurrencyLimit = event.limit;
        break;
      case 'circuit.opened':
      case 'circuit.halfOpened':
      case 'circuit.closed':
        this.#incident(event.at, node.id, event.type, `${event.breaker}: ${event.type.slice('circuit.'.length)}${event.failures === undefined ? '' : ` after ${event.failures} failures`}`);
        break;
      case 'supervisor.routed': {
        const failed = this.#failedWorkers.get(event.supervisor);
        if (failed && event.next !== failed.worker && event.next !== 'FINISH') this.#routedAround({ nodeId: node.id, agent: failed.worker, how: 'rerouted', error: failed.error });
        this.#failedWorkers.delete(event.supervisor);
        break;
      }
      case 'supervisor.worker': {
        const worker = this.#agent(event.worker);
        if (event.status === 'started') worker.calls += 1;
        else {
          this.#duration(worker, event.durationMs ?? 0);
          if (event.status === 'succeeded') worker.succeeded += 1;
          else {
            worker.failures += 1;
            this.#failedWorkers.set(event.supervisor, { worker: event.worker, error: event.error?.message ?? 'failed' });
          }
        }
        break;
      }
      case 'supervisor.finished':
        if (!event.supervisor.includes('/')) {
          this.routing.requests += 1;
          this.routing.calls += event.routingCalls;
        }
        break;
      case 'cache.hit':
        node.cacheHits += 1;
        this.totals.cacheHits += 1;
        this.totals.savedUsd += event.savedUsd;
        break;
      case 'node.succeeded':
      case 'node.failed':
      case 'node.timedOut':
      case 'node.fellBack':
      case 'node.skipped':
        this.#applyEnd(node, agent, event);
        break;
      default:
        break; // an event this page does not know yet
    }
    node.version += 1;
    this.#dirty.add(node);
  }

  #applyEnd(node: NodeModel, agent: AgentStats, event: NodeEndEvent): void {
    this.#setState(node, STATE_OF_END[event.type]);
    node.endedAt = event.at;
    if (event.type === 'node.skipped') {
      const cause = event.cause;
      node.skipped = cause.kind === 'upstream' ? `upstream ${cause.upstream} did not succeed` : cause.kind === 'runFailed' ? `the run stopped (${cause.failedNode} failed)` : `the budget was spent ($${cause.spentUsd.toFixed(4)} of $${cause.maxUsd})`;
      this.#closeBar(node, 'cancelled', event.at);
      return;
    }
    node.durationMs = event.durationMs;
    this.#duration(agent, event.durationMs);
    const outcome: BarOutcome = event.type === 'node.succeeded' ? 'succeeded' : event.type === 'node.fellBack' ? 'fellBack' : event.type === 'node.failed' ? 'failed' : 'timedOut';
    this.#closeBar(node, outcome, event.at);
    if (event.type === 'node.succeeded' || event.type === 'node.fellBack') {
      agent.succeeded += 1;
      node.value = event.value === undefined ? undefined : typeof event.value === 'string' ? event.value : JSON.stringify(event.value);
    }
    if (event.type === 'node.succeeded') return;
    node.error = event.error.message;
    if (event.type === 'node.fellBack') {
      agent.fellBack += 1;
      node.fallback = { via: event.via, reason: event.reason };
      this.#routedAround({ nodeId: node.id, agent: node.agent, how: 'fallback', error: event.error.message });
      this.#incident(event.at, node.id, 'fallback', `fell back (step ${event.via}) after it ${event.reason === 'timedOut' ? 'timed out' : 'failed'}: ${event.error.message}`);
      return;
    }
    agent.failures += 1;
    this.#incident(event.at, node.id, event.type === 'node.failed' ? 'failed' : 'timedOut', event.type === 'node.failed' ? `failed: ${event.error.message}` : `timed out after ${event.timeoutMs} ms`);
  }

  #applySnapshot(snapshot: EventOf<'run.snapshot'>): void {
    const starts = Object.values(snapshot.states).flatMap((v) => (v.startedAt === undefined ? [] : [v.startedAt]));
    this.#reset(snapshot.runId, snapshot.nodes, starts.length > 0 ? Math.min(...starts) : snapshot.at, undefined);
    this.lastAt = snapshot.at;
    for (const [id, view] of Object.entries(snapshot.states)) {
      const node = this.nodes.get(id) ?? this.#unknownNode(id);
      const agent = this.#agent(node.agent);
      this.#setState(node, view.state);
      node.attempts = view.attempts;
      node.firstStart = view.startedAt;
      node.endedAt = view.endedAt;
      node.tokens = view.tokens ?? 0;
      node.costUsd = view.costUsd ?? 0;
      this.totals.tokens += node.tokens;
      this.totals.costUsd += node.costUsd;
      this.totals.calls += view.attempts;
      agent.calls += view.attempts;
      agent.costUsd += node.costUsd;
      if (view.startedAt !== undefined) {
        const live = view.state === 'running' || view.state === 'retrying';
        node.bars.push({ attempt: view.attempts, start: view.startedAt, end: live ? undefined : view.endedAt, outcome: live ? 'running' : barOutcomeOf(view.state), approx: true });
      }
    }
    this.rows = this.order.filter((n) => n.firstStart !== undefined).sort((a, b) => a.firstStart! - b.firstStart! || a.index - b.index);
    for (const end of snapshot.ended) {
      const node = this.nodes.get(end.nodeId);
      if (node) this.#applyEnd(node, this.#agent(node.agent), end); // the approximate bar is closed already
    }
    if (snapshot.summary) {
      this.summary = snapshot.summary;
      this.status = 'completed';
    }
  }

  #reset(runId: string, nodes: readonly { id: string; deps: string[]; meta?: Record<string, unknown> | undefined }[], at: number, concurrency: number | null | undefined): void {
    this.runId = runId;
    this.status = 'running';
    this.startAt = at;
    this.lastAt = at;
    this.summary = undefined;
    this.concurrency = concurrency;
    this.concurrencyLimit = undefined;
    this.nodes = new Map();
    this.order = [];
    this.rows = [];
    this.agents = new Map();
    this.counts = emptyCounts();
    this.totals = { calls: 0, cacheHits: 0, savedUsd: 0, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0 };
    this.routing = { requests: 0, calls: 0 };
    this.routedAround = [];
    this.incidents = [];
    this.#dirty.clear();
    this.#textHolders.clear();
    this.#textTotal = 0;
    this.#failedWorkers.clear();
    for (const info of nodes) this.#addNode(info.id, info.deps, typeof info.meta?.agent === 'string' ? info.meta.agent : info.id);
    this.structure += 1;
  }

  #addNode(id: string, deps: readonly string[], agent: string): NodeModel {
    const node: NodeModel = {
      id,
      index: this.order.length,
      deps,
      agent,
      state: 'pending',
      attempts: 0,
      firstStart: undefined,
      endedAt: undefined,
      durationMs: undefined,
      bars: [],
      waits: [],
      dropped: 0,
      inputTokens: 0,
      outputTokens: 0,
      tokens: 0,
      costUsd: 0,
      cacheHits: 0,
      text: '',
      streamedChars: 0,
      textCut: 'no',
      error: undefined,
      value: undefined,
      fallback: undefined,
      skipped: undefined,
      version: 0,
    };
    this.nodes.set(id, node);
    this.order.push(node);
    this.counts.pending += 1;
    this.#dirty.add(node);
    return node;
  }

  /** An event about a node the graph did not list (a page that joined mid-run without a snapshot). */
  #unknownNode(id: string): NodeModel {
    const node = this.#addNode(id, [], id);
    this.structure += 1;
    return node;
  }

  #agent(name: string): AgentStats {
    let stats = this.agents.get(name);
    if (!stats) {
      stats = { agent: name, calls: 0, succeeded: 0, failures: 0, retries: 0, fellBack: 0, durations: [], durationCount: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      this.agents.set(name, stats);
    }
    return stats;
  }

  #setState(node: NodeModel, state: NodeState): void {
    this.counts[node.state] -= 1;
    this.counts[state] += 1;
    node.state = state;
  }

  #closeBar(node: NodeModel, outcome: BarOutcome, at: number): void {
    const bar = node.bars[node.bars.length - 1];
    if (bar && bar.end === undefined) {
      bar.end = at;
      bar.outcome = outcome;
    }
  }

  #mark<T>(node: NodeModel, list: T[], mark: T): void {
    list.push(mark);
    if (list.length > this.limits.maxMarksPerNode) {
      list.shift();
      node.dropped += 1;
    }
  }

  #duration(agent: AgentStats, ms: number): void {
    if (agent.durations.length < this.limits.maxDurationsPerAgent) agent.durations.push(ms);
    else agent.durations[agent.durationCount % this.limits.maxDurationsPerAgent] = ms;
    agent.durationCount += 1;
  }

  #appendText(node: NodeModel, text: string, streamed = true): void {
    if (streamed) node.streamedChars += text.length;
    const before = node.text.length;
    node.text += text;
    if (node.text.length > this.limits.maxTextPerNode) {
      node.text = node.text.slice(node.text.length - this.limits.maxTextPerNode);
      node.textCut = 'tail';
    }
    this.#textTotal += node.text.length - before;
    this.#textHolders.delete(node); // re-inserted last: holders are ordered by their latest text
    this.#textHolders.add(node);
    for (const holder of this.#textHolders) {
      if (this.#textTotal <= this.limits.maxTextTotal) break;
      if (holder === node || holder.id === this.pinned) continue;
      this.#textTotal -= holder.text.length;
      holder.text = '';
      holder.textCut = 'evicted';
      holder.version += 1;
      this.#textHolders.delete(holder);
    }
  }

  #incident(at: number, nodeId: string | undefined, kind: string, text: string): void {
    this.incidents.push({ at, nodeId, kind, text });
    if (this.incidents.length > this.limits.maxIncidents) this.incidents.shift();
  }

  #routedAround(entry: DashboardModel['routedAround'][number]): void {
    this.routedAround.push(entry);
    if (this.routedAround.length > this.limits.maxIncidents) this.routedAround.shift();
  }
}

function emptyCounts(): Record<NodeState, number> {
  return { pending: 0, queued: 0, running: 0, retrying: 0, succeeded: 0, fellBack: 0, failed: 0, timedOut: 0, skipped: 0 };
}

function barOutcomeOf(state: NodeState): BarOutcome {
  switch (state) {
    case 'succeeded':
    case 'failed':
    case 'timedOut':
    case 'fellBack':
      return state;
    default:
      return 'cancelled';
  }
}
