import { Observable, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import type { CallFeedback, ConcurrencyLimiter } from './concurrency-limiter.js';

/** Settings of {@link limitConcurrency}. */
export interface LimitConcurrencyOptions {
  /**
   * Whether an error means the provider is overloaded (the adaptive limit backs off).
   * @default status 429 or 529, or code RATE_LIMITED / OVERLOADED
   */
  isOverload?: (error: unknown) => boolean;
  /** Called when the call has to wait for a slot. */
  onWait?: (info: { inFlight: number; limit: number; waiting: number }) => void;
  /**
   * The call's AbortSignal (a node's `ctx.signal`). Once it aborts, the call is never granted a
   * slot (it errors with `signal.reason` instead of starting), and a call that fails after it
   * aborted is released as `cancelled`, not as a failure: its slot goes to the next waiter only
   * after the teardown in progress, which may be about to cancel that waiter too (a run's nodes
   * sharing one limiter). Without it, cancelling several callers at once can start a queued call
   * that is cancelled at once. @default none
   */
  signal?: AbortSignal;
}

/** The default overload test: the provider said "too many" (429) or "overloaded" (529). */
export function isOverloadError(error: unknown): boolean {
  const { status, code } = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; code?: unknown };
  return status === 429 || status === 529 || code === 'RATE_LIMITED' || code === 'OVERLOADED';
}

/**
 * Runs the source only while holding a slot of the shared {@link ConcurrencyLimiter}, and tells
 * the limiter how the call went (success with latency, overload, failure, cancelled), which an
 * adaptive limiter uses to find its limit. Give it the call's `signal` so that cancelling a run
 * starts none of the calls queued behind its own.
 *
 * ## Example
 * ```ts
 * import { ConcurrencyLimiter, limitConcurrency } from 'rx-orchestra/operators';
 * const shared = new ConcurrencyLimiter({ initial: 4, max: 16 });
 * graph().node('a', { run: ({ signal }) => call(signal).pipe(limitConcurrency(shared, { signal })) });
 * ```
 */
export function limitConcurrency<T>(limiter: ConcurrencyLimiter, options: LimitConcurrencyOptions = {}): MonoTypeOperatorFunction<T> {
  const { isOverload = isOverloadError, onWait, signal } = options;
  return (source) =>
    new Observable<T>((subscriber) => {
      if (onWait && limiter.inFlight >= limiter.limit) onWait({ inFlight: limiter.inFlight, limit: limiter.limit, waiting: limiter.waiting + 1 });
      let release: ((feedback: CallFeedback) => void) | undefined;
      let startedAt = 0;
      let inner: Subscription | undefined;
      const slotSubscription = limiter.acquire(signal).subscribe({
        error: (reason: unknown) => subscriber.error(reason), // aborted while waiting: never started
        next: (slot) => {
          startedAt = slot.startedAt;
          release = slot.release;
          inner = source.subscribe({
            next: (value) => subscriber.next(value),
            error: (error: unknown) => {
              inner?.unsubscribe(); // the call's own cleanup runs before its slot is handed on
              // Failed because its caller aborted it: cancelled, handed on after the teardown.
              const kind = signal?.aborted ? 'cancelled' : isOverload(error) ? 'overload' : 'failure';
              release?.({ kind, startedAt });
              release = undefined;
              subscriber.error(error);
            },
            complete: () => {
              inner?.unsubscribe();
              release?.({ kind: 'success', latencyMs: limiter.now() - startedAt, startedAt });
              release = undefined;
              subscriber.complete();
            },
          });
        },
      });
      return () => {
        slotSubscription.unsubscribe();
        inner?.unsubscribe(); // stop the call before its slot goes to the next one
        release?.({ kind: 'cancelled', startedAt });
      };
    });
}
