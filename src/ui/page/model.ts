/**
 * The dashboard's in-memory model of a run: events are applied to it as they arrive (cheap, no
 * DOM), and the views draw from it at most once per frame. Every collection is bounded: per node,
 * the streamed text, the Gantt bars and the wait marks are capped, and so are the incidents and
 * the rejected events; the rest is one record per node and per agent. Runs in the browser and in
 * Node (for unit tests).
 */
import type { EventOf, NodeEndEvent, RunEvent, RunSummary } from '../../run/events.js';
import { NodeTemplate, RunState, VIEW_BOUNDS, emptyStateCounts, parentFromId, type AgentTally, type NodeState, type RoutedAround, type RunTotals, type ToolTally, type TrackedNode } from '../../run/run-state.js';
import type { GroupModel } from './groups.js';

/** A node's lifecycle state, as in `run.snapshot`. */
export type { NodeState } from '../../run/run-state.js';

/** Every node state, in the order the legend shows them. */
export const NODE_STATES: readonly NodeState[] = ['pending', 'waiting', 'queued', 'running', 'retrying', 'succeeded', 'fellBack', 'failed', 'timedOut', 'skipped'];

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

/** One model call of an agent loop (`agent.step`), from its first call attempt to its answer. */
export interface StepMark {
  step: number;
  /** The node attempt it belongs to. */
  attempt: number;
  start: number;
  end: number;
  stopReason: string;
  /** Tool calls the model asked for. */
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
}

/** One tool call of an agent node (`tool.called`, then `tool.succeeded` / `tool.failed`). */
export interface ToolMark {
  step: number;
  attempt: number;
  tool: string;
  toolUseId: string;
  start: number;
  /** Undefined while it runs. */
  end: number | undefined;
  /** `cancelled`: its attempt ended first. */
  outcome: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** The failure's message (with its code, when it has one). */
  error: string | undefined;
  /** `fatal` when the failure failed the node, `reported` when the model read it. */
  handling: 'reported' | 'fatal' | undefined;
}

/**
 * What the page knows about one node: the run's node record ({@link TrackedNode}: state, attempts,
 * times, tokens, cost, cache hits, streamed characters), plus what the page draws from it.
 */
export interface NodeModel extends TrackedNode {
  /** `meta.agent`, else the node id. */
  readonly agent: string;
  /** When the first attempt started here: the Gantt row's start (undefined for a node restored from a checkpoint). */
  firstStart: number | undefined;
  bars: Bar[];
  waits: Wait[];
  /** An agent node's steps and tool calls (the detail panel's list, the timeline's sub-bars). */
  steps: StepMark[];
  tools: ToolMark[];
  /** Bars, waits, steps and tool calls dropped by the per-node cap (oldest first). */
  dropped: number;
  /**
   * The tail of the streamed text (`node.token`), at most `maxTextPerNode` characters, kept by the
   * run's reducer (later attempts begin with `[attempt N]`); `textCut` says it was cut to its tail,
   * or dropped to keep the page's total within bounds (or before this page connected: `streamedChars`
   * still counts it).
   */
  text: string;
  textCut: 'no' | 'tail' | 'evicted';
  /** The latest error's message. */
  error: string | undefined;
  /** The node's value, as JSON, maybe cut by the server. */
  value: string | undefined;
  /** `value` is the short preview a snapshot carries: the page fetches the value when it shows the node ({@link DashboardModel.setValue}). */
  valueCut: boolean;
  fallback: { via: number; reason: string } | undefined;
  skipped: string | undefined;
  /** For a node a fan-out or subgraph added: that node's id. */
  parent: string | undefined;
  /** While it waits for approval: what it asks (JSON), and how long it waits (ms; null: for ever). */
  approval: { payload: string; timeoutMs: number | null; at: number } | undefined;
  /** The decision about it: `approved by ana`, `rejected: wrong tone`. */
  decided: string | undefined;
  /** Bumped on every change, so a view can tell whether to redraw. */
  version: number;
}

/** A {@link NodeModel} before its first event (the run's reducer copies it for each node; `bars` and `waits` are given fresh arrays). */
class NodeModelTemplate extends NodeTemplate implements NodeModel {
  declare version: number;
  declare bars: Bar[];
  declare waits: Wait[];
  declare steps: StepMark[];
  declare tools: ToolMark[];
  declare dropped: number;
  declare firstStart: number | undefined;
  declare error: string | undefined;
  declare value: string | undefined;
  declare valueCut: boolean;
  declare fallback: NodeModel['fallback'];
  declare skipped: string | undefined;
  declare parent: string | undefined;
  declare approval: NodeModel['approval'];
  declare decided: string | undefined;

  constructor() {
    super();
    this.version = 0;
    this.bars = [];
    this.waits = [];
    this.steps = [];
    this.tools = [];
    this.dropped = 0;
    this.firstStart = undefined;
    this.error = undefined;
    this.value = undefined;
    this.valueCut = false;
    this.fallback = undefined;
    this.skipped = undefined;
    this.parent = undefined;
    this.approval = undefined;
    this.decided = undefined;
  }
}

/** Per-agent figures, with the same meaning as `runMetrics`'s (the same reducer folds both). */
export type AgentStats = AgentTally;

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
  maxTextPerNode: VIEW_BOUNDS.maxTextPerNode, // a tracker's: a page joined late keeps what one connected from the start keeps
  maxTextTotal: VIEW_BOUNDS.maxTextTotal,
  maxMarksPerNode: 64,
  maxIncidents: 200,
  maxRejections: 20,
  maxDurationsPerAgent: VIEW_BOUNDS.maxDurations,
};

/** Totals of the run so far. */
export type Totals = RunTotals;

/** The run as the page sees it: the run's state (one reducer, {@link RunState}) and the page's own extras. */
export class DashboardModel {
  readonly limits: ModelLimits;
  /** Nodes that have started, by first start: the Gantt's rows. */
  rows: NodeModel[] = [];
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
  /** The children each fan-out or subgraph node added, by its id. */
  readonly groups = new Map<string, GroupModel<NodeModel>>();
  /** Nodes waiting for a decision now. */
  readonly waiting = new Set<NodeModel>();
  readonly #run: RunState<NodeModel>;
  readonly #dirty = new Set<NodeModel>();
  #now: number | undefined;

  constructor(limits: Partial<ModelLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.#run = new RunState<NodeModel>({
      template: new NodeModelTemplate(),
      extend: (node, listed) => {
        node.bars = []; // not the template's
        node.waits = [];
        node.steps = [];
        node.tools = [];
        this.#dirty.add(node);
        if (!listed) this.structure += 1; // an event about a node the graph did not list (a page that joined mid-run without a snapshot)
      },
      onMove: (node, from) => {
        if (node.state === 'waiting') this.waiting.add(node);
        else if (from === 'waiting') this.waiting.delete(node);
        const group = node.parent === undefined ? undefined : this.groups.get(node.parent);
        if (!group) return;
        group.counts[from] -= 1;
        group.counts[node.state] += 1;
        const parent = this.#run.nodes.get(group.id);
        if (parent) {
          parent.version += 1; // its badge and progress change
          this.#dirty.add(parent);
        }
      },
      onReset: () => {
        this.groups.clear();
        this.waiting.clear();
        this.rows = [];
        this.incidents = [];
        this.#dirty.clear();
        this.structure += 1;
      },
      tallies: { agentsFrom: 'anyEvent', tools: true, maxDurations: this.limits.maxDurationsPerAgent, maxRoutedAround: this.limits.maxIncidents },
      text: {
        maxPerNode: this.limits.maxTextPerNode,
        maxTotal: this.limits.maxTextTotal,
        keep: (node) => node.id === this.pinned,
        onEvict: (node) => {
          node.version += 1;
          this.#dirty.add(node);
        },
      },
    });
  }

  get runId(): string | undefined {
    return this.#run.runId;
  }
  get status(): 'waiting' | 'running' | 'completed' {
    return this.#run.status;
  }
  get startAt(): number | undefined {
    return this.#run.startedAt;
  }
  /** The latest event time (the run's "now": it never goes back, whatever order events come in). */
  get lastAt(): number | undefined {
    return this.#now;
  }
  get summary(): RunSummary | undefined {
    return this.#run.summary;
  }
  /** The run's concurrency cap; null when unbounded. */
  get concurrency(): number | null | undefined {
    return this.#run.concurrency;
  }
  /** The adaptive concurrency limit, when the model reports it. */
  get concurrencyLimit(): number | undefined {
    return this.#run.concurrencyLimit;
  }
  get nodes(): ReadonlyMap<string, NodeModel> {
    return this.#run.nodes;
  }
  /** Nodes in definition order. */
  get order(): readonly NodeModel[] {
    return this.#run.order;
  }
  get agents(): ReadonlyMap<string, AgentStats> {
    return this.#run.agents;
  }
  /** Per tool called by agent nodes: calls, failures, durations (the same figures as `runMetrics`'s `tools`). */
  get tools(): ReadonlyMap<string, ToolTally> {
    return this.#run.tools;
  }
  get counts(): Readonly<Record<NodeState, number>> {
    return this.#run.counts;
  }
  get totals(): Readonly<Totals> {
    return this.#run.totals;
  }
  /** Seed 004: requests handled by a top-level supervisor and the routing calls they took. */
  get routing(): Readonly<{ requests: number; calls: number }> {
    return this.#run.routing;
  }
  /** Failures that did not fail the work: a fallback answered, or a supervisor routed elsewhere. */
  get routedAround(): readonly RoutedAround[] {
    return this.#run.routedAround;
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

  /**
   * Applies one (validated) event: the run's reducer folds it, then the page adds its extras. Once
   * the run is known (`run.started` or a snapshot), an event of another run, about a node the run
   * does not have, or after `run.completed` is refused (see {@link rejections}): it would make the
   * counts disagree with the summary.
   */
  apply(event: RunEvent): void {
    const refused = this.#refusal(event);
    if (refused !== undefined) return this.reject({ type: event.type, issue: refused });
    this.applied += 1;
    this.version += 1;
    const node = this.#run.apply(event);
    if (event.type === 'node.token') {
      // Streamed text is most of a run's events: the short way (the reducer keeps the text).
      if (event.at > (this.#now ?? -Infinity)) this.#now = event.at;
      if (node === undefined) return;
      node.version += 1;
      this.#dirty.add(node);
      return;
    }
    if (event.type === 'run.started' || event.type === 'run.snapshot' || event.at > (this.#now ?? -Infinity)) this.#now = event.at;
    switch (event.type) {
      case 'run.snapshot':
        this.#groupsFromIds();
        return this.#snapshotExtras(event);
      case 'node.expanded':
        this.#expanded(event);
        break;
      case 'budget.exceeded':
        return this.#budgetIncident(event);
      default:
        break;
    }
    if (node === undefined) return; // run.started, run.completed
    this.#extras(node, event);
    node.version += 1;
    this.#dirty.add(node);
  }

  /** Why an event is refused, or undefined when it is taken (see {@link apply}). */
  #refusal(event: RunEvent): string | undefined {
    if (event.type === 'run.started' || event.type === 'run.snapshot') return undefined;
    const run = this.#run;
    if (run.runId === undefined) return undefined; // joined before anything: take what comes
    if (event.runId !== run.runId) return `of run ${event.runId}, not of run ${run.runId}`;
    if (run.status === 'completed') return 'after run.completed';
    if ('nodeId' in event && !run.nodes.has(event.nodeId)) return `unknown node id "${event.nodeId}"`;
    return undefined;
  }

  /** What the page draws of a node's event besides the reducer's state: bars, waits, steps, tool calls, incidents. */
  #extras(node: NodeModel, event: RunEvent): void {
    switch (event.type) {
      case 'node.started':
        if (node.firstStart === undefined) {
          node.firstStart = event.at;
          this.rows.push(node);
        }
        this.#closeBar(node, 'cancelled', event.at);
        this.#mark(node, node.bars, { attempt: event.attempt, start: event.at, end: undefined, outcome: 'running' });
        break;
      case 'node.retrying':
        this.#closeBar(node, 'retried', event.at);
        this.#mark(node, node.waits, { kind: 'retry', attempt: event.attempt, start: event.at, ms: event.delayMs, detail: event.error.message });
        node.error = event.error.message;
        this.#incident(event.at, node.id, 'retry', `attempt ${event.attempt} failed (${event.error.code ?? event.error.name}): ${event.error.message}; retry in ${Math.round(event.delayMs)} ms`);
        break;
      case 'node.waiting':
        if (node.approval?.at === event.at) break; // told again (a server that sends the open asks after a snapshot)
        node.approval = { payload: payloadJson(event.payload), timeoutMs: event.timeoutMs, at: event.at };
        node.decided = undefined;
        this.#incident(event.at, node.id, 'waiting', `awaits approval${event.timeoutMs === null ? '' : ` (for ${Math.round(event.timeoutMs / 1000)} s)`}`);
        break;
      case 'node.decided':
        node.approval = undefined;
        node.decided = `${event.approve ? 'approved' : 'rejected'}${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
        this.#incident(event.at, node.id, event.approve ? 'approved' : 'rejected', node.decided);
        break;
      case 'ratelimit.waiting':
        this.#mark(node, node.waits, { kind: 'ratelimit', attempt: event.attempt, start: event.at, ms: event.waitMs, detail: `${event.limitedBy}, ${event.queued} queued` });
        break;
      case 'agent.step':
        this.#mark(node, node.steps, { step: event.step, attempt: event.attempt, start: event.at - event.durationMs, end: event.at, stopReason: event.stopReason, toolCalls: event.toolCalls, inputTokens: event.tokens.inputTokens, outputTokens: event.tokens.outputTokens });
        break;
      case 'tool.called':
        this.#mark(node, node.tools, { step: event.step, attempt: event.attempt, tool: event.tool, toolUseId: event.toolUseId, start: event.at, end: undefined, outcome: 'running', error: undefined, handling: undefined });
        break;
      case 'tool.succeeded':
      case 'tool.failed': {
        const mark = findTool(node.tools, event.toolUseId);
        if (!mark) break; // dropped by the cap
        mark.end = event.at;
        if (event.type === 'tool.succeeded') mark.outcome = 'succeeded';
        else {
          mark.outcome = 'failed';
          mark.error = `${event.error.code ?? event.error.name}: ${event.error.message}`;
          mark.handling = event.handling;
          this.#incident(event.at, node.id, 'tool', `tool ${event.tool} failed at step ${event.step} (${mark.error})${event.handling === 'fatal' ? ', failing the node' : ''}`);
        }
        break;
      }
      case 'circuit.opened':
      case 'circuit.halfOpened':
      case 'circuit.closed':
        this.#incident(event.at, node.id, event.type, `${event.breaker}: ${event.type.slice('circuit.'.length)}${event.failures === undefined ? '' : ` after ${event.failures} failures`}`);
        break;
      case 'node.succeeded':
      case 'node.failed':
      case 'node.timedOut':
      case 'node.fellBack':
      case 'node.skipped':
        this.#endExtras(node, event);
        break;
      default:
        break; // the reducer's state is all the page shows of it
    }
  }

  #budgetIncident(event: EventOf<'budget.exceeded'>): void {
    this.#incident(event.at, event.nodeId, 'budget', `budget exceeded: $${event.spentUsd.toFixed(4)} of $${event.maxUsd}`);
  }

  /** A fan-out or subgraph added nodes: they join its group, and the graph is laid out again. */
  #expanded(event: EventOf<'node.expanded'>): void {
    for (const info of event.nodes) {
      const child = this.#run.nodes.get(info.id);
      if (child && child.parent === undefined) this.#join(child, info.parent, event.kind);
    }
    this.structure += 1;
  }

  /** After a snapshot (which lists nodes without their parent): groups from the ids (`explore[3]` → `explore`). */
  #groupsFromIds(): void {
    const isNode = (id: string) => this.#run.nodes.has(id);
    for (const node of this.#run.order) {
      const parent = parentFromId(node.id, isNode);
      if (parent !== undefined) this.#join(node, parent, undefined);
    }
  }

  #join(child: NodeModel, parent: string, kind: GroupModel['kind']): void {
    child.parent = parent;
    let group = this.groups.get(parent);
    if (!group) {
      group = { id: parent, kind, children: [], counts: emptyStateCounts() };
      this.groups.set(parent, group);
    }
    group.children.push(child);
    group.counts[child.state] += 1;
  }

  /** What the page draws of a node's end: the last bar, the value, the error, the incident. */
  #endExtras(node: NodeModel, event: NodeEndEvent): void {
    node.approval = undefined;
    if (event.type === 'node.skipped') {
      const cause = event.cause;
      node.skipped =
        cause.kind === 'upstream'
          ? `upstream ${cause.upstream} did not succeed`
          : cause.kind === 'runFailed'
            ? `the run stopped (${cause.failedNode} failed)`
            : cause.kind === 'branch'
              ? `branch ${cause.node} chose ${cause.chose.join(', ') || 'none'}`
              : `the budget was spent ($${cause.spentUsd.toFixed(4)} of $${cause.maxUsd})`;
      this.#closeBar(node, 'cancelled', event.at);
      return;
    }
    const outcome: BarOutcome = event.type === 'node.succeeded' ? 'succeeded' : event.type === 'node.fellBack' ? 'fellBack' : event.type === 'node.failed' ? 'failed' : 'timedOut';
    this.#closeBar(node, outcome, event.at);
    if (event.type === 'node.succeeded' || event.type === 'node.fellBack') {
      node.value = valueText(event.value);
      node.valueCut = false;
    }
    if (event.type === 'node.succeeded') return;
    node.error = event.error.message;
    if (event.type === 'node.fellBack') {
      node.fallback = { via: event.via, reason: event.reason };
      this.#incident(event.at, node.id, 'fallback', `fell back (step ${event.via}) after it ${event.reason === 'timedOut' ? 'timed out' : 'failed'}: ${event.error.message}`);
      return;
    }
    this.#incident(event.at, node.id, event.type === 'node.failed' ? 'failed' : 'timedOut', event.type === 'node.failed' ? `failed: ${event.error.message}` : `timed out after ${event.timeoutMs} ms`);
  }

  /**
   * A late start: the reducer took the snapshot's state (counts, text); the page replays each node's
   * history and end through its own extras, in time order, so bars, waits, steps, tool calls and
   * incidents come out as a page connected from the start drew them. A node whose history does not
   * reach back to its first start (cut, or a snapshot without histories) gets one approximate bar.
   */
  #snapshotExtras(snapshot: EventOf<'run.snapshot'>): void {
    const replay: { at: number; seq: number; node: NodeModel; event: RunEvent }[] = [];
    let seq = 0;
    for (const [id, view] of Object.entries(snapshot.states)) {
      const node = this.#run.nodes.get(id);
      if (!node) continue;
      node.dropped = view.historyCut ?? 0;
      if (view.lastError) node.error = view.lastError.message;
      const history = view.history ?? [];
      const first = history.find((e) => e.type === 'node.started');
      // No attempt of its own (a fan-out, a subgraph, a node restored from a checkpoint): no row, as live.
      node.firstStart = view.attempts > 0 ? view.startedAt : undefined;
      if (node.firstStart !== undefined && (first === undefined || first.at > node.firstStart)) {
        const live = view.state === 'running' || view.state === 'retrying';
        node.bars.push({ attempt: first === undefined ? view.attempts : 1, start: node.firstStart, end: live && first === undefined ? undefined : first === undefined ? view.endedAt : first.at, outcome: live && first === undefined ? 'running' : first === undefined ? barOutcomeOf(view.state) : 'retried', approx: true });
      }
      for (const event of history) replay.push({ at: event.at, seq: seq++, node, event });
    }
    for (const end of snapshot.ended) {
      const node = this.#run.nodes.get(end.nodeId);
      if (node) replay.push({ at: end.at, seq: seq++, node, event: end });
    }
    if (snapshot.budgetExceeded) this.#budgetIncident(snapshot.budgetExceeded);
    replay.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const { node, event } of replay) this.#extras(node, event);
    for (const [id, view] of Object.entries(snapshot.states)) {
      const node = this.#run.nodes.get(id);
      if (node && view.waiting && node.approval === undefined && node.state === 'waiting') node.approval = { payload: payloadJson(view.waiting.payload), timeoutMs: view.waiting.timeoutMs, at: snapshot.at };
    }
    this.rows = this.#run.order.filter((n) => n.firstStart !== undefined).sort((a, b) => a.firstStart! - b.firstStart! || a.index - b.index);
    for (const id of snapshot.cutValues ?? []) {
      const node = this.#run.nodes.get(id);
      if (node) node.valueCut = true;
    }
  }

  /** A node's value fetched whole (it came as a preview in the snapshot): shown as a live end event would have shown it. */
  setValue(nodeId: string, value: unknown): void {
    const node = this.#run.nodes.get(nodeId);
    if (!node) return;
    node.value = valueText(value);
    node.valueCut = false;
    node.version += 1;
    this.#dirty.add(node);
    this.version += 1;
  }

  #closeBar(node: NodeModel, outcome: BarOutcome, at: number): void {
    for (const call of node.tools) {
      if (call.end !== undefined) continue;
      call.end = at; // its attempt ended before it answered (at most maxMarksPerNode to look through)
      call.outcome = 'cancelled';
    }
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

  #incident(at: number, nodeId: string | undefined, kind: string, text: string): void {
    this.incidents.push({ at, nodeId, kind, text });
    if (this.incidents.length > this.limits.maxIncidents) this.incidents.shift();
  }
}

/** A node's value as the page shows it: a string as it is, anything else as JSON. */
function valueText(value: unknown): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value);
}

/** An approval's payload as the page shows it: pretty JSON (a string as it is). */
function payloadJson(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  try {
    return JSON.stringify(payload, null, 2) ?? String(payload);
  } catch {
    return String(payload);
  }
}

/** A tool call by its tool_use id, the latest first (ids are unique within a loop; a retried attempt reuses none). */
function findTool(tools: readonly ToolMark[], toolUseId: string): ToolMark | undefined {
  for (let i = tools.length - 1; i >= 0; i--) if (tools[i]!.toolUseId === toolUseId) return tools[i];
  return undefined;
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
