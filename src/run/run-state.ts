/**
 * The one reducer from a run's events to its state: every event type is folded here, once, and the
 * views of a run (the run's own `run.snapshot` through `RunTracker`, the CLI's live state,
 * the dashboard page's model, `runMetrics`) each add only their own view on top. It runs in the
 * browser too (the dashboard page imports it): it imports nothing but the event vocabulary.
 * @module
 */
import type { ErrorInfo, EventOf, NodeEndEvent, NodeView, RunEvent, RunSummary } from './events.js';
import { STATUS_OF_END_EVENT } from './events.js';

/** A node's lifecycle state, as `run.snapshot` names it. @internal */
export type NodeState = NodeView['state'];

/** A node as `run.started` describes it. @internal */
export type NodeInfo = EventOf<'run.started'>['nodes'][number];

/**
 * Calls and outcomes of one agent (or one node, or one supervisor worker): the figures `runMetrics`
 * reports and the dashboard's metrics table shows.
 * @internal
 */
export interface CallTally {
  /** Attempts started (first tries and retries). */
  calls: number;
  /** Executions that ended with a value (succeeded or fell back). */
  succeeded: number;
  failures: number;
  retries: number;
  fellBack: number;
  /** Durations of ended executions (ms): the latest `maxDurations`, as a ring once full. */
  durations: number[];
  /** Durations seen in all (some may have left the ring). */
  durationCount: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** A {@link CallTally} of one agent (a node's `meta.agent`, else its id; or a supervisor's worker). @internal */
export interface AgentTally extends CallTally {
  readonly agent: string;
}

/** Calls of one tool (by name, over every agent node): the figures `runMetrics` reports per tool. @internal */
export interface ToolTally {
  readonly tool: string;
  /** Calls started (`tool.called`). */
  calls: number;
  /** Calls that failed (`tool.failed`). */
  failures: number;
  /** Durations of ended calls (ms): the latest `maxDurations`, as a ring once full. */
  durations: number[];
  /** Durations seen in all (some may have left the ring). */
  durationCount: number;
}

/** A failure that did not fail the work: a fallback answered, or a supervisor routed to another worker next. @internal */
export interface RoutedAround {
  nodeId: string;
  agent: string;
  how: 'fallback' | 'rerouted';
  error: string;
}

/** A run's totals so far. @internal */
export interface RunTotals {
  /** Attempts started over all nodes. */
  calls: number;
  retries: number;
  /** Model calls answered from the response cache, and what they would have cost. */
  cacheHits: number;
  savedUsd: number;
  inputTokens: number;
  outputTokens: number;
  /** Input + output tokens (a snapshot tells only the sum). */
  tokens: number;
  costUsd: number;
}

/**
 * One node's state, folded from its events. A view extends it with its own fields (see
 * {@link RunStateOptions.extend}); the reducer updates these in place.
 * @internal
 */
export interface TrackedNode {
  readonly id: string;
  /** Position in the graph's definition order (nodes no `run.started` listed come last). */
  readonly index: number;
  deps: readonly string[];
  /** `meta.agent`, else the node id. */
  agent: string;
  state: NodeState;
  /** The latest attempt started (a snapshot's count, for a run joined late). */
  attempts: number;
  /** When the first attempt started (scheduler ms). */
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** From the end event: first start to end, all attempts included. */
  durationMs: number | undefined;
  inputTokens: number;
  outputTokens: number;
  /** Input + output tokens (a snapshot tells only the sum). */
  tokens: number;
  costUsd: number;
  /** Whether any `node.usage` was reported (a snapshot's node view then carries tokens and cost). */
  reportedUsage: boolean;
  /** Model calls answered from the response cache. */
  cacheHits: number;
  /** Characters streamed (`node.token`) in all. */
  streamedChars: number;
  /** The latest error: of a retried attempt, or of the end (failed, timed out, fell back). */
  lastError: ErrorInfo | undefined;
  /** The event that ended the node (with `keepEnds`: it holds the node's value). */
  end: NodeEndEvent | undefined;
  /** Agent steps (`agent.step`: model calls of an agent loop) ended, over all attempts. */
  agentSteps: number;
  /** Tool calls started (`tool.called`), over all attempts. */
  toolCalls: number;
  /** Tool calls that failed (`tool.failed`: reported to the model or fatal). */
  toolFailures: number;
  /** The tool called last (`tool.called`). */
  lastTool: string | undefined;
  /** Characters of extended thinking streamed (`node.thinking`) in all. */
  thinkingChars: number;
  /** While the node waits for a decision (`node.waiting`): what it asks, and how long it waits (null: for ever). */
  waiting: { payload: unknown; timeoutMs: number | null } | undefined;
  /** Retries so far (`node.retrying`). */
  retries: number;
  /** With {@link RunStateOptions.text}: the tail of the streamed text (later attempts begin with `[attempt N]`). */
  text: string;
  /** The text is not all that streamed: `tail` (its head was cut), `evicted` (dropped to keep the run's total in bounds). */
  textCut: 'no' | 'tail' | 'evicted';
}

/**
 * Settings of a {@link RunState}: how a view extends node records and hears of changes, and
 * which optional parts it folds (no work is done for what no view reads).
 * @internal
 */
export interface RunStateOptions<N extends TrackedNode> {
  /**
   * What every node's record starts as a copy of: an instance of a {@link NodeTemplate} subclass
   * that assigns the view's own fields. @default a plain `NodeTemplate`
   */
  template?: N;
  /**
   * Called with each new node record (`listed`: named by `run.started` or the snapshot's graph):
   * give it what must not be shared (fresh arrays), note it for the view. @default none
   */
  extend?: (node: N, listed: boolean) => void;
  /** Called before the state starts over (`run.started`, `run.snapshot`), for the view to clear its own. */
  onReset?: () => void;
  /** Called when a node's lifecycle state changes (counts are up to date). */
  onMove?: (node: N, from: NodeState) => void;
  /** Events about a node the graph does not list: `'add'` a record for it, or `'ignore'` them (totals still count). @default 'add' */
  unknownNodes?: 'add' | 'ignore';
  /** `run.started` adds its nodes to the state instead of starting over: totals and tallies add up over runs. @default false */
  acrossRuns?: boolean;
  /** Keep each node's end event (`end`, and `ended` in the order nodes ended): what a `run.snapshot` is made of. @default false */
  keepEnds?: boolean;
  /** Per-agent (and per-node) call tallies, routing and what was routed around; absent: not folded. @default undefined */
  tallies?: TallyOptions;
  /** Keep each node's streamed text (its tail, `text`), within these bounds; absent: only counted. @default undefined */
  text?: TextOptions<N>;
}

/** How much streamed text a {@link RunState} keeps. @internal */
export interface TextOptions<N extends TrackedNode> {
  /** Characters kept per node (its tail). */
  maxPerNode: number;
  /** Characters kept over all nodes: past it, the text of the node that streamed least recently is dropped (`textCut: 'evicted'`). */
  maxTotal: number;
  /** A node whose text is never evicted (e.g. the one a person is reading). */
  keep?: (node: N) => boolean;
  /** Called when a node's text was evicted. */
  onEvict?: (node: N) => void;
}

/** What a later attempt's streamed text begins with, in a node's kept text. @internal */
export const attemptHeading = (attempt: number): string => `\n\n[attempt ${attempt}]\n`;

/**
 * What a node's view keeps of its streamed text and a tally of its durations, by default: the bounds a
 * `RunTracker` builds snapshots with and the dashboard page keeps to, which must be the same for a page
 * joined late to show what one connected from the start shows. (Here, because the page may import this
 * module and the event schema only.) @internal
 */
export const VIEW_BOUNDS = { maxTextPerNode: 16_000, maxTextTotal: 2_000_000, maxDurations: 20_000 } as const;

/** Which call tallies a {@link RunState} keeps. @internal */
export interface TallyOptions {
  /** An agent's tally appears on any event of one of its nodes (`'anyEvent'`), or on its first call, retry, end or usage (`'use'`). */
  agentsFrom: 'anyEvent' | 'use';
  /** Also keep a tally per node id (and per `supervisor/worker`), in `byNode`. @default false */
  byNode?: boolean;
  /** Also keep a tally per tool name, in `tools`. @default false */
  tools?: boolean;
  /** Durations kept per tally (a ring past this). @default Infinity */
  maxDurations?: number;
  /** Entries kept in `routedAround` (the oldest dropped). @default Infinity */
  maxRoutedAround?: number;
}

/** A module-local alias: read on every end event. */
const STATUS_OF_END = STATUS_OF_END_EVENT;

/**
 * A node record before its first event: every record of a {@link RunState} is a copy
 * (`{ ...template }`) of one template. A view with fields of its own extends this class, assigning
 * each of them in its constructor (`this.note = undefined`), and passes an instance as
 * {@link RunStateOptions.template}. Copying one object whose fields all sit in the object itself
 * is cheaper than making a literal of 18 or more fields (cold or optimized), and a constructor that
 * assigns them, one `this.x =` each, is what gives V8's objects that layout.
 *
 * ## Example
 * ```ts
 * class LiveTemplate extends NodeTemplate {
 *   declare note: string | undefined;
 *   constructor() {
 *     super();
 *     this.note = undefined;
 *   }
 * }
 * const state = new RunState<LiveNode>({ template: new LiveTemplate() });
 * ```
 * @internal
 */
export class NodeTemplate implements TrackedNode {
  declare id: string;
  declare index: number;
  declare deps: readonly string[];
  declare agent: string;
  declare state: NodeState;
  declare attempts: number;
  declare startedAt: number | undefined;
  declare endedAt: number | undefined;
  declare durationMs: number | undefined;
  declare inputTokens: number;
  declare outputTokens: number;
  declare tokens: number;
  declare costUsd: number;
  declare reportedUsage: boolean;
  declare cacheHits: number;
  declare streamedChars: number;
  declare lastError: ErrorInfo | undefined;
  declare end: NodeEndEvent | undefined;
  declare agentSteps: number;
  declare toolCalls: number;
  declare toolFailures: number;
  declare lastTool: string | undefined;
  declare thinkingChars: number;
  declare waiting: { payload: unknown; timeoutMs: number | null } | undefined;
  declare retries: number;
  declare text: string;
  declare textCut: TrackedNode['textCut'];

  constructor() {
    this.id = '';
    this.index = 0;
    this.deps = [];
    this.agent = '';
    this.state = 'pending';
    this.attempts = 0;
    this.startedAt = undefined;
    this.endedAt = undefined;
    this.durationMs = undefined;
    this.inputTokens = 0;
    this.outputTokens = 0;
    this.tokens = 0;
    this.costUsd = 0;
    this.reportedUsage = false;
    this.cacheHits = 0;
    this.streamedChars = 0;
    this.lastError = undefined;
    this.end = undefined;
    this.agentSteps = 0;
    this.toolCalls = 0;
    this.toolFailures = 0;
    this.lastTool = undefined;
    this.thinkingChars = 0;
    this.waiting = undefined;
    this.retries = 0;
    this.text = '';
    this.textCut = 'no';
  }
}

/** Counts by lifecycle state, all zero (the run's counts; a fan-out's children's in the views). @internal */
export const emptyStateCounts = (): Record<NodeState, number> => ({ pending: 0, waiting: 0, queued: 0, running: 0, retrying: 0, succeeded: 0, fellBack: 0, failed: 0, timedOut: 0, skipped: 0 });

/**
 * The node that added a fan-out's or subgraph's node, from its id (for a run joined from a
 * snapshot, which lists nodes without their parent): the longest prefix of `id`, ending before a
 * `[` or `/`, that is a node of the run (`explore[3]` → `explore`, `research/outline` → `research`,
 * `explore/src/a.ts` → `explore` when `explore/src` is no node). Undefined for a graph's own node. Pure.
 *
 * ## Example
 * ```ts
 * parentFromId('research/explore[3]', (id) => ['research', 'research/explore'].includes(id)); // 'research/explore'
 * ```
 * @internal
 */
export function parentFromId(id: string, isNode: (id: string) => boolean): string | undefined {
  for (let i = id.length - 1; i > 0; i--) {
    const ch = id[i];
    if ((ch === '[' || ch === '/') && isNode(id.slice(0, i))) return id.slice(0, i);
  }
  return undefined;
}
const emptyTotals = (): RunTotals => ({ calls: 0, retries: 0, cacheHits: 0, savedUsd: 0, inputTokens: 0, outputTokens: 0, tokens: 0, costUsd: 0 });
const emptyTally = (): CallTally => ({ calls: 0, succeeded: 0, failures: 0, retries: 0, fellBack: 0, durations: [], durationCount: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
const agentOf = (info: NodeInfo): string => (typeof info.meta?.agent === 'string' ? info.meta.agent : info.id);

/**
 * A run's state folded from its events, in O(1) per event and in place: every node's lifecycle
 * state, attempts, times, tokens, cost, cache hits and streamed characters, and, for agent nodes,
 * steps, tool calls and failures, the last tool and thinking characters; counts by state;
 * totals; the run's times, concurrency, cost estimate, budget stop and summary; and, when asked,
 * per-agent, per-node and per-tool call tallies, supervisor routing and the failures routed around. A
 * `run.started` or `run.snapshot` starts it over (a snapshot is a late start: the state so far).
 * Memory is bounded by the graph's size (and the tallies' bounds).
 *
 * Every view of a run folds through it: `RunTracker` (whose `run.snapshot` is this state), the
 * CLI's live state, the dashboard page's model and `runMetrics`. A new event type is handled here,
 * once; a view adds its own fields to the node records (a {@link NodeTemplate} subclass as
 * `template`, fresh values in `extend`), hears of state changes (`onMove`), and reads the node
 * `apply` returns for its own extras (the page's Gantt bars and streamed text, the terminal's notes).
 *
 * ## Example
 * ```ts
 * import { RunState } from './run-state.js';
 * const state = new RunState();
 * execute(g).subscribe((event) => state.apply(event));
 * state.counts.running; // nodes running now
 * state.nodes.get('plan')?.attempts; // 2 after one retry
 * ```
 * @internal
 */
export class RunState<N extends TrackedNode = TrackedNode> {
  runId: string | undefined;
  status: 'waiting' | 'running' | 'completed' = 'waiting';
  /** When the run started: `run.started`'s time, or a snapshot's earliest node start. */
  startedAt: number | undefined;
  /** The time of the latest event. */
  lastAt: number | undefined;
  /** The run's concurrency cap; null when unbounded; undefined when unknown (joined from a snapshot). */
  concurrency: number | null | undefined;
  /** The adaptive concurrency limit, when a governed model reports it. */
  concurrencyLimit: number | undefined;
  /** The pre-run cost estimate `run.started` carried (runs with a budget). */
  costEstimate: EventOf<'run.started'>['costEstimate'];
  /** Set when the run's spend crossed its budget. */
  budgetExceeded: EventOf<'budget.exceeded'> | undefined;
  summary: RunSummary | undefined;
  /** The graph as `run.started` (or the snapshot) listed it. */
  graph: readonly NodeInfo[] = [];
  nodes = new Map<string, N>();
  /** Nodes in definition order, then those no `run.started` listed. */
  order: N[] = [];
  /** Nodes that have ended, in the order they first ended (with `keepEnds`). */
  ended: N[] = [];
  counts = emptyStateCounts();
  totals = emptyTotals();
  /** Per-agent tallies, in the order the agents appeared (with `tallies`). */
  agents = new Map<string, AgentTally>();
  /** Per-node tallies, and per `supervisor/worker`, in the order they appeared (with `tallies.byNode`). */
  byNode = new Map<string, CallTally>();
  /** Requests handled by a top-level supervisor and the routing calls they took (with `tallies`). */
  routing = { requests: 0, calls: 0 };
  /** Failures that did not fail the work (with `tallies`). */
  routedAround: RoutedAround[] = [];
  /** Per-tool tallies, in the order the tools were first called (with `tallies.tools`). */
  tools = new Map<string, ToolTally>();
  /** Events applied. */
  version = 0;

  /** Every node record starts as a copy of this (see {@link NodeTemplate}). */
  readonly #template: N;
  readonly #extend: ((node: N, listed: boolean) => void) | undefined;
  readonly #onReset: (() => void) | undefined;
  readonly #onMove: ((node: N, from: NodeState) => void) | undefined;
  readonly #addUnknown: boolean;
  readonly #acrossRuns: boolean;
  readonly #keepEnds: boolean;
  readonly #tallies: boolean;
  readonly #eagerAgents: boolean;
  readonly #byNode: boolean;
  readonly #tools: boolean;
  readonly #maxDurations: number;
  readonly #maxRoutedAround: number;
  readonly #failedWorkers = new Map<string, { worker: string; error: string }>();
  readonly #text: TextOptions<N> | undefined;
  /** Nodes holding text, the one that streamed least recently first (with `text`). */
  readonly #textHolders = new Set<N>();
  #lastHolder: N | undefined;
  #textTotal = 0;

  constructor(options: RunStateOptions<N> = {}) {
    this.#template = options.template ?? (new NodeTemplate() as N);
    this.#extend = options.extend;
    this.#onReset = options.onReset;
    this.#onMove = options.onMove;
    this.#addUnknown = (options.unknownNodes ?? 'add') === 'add';
    this.#acrossRuns = options.acrossRuns ?? false;
    this.#keepEnds = options.keepEnds ?? false;
    const tallies = options.tallies;
    this.#tallies = tallies !== undefined;
    this.#eagerAgents = tallies?.agentsFrom === 'anyEvent';
    this.#byNode = tallies?.byNode ?? false;
    this.#tools = tallies?.tools ?? false;
    this.#maxDurations = tallies?.maxDurations ?? Infinity;
    this.#maxRoutedAround = tallies?.maxRoutedAround ?? Infinity;
    this.#text = options.text;
  }

  /** Characters of streamed text kept over all nodes now (with `text`). */
  get textTotal(): number {
    return this.#textTotal;
  }

  /** Folds one event; returns the record of the node it is about (undefined for run-level events and ignored nodes). */
  apply(event: RunEvent): N | undefined {
    this.version += 1;
    this.lastAt = event.at;
    // One switch, the most frequent events first (streamed text is most of a run's events).
    switch (event.type) {
      case 'node.token': {
        const node = this.#nodeOf(event.nodeId);
        if (node) {
          node.streamedChars += event.text.length;
          if (this.#text) this.#appendText(node, event.text, this.#text);
        }
        return node;
      }
      case 'node.usage': {
        const node = this.#nodeOf(event.nodeId);
        const { inputTokens, outputTokens } = event.usage;
        const totals = this.totals;
        totals.inputTokens += inputTokens;
        totals.outputTokens += outputTokens;
        totals.tokens += inputTokens + outputTokens;
        totals.costUsd += event.costUsd;
        if (node) {
          node.inputTokens += inputTokens;
          node.outputTokens += outputTokens;
          node.tokens += inputTokens + outputTokens;
          node.costUsd += event.costUsd;
          node.reportedUsage = true;
        }
        if (this.#tallies) {
          addUsage(this.#agent(node === undefined ? event.nodeId : node.agent), inputTokens, outputTokens, event.costUsd);
          const t = this.#nodeTally(event.nodeId);
          if (t) addUsage(t, inputTokens, outputTokens, event.costUsd);
        }
        return node;
      }
      case 'node.queued': {
        const node = this.#nodeOf(event.nodeId);
        if (node) this.#move(node, 'queued');
        return node;
      }
      case 'node.started': {
        const node = this.#nodeOf(event.nodeId);
        this.totals.calls += 1;
        if (node) {
          node.attempts = event.attempt;
          node.startedAt ??= event.at;
          this.#move(node, 'running');
          if (this.#text && event.attempt > 1 && node.text !== '') this.#appendText(node, attemptHeading(event.attempt), this.#text);
        }
        if (this.#tallies) {
          this.#agent(node === undefined ? event.nodeId : node.agent).calls += 1;
          const t = this.#nodeTally(event.nodeId);
          if (t) t.calls += 1;
        }
        return node;
      }
      case 'node.succeeded':
      case 'node.failed':
      case 'node.timedOut':
      case 'node.fellBack':
      case 'node.skipped': {
        const node = this.#nodeOf(event.nodeId);
        this.#end(node, node === undefined ? event.nodeId : node.agent, event, true);
        return node;
      }
      case 'node.retrying': {
        const node = this.#nodeOf(event.nodeId);
        this.totals.retries += 1;
        if (node) {
          node.retries += 1;
          node.lastError = event.error;
          this.#move(node, 'retrying');
        }
        if (this.#tallies) {
          this.#agent(node === undefined ? event.nodeId : node.agent).retries += 1;
          const t = this.#nodeTally(event.nodeId);
          if (t) t.retries += 1;
        }
        return node;
      }
      case 'cache.hit': {
        const node = this.#nodeOf(event.nodeId);
        if (node) node.cacheHits += 1;
        this.totals.cacheHits += 1;
        this.totals.savedUsd += event.savedUsd;
        return node;
      }
      case 'node.thinking': {
        const node = this.#nodeOf(event.nodeId);
        if (node) node.thinkingChars += event.text.length;
        return node;
      }
      case 'tool.called': {
        const node = this.#nodeOf(event.nodeId);
        if (node) {
          node.toolCalls += 1;
          node.lastTool = event.tool;
        }
        if (this.#tools) this.#tool(event.tool).calls += 1;
        return node;
      }
      case 'tool.succeeded': {
        const node = this.#nodeOf(event.nodeId);
        if (this.#tools) this.#duration(this.#tool(event.tool), event.durationMs);
        return node;
      }
      case 'tool.failed': {
        const node = this.#nodeOf(event.nodeId);
        if (node) node.toolFailures += 1;
        if (this.#tools) {
          const t = this.#tool(event.tool);
          t.failures += 1;
          this.#duration(t, event.durationMs);
        }
        return node;
      }
      case 'agent.step': {
        const node = this.#nodeOf(event.nodeId);
        if (node) node.agentSteps += 1;
        return node;
      }
      case 'concurrency.changed':
        this.concurrencyLimit = event.limit;
        return this.#nodeOf(event.nodeId);
      case 'supervisor.worker': {
        const node = this.#nodeOf(event.nodeId);
        if (this.#tallies) this.#worker(event);
        return node;
      }
      case 'supervisor.routed': {
        const node = this.#nodeOf(event.nodeId);
        if (this.#tallies) {
          const failed = this.#failedWorkers.get(event.supervisor);
          if (failed && event.next !== failed.worker && event.next !== 'FINISH') this.#routedAround({ nodeId: event.nodeId, agent: failed.worker, how: 'rerouted', error: failed.error });
          this.#failedWorkers.delete(event.supervisor);
        }
        return node;
      }
      case 'supervisor.finished': {
        const node = this.#nodeOf(event.nodeId);
        if (this.#tallies && !event.supervisor.includes('/')) {
          this.routing.requests += 1;
          this.routing.calls += event.routingCalls;
        }
        return node;
      }
      case 'node.expanded': {
        // A fan-out or subgraph added nodes: listed like the graph's own (a snapshot carries them);
        // a fan-out's children count as the fan-out's agent unless their meta names one.
        const node = this.#nodeOf(event.nodeId);
        if (node) {
          node.startedAt ??= event.at;
          this.#move(node, 'running');
        }
        const added: NodeInfo[] = [];
        for (const info of event.nodes) {
          if (this.nodes.has(info.id)) continue;
          const agent = typeof info.meta?.agent === 'string' ? info.meta.agent : event.kind === 'forEach' ? (node?.agent ?? event.nodeId) : info.id;
          this.#add(info.id, info.deps, agent, true);
          added.push(info);
        }
        if (added.length > 0) this.graph = this.graph.concat(added);
        return node;
      }
      case 'node.waiting': {
        const node = this.#nodeOf(event.nodeId);
        if (node) {
          node.waiting = { payload: event.payload, timeoutMs: event.timeoutMs };
          this.#move(node, 'waiting');
        }
        return node;
      }
      case 'node.decided': {
        // A node that asked while it ran goes on running; one that asked before it ran waits for its turn.
        const node = this.#nodeOf(event.nodeId);
        if (node) node.waiting = undefined;
        if (node?.state === 'waiting') this.#move(node, node.attempts > 0 ? 'running' : 'pending');
        return node;
      }
      case 'run.started':
        if (this.#acrossRuns) this.#addRun(event);
        else this.#reset(event.runId, event.at, event.concurrency, event.nodes);
        this.costEstimate = event.costEstimate;
        return undefined;
      case 'run.snapshot':
        this.#fromSnapshot(event);
        return undefined;
      case 'run.completed':
        this.summary = event.summary;
        this.status = 'completed';
        return undefined;
      case 'budget.exceeded':
        this.budgetExceeded = event;
        return undefined;
      default:
        // Rate-limit waits, circuit transitions (and reports this reducer does not know yet) change
        // no state here: the views that show them read the event.
        return this.#nodeOf(event.nodeId);
    }
  }

  /** The record of the node an event is about (added, for a node the graph did not list, unless told to ignore those). */
  #nodeOf(nodeId: string): N | undefined {
    const node = this.nodes.get(nodeId) ?? (this.#addUnknown ? this.#add(nodeId, [], nodeId, false) : undefined);
    if (this.#eagerAgents) this.#agent(node === undefined ? nodeId : node.agent);
    return node;
  }

  /** The end of a node, live or from a snapshot's `ended` (whose `states` tell the node's state already). */
  #end(node: N | undefined, agentName: string, event: NodeEndEvent, live: boolean, tally = true): void {
    if (node) {
      if (live) this.#move(node, STATUS_OF_END[event.type]);
      node.endedAt = event.at;
      if (this.#keepEnds) {
        if (node.end === undefined) this.ended.push(node);
        node.end = event;
      }
    }
    if (event.type === 'node.skipped') return;
    if (node) {
      node.durationMs = event.durationMs;
      if (event.type !== 'node.succeeded') node.lastError = event.error;
    }
    // A node that made no attempt of its own (a fan-out or subgraph joining its children, an approval
    // that was rejected or timed out) is no call of its agent: its children were counted.
    if (!this.#tallies || !tally || event.attempts === 0) return;
    const agent = this.#agent(agentName);
    const t = this.#nodeTally(event.nodeId);
    this.#duration(agent, event.durationMs);
    if (t) this.#duration(t, event.durationMs);
    switch (event.type) {
      case 'node.succeeded':
        agent.succeeded += 1;
        if (t) t.succeeded += 1;
        return;
      case 'node.fellBack':
        agent.succeeded += 1;
        agent.fellBack += 1;
        if (t) {
          t.succeeded += 1;
          t.fellBack += 1;
        }
        this.#routedAround({ nodeId: event.nodeId, agent: agentName, how: 'fallback', error: event.error.message });
        return;
      default:
        agent.failures += 1;
        if (t) t.failures += 1;
    }
  }

  /** A supervisor's worker: a tally under the worker's name, and one per `supervisor/worker`. */
  #worker(event: EventOf<'supervisor.worker'>): void {
    const agent = this.#agent(event.worker);
    const t = this.#nodeTally(`${event.supervisor}/${event.worker}`);
    if (event.status === 'started') {
      agent.calls += 1;
      if (t) t.calls += 1;
      return;
    }
    this.#duration(agent, event.durationMs ?? 0);
    if (t) this.#duration(t, event.durationMs ?? 0);
    if (event.status === 'succeeded') {
      agent.succeeded += 1;
      if (t) t.succeeded += 1;
      return;
    }
    agent.failures += 1;
    if (t) t.failures += 1;
    this.#failedWorkers.set(event.supervisor, { worker: event.worker, error: event.error?.message ?? 'failed' });
  }

  #reset(runId: string, at: number, concurrency: number | null | undefined, graph: readonly NodeInfo[]): void {
    this.#onReset?.();
    this.runId = runId;
    this.status = 'running';
    this.startedAt = at;
    this.lastAt = at;
    this.concurrency = concurrency;
    this.concurrencyLimit = undefined;
    this.costEstimate = undefined;
    this.budgetExceeded = undefined;
    this.summary = undefined;
    this.graph = graph;
    this.nodes = new Map();
    this.order = [];
    this.ended = [];
    this.counts = emptyStateCounts();
    this.totals = emptyTotals();
    this.agents = new Map();
    this.byNode = new Map();
    this.routing = { requests: 0, calls: 0 };
    this.routedAround = [];
    this.tools = new Map();
    this.#failedWorkers.clear();
    this.#textHolders.clear();
    this.#lastHolder = undefined;
    this.#textTotal = 0;
    for (const info of graph) this.#add(info.id, info.deps, agentOf(info), true);
  }

  /** `acrossRuns`: another run's start adds its nodes (and their agents) to the state. */
  #addRun(event: EventOf<'run.started'>): void {
    this.runId = event.runId;
    this.status = 'running';
    this.startedAt = event.at;
    this.lastAt = event.at;
    this.concurrency = event.concurrency;
    this.graph = event.nodes;
    for (const info of event.nodes) {
      const node = this.nodes.get(info.id);
      if (!node) this.#add(info.id, info.deps, agentOf(info), true);
      else {
        node.deps = info.deps;
        node.agent = agentOf(info);
      }
    }
  }

  /**
   * A late start: the state so far from a shared run's `run.snapshot`, then its end events. A
   * snapshot from a {@link RunTracker} carries every count (tokens in and out, retries, cache hits,
   * agent steps, tool calls, totals, tallies): they are taken as they are, so a state joined late
   * reads the same as one folded from the start. An older or hand-made snapshot without them gives
   * what its views tell (tokens as a sum, calls from attempts).
   */
  #fromSnapshot(snapshot: EventOf<'run.snapshot'>): void {
    this.#reset(snapshot.runId, snapshot.at, snapshot.concurrency ?? undefined, snapshot.nodes);
    if (snapshot.concurrency === null) this.concurrency = null;
    this.concurrencyLimit = snapshot.concurrencyLimit;
    this.costEstimate = snapshot.costEstimate;
    this.budgetExceeded = snapshot.budgetExceeded;
    const totals = this.totals;
    const tallies = this.#tallies && snapshot.tallies !== undefined;
    let first = Infinity; // the run started with the earliest start of a node tracked
    for (const [id, view] of Object.entries(snapshot.states)) {
      const node = this.nodes.get(id) ?? (this.#addUnknown ? this.#add(id, [], id, false) : undefined);
      if (!node) continue;
      if (view.startedAt !== undefined && view.startedAt < first) first = view.startedAt;
      restoreNode(node, view, this.#text !== undefined);
      if (this.#text && node.text !== '') {
        this.#textTotal += node.text.length;
        this.#holdText(node, this.#text);
      }
      if (!snapshot.totals) {
        totals.tokens += node.tokens;
        totals.inputTokens += node.inputTokens;
        totals.outputTokens += node.outputTokens;
        totals.costUsd += node.costUsd;
        totals.calls += view.attempts;
        totals.retries += node.retries;
        totals.cacheHits += node.cacheHits;
      }
      if (this.#tallies && !tallies) {
        const agent = this.#agent(node.agent);
        agent.calls += view.attempts;
        agent.retries += node.retries;
        addUsage(agent, node.inputTokens, node.outputTokens, node.costUsd);
      }
      this.#move(node, view.state);
    }
    if (snapshot.totals) Object.assign(totals, snapshot.totals);
    if (tallies) this.#restoreTallies(snapshot.tallies!);
    if (first !== Infinity) this.startedAt = first;
    for (const end of snapshot.ended) {
      const node = this.nodes.get(end.nodeId);
      if (node) this.#end(node, node.agent, end, false, !tallies);
    }
    if (snapshot.summary) {
      this.summary = snapshot.summary;
      this.status = 'completed';
    }
  }

  /** A snapshot's tallies, as they are (durations cut to this state's bound). */
  #restoreTallies(tallies: NonNullable<EventOf<'run.snapshot'>['tallies']>): void {
    const max = this.#maxDurations;
    const ring = <T extends { durations: number[] }>(t: T): T => (t.durations.length > max ? { ...t, durations: t.durations.slice(-max) } : { ...t, durations: [...t.durations] });
    for (const agent of tallies.agents) this.agents.set(agent.agent, ring(agent));
    if (this.#tools) for (const tool of tallies.tools) this.tools.set(tool.tool, ring(tool));
    this.routing = { ...tallies.routing };
    this.routedAround = tallies.routedAround.slice(-this.#maxRoutedAround);
  }

  /** Appends to a node's kept text: its tail within `maxPerNode`, the run's total within `maxTotal` (the least recent holders' text dropped first). */
  #appendText(node: N, text: string, bounds: TextOptions<N>): void {
    const before = node.text.length;
    node.text += text;
    if (node.text.length > bounds.maxPerNode) {
      node.text = node.text.slice(node.text.length - bounds.maxPerNode);
      node.textCut = 'tail';
    }
    this.#textTotal += node.text.length - before;
    this.#holdText(node, bounds);
  }

  /** Notes that a node holds text (the most recent holder now), and evicts others' past the total. */
  #holdText(node: N, bounds: TextOptions<N>): void {
    if (this.#lastHolder !== node) {
      // re-inserted last: holders are ordered by their latest text (a run of tokens from one node costs nothing here)
      this.#textHolders.delete(node);
      this.#textHolders.add(node);
      this.#lastHolder = node;
    }
    if (this.#textTotal <= bounds.maxTotal) return;
    const holders = this.#textHolders;
    for (const holder of holders) {
      if (this.#textTotal <= bounds.maxTotal) break;
      if (holder === node || bounds.keep?.(holder)) continue;
      this.#textTotal -= holder.text.length;
      holder.text = '';
      holder.textCut = 'evicted';
      holders.delete(holder);
      bounds.onEvict?.(holder);
    }
  }

  #add(id: string, deps: readonly string[], agent: string, listed: boolean): N {
    const node = { ...this.#template } as { -readonly [K in keyof N]: N[K] };
    node.id = id;
    node.index = this.order.length;
    node.deps = deps;
    node.agent = agent;
    this.#extend?.(node, listed);
    this.nodes.set(id, node);
    this.order.push(node);
    this.counts.pending += 1;
    return node;
  }

  #move(node: N, state: NodeState): void {
    const from = node.state;
    if (from === state) return;
    this.counts[from] -= 1;
    this.counts[state] += 1;
    node.state = state;
    this.#onMove?.(node, from);
  }

  #agent(name: string): AgentTally {
    let tally = this.agents.get(name);
    if (!tally) {
      tally = { agent: name, ...emptyTally() };
      this.agents.set(name, tally);
    }
    return tally;
  }

  #tool(name: string): ToolTally {
    let tally = this.tools.get(name);
    if (!tally) {
      tally = { tool: name, calls: 0, failures: 0, durations: [], durationCount: 0 };
      this.tools.set(name, tally);
    }
    return tally;
  }

  #nodeTally(key: string): CallTally | undefined {
    if (!this.#byNode) return undefined;
    let tally = this.byNode.get(key);
    if (!tally) {
      tally = emptyTally();
      this.byNode.set(key, tally);
    }
    return tally;
  }

  #duration(tally: { durations: number[]; durationCount: number }, ms: number): void {
    const max = this.#maxDurations;
    if (tally.durations.length < max) tally.durations.push(ms);
    else tally.durations[tally.durationCount % max] = ms;
    tally.durationCount += 1;
  }

  #routedAround(entry: RoutedAround): void {
    this.routedAround.push(entry);
    if (this.routedAround.length > this.#maxRoutedAround) this.routedAround.shift();
  }
}

function addUsage(tally: CallTally, inputTokens: number, outputTokens: number, costUsd: number): void {
  tally.inputTokens += inputTokens;
  tally.outputTokens += outputTokens;
  tally.costUsd += costUsd;
}

/**
 * A node's record as `run.snapshot` tells it (counts only when non-zero, to keep snapshots small);
 * {@link restoreNode} is its inverse. The history is the tracker's, not the reducer's. @internal
 */
export function nodeViewOf(node: TrackedNode, info: NodeInfo | undefined): NodeView {
  const view: NodeView = { state: node.state, attempts: node.attempts };
  if (node.agent !== (info === undefined ? node.id : agentOf(info))) view.agent = node.agent;
  if (node.startedAt !== undefined) view.startedAt = node.startedAt;
  if (node.endedAt !== undefined) view.endedAt = node.endedAt;
  if (node.reportedUsage) {
    view.tokens = node.tokens;
    view.inputTokens = node.inputTokens;
    view.outputTokens = node.outputTokens;
    view.costUsd = node.costUsd;
  }
  if (node.waiting) view.waiting = { payload: node.waiting.payload, timeoutMs: node.waiting.timeoutMs };
  if (node.cacheHits > 0) view.cacheHits = node.cacheHits;
  if (node.retries > 0) view.retries = node.retries;
  if (node.streamedChars > 0) view.streamedChars = node.streamedChars;
  if (node.thinkingChars > 0) view.thinkingChars = node.thinkingChars;
  if (node.text !== '') view.text = node.text;
  if (node.textCut !== 'no') view.textCut = node.textCut;
  if (node.agentSteps > 0) view.agentSteps = node.agentSteps;
  if (node.toolCalls > 0) view.toolCalls = node.toolCalls;
  if (node.toolFailures > 0) view.toolFailures = node.toolFailures;
  if (node.lastTool !== undefined) view.lastTool = node.lastTool;
  if (node.lastError !== undefined) view.lastError = node.lastError;
  return view;
}

/** Sets a node's record from its `run.snapshot` view (the lifecycle state is moved by the caller, which keeps the counts). @internal */
function restoreNode(node: TrackedNode, view: NodeView, keepsText: boolean): void {
  if (view.agent !== undefined) node.agent = view.agent;
  node.attempts = view.attempts;
  node.startedAt = view.startedAt;
  node.endedAt = view.endedAt;
  node.tokens = view.tokens ?? (view.inputTokens ?? 0) + (view.outputTokens ?? 0);
  node.inputTokens = view.inputTokens ?? 0;
  node.outputTokens = view.outputTokens ?? 0;
  node.costUsd = view.costUsd ?? 0;
  node.reportedUsage = view.tokens !== undefined || view.costUsd !== undefined;
  if (view.waiting) node.waiting = { payload: view.waiting.payload, timeoutMs: view.waiting.timeoutMs };
  node.cacheHits = view.cacheHits ?? 0;
  node.retries = view.retries ?? 0;
  node.streamedChars = view.streamedChars ?? 0;
  node.thinkingChars = view.thinkingChars ?? 0;
  if (keepsText) {
    node.text = view.text ?? '';
    node.textCut = view.textCut ?? (view.text === undefined && (view.streamedChars ?? 0) > 0 ? 'evicted' : 'no');
  }
  node.agentSteps = view.agentSteps ?? 0;
  node.toolCalls = view.toolCalls ?? 0;
  node.toolFailures = view.toolFailures ?? 0;
  node.lastTool = view.lastTool;
  node.lastError = view.lastError;
}
