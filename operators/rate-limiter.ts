import { Observable, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { TokenBucket } from './token-bucket.js';
import { OptionsError } from '../src/errors/options-error.js';
import { scheduleAfter } from './long-timer.js';

/** A provider's per-minute quota. Give the limits you know; the others are not enforced. */
export interface Quota {
  requestsPerMinute?: number;
  inputTokensPerMinute?: number;
  outputTokensPerMinute?: number;
}

/** Common quota presets (requests / input tokens / output tokens per minute). */
export const QUOTA_PRESETS = {
  /** The entry tier of many providers, e.g. 50 RPM, 30,000 ITPM, 8,000 OTPM. */
  tier1: { requestsPerMinute: 50, inputTokensPerMinute: 30_000, outputTokensPerMinute: 8_000 },
  tier2: { requestsPerMinute: 1_000, inputTokensPerMinute: 450_000, outputTokensPerMinute: 90_000 },
  tier3: { requestsPerMinute: 2_000, inputTokensPerMinute: 800_000, outputTokensPerMinute: 160_000 },
  tier4: { requestsPerMinute: 4_000, inputTokensPerMinute: 2_000_000, outputTokensPerMinute: 400_000 },
} as const satisfies Record<string, Quota>;

/** What one call is expected to use. */
export interface CallCost {
  /** @default 1 */
  requests?: number;
  /** @default 0 */
  inputTokens?: number;
  /** Expected output tokens (corrected when the call settles). @default 0 */
  outputTokens?: number;
}

/** Which limit a call waits for. */
export type LimitKind = 'requests' | 'inputTokens' | 'outputTokens' | 'retryAfter';

/** Reported when a call cannot start at once. */
export interface RateLimitWait {
  /** Expected wait for the call at the head of the queue, in ms. */
  waitMs: number;
  limitedBy: LimitKind;
  /** Calls waiting, this one included. */
  queued: number;
}

/** An admitted call's hold on the quota: settle it with what the call really used. */
export interface Permit {
  /**
   * Corrects the buckets by the difference between the estimate and the real usage (once; later
   * calls do nothing). Pass `{ cancelled: true }` when the caller cancelled the call: the tokens it
   * gives back admit waiting calls only once the teardown in progress is over (at the same
   * scheduler time), so cancelling several callers at once (two runs in one subscription) admits
   * none of the calls that same teardown is about to cancel.
   */
  settle(actual: { inputTokens?: number; outputTokens?: number }, options?: { cancelled?: boolean }): void;
}

/** Quota state as a provider reports it (e.g. `anthropic-ratelimit-*` headers). */
export interface ReportedQuota {
  requests?: { limit?: number; remaining?: number };
  inputTokens?: { limit?: number; remaining?: number };
  outputTokens?: { limit?: number; remaining?: number };
}

interface Waiter {
  cost: Required<CallCost>;
  subscriber: Subscriber<Permit>;
  reported: boolean;
  onWait: ((wait: RateLimitWait) => void) | undefined;
  signal: AbortSignal | undefined;
}

const KINDS = ['requests', 'inputTokens', 'outputTokens'] as const;
const PER_MINUTE = { requests: 'requestsPerMinute', inputTokens: 'inputTokensPerMinute', outputTokens: 'outputTokensPerMinute' } as const;

/**
 * One quota shared by every call that goes through it (share one limiter across runs, nested
 * pipelines and agent pools, so together they stay under the provider's limits). Token buckets per
 * limit; calls are admitted first come, first served when their estimated cost fits; waiting calls
 * are reported; estimates are corrected by real usage (`permit.settle`) and by the provider's own
 * figures (`observe`); a 429's retry-after pauses everyone (`pause`). A waiter whose AbortSignal
 * aborts is never admitted, and tokens given back by a cancelled call admit waiters only after the
 * teardown in progress (see {@link Permit.settle}). A declared limit is a
 * ceiling (your share of a key): the provider's reports may lower it, never raise it. Limits not
 * declared are learned from the provider's reports.
 *
 * ## Example
 * ```ts
 * import { RateLimiter, QUOTA_PRESETS, rateLimit } from 'rx-orchestra/operators';
 * const quota = new RateLimiter(QUOTA_PRESETS.tier1);
 * call$.pipe(rateLimit(quota, { inputTokens: 2_000, outputTokens: 500 }));
 * ```
 */
export class RateLimiter {
  readonly #scheduler: SchedulerLike;
  readonly #buckets: Partial<Record<(typeof KINDS)[number], TokenBucket>> = {};
  /** The limits given to the constructor: ceilings that reports never raise. */
  readonly #declared: Partial<Record<(typeof KINDS)[number], number>> = {};
  readonly #queue: Waiter[] = [];
  #timer: Subscription | undefined;
  #pausedUntil = 0;
  #draining = false;
  #drainAgain = false;
  #drainPending = false;

  constructor(quota: Quota = {}, options: { scheduler?: SchedulerLike } = {}) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    for (const kind of KINDS) {
      const limit = quota[PER_MINUTE[kind]];
      if (limit === undefined) continue;
      if (!(limit > 0 && Number.isFinite(limit))) {
        throw new OptionsError(PER_MINUTE[kind], `RateLimiter: '${PER_MINUTE[kind]}' must be a finite number > 0, got ${String(limit)}`, 'operators');
      }
      this.#declared[kind] = limit;
      this.#buckets[kind] = TokenBucket.perMinute(limit, this.#scheduler.now());
    }
  }

  /** Calls waiting for the quota. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The limits in force (declared or learned), per minute. */
  get quota(): Quota {
    const quota: Quota = {};
    for (const kind of KINDS) {
      const bucket = this.#buckets[kind];
      if (bucket) quota[PER_MINUTE[kind]] = bucket.capacity;
    }
    return quota;
  }

  /**
   * Waits for room for a call: a cold Observable that emits a {@link Permit} once the call is
   * admitted, then completes. Unsubscribing while waiting leaves the queue. With a `signal`, an
   * aborted call is never admitted: it leaves the queue and errors with `signal.reason` (at once,
   * if the signal is already aborted).
   */
  acquire(cost: CallCost = {}, onWait?: (wait: RateLimitWait) => void, signal?: AbortSignal): Observable<Permit> {
    const full: Required<CallCost> = { requests: cost.requests ?? 1, inputTokens: cost.inputTokens ?? 0, outputTokens: cost.outputTokens ?? 0 };
    return new Observable<Permit>((subscriber) => {
      if (signal?.aborted) return void subscriber.error(signal.reason);
      const waiter: Waiter = { cost: full, subscriber, reported: false, onWait, signal };
      this.#queue.push(waiter);
      this.#drain();
      const leave = () => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) {
          this.#queue.splice(at, 1);
          if (at === 0) this.#drain();
        }
      };
      if (!signal || subscriber.closed) return leave;
      const onAbort = () => {
        leave();
        subscriber.error(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      return () => {
        signal.removeEventListener('abort', onAbort);
        leave();
      };
    });
  }

  /**
   * Nobody starts before `ms` from now (a 429's retry-after applies to the whole quota). Any length
   * works (long waits are armed in chunks); `Infinity` holds every call until unsubscribed.
   * @throws {OptionsError} when `ms` is not a number >= 0
   */
  pause(ms: number): void {
    if (!(typeof ms === 'number' && ms >= 0)) throw new OptionsError('ms', `RateLimiter.pause: 'ms' must be a number of ms >= 0, got ${String(ms)}`, 'operators');
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#scheduler.now() + ms);
    this.#drain();
  }

  /**
   * Corrects the buckets from the provider's own figures: `remaining` sets the level, and a
   * `limit` for an undeclared bucket creates it (so a quota can be learned from response headers).
   * A reported limit never raises a declared one: the limit in force is min(declared, reported).
   */
  observe(reported: ReportedQuota): void {
    const now = this.#scheduler.now();
    for (const kind of KINDS) {
      const window = reported[kind];
      if (!window) continue;
      let bucket = this.#buckets[kind];
      const reportedLimit = window.limit !== undefined && window.limit > 0 && Number.isFinite(window.limit) ? window.limit : undefined;
      if (!bucket && reportedLimit !== undefined) bucket = this.#buckets[kind] = TokenBucket.perMinute(reportedLimit, now);
      if (!bucket) continue;
      const declared = this.#declared[kind];
      const limit = reportedLimit === undefined ? undefined : declared === undefined ? reportedLimit : Math.min(declared, reportedLimit);
      if (limit !== undefined && limit !== bucket.capacity) bucket.resize(limit, now); // refilled at the old rate up to now
      // Reports count whole tokens: only a report below our own whole count means usage we missed.
      if (window.remaining !== undefined && window.remaining < Math.floor(bucket.level(now))) bucket.set(window.remaining, now);
    }
    this.#drain();
  }

  /** Admits queued calls in order while they fit; schedules the next look when the head must wait. */
  #drain(): void {
    if (this.#draining) return void (this.#drainAgain = true); // an admitted call acquired again
    this.#draining = true;
    try {
      do {
        this.#drainAgain = false;
        this.#drainOnce();
      } while (this.#drainAgain);
    } finally {
      this.#draining = false;
    }
  }

  /**
   * Drains once the current teardown is over (a task at the same scheduler time): tokens given back
   * by a cancelled call must not admit a waiter that the same teardown is about to cancel.
   */
  #drainAfterTeardown(): void {
    if (this.#drainPending) return;
    this.#drainPending = true;
    this.#scheduler.schedule(() => {
      this.#drainPending = false;
      this.#drain();
    });
  }

  #drainOnce(): void {
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    const now = this.#scheduler.now();
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      // Its abort listener may not have run yet (another listener of the same abort got here first).
      if (head.signal?.aborted) {
        this.#queue.shift();
        head.subscriber.error(head.signal.reason);
        continue;
      }
      const [waitMs, limitedBy] = this.#waitFor(head.cost, now);
      if (waitMs > 0) {
        for (const waiter of this.#queue) {
          if (waiter.reported) continue;
          waiter.reported = true;
          waiter.onWait?.({ waitMs, limitedBy, queued: this.#queue.length });
        }
        this.#timer = scheduleAfter(this.#scheduler, waitMs, () => this.#drain());
        return;
      }
      this.#queue.shift();
      for (const kind of KINDS) this.#buckets[kind]?.take(head.cost[kind], now);
      head.subscriber.next(this.#permit(head.cost));
      head.subscriber.complete();
    }
  }

  #waitFor(cost: Required<CallCost>, now: number): [number, LimitKind] {
    let wait: [number, LimitKind] = [Math.max(0, this.#pausedUntil - now), 'retryAfter'];
    for (const kind of KINDS) {
      const bucket = this.#buckets[kind];
      const ms = bucket ? bucket.timeUntil(cost[kind], now) : 0;
      if (ms > wait[0]) wait = [ms, kind];
    }
    return wait;
  }

  #permit(estimate: Required<CallCost>): Permit {
    let settled = false;
    return {
      settle: (actual, options) => {
        if (settled) return;
        settled = true;
        const now = this.#scheduler.now();
        for (const kind of ['inputTokens', 'outputTokens'] as const) {
          const real = actual[kind];
          if (real === undefined) continue;
          const bucket = this.#buckets[kind];
          if (!bucket) continue;
          const extra = real - estimate[kind];
          if (extra > 0) bucket.take(extra, now);
          else bucket.give(-extra, now);
        }
        if (options?.cancelled) this.#drainAfterTeardown();
        else this.#drain();
      },
    };
  }
}
