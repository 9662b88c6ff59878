import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import type { NodeDefinition } from '../graph/node-spec.js';
import type { Decision } from '../graph/dynamic-spec.js';
import type { RetryInfo } from '../../operators/retry.js';
import type { NodeReport, NodeStatus, RunEvent, RunStatus, SkipCause } from './events.js';
import { errorInfo, hasValue, type NodeOutcome } from './outcome.js';
import { NodeExecution, type ExecutionHooks, type ExecutionScope, type Settlement } from './node-execution.js';
import { FifoList, ReadyQueue } from './ready-queue.js';
import { UsageLedger } from './usage-ledger.js';
import { idRecord, ownEntry } from './id-record.js';
import type { RetryBudget } from '../../operators/retry-budget.js';
import type { RunCostEstimate } from '../budget/cost-estimate.js';
import { BudgetStopError } from '../budget/errors.js';
import type { Model } from '../models/model.js';
import { forEachChildren, joinForEach, joinSubgraph, subgraphChildren, type Children } from './expansion.js';
import type { NodeBinding } from './node-binding.js';
import { ApprovalError, DynamicNodeError } from './errors.js';
import { scheduleAfter } from '../../operators/long-timer.js';

/** Settings of one run, resolved by `execute`. */
export interface RunSettings {
  runId: string;
  concurrency: number;
  context: unknown;
  model: Model | undefined;
  scheduler: SchedulerLike;
  random: () => number;
  retryBudget: RetryBudget | undefined;
  /** Outcomes restored from a checkpoint. */
  restore: Readonly<Record<string, NodeOutcome>> | undefined;
  /** Stop the run when the spend crosses this, and the pre-run estimate to report. */
  budget: { maxUsd: number; estimate?: RunCostEstimate } | undefined;
  /** Decisions known before the run (e.g. given to `resume`), by node id: applied when the node waits. */
  decisions?: Readonly<Record<string, Decision>> | undefined;
}

/** The deps (and dependents) of a node that has none: one shared, frozen list. */
const NO_DEPS: readonly number[] = Object.freeze([]);

/** A node that grew the run: its children (positions in the run) and, for a subgraph, their local ids. */
interface Expansion {
  readonly children: number[];
  readonly localIds: readonly string[] | undefined;
  /** Children not yet ended. */
  open: number;
}

/** A running node's request for a decision: who hears it, and its deadline. */
interface Ask {
  readonly deliver: (decision: Decision) => void;
  timer: Subscription | undefined;
}

/** A node waiting for a decision: the payload it asked with and its deadline. */
interface Waiting {
  readonly payload: unknown;
  readonly timer: Subscription | undefined;
}

/**
 * The imperative heart of one run: a work-conserving list scheduler. It keeps, per node, the
 * number of dependencies still running and the outcome; a ready queue by longest remaining path;
 * and the subscriptions of in-flight nodes. Every state change is emitted as an event to the
 * subscriber, timestamped by the scheduler. Re-entrant completions (nodes that finish
 * synchronously) are flattened by a trampoline in {@link RunLoop.pump}. It is the
 * {@link ExecutionHooks} of its nodes' executions: one object per run hears them all.
 */
export class RunLoop implements ExecutionHooks {
  readonly #graph: Graph<unknown, unknown>;
  readonly #settings: RunSettings;
  readonly #scheduler: SchedulerLike;
  readonly #out: Subscriber<RunEvent>;
  // The run's nodes: the graph's, then the children that fan-outs and subgraphs add while it runs
  // (appended; the per-node arrays grow with them).
  readonly #nodes: NodeDefinition[];
  readonly #dependents: (readonly number[])[];
  readonly #depIndices: (readonly number[])[];
  readonly #rank: number[];
  #waitingOn: Int32Array;
  readonly #outcomes: (NodeOutcome | undefined)[];
  #attempts: Int32Array;
  #startedAt: Float64Array;
  readonly #ready: ReadyQueue;
  /**
   * For each node: 1 + the position of the node that added it, 0 for the graph's own (grown with the
   * typed arrays). Arrays by position, not Maps: a 10,000-child fan-out sets and reads one per child.
   */
  #parentOf: Int32Array;
  /** Nodes that grew the run, by position. */
  readonly #expansions = new Map<number, Expansion>();
  /** What a node runs with besides its definition (children, approved nodes), by position; `#bound` counts them. */
  readonly #bindings: (NodeBinding | undefined)[] = [];
  #bound = 0;
  /** Ready nodes that do not take a slot: fan-outs and subgraphs to expand, nodes to ask for approval. */
  readonly #special = new FifoList();
  /** Fan-outs and subgraphs whose children have all ended. */
  readonly #joins = new FifoList();
  readonly #waiting = new Map<number, Waiting>();
  /** Requests of running nodes for a decision (`waitForApproval`), oldest first. */
  readonly #asks = new Map<number, Ask[]>();
  /** Decisions that came before their node waited, by node id. */
  readonly #decisions = new Map<string, Decision>();
  /** In-flight executions by node, in the order they started. */
  readonly #running = new Map<number, NodeExecution>();
  /** What every execution of this run shares. */
  readonly #scope: ExecutionScope;
  readonly #usage = new UsageLedger();
  /** For a node skipped because of an upstream: the node whose failure started the chain. */
  readonly #rootCause: string[] = [];
  #settled = 0;
  #restored = 0;
  #startedRunAt = 0;
  #failedNode: string | undefined;
  #stoppedBy: 'budget' | undefined;
  #budgetStop: { spentUsd: number; maxUsd: number } | undefined;
  #pumping = false;
  #pumpAgain = false;
  #done = false;

  constructor(graph: Graph<unknown, unknown>, settings: RunSettings, out: Subscriber<RunEvent>) {
    this.#graph = graph;
    this.#settings = settings;
    this.#scheduler = settings.scheduler;
    this.#out = out;
    const n = graph.nodes.length;
    this.#nodes = graph.nodes.slice();
    this.#dependents = graph.dependents.slice();
    this.#depIndices = graph.depIndices.slice();
    this.#rank = Array.from(graph.rank);
    this.#waitingOn = Int32Array.from(graph.depIndices, (deps) => deps.length);
    this.#outcomes = new Array<NodeOutcome | undefined>(n).fill(undefined);
    this.#attempts = new Int32Array(n);
    this.#startedAt = new Float64Array(n);
    this.#parentOf = new Int32Array(n);
    this.#ready = new ReadyQueue(this.#rank);
    for (const [id, decision] of Object.entries(settings.decisions ?? {})) this.#decisions.set(id, decision);
    const { runId, context, model, scheduler, random, retryBudget } = settings;
    this.#scope = { runId, context, model, scheduler, random, retryBudget, hooks: this };
  }

  start(): void {
    this.#startedRunAt = this.#now();
    this.#emit({
      type: 'run.started',
      runId: this.#settings.runId,
      at: this.#startedRunAt,
      concurrency: Number.isFinite(this.#settings.concurrency) ? this.#settings.concurrency : null,
      nodes: this.#graph.nodes.map(({ id, deps, meta }) => (meta ? { id, deps: [...deps], meta: { ...meta } } : { id, deps: [...deps] })),
      ...costEstimateOf(this.#settings.budget),
    });
    const branched = this.#restore(0, this.#nodes.length);
    const unchosen = this.#unchosen(branched);
    this.#graph.depIndices.forEach((deps, i) => {
      if (this.#outcomes[i] === undefined && this.#waitingOn[i] === 0 && !unchosen?.has(i)) this.#enqueue(i);
    });
    this.#skipUnchosen(branched);
    this.pump();
  }

  /**
   * Settles the nodes in [from, to) a checkpoint has a value for, re-emitting their outcome marked
   * `restored`, and releases their dependents' counts. Returns the restored branch nodes with their
   * choice, whose other dependents the caller skips once the ready nodes are queued.
   */
  #restore(from: number, to: number): [number, ReadonlySet<number>][] {
    const restore = this.#settings.restore;
    const branched: [number, ReadonlySet<number>][] = [];
    if (!restore) return branched;
    const { runId } = this.#settings;
    const at = this.#now();
    for (let i = from; i < to; i++) {
      const node = this.#nodes[i]!;
      const outcome = ownEntry(restore, node.id);
      if (!hasValue(outcome)) continue;
      this.#outcomes[i] = outcome;
      this.#settled += 1;
      this.#restored += 1;
      const { status, endedAt: _endedAt, ...rest } = outcome;
      this.#emit({ type: `node.${status}`, runId, nodeId: node.id, at, ...rest, restored: true } as RunEvent);
      for (const d of this.#dependents[i]!) this.#waitingOn[d]! -= 1;
      this.#childEnded(i);
      if (node.branch) {
        const chosen = this.#branchChoice(i, outcome.value);
        if (chosen instanceof Set) branched.push([i, chosen]);
      }
    }
    return branched;
  }

  /** The dependents restored branch nodes did not choose: not to be queued, though their counts may be 0. */
  #unchosen(branched: readonly [number, ReadonlySet<number>][]): Set<number> | undefined {
    if (branched.length === 0) return undefined;
    const unchosen = new Set<number>();
    for (const [i, chosen] of branched) for (const d of this.#dependents[i]!) if (!chosen.has(d)) unchosen.add(d);
    return unchosen;
  }

  /** Skips the dependents restored branch nodes did not choose (and what follows from their policies). */
  #skipUnchosen(branched: readonly [number, ReadonlySet<number>][]): void {
    for (const [i, chosen] of branched) {
      // All of them skipped first, then released: one unchosen node must not queue another.
      const skipped: number[] = [];
      for (const d of this.#dependents[i]!) {
        if (this.#outcomes[d] !== undefined || chosen.has(d)) continue;
        this.#record(d, { status: 'skipped', cause: this.#branchCause(i, chosen), endedAt: this.#now() });
        this.#rootCause[d] = this.#nodes[i]!.id;
        skipped.push(d);
      }
      for (const d of skipped) this.#release(d);
    }
  }

  /** Teardown on unsubscribe: stop everything, emit nothing more. */
  cancel(): void {
    this.#done = true;
    this.#stopRunning();
  }

  /**
   * A decision about a waiting node (see `RunStream.decide`): approve lets it run (it is queued),
   * reject fails it with `APPROVAL_REJECTED`. A decision for a node that has not asked yet is kept
   * until it does. Throws an {@link ApprovalError} for a node that already ended (`NOT_WAITING`).
   */
  decide(nodeId: string, decision: Decision): void {
    if (this.#done) return;
    const i = this.#indexOf(nodeId);
    if (i !== undefined && this.#outcomes[i] !== undefined) {
      throw new ApprovalError('NOT_WAITING', nodeId, `decide: node '${nodeId}' has already ended (${this.#outcomes[i]!.status}); nothing waits for a decision`);
    }
    const asks = i === undefined ? undefined : this.#asks.get(i);
    if (asks && asks.length > 0) {
      this.#answer(i!, asks.shift()!, decision);
      return;
    }
    if (i === undefined || !this.#waiting.has(i)) {
      this.#decisions.set(nodeId, decision);
      return;
    }
    this.#applyDecision(i, decision);
    this.pump();
  }

  /**
   * Stops every in-flight node: first aborts all their signals, then unsubscribes them. In that
   * order, a slot of a shared limit that one node's teardown frees cannot start a call of another
   * node about to be torn down (limiters skip calls whose signal is aborted). With a `reason`
   * (the budget stop's), signals abort with it and what nodes report from their abort listeners
   * still goes out (see `AttemptHandle.stop`).
   */
  #stopRunning(reason?: unknown): void {
    const running = [...this.#running.values()];
    this.#running.clear();
    for (const execution of running) execution.abort(reason);
    for (const execution of running) execution.unsubscribe();
    for (const { timer } of this.#waiting.values()) timer?.unsubscribe();
    this.#waiting.clear();
  }

  /** Starts ready nodes while slots are free. Re-entrant calls only flag another pass. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        // Expansions, approvals and joins first (they take no slot and may queue nodes), then the
        // ready nodes by priority while slots are free.
        while (!this.#done && (this.#special.size > 0 || this.#joins.size > 0)) {
          if (this.#special.size > 0) this.#startSpecial(this.#special.take());
          else this.#join(this.#joins.take());
        }
        while (!this.#done && this.#running.size < this.#settings.concurrency && this.#ready.size > 0) {
          this.#startNode(this.#ready.pop()!);
        }
      } while ((this.#pumpAgain || this.#special.size > 0 || this.#joins.size > 0) && !this.#done);
    } finally {
      this.#pumping = false;
    }
    if (!this.#done && this.#settled === this.#nodes.length) this.#complete();
  }

  #startNode(i: number): void {
    this.#startedAt[i] = this.#now();
    // Prototype-less records: V8 keeps them as dictionaries, so 10,000 nodes with 10,000 different
    // key sets do not create 10,000 hidden classes (14x faster to build; see the overhead bench).
    const binding = this.#bound > 0 ? this.#bindings[i] : undefined;
    let inputs: Record<string, unknown>;
    let upstream: Record<string, NodeOutcome>;
    if (binding?.inputs) {
      inputs = binding.inputs; // a fan-out child: its parent's inputs
      upstream = binding.upstream!;
    } else {
      inputs = Object.create(null) as Record<string, unknown>;
      upstream = Object.create(null) as Record<string, NodeOutcome>;
      this.#fillInputs(i, inputs, upstream, binding);
    }
    const execution = new NodeExecution(i, this.#nodes[i]!, inputs, upstream, this.#scope, binding);
    // Marked running before it starts: it may settle synchronously, or the run may be cancelled or
    // failed from inside its start (by a consumer of node.started); then its teardown comes last.
    this.#running.set(i, execution);
    execution.start();
  }

  /**
   * What node `i` runs with: its dependencies' values and outcomes by id, or, for a fan-out child,
   * its parent's (off the hot path: `#startNode` fills its records in place).
   */
  #inputsOf(i: number): { inputs: Record<string, unknown>; upstream: Record<string, NodeOutcome> } {
    const binding = this.#bound > 0 ? this.#bindings[i] : undefined;
    if (binding?.inputs) return { inputs: binding.inputs, upstream: binding.upstream! };
    const inputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const upstream: Record<string, NodeOutcome> = Object.create(null) as Record<string, NodeOutcome>;
    this.#fillInputs(i, inputs, upstream, binding);
    return { inputs, upstream };
  }

  /** Fills `inputs` and `upstream` of node `i` from its dependencies' outcomes. */
  #fillInputs(i: number, inputs: Record<string, unknown>, upstream: Record<string, NodeOutcome>, binding: NodeBinding | undefined): void {
    const nodes = this.#nodes;
    const deps = this.#depIndices[i]!;
    // A subgraph node reads its dependencies by their ids inside the subgraph (`sources`, not `research/sources`).
    const strip = binding?.prefix?.length ?? 0;
    for (let k = 0; k < deps.length; k++) {
      const d = deps[k]!;
      const outcome = this.#outcomes[d]!;
      const id = strip === 0 ? nodes[d]!.id : nodes[d]!.id.slice(strip);
      upstream[id] = outcome;
      if (hasValue(outcome)) inputs[id] = outcome.value;
    }
  }

  /**
   * A ready node that takes no slot: one that must be approved first waits; a fan-out or a subgraph
   * adds its children to the run. Failures of the user's functions here (`items`, `input`,
   * `request`) fail the node, as a throwing `run` would.
   */
  #startSpecial(i: number): void {
    if (this.#outcomes[i] !== undefined) return;
    const node = this.#nodes[i]!;
    if (node.approve && !this.#bindings[i]?.approval) {
      this.#wait(i);
      return;
    }
    this.#startedAt[i] = this.#now();
    const binding = this.#bindings[i];
    const { inputs, upstream } = this.#inputsOf(i);
    const context = binding?.hasContext ? binding.context : this.#settings.context;
    let children: Children;
    try {
      if (node.forEach) {
        children = forEachChildren(node, node.forEach, node.forEach.items(inputs, { context }), inputs, upstream);
      } else {
        const sub = node.subgraph!;
        const input = sub.input ? sub.input(inputs, { context, ...(binding && 'item' in binding ? { item: binding.item, index: binding.index } : {}) }) : context;
        children = subgraphChildren(node, sub, input);
      }
    } catch (error) {
      this.#end(i, this.#outcomeOf(i, { status: 'failed', error }));
      return;
    }
    this.#expand(i, children, node.forEach ? 'forEach' : 'subgraph');
  }

  /** Adds a node's children to the run, says so (`node.expanded`), restores or queues them. */
  #expand(parent: number, children: Children, kind: 'forEach' | 'subgraph'): void {
    const first = this.#nodes.length;
    const count = children.definitions.length;
    this.#reserve(first + count);
    const base = this.#rank[parent]! - this.#nodes[parent]!.estimate; // the path after the parent
    const ids: number[] = new Array<number>(count);
    const parentId = this.#nodes[parent]!.id;
    // Child ids cannot collide: each starts with its parent's id and `[` or `/`, which no other node
    // of the graph may start with (checked at build time), and a fan-out's keys are unique.
    const { definitions, bindings, deps: localDeps, rank } = children;
    for (let k = 0; k < count; k++) {
      const i = first + k;
      ids[k] = i;
      this.#nodes.push(definitions[k]!);
      this.#parentOf[i] = parent + 1;
      this.#bindings[i] = bindings[k];
      this.#rank.push(base + rank[k]!);
      this.#outcomes.push(undefined);
    }
    this.#bound += count;
    for (let k = 0; k < count; k++) {
      const local = localDeps[k]!;
      const deps = local.length === 0 ? NO_DEPS : local.map((d) => first + d);
      this.#depIndices.push(deps);
      this.#dependents.push(kind === 'forEach' ? NO_DEPS : []); // a fan-out's children have no dependents
      this.#waitingOn[first + k] = deps.length;
    }
    if (kind === 'subgraph') for (let k = 0; k < count; k++) for (const d of this.#depIndices[first + k]!) (this.#dependents[d] as number[]).push(first + k);
    this.#expansions.set(parent, { children: ids, localIds: children.localIds, open: count });
    const { runId } = this.#settings;
    const nodes = new Array<{ id: string; deps: string[]; meta?: Record<string, unknown>; parent: string }>(count);
    for (let k = 0; k < count; k++) {
      const { id, deps, meta } = definitions[k]!;
      nodes[k] = meta ? { id, deps: deps.length === 0 ? [] : [...deps], meta: { ...meta }, parent: parentId } : { id, deps: deps.length === 0 ? [] : [...deps], parent: parentId };
    }
    this.#emit({ type: 'node.expanded', runId, nodeId: parentId, at: this.#now(), kind, nodes });
    if (count === 0) {
      this.#joins.push(parent);
      return;
    }
    const branched = this.#restore(first, first + count);
    const unchosen = this.#unchosen(branched);
    for (let i = first; i < first + count; i++) if (this.#outcomes[i] === undefined && this.#waitingOn[i] === 0 && !unchosen?.has(i)) this.#enqueue(i);
    this.#skipUnchosen(branched);
  }

  /** Grows the per-node typed arrays to hold `n` nodes (doubling, so adding children stays linear). */
  #reserve(n: number): void {
    if (n <= this.#waitingOn.length) return;
    const size = Math.max(n, this.#waitingOn.length * 2);
    const grow = <A extends Int32Array | Float64Array>(from: A, to: A): A => {
      to.set(from);
      return to;
    };
    this.#waitingOn = grow(this.#waitingOn, new Int32Array(size));
    this.#attempts = grow(this.#attempts, new Int32Array(size));
    this.#startedAt = grow(this.#startedAt, new Float64Array(size));
    this.#parentOf = grow(this.#parentOf, new Int32Array(size));
  }

  /** A fan-out's or subgraph's children have all ended: its value by its join policy. */
  #join(parent: number): void {
    if (this.#outcomes[parent] !== undefined) return;
    const expansion = this.#expansions.get(parent)!;
    const node = this.#nodes[parent]!;
    const ids = expansion.children.map((c) => this.#nodes[c]!.id);
    const outcomes = expansion.children.map((c) => this.#outcomes[c]!);
    const settlement = node.forEach ? joinForEach(node.id, node.forEach.join, ids, outcomes) : joinSubgraph(node.id, node.subgraph!, ids, expansion.localIds!, outcomes);
    this.#settle(parent, settlement);
  }

  /** A child ended: when it was its parent's last, the parent joins. */
  #childEnded(i: number): void {
    const parent = this.#parentOf[i]! - 1;
    if (parent < 0) return;
    const expansion = this.#expansions.get(parent)!;
    if (--expansion.open === 0) this.#joins.push(parent);
  }

  /** Asks for a decision: `node.waiting`, then a decision already given applies at once; else it waits (with its deadline). */
  #wait(i: number): void {
    const node = this.#nodes[i]!;
    const approve = node.approve!;
    const { inputs } = this.#inputsOf(i);
    let payload: unknown;
    try {
      payload = approve.request ? approve.request(inputs) : { ...inputs };
    } catch (error) {
      this.#startedAt[i] = this.#now();
      this.#end(i, this.#outcomeOf(i, { status: 'failed', error }));
      return;
    }
    const ms = approve.timeout ?? false;
    const timer = ms === false ? undefined : scheduleAfter(this.#scheduler, ms, () => this.#approvalTimedOut(i, ms));
    this.#startedAt[i] = this.#now();
    this.#waiting.set(i, { payload, timer });
    this.#emit({ type: 'node.waiting', runId: this.#settings.runId, nodeId: node.id, at: this.#now(), payload, timeoutMs: ms === false ? null : ms });
    const early = this.#decisions.get(node.id);
    if (early) {
      this.#decisions.delete(node.id);
      this.#applyDecision(i, early);
    }
  }

  #applyDecision(i: number, decision: Decision): void {
    const waiting = this.#waiting.get(i)!;
    this.#waiting.delete(i);
    waiting.timer?.unsubscribe();
    const node = this.#nodes[i]!;
    const { approve, value, reason, by } = decision;
    this.#emitDecided(i, decision);
    if (!approve) {
      const error = new ApprovalError('APPROVAL_REJECTED', node.id, `node '${node.id}' was rejected${by ? ` by ${by}` : ''}${reason ? `: ${reason}` : ''}`, { ...(reason !== undefined ? { reason } : {}), ...(by !== undefined ? { by } : {}) });
      this.#end(i, this.#outcomeOf(i, { status: 'failed', error }));
      return;
    }
    const binding = this.#bindings[i] ?? {};
    binding.approval = { payload: waiting.payload, ...(value !== undefined ? { value } : {}), ...(by !== undefined ? { by } : {}) };
    if (this.#bindings[i] === undefined) {
      this.#bindings[i] = binding;
      this.#bound += 1;
    }
    this.#enqueue(i);
  }

  #approvalTimedOut(i: number, ms: number): void {
    if (this.#done || !this.#waiting.has(i)) return;
    this.#waiting.delete(i);
    const id = this.#nodes[i]!.id;
    const error = new ApprovalError('APPROVAL_TIMEOUT', id, `node '${id}' waited ${ms} ms for a decision that did not come`, { timeoutMs: ms });
    this.#end(i, this.#outcomeOf(i, { status: 'timedOut', error, timeoutMs: ms }));
    this.pump();
  }

  /** Hook of the executions: node `i` asks a person while it runs (`waitForApproval`). @internal */
  ask(i: number, payload: unknown, timeout: number | false, deliver: (decision: Decision) => void): () => void {
    const ask: Ask = { deliver, timer: undefined };
    const node = this.#nodes[i]!;
    this.#emit({ type: 'node.waiting', runId: this.#settings.runId, nodeId: node.id, at: this.#now(), payload, timeoutMs: timeout === false ? null : timeout });
    const early = this.#decisions.get(node.id);
    if (early) {
      this.#decisions.delete(node.id);
      this.#answer(i, ask, early);
      return () => undefined;
    }
    const asks = this.#asks.get(i) ?? [];
    asks.push(ask);
    this.#asks.set(i, asks);
    if (timeout !== false) {
      const expire = () => {
        const at = asks.indexOf(ask);
        if (at === -1 || this.#done) return;
        asks.splice(at, 1);
        this.#answer(i, ask, { approve: false, reason: `no decision within ${timeout} ms`, by: 'timeout' });
      };
      ask.timer = scheduleAfter(this.#scheduler, timeout, expire);
    }
    return () => {
      ask.timer?.unsubscribe();
      const at = asks.indexOf(ask);
      if (at !== -1) asks.splice(at, 1);
    };
  }

  /** Delivers a decision to a running node's request, saying so on the stream first. */
  #answer(i: number, ask: Ask, decision: Decision): void {
    ask.timer?.unsubscribe();
    this.#emitDecided(i, decision);
    ask.deliver(decision);
  }

  /** `node.decided` for node `i`: the decision, its optional fields only when given. */
  #emitDecided(i: number, { approve, value, reason, by }: Decision): void {
    this.#emit({
      type: 'node.decided',
      runId: this.#settings.runId,
      nodeId: this.#nodes[i]!.id,
      at: this.#now(),
      approve,
      ...(value !== undefined ? { value } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(by !== undefined ? { by } : {}),
    });
  }

  /** The run's position of a node id (the graph's, or a child's); undefined when the run has none. */
  #indexOf(id: string): number | undefined {
    const own = this.#graph.indexOf.get(id);
    if (own !== undefined) return own;
    // A child: decisions are rare, so a scan of the children beats a Map kept up per child.
    for (let i = this.#graph.nodes.length; i < this.#nodes.length; i++) if (this.#nodes[i]!.id === id) return i;
    return undefined;
  }

  /** Hook of the executions: attempt `attempt` of node `i` starts. @internal */
  attemptStarted(i: number, attempt: number): void {
    this.#attempts[i] = attempt;
    this.#emit({ type: 'node.started', runId: this.#settings.runId, nodeId: this.#nodes[i]!.id, at: this.#now(), attempt });
  }

  /** Hook of the executions: node `i` retries after a failed attempt. @internal */
  retrying(i: number, { attempt, error, delayMs }: RetryInfo): void {
    this.#emit({ type: 'node.retrying', runId: this.#settings.runId, nodeId: this.#nodes[i]!.id, at: this.#now(), attempt, delayMs, error: errorInfo(error) });
  }

  /** Hook of the executions: node `i` reports progress (tokens, usage) during attempt `attempt`. @internal */
  report(i: number, attempt: number, report: NodeReport): void {
    const nodeId = this.#nodes[i]!.id;
    const { runId } = this.#settings;
    // One per streamed delta, by far the most frequent event: a literal of one shape, not a spread of
    // reports of many shapes (which V8 copies through its slow, megamorphic path).
    const event = report.type === 'node.token' ? { type: report.type, text: report.text, runId, nodeId, at: this.#now(), attempt } : { ...report, runId, nodeId, at: this.#now(), attempt };
    this.#emit(event as RunEvent);
    if (report.type === 'node.usage') {
      this.#usage.add(nodeId, report.model, report.usage, report.costUsd);
      this.#checkBudget(nodeId);
    }
  }

  /** Hook of the executions: node `i` settled. @internal */
  settled(i: number, settlement: Settlement): void {
    if (this.#done || this.#outcomes[i] !== undefined) return;
    this.#running.delete(i);
    this.#settle(i, settlement);
    if (this.#budgetStop) this.#stopForBudget(); // the node that crossed the budget keeps its result
    else this.pump();
  }

  /** Ends node `i` with its settlement; a branch node's value first chooses which dependents run. */
  #settle(i: number, settlement: Settlement): void {
    if (this.#nodes[i]!.branch === undefined || (settlement.status !== 'succeeded' && settlement.status !== 'fellBack')) {
      this.#end(i, this.#outcomeOf(i, settlement));
      return;
    }
    const chosen = this.#branchChoice(i, settlement.value);
    if (chosen instanceof Set) this.#end(i, this.#outcomeOf(i, settlement), chosen);
    else this.#end(i, this.#outcomeOf(i, { status: 'failed', error: chosen }));
  }

  /**
   * The dependents a branch node chose for its value (positions), or the error that fails it: the
   * branch function threw, or named a node that is not its dependent (`BRANCH_TARGET`, keeping the value).
   */
  #branchChoice(i: number, value: unknown): Set<number> | unknown {
    const node = this.#nodes[i]!;
    let picked: string | readonly string[];
    try {
      const { inputs } = this.#inputsOf(i);
      picked = node.branch!({ value, inputs });
    } catch (error) {
      return error;
    }
    const names = typeof picked === 'string' ? [picked] : Array.isArray(picked) ? (picked as readonly unknown[]) : [picked];
    const prefix = this.#bindings[i]?.prefix ?? '';
    const dependents = this.#dependents[i]!;
    const chosen = new Set<number>();
    for (const name of names) {
      const d = typeof name === 'string' ? dependents.find((k) => this.#nodes[k]!.id === prefix + name || this.#nodes[k]!.id === name) : undefined;
      if (d === undefined) {
        const known = dependents.map((k) => `'${this.#nodes[k]!.id.slice(prefix.length)}'`).join(', ') || 'none';
        return new DynamicNodeError('BRANCH_TARGET', node.id, `branch of '${node.id}' chose ${typeof name === 'string' ? `'${name}'` : String(name)}, which is not one of its dependents (${known})`, {
          value,
          ...(typeof name === 'string' ? { target: name } : {}),
        });
      }
      chosen.add(d);
    }
    return chosen;
  }

  #branchCause(i: number, chosen: ReadonlySet<number>): SkipCause {
    const prefix = this.#bindings[i]?.prefix ?? '';
    return { kind: 'branch', node: this.#nodes[i]!.id, chose: [...chosen].map((d) => this.#nodes[d]!.id.slice(prefix.length)) };
  }

  #outcomeOf(i: number, settlement: Settlement): NodeOutcome {
    const endedAt = this.#now();
    const attempts = this.#attempts[i]!;
    const startedAt = this.#startedAt[i]!;
    const durationMs = endedAt - startedAt;
    // Literals with their keys in one order, no spreads: the common case stays one object shape.
    if (settlement.status === 'succeeded') return { status: 'succeeded', value: settlement.value, attempts, startedAt, endedAt, durationMs };
    const ran = { attempts, startedAt, endedAt, durationMs };
    switch (settlement.status) {
      case 'fellBack':
        return { status: 'fellBack', value: settlement.value, reason: settlement.reason, via: settlement.via, error: errorInfo(settlement.error), ...ran };
      case 'failed':
        return { status: 'failed', error: errorInfo(settlement.error), ...gaveUpOf(settlement), ...ran };
      case 'timedOut':
        return { status: 'timedOut', timeoutMs: settlement.timeoutMs, error: errorInfo(settlement.error), ...gaveUpOf(settlement), ...ran };
    }
  }

  /**
   * Records a node's outcome, emits its end event, and releases its dependents: each is queued
   * when its last dependency ends, or, when this one did not succeed, handled by its policy.
   * Skips propagate through an explicit work list, so long chains do not grow the stack.
   */
  #end(first: number, outcome: NodeOutcome, chosen?: ReadonlySet<number>): void {
    this.#record(first, outcome);
    this.#release(first, chosen);
  }

  /** Releases the dependents of node `first`, which has just ended (see {@link RunLoop.#end}). */
  #release(first: number, chosen?: ReadonlySet<number>): void {
    let ended: number[] | undefined; // skipped nodes whose dependents are not yet released (allocated on the first skip)
    for (let i: number | undefined = first; i !== undefined && !this.#done; i = ended?.pop()) {
      const ok = hasValue(this.#outcomes[i]);
      const dependents = this.#dependents[i]!;
      for (let k = 0; k < dependents.length; k++) {
        const d = dependents[k]!;
        if (this.#outcomes[d] !== undefined) continue;
        const remaining = --this.#waitingOn[d]!;
        if (chosen !== undefined && i === first && !chosen.has(d)) {
          // Not chosen by the branch: skipped (not a failure), and its own dependents follow their policies.
          this.#record(d, { status: 'skipped', cause: this.#branchCause(first, chosen), endedAt: this.#now() });
          this.#rootCause[d] = this.#nodes[first]!.id;
          (ended ??= []).push(d);
          continue;
        }
        const policy = ok ? undefined : this.#nodes[d]!.onUpstreamFailure; // a value: the dependent waits for the rest
        if (policy === 'fail') {
          this.#failRun(this.#rootCause[i] ?? this.#nodes[i]!.id);
          return;
        }
        if (policy === 'skip') {
          this.#record(d, { status: 'skipped', cause: { kind: 'upstream', upstream: this.#nodes[i]!.id }, endedAt: this.#now() });
          this.#rootCause[d] = this.#rootCause[i] ?? this.#nodes[i]!.id;
          (ended ??= []).push(d);
        } else if (remaining === 0) {
          this.#enqueue(d);
        }
      }
    }
  }

  #record(i: number, outcome: NodeOutcome): void {
    this.#outcomes[i] = outcome;
    this.#settled += 1;
    this.#childEnded(i);
    if (this.#asks.size > 0) this.#asks.delete(i); // its requests were withdrawn with its work
    const waiting = this.#waiting.size > 0 ? this.#waiting.get(i) : undefined;
    if (waiting) {
      // Ended while it waited (the run stopped, or an upstream policy): no decision is awaited any more.
      waiting.timer?.unsubscribe();
      this.#waiting.delete(i);
    }
    const { runId } = this.#settings;
    const nodeId = this.#nodes[i]!.id;
    const at = outcome.endedAt;
    switch (outcome.status) {
      case 'skipped':
        this.#emit({ type: 'node.skipped', runId, nodeId, at, cause: outcome.cause });
        return;
      case 'succeeded': {
        // The fields of #outcomeOf's literal but status and endedAt, in its order (restored
        // outcomes are emitted by #restore): a literal, not a copy by rest and spread.
        const { value, attempts, startedAt, durationMs } = outcome;
        this.#emit({ type: 'node.succeeded', runId, nodeId, at, value, attempts, startedAt, durationMs });
        return;
      }
      default: {
        const { status, endedAt: _e, ...rest } = outcome;
        this.#emit({ type: `node.${status}`, runId, nodeId, at, ...rest } as RunEvent);
      }
    }
  }

  /** Policy `fail`: cancel in-flight nodes, skip everything not yet ended, complete the run. */
  #failRun(failedNode: string): void {
    this.#failedNode = failedNode;
    this.#stopRun((wasRunning) => ({ kind: 'runFailed', failedNode, wasRunning }));
  }

  /**
   * After a call's usage: once the spend crosses the budget, say so, and stop the run as soon as the
   * reporting node has settled (at once, if it is still making calls): in-flight nodes are
   * cancelled, the rest skipped with cause `budget`, results so far kept.
   */
  #checkBudget(nodeId: string): void {
    const budget = this.#settings.budget;
    if (!budget || this.#budgetStop) return;
    const spentUsd = this.#usage.totalUsd;
    if (spentUsd <= budget.maxUsd) return;
    const { runId, scheduler } = this.#settings;
    this.#emit({ type: 'budget.exceeded', runId, at: this.#now(), nodeId, spentUsd, maxUsd: budget.maxUsd });
    this.#budgetStop = { spentUsd, maxUsd: budget.maxUsd };
    this.#out.add(scheduler.schedule(() => this.#stopForBudget()));
  }

  #stopForBudget(): void {
    const stop = this.#budgetStop;
    if (!stop || this.#done) return;
    this.#stoppedBy = 'budget';
    this.#stopRun((wasRunning) => ({ kind: 'budget', ...stop, wasRunning }), new BudgetStopError(stop));
  }

  /** Cancels in-flight nodes, skips every node not yet ended with the given cause, completes the run. */
  #stopRun(causeOf: (wasRunning: boolean) => SkipCause, reason?: unknown): void {
    const running = new Set(this.#running.keys());
    this.#stopRunning(reason);
    const at = this.#now();
    // Children first, the latest added first (so a fan-out or subgraph node ends after its children,
    // nested ones included), then the graph's own nodes in order. A node whose children were running
    // was running too.
    const skip = (i: number) => {
      if (this.#outcomes[i] === undefined) this.#record(i, { status: 'skipped', cause: causeOf(running.has(i) || this.#expansions.has(i)), endedAt: at });
    };
    for (let i = this.#nodes.length - 1; i >= this.#graph.nodes.length; i--) skip(i);
    for (let i = 0; i < this.#graph.nodes.length; i++) skip(i);
    this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    const counts: Record<NodeStatus, number> = { succeeded: 0, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 };
    for (let i = 0; i < this.#outcomes.length; i++) counts[this.#outcomes[i]!.status] += 1;
    let attempts = 0;
    let retries = 0;
    for (let i = 0; i < this.#nodes.length; i++) {
      const made = this.#attempts[i]!;
      attempts += made;
      retries += Math.max(0, made - 1);
    }
    const status = runStatusOf(counts, this.#nodes.length, this.#failedNode !== undefined || this.#stoppedBy !== undefined);
    const at = this.#now();
    this.#out.next({
      type: 'run.completed',
      runId: this.#settings.runId,
      at,
      summary: {
        status,
        nodes: this.#nodes.length,
        counts,
        makespanMs: at - this.#startedRunAt,
        attempts,
        retries,
        usage: this.#usage.totals(),
        ...(this.#settings.retryBudget ? { retryBudget: retryBudgetState(this.#settings.retryBudget) } : {}),
        ...(this.#failedNode !== undefined ? { failedNode: this.#failedNode } : {}),
        ...(this.#stoppedBy ? { stoppedBy: this.#stoppedBy } : {}),
        ...(this.#restored > 0 ? { restored: this.#restored } : {}),
      },
    });
    this.#out.complete();
  }

  #enqueue(i: number): void {
    const node = this.#nodes[i]!;
    if ((node.forEach !== undefined || node.subgraph !== undefined || node.approve !== undefined) && !(node.approve && this.#bindings[i]?.approval && !node.forEach && !node.subgraph)) {
      this.#special.push(i); // expanded or asked for approval by the pump: takes no slot
      return;
    }
    this.#ready.push(i);
    const { runId } = this.#settings;
    this.#emit({ type: 'node.queued', runId, nodeId: node.id, at: this.#now(), priority: this.#rank[i]! });
  }

  #emit(event: RunEvent): void {
    if (!this.#done) this.#out.next(event);
  }

  #now(): number {
    return this.#scheduler.now();
  }
}

/**
 * How a completed run ended (restored nodes count by their status, i.e. as values):
 * `failed` when it was stopped (a `'fail'` policy, the budget) or no node has a value; `succeeded`
 * when every node has a value (succeeded or fell back); `partial` otherwise. Pure.
 */
function runStatusOf(counts: Readonly<Record<NodeStatus, number>>, nodes: number, stopped: boolean): RunStatus {
  const withValue = counts.succeeded + counts.fellBack;
  if (stopped || withValue === 0) return 'failed';
  return withValue === nodes ? 'succeeded' : 'partial';
}

function gaveUpOf(settlement: { gaveUp?: 'budget' | 'notRetryable' | 'exhausted' }) {
  return settlement.gaveUp ? { gaveUp: settlement.gaveUp } : {};
}

function retryBudgetState({ calls, retries, denied, limit }: RetryBudget) {
  return { calls, retries, denied, limit };
}

function costEstimateOf(budget: RunSettings['budget']) {
  const estimate = budget?.estimate;
  if (!budget || !estimate) return {};
  const byNode = idRecord(estimate.byNode.map((cost) => [cost.nodeId, cost.usd] as const));
  return { costEstimate: { totalUsd: estimate.totalUsd, maxUsd: budget.maxUsd, byNode, unestimated: [...estimate.unestimated] } };
}
