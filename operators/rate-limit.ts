import { defer, finalize, mergeMap, tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { CallCost, RateLimiter, RateLimitWait } from './rate-limiter.js';

/** Settings of {@link rateLimit}. */
export interface RateLimitOptions<T> {
  /** Called when the call has to wait for the quota. */
  onWait?: (wait: RateLimitWait) => void;
  /** Real usage from the call's value, to correct the estimate. @default none (the estimate stands) */
  usageOf?: (value: T) => { inputTokens?: number; outputTokens?: number } | undefined;
}

/**
 * Subscribes to the source only when the shared {@link RateLimiter} admits a call of this cost;
 * waits (in order) otherwise. With `usageOf`, the real usage corrects the quota; a call that fails
 * or is cancelled gives back its output-token estimate.
 *
 * ## Example
 * ```ts
 * import { RateLimiter, rateLimit } from 'rx-orchestra/operators';
 * const quota = new RateLimiter({ requestsPerMinute: 50, inputTokensPerMinute: 30_000 });
 * call$.pipe(rateLimit(quota, { inputTokens: 1_200 }, { onWait: (w) => console.log('waiting', w.waitMs) }));
 * ```
 */
export function rateLimit<T>(limiter: RateLimiter, cost: CallCost | (() => CallCost), options: RateLimitOptions<T> = {}): MonoTypeOperatorFunction<T> {
  return (source) =>
    defer(() => limiter.acquire(typeof cost === 'function' ? cost() : cost, options.onWait)).pipe(
      mergeMap((permit) =>
        source.pipe(
          tap((value) => {
            const usage = options.usageOf?.(value);
            if (usage) permit.settle(usage);
          }),
          // A call that failed or was cancelled produced no output: give back its output estimate
          // (a no-op once settled with real usage).
          finalize(() => permit.settle({ outputTokens: 0 })),
        ),
      ),
    );
}
