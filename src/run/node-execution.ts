import { Observable, catchError, defer, last, map, of, throwError, type MonoTypeOperatorFunction, type ObservableInput, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { FallbackStep, NodeContext, NodeDefinition } from '../graph/node-spec.js';
import type { ApprovalGranted, Decision } from '../graph/dynamic-spec.js';
import { timeout } from '../../operators/timeout.js';
import { attempt as attemptOf, AttemptHandle, AttemptRun, type AttemptConfig, type AttemptDestination } from '../../operators/attempt.js';
import { retryWithBackoff, type GiveUpReason, type RetryInfo } from '../../operators/retry.js';
import type { RetryBudget } from '../../operators/retry-budget.js';
import type { FallbackSource } from '../../operators/fallback.js';
import { fallbackChain } from '../../operators/fallback-chain.js';
import { scheduleAfter, MAX_TIMER_MS } from '../../operators/long-timer.js';
import { NodeDeadlineError, NodeRunError } from './errors.js';
import type { NodeReport } from './events.js';
import type { Model } from '../models/model.js';
import type { NodeBinding } from './node-binding.js';

/** How one node's execution ended (before the executor adds ids and timestamps). */
export type Settlement =
  | { status: 'succeeded'; value: unknown }
  | { status: 'fellBack'; value: unknown; reason: 'failed' | 'timedOut'; error: unknown; via: number }
  | { status: 'failed'; error: unknown; gaveUp?: GiveUpReason }
  | { status: 'timedOut'; error: unknown; timeoutMs: number; gaveUp?: GiveUpReason };

/**
 * What the executor hears from its nodes' executions, each call naming the node by its index in
 * the graph: one object per run (the run loop itself), not closures per node.
 */
export interface ExecutionHooks {
  attemptStarted(index: number, attempt: number): void;
  retrying(index: number, info: RetryInfo): void;
  report(index: number, attempt: number, report: NodeReport): void;
  /** The execution's one outcome; nothing is heard from it afterwards. */
  settled(index: number, settlement: Settlement): void;
  /** The node asks a person while it runs; `deliver` hears the decision. Returns the withdrawal. */
  ask(index: number, payload: unknown, timeout: number | false, deliver: (decision: Decision) => void): () => void;
}

/** What a run shares with every node execution: one object per run. */
export interface ExecutionScope {
  readonly runId: string;
  readonly context: unknown;
  readonly model: Model | undefined;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly retryBudget: RetryBudget | undefined;
  readonly hooks: ExecutionHooks;
}

/**
 * Aborts a node's execution ahead of its teardown: {@link ExecutionStop.abort} aborts the
 * AbortSignal in use (the attempt's or the fallback step's) and silences what the aborted work does
 * next, so no retry or fallback starts on the abort's error. Unsubscribe the execution next.
 */
export interface ExecutionStop {
  /** True once aborted. */
  stopped: boolean;
  /** The attempt or fallback step in flight. */
  current: AttemptHandle | undefined;
  /**
   * Aborts the in-flight signal (with `reason`, if given: see {@link AttemptHandle.stop}) and ignores
   * the execution's outcome from now on.
   */
  abort(reason?: unknown): void;
}

/** {@link NodeExecution}'s lifecycle: running, settled (its outcome was reported), closed (torn down). */
const RUNNING = 0;
const SETTLED = 1;
const CLOSED = 2;

/**
 * One node's whole execution, as the run loop drives it: {@link NodeExecution.start} runs it,
 * {@link ExecutionHooks.settled} hears its one {@link Settlement} (it never throws one),
 * {@link NodeExecution.abort} aborts the in-flight signal ahead of the teardown (a run being
 * cancelled aborts every node's signal before it tears any of them down), and
 * {@link NodeExecution.unsubscribe} is the teardown (it aborts the signal of work that had not
 * finished). Each attempt of `node.run` is run by the attempt rules of operators/attempt.ts (last
 * value, `NO_VALUE` when empty, its own AbortSignal) under the node's deadline.
 *
 * The common node (no retries, no fallback) runs through this one object and one
 * {@link AttemptRun} (this object is the attempt's destination and its rules): no operator chain,
 * and no timer at all when it finishes synchronously. A node with retries or a fallback runs
 * through {@link executeWithPolicies} (retry with backoff, then the fallback chain); both paths
 * report the same events in the same order.
 * @internal
 */
export class NodeExecution implements ExecutionStop, AttemptDestination<unknown>, AttemptConfig {
  // Fields are assigned in the constructor, not declared with initializers: one is built per node,
  // and in a fresh process field initializers cost about three times as much (see the cold bench).
  declare readonly index: number;
  declare readonly node: NodeDefinition;
  declare readonly inputs: Record<string, unknown>;
  declare readonly upstream: NodeContext<Record<string, unknown>, unknown>['upstream'];
  declare readonly scope: ExecutionScope;
  /** A child's item, inputs or context, an approved node's decision; undefined for most nodes. */
  declare readonly binding: NodeBinding | undefined;
  declare stopped: boolean;
  declare current: AttemptHandle | undefined;
  /** {@link RUNNING}, {@link SETTLED} or {@link CLOSED}. */
  declare private state: number;
  /** The attempt's last value, until it completes. */
  declare private value: unknown;
  /** The single attempt (common path). */
  declare private run: AttemptRun<unknown> | undefined;
  declare private timer: Subscription | undefined;
  /** The policies' Observable (retries or a fallback). */
  declare private subscription: Subscription | undefined;

  constructor(
    index: number,
    node: NodeDefinition,
    inputs: Record<string, unknown>,
    upstream: NodeContext<Record<string, unknown>, unknown>['upstream'],
    scope: ExecutionScope,
    binding: NodeBinding | undefined,
  ) {
    this.index = index;
    this.node = node;
    this.inputs = inputs;
    this.upstream = upstream;
    this.scope = scope;
    this.binding = binding;
    this.stopped = false;
    this.current = undefined;
    this.state = RUNNING;
    this.value = undefined;
    this.run = undefined;
    this.timer = undefined;
    this.subscription = undefined;
  }

  /** Runs the node: its first attempt starts now (and may settle before this returns). */
  start(): void {
    const { node, scope } = this;
    const ms = node.timeout;
    if (node.fallback || retryCountOf(node) !== 0 || !(ms === false || (typeof ms === 'number' && ms >= 0))) {
      const subscription = executeWithPolicies(this).subscribe(new SettlementObserver(this));
      if (this.state === CLOSED) subscription.unsubscribe();
      else this.subscription = subscription;
      return;
    }
    // No retry can happen: the retry budget only counts the call.
    scope.retryBudget?.recordAttempt();
    scope.hooks.attemptStarted(this.index, 1);
    const handle = new AttemptHandle();
    this.current = handle;
    const run = (this.run = new AttemptRun<unknown>(this, handle, false, this));
    let result: ObservableInput<unknown>;
    try {
      result = node.run(new AttemptContextImpl(this, 1, handle));
      if (this.stopped) handle.stop(); // stopped while it started (by a consumer of node.started): its teardown follows
    } catch (error) {
      run.error(error);
      return;
    }
    run.follow(result);
    // Torn down while it started: what was deferred happens now.
    if (this.state === CLOSED) run.unsubscribe();
    // Armed once the work is live, at the same scheduler time: work that finished synchronously never creates a timer.
    else if (this.state === RUNNING && ms !== false && ms !== Infinity) this.timer = armDeadline(scope.scheduler, ms, this);
  }

  /**
   * Aborts the in-flight signal and ignores the execution's outcome from now on; unsubscribe next.
   * With a `reason` (the run's budget stop gives a `BudgetStopError`), the signal aborts with it and
   * the reports the node emits from its abort listeners, synchronously, still reach the run.
   */
  abort(reason?: unknown): void {
    this.stopped = true;
    this.current?.stop(reason);
  }

  /** The teardown: clears the deadline and unsubscribes the work; aborts its signal if it had not finished. Idempotent. */
  unsubscribe(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.timer?.unsubscribe();
    this.run?.unsubscribe();
    this.subscription?.unsubscribe();
  }

  /** The attempt's last value (called once, right before {@link NodeExecution.complete}). @internal */
  next(value: unknown): void {
    this.value = value;
  }

  /** The attempt succeeded: the executor hears it, then the work is torn down (as an operator chain does on completion). @internal */
  complete(): void {
    if (this.state !== RUNNING) return;
    this.state = SETTLED;
    this.scope.hooks.settled(this.index, { status: 'succeeded', value: this.value });
    this.unsubscribe();
  }

  /** The attempt failed (the work's error, `NO_VALUE`, `INVALID_RESULT`). @internal */
  error(error: unknown): void {
    this.fail(failureOf(this.node, error, undefined));
  }

  /** The node's deadline passed: it timed out. @internal */
  deadline(): void {
    const ms = this.node.timeout as number;
    this.fail({ status: 'timedOut', error: new NodeDeadlineError(this.node.id, ms), timeoutMs: ms });
  }

  /** The attempt rule for a run that completed without a value: the node fails with `NO_VALUE`. @internal */
  empty(): NodeRunError {
    return emptyRun(this.node);
  }

  /** The attempt rule for a run that returned no ObservableInput: the node fails with `INVALID_RESULT`. @internal */
  invalid(result: unknown): NodeRunError {
    return invalidRun(this.node, result);
  }

  /** The policies' settlement. @internal */
  settledWith(settlement: Settlement): void {
    if (this.state === RUNNING) this.state = SETTLED;
    this.scope.hooks.settled(this.index, settlement);
  }

  /**
   * Tears down, then reports the failure: as `catchError` does, the failed work is unsubscribed (a
   * timed-out attempt's signal aborts) before the executor hears the node's outcome.
   */
  private fail(settlement: Settlement): void {
    if (this.state !== RUNNING) return;
    this.unsubscribe();
    this.scope.hooks.settled(this.index, settlement);
  }
}

/** Hands the policies' Observable's settlement to the execution. */
class SettlementObserver {
  constructor(readonly execution: NodeExecution) {}
  next(settlement: Settlement): void {
    this.execution.settledWith(settlement);
  }
}

/** The node's retry count (a number or a config's `count`). */
function retryCountOf(node: NodeDefinition): number | undefined {
  return typeof node.retry === 'number' ? node.retry : node.retry.count;
}

/** A failure settlement: `timedOut` for this node's own deadline error, else `failed`. */
function failureOf(node: NodeDefinition, error: unknown, gaveUp: GiveUpReason | undefined): Settlement {
  const why = gaveUp ? { gaveUp } : {};
  return error instanceof NodeDeadlineError && error.nodeId === node.id
    ? { status: 'timedOut', error, timeoutMs: error.ms, ...why }
    : { status: 'failed', error, ...why };
}

/** Arms a node's deadline: a scheduler action with the execution as its state, no closure per node. */
function armDeadline(scheduler: SchedulerLike, ms: number, execution: NodeExecution): Subscription {
  return ms > MAX_TIMER_MS ? scheduleAfter(scheduler, ms, () => execution.deadline()) : scheduler.schedule(fireDeadline, ms, execution);
}

function fireDeadline(this: SchedulerAction<NodeExecution>, execution?: NodeExecution): void {
  execution!.deadline();
}

/**
 * A node with retries or a fallback, as a cold Observable that emits exactly one
 * {@link Settlement} and completes (it never errors): attempts of `node.run`, each run by `attempt`
 * under the node's deadline and with its own AbortSignal, retried with backoff, then the fallback
 * if any. Unsubscribing aborts the in-flight attempt's signal; `execution.abort()` does so without
 * unsubscribing.
 */
function executeWithPolicies(execution: NodeExecution): Observable<Settlement> {
  const { node, scope, index } = execution;
  const { hooks, scheduler, random, retryBudget: budget } = scope;
  let attempt = 0;
  // One cold attempt, resubscribed by each retry: `node.run` under the deadline, with its own signal.
  const timedAttempt = attemptOf((handle) => {
    execution.current = handle;
    const work = node.run(new AttemptContextImpl(execution, attempt, handle));
    if (execution.stopped) handle.stop(); // stopped while it started (by a consumer of node.started): its teardown follows
    return work;
  }, new NodeAttemptRules(node)).pipe(withDeadline(node, scheduler));
  const oneAttempt = defer(() => {
    attempt += 1;
    hooks.attemptStarted(index, attempt);
    return timedAttempt;
  });
  const retryConfig = typeof node.retry === 'number' ? { count: node.retry } : node.retry;
  let gaveUp: GiveUpReason | undefined;
  const attempts =
    retryConfig.count === 0
      ? oneAttempt.pipe(retryWithBackoff({ count: 0, ...(budget ? { budget } : {}) })) // no retries: the operator only counts the call in the budget
      : oneAttempt.pipe(
          retryWithBackoff({
            ...retryConfig,
            onRetry: (info) => hooks.retrying(index, info),
            onGiveUp: ({ reason }) => (gaveUp = reason),
            ...(budget ? { budget } : {}),
            random,
            scheduler,
          }),
        );
  return attempts.pipe(
    map((value): Settlement => ({ status: 'succeeded', value })),
    catchError((error: unknown) => {
      const failure = failureOf(node, error, gaveUp);
      if (!node.fallback) return of(failure);
      const steps = (Array.isArray(node.fallback) ? node.fallback : [node.fallback]) as readonly FallbackStep<unknown>[];
      let via = 0;
      const alternatives = steps.map((step): FallbackSource<unknown> =>
        typeof step === 'function' ? (cause, signal) => step(cause, fallbackContext(execution, attempt, stoppable(signal, execution))) : step,
      );
      return throwError(() => error).pipe(
        fallbackChain(alternatives, { when: () => !execution.stopped, onFallback: ({ index: step }) => (via = step) }),
        withDeadline(node, scheduler),
        last(),
        map((value): Settlement => ({ status: 'fellBack', value, reason: failure.status as 'failed' | 'timedOut', error, via })),
        catchError((fallbackError: unknown) => of<Settlement>({ status: 'failed', error: fallbackError })),
      );
    }),
  );
}

/** A fallback step's signal that {@link ExecutionStop.abort} aborts too (steps are rare: one listener each). */
function stoppable(signal: AbortSignal, stopper: ExecutionStop): AbortSignal {
  const handle = new AttemptHandle(signal);
  stopper.current = handle;
  if (stopper.stopped) handle.stop();
  return handle.signal;
}

/**
 * How `attempt` treats a node's `run`: a run that completes without a value fails the node with
 * `NO_VALUE`, one that returns no ObservableInput with `INVALID_RESULT`. Methods, not closures: one
 * small object per node is all it costs.
 */
class NodeAttemptRules implements AttemptConfig {
  constructor(readonly node: NodeDefinition) {}

  empty(): NodeRunError {
    return emptyRun(this.node);
  }

  invalid(work: unknown): NodeRunError {
    return invalidRun(this.node, work);
  }
}

function emptyRun({ id }: NodeDefinition): NodeRunError {
  return new NodeRunError('NO_VALUE', id, `node '${id}' completed without a value`);
}

function invalidRun({ id }: NodeDefinition, result: unknown): NodeRunError {
  return new NodeRunError('INVALID_RESULT', id, `node '${id}': run returned ${describe(result)}, not an Observable, Promise or iterable`);
}

/** The node's per-attempt deadline (none when `timeout: false`), raising a {@link NodeDeadlineError}. */
function withDeadline<T>(node: NodeDefinition, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const ms = node.timeout;
  return ms === false ? (source) => source : timeout<T>({ total: ms, scheduler, with: () => new NodeDeadlineError(node.id, ms) });
}

/**
 * One attempt's context: the node's, with the attempt's {@link AttemptHandle} behind `signal`
 * (its AbortController is only created when the node reads `signal`: most instant nodes never do)
 * and an `emit` that goes quiet once the attempt ended (but for what abort listeners report while
 * `stop(reason)` aborts it: see {@link AttemptHandle.silenced}).
 */
class AttemptContextImpl implements NodeContext<Record<string, unknown>, unknown> {
  readonly #handle: AttemptHandle;
  readonly #execution: NodeExecution;
  // Public fields are assigned in the constructor, not declared with initializers (see NodeExecution).
  declare readonly inputs: Record<string, unknown>;
  declare readonly upstream: NodeContext<Record<string, unknown>, unknown>['upstream'];
  declare readonly nodeId: string;
  declare readonly runId: string;
  declare readonly context: unknown;
  declare readonly scheduler: SchedulerLike;
  declare readonly model: Model | undefined;
  declare readonly random: () => number;
  declare readonly attempt: number;
  /** A fan-out child's element and position; an approved node's decision (assigned only when set). */
  declare readonly item?: unknown;
  declare readonly index?: number;
  declare readonly approval?: ApprovalGranted;

  constructor(execution: NodeExecution, attempt: number, handle: AttemptHandle) {
    this.#handle = handle;
    this.#execution = execution;
    const { scope, binding } = execution;
    this.attempt = attempt; // the keys in the order they always had: a node may spread its context
    this.inputs = execution.inputs;
    this.upstream = execution.upstream;
    this.nodeId = execution.node.id;
    this.runId = scope.runId;
    this.context = scope.context;
    this.scheduler = scope.scheduler;
    this.model = scope.model;
    this.random = scope.random;
    if (binding !== undefined) bind(this, binding);
  }

  #emit: ((report: NodeReport) => void) | undefined;

  /** Bound on first read, so `({ emit }) => emit(...)` works. */
  get emit(): (report: NodeReport) => void {
    return (this.#emit ??= (report) => {
      if (!this.#handle.silenced) this.#execution.scope.hooks.report(this.#execution.index, this.attempt, report);
    });
  }

  get signal(): AbortSignal {
    return this.#handle.signal;
  }

  /** Bound on read, so `({ waitForApproval }) => waitForApproval(...)` works. */
  get waitForApproval(): (payload: unknown, options?: { readonly timeout?: number | false }) => Observable<Decision> {
    const execution = this.#execution;
    return (payload, options) => askApproval(execution, payload, options);
  }
}

/** A node's request for a decision while it runs (see `NodeContext.waitForApproval`): cold, withdrawn on unsubscribe. */
function askApproval(execution: NodeExecution, payload: unknown, options: { readonly timeout?: number | false } | undefined): Observable<Decision> {
  return new Observable<Decision>((subscriber) =>
    execution.scope.hooks.ask(execution.index, payload, options?.timeout ?? false, (decision) => {
      subscriber.next(decision);
      subscriber.complete();
    }),
  );
}

/** Adds what a binding carries to a node's context: a child's item, index or context, an approval. */
function bind(ctx: { context: unknown; item?: unknown; index?: number; approval?: ApprovalGranted }, binding: NodeBinding): void {
  if (binding.hasContext) ctx.context = binding.context;
  if (binding.index !== undefined) {
    ctx.item = binding.item;
    ctx.index = binding.index;
  }
  if (binding.approval) ctx.approval = binding.approval;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The context a fallback step runs with: the node's, with the step's own signal; reports count as the last attempt's. */
function fallbackContext(execution: NodeExecution, attempt: number, signal: AbortSignal): NodeContext<Record<string, unknown>, unknown> {
  const { scope, index, binding } = execution;
  const ctx = {
    inputs: execution.inputs,
    upstream: execution.upstream,
    nodeId: execution.node.id,
    runId: scope.runId,
    context: scope.context,
    scheduler: scope.scheduler,
    model: scope.model,
    random: scope.random,
    attempt,
    signal,
    emit: (report: NodeReport) => scope.hooks.report(index, attempt, report),
    waitForApproval: (payload: unknown, options?: { readonly timeout?: number | false }) => askApproval(execution, payload, options),
  };
  if (binding !== undefined) bind(ctx, binding);
  return ctx;
}
