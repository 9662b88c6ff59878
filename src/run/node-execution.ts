import { Observable, catchError, defer, from, last, map, of, type SchedulerLike } from 'rxjs';
import type { NodeContext, NodeDefinition } from '../graph/node-spec.js';
import { timeout, isTimeoutError } from '../../operators/timeout.js';
import { retryWithBackoff, type RetryInfo } from '../../operators/retry.js';
import { fallbackValue } from '../../operators/fallback.js';
import { NodeRunError } from './errors.js';

/** How one node's execution ended (before the executor adds ids and timestamps). */
export type Settlement =
  | { status: 'succeeded'; value: unknown }
  | { status: 'fellBack'; value: unknown; reason: 'failed' | 'timedOut'; error: unknown }
  | { status: 'failed'; error: unknown }
  | { status: 'timedOut'; error: unknown; timeoutMs: number };

/** What the executor hears from a node's execution while it runs. */
export interface ExecutionHooks {
  attemptStarted(attempt: number): void;
  retrying(info: RetryInfo): void;
}

/** The parts of a node's context that do not change between attempts. */
export type AttemptContext = Omit<NodeContext<Record<string, unknown>, unknown>, 'signal' | 'attempt'>;

/**
 * One node's whole execution as a cold Observable that emits exactly one {@link Settlement} and
 * completes (it never errors): attempts of `node.run`, each under the node's deadline and with its
 * own AbortSignal, retried with backoff, then the fallback if any. Unsubscribing aborts the
 * in-flight attempt's signal.
 */
export function executeNode(
  node: NodeDefinition,
  context: AttemptContext,
  hooks: ExecutionHooks,
  random: () => number,
  scheduler: SchedulerLike,
): Observable<Settlement> {
  let attempt = 0;
  const oneAttempt = defer(() => {
    attempt += 1;
    hooks.attemptStarted(attempt);
    return runAttempt(node, context, attempt, scheduler);
  });
  const retryConfig = typeof node.retry === 'number' ? { count: node.retry } : node.retry;
  const attempts = retryConfig.count === 0 ? oneAttempt : oneAttempt.pipe(retryWithBackoff({ ...retryConfig, onRetry: hooks.retrying, random, scheduler }));
  return attempts.pipe(
    map((value): Settlement => ({ status: 'succeeded', value })),
    catchError((error: unknown) => {
      const failure: Settlement =
        isTimeoutError(error) && node.timeout !== false
          ? { status: 'timedOut', error, timeoutMs: node.timeout }
          : { status: 'failed', error };
      if (!node.fallback) return of(failure);
      const fallback = node.fallback;
      return defer(() => fallbackValue(fallback, error)).pipe(
        last(),
        map((value): Settlement => ({ status: 'fellBack', value, reason: failure.status as 'failed' | 'timedOut', error })),
        catchError((fallbackError: unknown) => of<Settlement>({ status: 'failed', error: fallbackError })),
      );
    }),
  );
}

/**
 * One attempt: subscribes to `node.run(ctx)`, keeps its last value, applies the deadline, and
 * aborts the attempt's signal if it is torn down before it finished on its own.
 */
function runAttempt(node: NodeDefinition, context: AttemptContext, attemptNumber: number, scheduler: SchedulerLike): Observable<unknown> {
  const attempt = new Observable<unknown>((subscriber) => {
    const attemptContext = new LazySignalContext(context, attemptNumber);
    let finished = false;
    let latest: unknown;
    let hasValue = false;
    const work = node.run(attemptContext);
    let source: Observable<unknown>;
    try {
      source = from(work);
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
        subscriber.error(error);
      },
      complete: () => {
        finished = true;
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
      if (!finished) attemptContext.abort();
    };
  });
  return node.timeout === false ? attempt : attempt.pipe(timeout({ total: node.timeout, scheduler }));
}

/**
 * A node's context whose AbortController is only created when the node reads `signal` (most
 * instant nodes never do; creating one costs more than the rest of a node's bookkeeping).
 */
class LazySignalContext implements NodeContext<Record<string, unknown>, unknown> {
  #controller: AbortController | undefined;
  readonly inputs: Record<string, unknown>;
  readonly upstream: AttemptContext['upstream'];
  readonly nodeId: string;
  readonly runId: string;
  readonly context: unknown;
  readonly scheduler: SchedulerLike;

  constructor(
    base: AttemptContext,
    readonly attempt: number,
  ) {
    ({ inputs: this.inputs, upstream: this.upstream, nodeId: this.nodeId, runId: this.runId, context: this.context, scheduler: this.scheduler } = base);
  }

  #aborted = false;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(); // read after the attempt was torn down
    }
    return this.#controller.signal;
  }

  abort(): void {
    this.#aborted = true;
    this.#controller?.abort();
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
