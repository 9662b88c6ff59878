import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import type { RunEvent } from './events.js';
import { OptionsError } from '../errors/options-error.js';
import { RunLoop } from './run-loop.js';
import type { Model } from '../models/model.js';
import type { NodeOutcome } from './outcome.js';
import { estimateRunCost, type RunCostEstimate } from '../budget/index.js';
import { checkBudgetConfig, type BudgetConfig } from '../budget/budget-config.js';
import { assertWithinBudget } from '../budget/preflight.js';
import { createRetryBudget, type RetryBudget, type RetryBudgetConfig } from '../../operators/retry-budget.js';
import type { Decision } from '../graph/dynamic-spec.js';
import type { NodeDefinition } from '../graph/node-spec.js';
import { ApprovalError } from './errors.js';
import { isRunNodeId } from './run-node-ids.js';
import { batchingModel, isBatchingModel, type BatchRunOptions } from '../models/batch/batching-model.js';
import { registerRunBatching } from '../models/batch/run-batching.js';

/**
 * Node executions in flight unless told otherwise: a safety cap, not a tuning knob. It bounds plain
 * nodes (your own HTTP calls, tools); `llm()` calls are paced by their governed model, whose
 * adaptive limit starts at 4 and grows up to 64, so this cap never throttles it.
 */
export const DEFAULT_CONCURRENCY = 64;

/** Options of one run. */
export interface ExecuteOptions<C = unknown> {
  /**
   * At most this many node executions in flight: a safety cap for the graph, which bounds plain
   * nodes. Model calls need no hand-tuned number here: `llm()` nodes go through a governed model
   * whose adaptive limit (from 4, up to 64) and quota pace them (seed 003's sweet spot, found at
   * run time). Set it lower for plain nodes that hit a service with a small limit.
   * An integer >= 1, or `Infinity`. @default 64
   */
  concurrency?: number;
  /** Value passed to every node as `ctx.context`. */
  context?: C;
  /** Id carried by every event (the seed's trace id). @default a random UUID */
  runId?: string;
  /** Scheduler for all timing: deadlines, backoff, timestamps. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Random source in [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /** The run's model provider, given to every node as `ctx.model` (e.g. one Claude client per run). */
  model?: Model;
  /**
   * Caps retries across the whole run as a share of calls, so a failing provider is not hammered
   * by a retry storm: a config, a shared budget, or `false` for none.
   * @default { ratio: 0.2, minRetries: 10 } (a new budget per run: `DEFAULT_RETRY_BUDGET`)
   */
  retryBudget?: RetryBudgetConfig | RetryBudget | false;
  /**
   * A spending limit (seed 000). Before the run, its cost is estimated from the nodes' cost
   * estimates and the run is refused with a `BudgetExceededError` (listing the most expensive
   * nodes) when over `maxUsd`; during the run, when the actual spend crosses `maxUsd`, the run
   * stops: in-flight calls are aborted, the rest skipped with cause `budget`, results so far kept.
   */
  budget?: BudgetConfig;
  /**
   * Outcomes to restore instead of running again (e.g. from a checkpoint of a run that died):
   * nodes that succeeded or fell back are not run; their outcome is re-emitted with `restored: true`
   * and their dependents receive the stored values. Other outcomes are ignored (those nodes run).
   */
  restore?: Readonly<Record<string, NodeOutcome>>;
  /**
   * Decisions about nodes that wait for approval (`approve`, `approval()`), by node id, known before
   * the run: e.g. given to `resume` after the process that asked has exited. Each applies the moment
   * its node waits. Decisions during a run go through {@link RunStream.decide}.
   */
  decisions?: Readonly<Record<string, Decision>>;
  /**
   * Send every `llm()` / `agent()` call of the run through the Message Batches API, at half price:
   * `true`, or settings (`maxWaitMs`, `maxBatchSize`, `pollInterval`, `retryAs`, `maxQueuedRequests`,
   * `backend`). Each wave of ready nodes waits for its batch (minutes, at most 24 h); a node's
   * `batch: false` keeps it direct. @default false
   */
  batch?: boolean | BatchRunOptions;
}

/**
 * The options argument of `execute`/`run`: optional, unless the graph declares a context type
 * (`graph<{ apiKey: string }>()`), in which case `context` is required.
 */
export type ExecuteArgs<C> = unknown extends C ? [options?: ExecuteOptions<C>] : [options: ExecuteOptions<C> & { context: C }];

/**
 * A run's event stream, remembering the graph's output types for {@link collect}. `decide` delivers
 * a decision to the runs of this stream in progress (see `approve` on a node).
 */
export type RunStream<O = Record<string, unknown>> = Observable<RunEvent> & {
  readonly __outputs?: O;
  /**
   * Decides about a node waiting for approval in the run(s) of this stream in progress: approve lets
   * it run, reject fails it (`APPROVAL_REJECTED`). A decision for a node that has not asked yet is
   * kept until it does. Throws an `ApprovalError` at once for a node the graph cannot have
   * (`UNKNOWN_NODE`), one that has ended (`NOT_WAITING`), no run in progress (`NO_LIVE_RUN`), or a
   * decision without a boolean `approve` (`INVALID_DECISION`).
   *
   * ## Example
   * ```ts
   * const run$ = execute(g);
   * run$.subscribe((e) => { if (e.type === 'node.waiting') run$.decide(e.nodeId, { approve: true, by: 'ana' }); });
   * ```
   */
  readonly decide?: (nodeId: string, decision: Decision) => void;
};

/**
 * Runs a graph: returns a cold Observable of {@link RunEvent}s. Subscribing starts the run;
 * unsubscribing cancels it (in-flight nodes are unsubscribed and their AbortSignals abort; nothing
 * starts afterwards). The stream ends with `run.completed` and completes; it does not error when
 * nodes fail (their outcomes are events). Each subscription is a separate run: use `shareRun` to
 * let several subscribers watch one run.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * execute(g, { concurrency: 4 }).subscribe((event) => console.log(event.type, 'nodeId' in event ? event.nodeId : ''));
 * ```
 * @throws {OptionsError} at call time, for an invalid option (named by field)
 */
export function execute<O, C>(graph: Graph<O, C>, ...args: ExecuteArgs<C>): RunStream<O> & { readonly decide: (nodeId: string, decision: Decision) => void } {
  const options: ExecuteOptions<C> = args[0] ?? {};
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(Number.isInteger(concurrency) || concurrency === Infinity) || concurrency < 1) {
    throw new OptionsError('concurrency', `execute: 'concurrency' must be an integer >= 1 or Infinity, got ${String(concurrency)}`, 'execute');
  }
  if (options.runId !== undefined && (typeof options.runId !== 'string' || options.runId === '')) {
    throw new OptionsError('runId', `execute: 'runId' must be a non-empty string`, 'execute');
  }
  if (options.batch !== undefined && typeof options.batch !== 'boolean' && (typeof options.batch !== 'object' || options.batch === null)) {
    throw new OptionsError('batch', `execute: 'batch' must be true, false or { maxWaitMs, maxBatchSize, ... }`, 'execute');
  }
  const batch = options.batch === undefined || options.batch === false ? undefined : options.batch === true ? {} : options.batch;
  const scheduler = options.scheduler ?? asyncScheduler;
  const model = batch && options.model && !isBatchingModel(options.model) ? batchingModel(options.model, { ...batch, scheduler }) : options.model;
  const batched = batch !== undefined || (isBatchingModel(options.model) && options.model.batchByDefault);
  const settings = {
    concurrency,
    context: options.context as unknown,
    scheduler,
    random: options.random ?? Math.random,
    model,
  };
  const retryBudget = options.retryBudget;
  if (retryBudget && !('tryRetry' in retryBudget)) createRetryBudget(retryBudget); // validate now, not at subscribe
  const makeBudget = (): RetryBudget | undefined =>
    retryBudget === false ? undefined : retryBudget !== undefined && 'tryRetry' in retryBudget ? retryBudget : createRetryBudget(retryBudget);
  const budget = options.budget === undefined ? undefined : preflight(graph, options.budget, model, batched);
  const unknown = Object.keys(options.restore ?? {}).filter((id) => !isRunNodeId(graph, id));
  if (unknown.length > 0) {
    throw new OptionsError('restore', `execute: 'restore' names nodes this graph does not have: ${unknown.map((id) => `'${id}'`).join(', ')} (a checkpoint of another graph?)`, 'execute');
  }
  if (options.decisions !== undefined && (typeof options.decisions !== 'object' || options.decisions === null || Array.isArray(options.decisions))) {
    throw new OptionsError('decisions', `execute: 'decisions' must be an object of decisions by node id, e.g. { publish: { approve: true } }`, 'execute');
  }
  for (const [id, decision] of Object.entries(options.decisions ?? {})) checkDecision(graph, id, decision, 'decisions');
  const live = new Set<RunLoop>();
  const run$ = new Observable<RunEvent>((subscriber) => {
    const runId = options.runId ?? crypto.randomUUID();
    // A batched run without a model of its own: its nodes find the run's batching by run id (the
    // default model is chosen in the nodes, above this layer).
    if (batch && !options.model) subscriber.add(registerRunBatching(runId, { batchByDefault: true, settings: batch }));
    const loop = new RunLoop(graph, { ...settings, retryBudget: makeBudget(), budget, restore: options.restore, decisions: options.decisions, runId }, subscriber);
    live.add(loop);
    subscriber.add(() => {
      live.delete(loop);
      loop.cancel();
    }); // before start: a consumer may unsubscribe on run.started
    loop.start();
  });
  return Object.assign(run$, {
    decide(nodeId: string, decision: Decision): void {
      checkDecision(graph, nodeId, decision, 'decide');
      if (live.size === 0) throw new ApprovalError('NO_LIVE_RUN', nodeId, `decide: no run of this stream is in progress (subscribe first; for a run that is not live, pass 'decisions' to execute or resume)`);
      for (const loop of live) loop.decide(nodeId, decision);
    },
  });
}

/** Throws an {@link ApprovalError} for a decision about a node the graph cannot have, or one without a boolean `approve`. */
function checkDecision(graph: Graph<unknown, unknown>, nodeId: string, decision: Decision, where: string): void {
  if (!isRunNodeId(graph, nodeId)) {
    throw new ApprovalError('UNKNOWN_NODE', nodeId, `${where}: this graph has no node '${nodeId}' (nor a fan-out or subgraph it could belong to)`);
  }
  if (typeof decision !== 'object' || decision === null || typeof decision.approve !== 'boolean') {
    throw new ApprovalError('INVALID_DECISION', nodeId, `${where}: the decision about '${nodeId}' must be an object with a boolean 'approve', got ${JSON.stringify(decision)}`);
  }
}

/** The pre-run check: estimates the run's cost and throws `BudgetExceededError` when it is over. */
function preflight(graph: Graph<unknown, unknown>, config: BudgetConfig, model: Model | undefined, batched: boolean): { maxUsd: number; estimate: RunCostEstimate } {
  const { maxUsd, top } = checkBudgetConfig(config);
  const estimate = assertWithinBudget(estimateRunCost(costedNodesOf(graph), { top, ...(model ? { model: model.model } : {}), ...(batched ? { batch: true } : {}) }), config);
  return { maxUsd, estimate };
}

/**
 * The nodes the pre-run estimate prices: the graph's, with each subgraph node replaced by the
 * subgraph's nodes (ids and deps prefixed, as they run). A fan-out counts once (one child's
 * estimate: its list is not known before the run). Pure.
 */
function costedNodesOf(graph: Graph<unknown, unknown>, prefix = ''): NodeDefinition[] {
  return graph.nodes.flatMap((node) =>
    node.subgraph && !node.forEach
      ? costedNodesOf(node.subgraph.graph, `${prefix}${node.id}/`)
      : prefix === ''
        ? [node]
        : [{ ...node, id: prefix + node.id, deps: node.deps.map((dep) => prefix + dep) }],
  );
}
