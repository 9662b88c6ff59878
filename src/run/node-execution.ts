import { Observable, catchError, defer, from, last, map, of, throwError, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { FallbackStep, NodeContext, NodeDefinition } from '../graph/node-spec.js';
import { timeout } from '../../operators/timeout.js';
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
  current: { end(cancelled: boolean): void } | undefined = undefined;

  /** Aborts the in-flight signal and ignores the execution's outcome from now on. */
  abort(): void {
    this.stopped = true;
    this.current?.end(true);
  }
}

/** The parts of a node's context that do not change between attempts. */
export type AttemptContext = Omit<NodeContext<Record<string, unknown>, unknown>, 'signal' | 'attempt' | 'emit'>;

/**
 * One node's whole execution as a cold Observable that emits exactly one {@link Settlement} and
 * completes (it never errors): attempts of `node.run`, each under the node's deadline and with its
 * own AbortSignal, retried with backoff, then the fallback if any. Unsubscribing aborts the
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
  const noRetries = (typeof node.retry === 'number' ? node.retry : (node.retry.count ?? 3)) === 0;
  const oneAttempt = defer(() => {
    attempt += 1;
    if (attempt === 1 && noRetries) budget?.recordAttempt(); // the retry operator counts its own calls
    hooks.attemptStarted(attempt);
    return runAttempt(node, context, attempt, hooks, scheduler, stopper);
  });
  const retryConfig = typeof node.retry === 'number' ? { count: node.retry } : node.retry;
  let gaveUp: GiveUpReason | undefined;
  const attempts =
    retryConfig.count === 0
      ? oneAttempt // counted as a call in the budget by the first attempt below
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
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  if (signal.aborted || stopper.stopped) abort();
  else signal.addEventListener('abort', abort, { once: true });
  stopper.current = { end: () => controller.abort() };
  return controller.signal;
}

/**
 * One attempt: subscribes to `node.run(ctx)`, keeps its last value, applies the deadline, and
 * aborts the attempt's signal if it is torn down before it finished on its own.
 */
function runAttempt(
  node: NodeDefinition,
  context: AttemptContext,
  attemptNumber: number,
  hooks: ExecutionHooks,
  scheduler: SchedulerLike,
  stopper: ExecutionStop,
): Observable<unknown> {
  const attempt = new Observable<unknown>((subscriber) => {
    const attemptContext = new AttemptContextImpl(context, attemptNumber, hooks);
    stopper.current = attemptContext;
    let finished = false;
    let latest: unknown;
    let hasValue = false;
    const work = node.run(attemptContext);
    let source: Observable<unknown>;
    try {
      source = typeof work === 'string' ? of(work) : from(work); // a string is one value, not its characters
    } catch {
      throw new NodeRunError('INVALID_RESULT', node.id, `node '${node.id}': run returned ${describe(work)}, not an Observable, Promise or iterable`);
    }
    const subscription = source.subscribe({
      next: (value) => {
        latest = value;
        hasValue = true;
      },
      error: (error: unknown) => {
        finished = true;
        // Aborted by a run being cancelled: its teardown follows; no retry, no fallback.
        if (!stopper.stopped) subscriber.error(error);
      },
      complete: () => {
        finished = true;
        if (stopper.stopped) return;
        if (hasValue) {
          subscriber.next(latest);
          subscriber.complete();
        } else {
          subscriber.error(new NodeRunError('NO_VALUE', node.id, `node '${node.id}' completed without a value`));
        }
      },
    });
    return () => {
      subscription.unsubscribe();
      attemptContext.end(!finished);
    };
  });
  return attempt.pipe(withDeadline(node, scheduler));
}

/** The node's per-attempt deadline (none when `timeout: false`), raising a {@link NodeDeadlineError}. */
function withDeadline<T>(node: NodeDefinition, scheduler: SchedulerLike): MonoTypeOperatorFunction<T> {
  const ms = node.timeout;
  return ms === false ? (source) => source : timeout<T>({ total: ms, scheduler, with: () => new NodeDeadlineError(node.id, ms) });
}

/**
 * One attempt's context. Its AbortController is only created when the node reads `signal` (most
 * instant nodes never do; creating one costs more than the rest of a node's bookkeeping), and its
 * `emit` goes quiet once the attempt ended.
 */
class AttemptContextImpl implements NodeContext<Record<string, unknown>, unknown> {
  #controller: AbortController | undefined;
  #aborted = false;
  #ended = false;
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
  ) {
    ({ inputs: this.inputs, upstream: this.upstream, nodeId: this.nodeId, runId: this.runId, context: this.context, scheduler: this.scheduler, model: this.model } = base);
    this.#hooks = hooks;
  }

  #emit: ((report: NodeReport) => void) | undefined;

  /** Bound on first read, so `({ emit }) => emit(...)` works. */
  get emit(): (report: NodeReport) => void {
    return (this.#emit ??= (report) => {
      if (!this.#ended) this.#hooks.report(this.attempt, report);
    });
  }

  /** The attempt is over; `cancelled` when it was torn down before it finished on its own. */
  end(cancelled: boolean): void {
    this.#ended = true;
    if (cancelled) this.#abort();
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(); // read after the attempt was torn down
    }
    return this.#controller.signal;
  }

  #abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The context a fallback step runs with: the node's, with the step's own signal; reports count as the last attempt's. */
function fallbackContext(base: AttemptContext, attempt: number, hooks: ExecutionHooks, signal: AbortSignal): NodeContext<Record<string, unknown>, unknown> {
  return { ...base, attempt, signal, emit: (report) => hooks.report(attempt, report) };
}
