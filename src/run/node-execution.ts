import { catchError, defer, last, map, of, throwError, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import type { FallbackStep, NodeContext, NodeDefinition } from '../graph/node-spec.js';
import { timeout } from '../../operators/timeout.js';
import { attempt as attemptOf, AttemptHandle, type AttemptConfig } from '../../operators/attempt.js';
import { retryWithBackoff, type GiveUpReason, type RetryInfo } from '../../operators/retry.js';
import type { RetryBudget } from '../../operators/retry-budget.js';
import type { FallbackSource } from '../../operators/fallback.js';
import { fallbackChain } from '../../operators/fallback-chain.js';
import { NodeDeadlineError, NodeRunError } from './errors.js';
import type { NodeReport } from './events.js';

/** How one node's execution ended (before the executor adds ids and timestamps). */
export type Settlement =
  | { status: 'succeeded'; value: unknown }
  | { status: 'fellBack'; value: unknown; reason: 'failed' | 'timedOut'; error: unknown; via: number }
  | { status: 'failed'; error: unknown; gaveUp?: GiveUpReason }
  | { status: 'timedOut'; error: unknown; timeoutMs: number; gaveUp?: GiveUpReason };

/** What the executor hears from a node's execution while it runs. */
export interface ExecutionHooks {
  attemptStarted(attempt: number): void;
  retrying(info: RetryInfo): void;
  report(attempt: number, report: NodeReport): void;
}

/**
 * Aborts a node's execution ahead of its teardown: {@link ExecutionStop.abort} aborts the
 * AbortSignal in use (the attempt's or the fallback step's) and silences what the aborted work does
 * next, so no retry or fallback starts on the abort's error. Unsubscribe the execution next.
 */
export class ExecutionStop {
  /** True once aborted. */
  stopped = false;
  /** The attempt or fallback step in flight. @internal */
  current: AttemptHandle | undefined = undefined;

  /** Aborts the in-flight signal and ignores the execution's outcome from now on. */
  abort(): void {
    this.stopped = true;
    this.current?.stop();
  }

}

/** The parts of a node's context that do not change between attempts. */
export type AttemptContext = Omit<NodeContext<Record<string, unknown>, unknown>, 'signal' | 'attempt' | 'emit'>;

/**
 * One node's whole execution as a cold Observable that emits exactly one {@link Settlement} and
 * completes (it never errors): attempts of `node.run`, each run by `attempt` (operators/attempt.ts:
 * last value, `NO_VALUE` when empty) under the node's deadline and with its own AbortSignal, retried
 * with backoff, then the fallback if any. Unsubscribing aborts the
 * in-flight attempt's signal; `stop.abort()` does so without unsubscribing, so that a run being
 * cancelled can abort every node's signal before it tears any of them down.
 */
export function executeNode(
  node: NodeDefinition,
  context: AttemptContext,
  hooks: ExecutionHooks,
  random: () => number,
  scheduler: SchedulerLike,
  budget?: RetryBudget,
  stopper: ExecutionStop = new ExecutionStop(),
): Observable<Settlement> {
  let attempt = 0;
  // One cold attempt, resubscribed by each retry: `node.run` under the deadline, with its own signal.
  const timedAttempt = attemptOf((handle) => {
    stopper.current = handle;
    const work = node.run(new AttemptContextImpl(context, attempt, hooks, handle));
    if (stopper.stopped) handle.stop(); // stopped while it started (by a consumer of node.started): its teardown follows
    return work;
  }, new NodeAttemptRules(node)).pipe(withDeadline(node, scheduler));
  const oneAttempt = defer(() => {
    attempt += 1;
    hooks.attemptStarted(attempt);
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
            onRetry: hooks.retrying,
            onGiveUp: ({ reason }) => (gaveUp = reason),
            ...(budget ? { budget } : {}),
            random,
            scheduler,
          }),
        );
  return attempts.pipe(
    map((value): Settlement => ({ status: 'succeeded', value })),
    catchError((error: unknown) => {
      const why = gaveUp ? { gaveUp } : {};
      const failure: Settlement =
        error instanceof NodeDeadlineError && error.nodeId === node.id
          ? { status: 'timedOut', error, timeoutMs: error.ms, ...why }
          : { status: 'failed', error, ...why };
      if (!node.fallback) return of(failure);
      const steps = (Array.isArray(node.fallback) ? node.fallback : [node.fallback]) as readonly FallbackStep<unknown>[];
      let via = 0;
      const alternatives = steps.map((step): FallbackSource<unknown> =>
        typeof step === 'function' ? (cause, signal) => step(cause, fallbackContext(context, attempt, hooks, stoppable(signal, stopper))) : step,
      );
      return throwError(() => error).pipe(
        fallbackChain(alternatives, { when: () => !stopper.stopped, onFallback: ({ index }) => (via = index) }),
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
    const { id } = this.node;
    return new NodeRunError('NO_VALUE', id, `node '${id}' completed without a value`);
  }

  invalid(work: unknown): NodeRunError {
    const { id } = this.node;
    return new NodeRunError('INVALID_RESULT', id, `node '${id}': run returned ${describe(work)}, not an Observable, Promise or iterable`);
  }
}

/** The node's per-attempt deadline (none when `timeout: false`), raising a {@link NodeDeadlineError}. */
function withDeadline<T>(node: NodeDefinition, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const ms = node.timeout;
  return ms === false ? (source) => source : timeout<T>({ total: ms, scheduler, with: () => new NodeDeadlineError(node.id, ms) });
}

/**
 * One attempt's context: the node's, with the attempt's {@link AttemptHandle} behind `signal`
 * (its AbortController is only created when the node reads `signal`: most instant nodes never do)
 * and an `emit` that goes quiet once the attempt ended.
 */
class AttemptContextImpl implements NodeContext<Record<string, unknown>, unknown> {
  readonly #handle: AttemptHandle;
  readonly #hooks: ExecutionHooks;
  readonly inputs: Record<string, unknown>;
  readonly upstream: AttemptContext['upstream'];
  readonly nodeId: string;
  readonly runId: string;
  readonly context: unknown;
  readonly scheduler: SchedulerLike;
  readonly model: AttemptContext['model'];

  constructor(
    base: AttemptContext,
    readonly attempt: number,
    hooks: ExecutionHooks,
    handle: AttemptHandle,
  ) {
    ({ inputs: this.inputs, upstream: this.upstream, nodeId: this.nodeId, runId: this.runId, context: this.context, scheduler: this.scheduler, model: this.model } = base);
    this.#hooks = hooks;
    this.#handle = handle;
  }

  #emit: ((report: NodeReport) => void) | undefined;

  /** Bound on first read, so `({ emit }) => emit(...)` works. */
  get emit(): (report: NodeReport) => void {
    return (this.#emit ??= (report) => {
      if (!this.#handle.ended) this.#hooks.report(this.attempt, report);
    });
  }

  get signal(): AbortSignal {
    return this.#handle.signal;
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The context a fallback step runs with: the node's, with the step's own signal; reports count as the last attempt's. */
function fallbackContext(base: AttemptContext, attempt: number, hooks: ExecutionHooks, signal: AbortSignal): NodeContext<Record<string, unknown>, unknown> {
  return { ...base, attempt, signal, emit: (report) => hooks.report(attempt, report) };
}
