import type { SchedulerLike, Subscriber } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import type { RetryInfo } from '../../operators/retry.js';
import type { NodeReport, NodeStatus, RunEvent, RunStatus, SkipCause } from './events.js';
import { errorInfo, hasValue, type NodeOutcome } from './outcome.js';
import { NodeExecution, type ExecutionHooks, type ExecutionScope, type Settlement } from './node-execution.js';
import { ReadyQueue } from './ready-queue.js';
import { UsageLedger } from './usage-ledger.js';
import { idRecord, ownEntry } from './id-record.js';
import type { RetryBudget } from '../../operators/retry-budget.js';
import type { RunCostEstimate } from '../budget/cost-estimate.js';
import { BudgetStopError } from '../budget/errors.js';
import type { Model } from '../models/model.js';

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
  readonly #waitingOn: Int32Array;
  readonly #outcomes: (NodeOutcome | undefined)[];
  readonly #attempts: Int32Array;
  readonly #startedAt: Float64Array;
  readonly #ready: ReadyQueue;
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
    this.#waitingOn = Int32Array.from(graph.depIndices, (deps) => deps.length);
    this.#outcomes = new Array<NodeOutcome | undefined>(n).fill(undefined);
    this.#attempts = new Int32Array(n);
    this.#startedAt = new Float64Array(n);
    this.#ready = new ReadyQueue(graph.rank);
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
    this.#restore();
    this.#graph.depIndices.forEach((deps, i) => {
      if (this.#outcomes[i] === undefined && this.#waitingOn[i] === 0) this.#enqueue(i);
    });
    this.pump();
  }

  /** Settles the nodes a checkpoint has a value for, re-emitting their outcome marked `restored`. */
  #restore(): void {
    const restore = this.#settings.restore;
    if (!restore) return;
    const { runId } = this.#settings;
    const at = this.#now();
    this.#graph.nodes.forEach((node, i) => {
      const outcome = ownEntry(restore, node.id);
      if (!hasValue(outcome)) return;
      this.#outcomes[i] = outcome;
      this.#settled += 1;
      this.#restored += 1;
      const { status, endedAt: _endedAt, ...rest } = outcome;
      this.#emit({ type: `node.${status}`, runId, nodeId: node.id, at, ...rest, restored: true } as RunEvent);
      for (const d of this.#graph.dependents[i]!) this.#waitingOn[d]! -= 1;
    });
  }

  /** Teardown on unsubscribe: stop everything, emit nothing more. */
  cancel(): void {
    this.#done = true;
    this.#stopRunning();
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
        while (!this.#done && this.#running.size < this.#settings.concurrency && this.#ready.size > 0) {
          this.#startNode(this.#ready.pop()!);
        }
      } while (this.#pumpAgain && !this.#done);
    } finally {
      this.#pumping = false;
    }
    if (!this.#done && this.#settled === this.#graph.nodes.length) this.#complete();
  }

  #startNode(i: number): void {
    this.#startedAt[i] = this.#now();
    // Prototype-less records: V8 keeps them as dictionaries, so 10,000 nodes with 10,000 different
    // key sets do not create 10,000 hidden classes (14x faster to build; see the overhead bench).
    const inputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const upstream: Record<string, NodeOutcome> = Object.create(null) as Record<string, NodeOutcome>;
    const { nodes } = this.#graph;
    const deps = this.#graph.depIndices[i]!;
    for (let k = 0; k < deps.length; k++) {
      const d = deps[k]!;
      const outcome = this.#outcomes[d]!;
      const id = nodes[d]!.id;
      upstream[id] = outcome;
      if (hasValue(outcome)) inputs[id] = outcome.value;
    }
    const execution = new NodeExecution(i, nodes[i]!, inputs, upstream, this.#scope);
    // Marked running before it starts: it may settle synchronously, or the run may be cancelled or
    // failed from inside its start (by a consumer of node.started); then its teardown comes last.
    this.#running.set(i, execution);
    execution.start();
  }

  /** Hook of the executions: attempt `attempt` of node `i` starts. @internal */
  attemptStarted(i: number, attempt: number): void {
    this.#attempts[i] = attempt;
    this.#emit({ type: 'node.started', runId: this.#settings.runId, nodeId: this.#graph.nodes[i]!.id, at: this.#now(), attempt });
  }

  /** Hook of the executions: node `i` retries after a failed attempt. @internal */
  retrying(i: number, { attempt, error, delayMs }: RetryInfo): void {
    this.#emit({ type: 'node.retrying', runId: this.#settings.runId, nodeId: this.#graph.nodes[i]!.id, at: this.#now(), attempt, delayMs, error: errorInfo(error) });
  }

  /** Hook of the executions: node `i` reports progress (tokens, usage) during attempt `attempt`. @internal */
  report(i: number, attempt: number, report: NodeReport): void {
    const nodeId = this.#graph.nodes[i]!.id;
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
    this.#end(i, this.#outcomeOf(i, settlement));
    if (this.#budgetStop) this.#stopForBudget(); // the node that crossed the budget keeps its result
    else this.pump();
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
  #end(first: number, outcome: NodeOutcome): void {
    this.#record(first, outcome);
    let ended: number[] | undefined; // skipped nodes whose dependents are not yet released (allocated on the first skip)
    for (let i: number | undefined = first; i !== undefined && !this.#done; i = ended?.pop()) {
      const ok = hasValue(this.#outcomes[i]);
      const dependents = this.#graph.dependents[i]!;
      for (let k = 0; k < dependents.length; k++) {
        const d = dependents[k]!;
        if (this.#outcomes[d] !== undefined) continue;
        const remaining = --this.#waitingOn[d]!;
        const policy = ok ? undefined : this.#graph.nodes[d]!.onUpstreamFailure; // a value: the dependent waits for the rest
        if (policy === 'fail') {
          this.#failRun(this.#rootCause[i] ?? this.#graph.nodes[i]!.id);
          return;
        }
        if (policy === 'skip') {
          this.#record(d, { status: 'skipped', cause: { kind: 'upstream', upstream: this.#graph.nodes[i]!.id }, endedAt: this.#now() });
          this.#rootCause[d] = this.#rootCause[i] ?? this.#graph.nodes[i]!.id;
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
    const { runId } = this.#settings;
    const nodeId = this.#graph.nodes[i]!.id;
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
    this.#graph.nodes.forEach((_, i) => {
      if (this.#outcomes[i] === undefined) this.#record(i, { status: 'skipped', cause: causeOf(running.has(i)), endedAt: at });
    });
    this.#complete();
  }

  #complete(): void {
    if (this.#done) return;
    this.#done = true;
    const counts: Record<NodeStatus, number> = { succeeded: 0, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 };
    for (let i = 0; i < this.#outcomes.length; i++) counts[this.#outcomes[i]!.status] += 1;
    let attempts = 0;
    let retries = 0;
    for (let i = 0; i < this.#attempts.length; i++) {
      const made = this.#attempts[i]!;
      attempts += made;
      retries += Math.max(0, made - 1);
    }
    const status = runStatusOf(counts, this.#graph.nodes.length, this.#failedNode !== undefined || this.#stoppedBy !== undefined);
    const at = this.#now();
    this.#out.next({
      type: 'run.completed',
      runId: this.#settings.runId,
      at,
      summary: {
        status,
        nodes: this.#graph.nodes.length,
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
    this.#ready.push(i);
    const { runId } = this.#settings;
    this.#emit({ type: 'node.queued', runId, nodeId: this.#graph.nodes[i]!.id, at: this.#now(), priority: this.#graph.rank[i]! });
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
