import type { RateLimitSnapshot, RateLimitWindow } from '../model.js';
import { OptionsError } from '../../errors/options-error.js';
import { TokenBucket } from '../../../operators/token-bucket.js';

/**
 * A provider quota like the real API's: per-minute limits on requests, input tokens and output
 * tokens, each a token bucket whose capacity is the limit and which refills continuously (the
 * limit per 60 000 ms), so a full minute's budget can be spent in a burst and then trickles back.
 * An omitted limit is unlimited.
 */
export interface SimulatedQuota {
  /** Requests per minute (RPM): each admitted call takes one. @default unlimited */
  requestsPerMinute?: number;
  /** Input tokens per minute (ITPM): each admitted call takes its input tokens up front. @default unlimited */
  inputTokensPerMinute?: number;
  /**
   * Output tokens per minute (OTPM): charged when a call ends (by the tokens it generated), so the
   * bucket can go into debt; while it holds less than one token, calls are refused. @default unlimited
   */
  outputTokensPerMinute?: number;
}

/** Which bucket of a {@link SimulatedQuota}: named like the `anthropic-ratelimit-*` header groups. */
export type QuotaBucketName = 'requests' | 'inputTokens' | 'outputTokens';

/** What {@link QuotaBuckets.admit} decided. */
export type QuotaVerdict =
  | { admitted: true }
  /** Not now: `waitMs` until every bucket has room again (exact), `retryAfterMs` rounded up to whole seconds. */
  | { admitted: false; tooLarge: false; bucket: QuotaBucketName; waitMs: number; retryAfterMs: number }
  /** Never: the call needs more input tokens than the input bucket holds when full. */
  | { admitted: false; tooLarge: true; bucket: 'inputTokens' };

/**
 * One bucket of a {@link SimulatedQuota}: the library's one {@link TokenBucket}, per minute (capacity
 * `limit`, refilled at `limit` per minute, exact for integer limits and clocks), in the words the
 * quota speaks: a wait that can never end is `Infinity`.
 * @internal
 */
export class QuotaBucket {
  readonly #bucket: TokenBucket;

  constructor(
    /** The per-minute limit (the capacity). */
    readonly limit: number,
    now: number,
  ) {
    this.#bucket = TokenBucket.perMinute(limit, now);
  }

  /** What the bucket holds at `now` (negative in debt). */
  level(now: number): number {
    return this.#bucket.level(now);
  }

  /** Ms from `now` until the bucket holds `amount`: 0 when it does now, Infinity when it never can. */
  waitFor(amount: number, now: number): number {
    return amount > this.limit ? Infinity : this.#bucket.timeUntil(amount, now);
  }

  /** Takes `amount` (the level may go negative). */
  take(amount: number, now: number): void {
    this.#bucket.take(amount, now);
  }

  /** Ms from `now` until the bucket is full. */
  untilFull(now: number): number {
    return this.#bucket.timeUntilFull(now);
  }
}

/**
 * The buckets of one {@link SimulatedQuota}, on a clock passed in by the caller (the simulated
 * model passes its scheduler's `now()`), so the logic is plain arithmetic and testable without
 * any scheduler.
 *
 * ## Example
 * ```ts
 * const quota = new QuotaBuckets({ requestsPerMinute: 2 }, 0);
 * quota.admit(10, 0); // { admitted: true }
 * quota.admit(10, 0); // { admitted: true }
 * quota.admit(10, 0); // { admitted: false, bucket: 'requests', waitMs: 30000, retryAfterMs: 30000, ... }
 * ```
 * @internal
 */
export class QuotaBuckets {
  private readonly buckets: Partial<Record<QuotaBucketName, QuotaBucket>> = {};

  constructor(quota: SimulatedQuota, now: number) {
    const limits: [QuotaBucketName, number | undefined][] = [
      ['requests', quota.requestsPerMinute],
      ['inputTokens', quota.inputTokensPerMinute],
      ['outputTokens', quota.outputTokensPerMinute],
    ];
    for (const [name, limit] of limits) if (limit !== undefined) this.buckets[name] = new QuotaBucket(limit, now);
  }

  /**
   * Admits a call that sends `inputTokens` when there is room for one request, its input tokens
   * and at least one output token, and then takes the request and the input tokens; otherwise
   * takes nothing and says how long to wait.
   */
  admit(inputTokens: number, now: number): QuotaVerdict {
    const { requests, inputTokens: input, outputTokens: output } = this.buckets;
    if (input && inputTokens > input.limit) return { admitted: false, tooLarge: true, bucket: 'inputTokens' };
    const waits: [QuotaBucketName, number][] = [
      ['requests', requests?.waitFor(1, now) ?? 0],
      ['inputTokens', input?.waitFor(inputTokens, now) ?? 0],
      ['outputTokens', output?.waitFor(1, now) ?? 0],
    ];
    const [bucket, waitMs] = waits.reduce((longest, wait) => (wait[1] > longest[1] ? wait : longest));
    if (waitMs > 0) return { admitted: false, tooLarge: false, bucket, waitMs, retryAfterMs: Math.ceil(waitMs / 1000) * 1000 };
    requests?.take(1, now);
    input?.take(inputTokens, now);
    return { admitted: true };
  }

  /** The per-minute limit of a declared bucket. */
  limitOf(bucket: QuotaBucketName): number | undefined {
    return this.buckets[bucket]?.limit;
  }

  /** Charges the output tokens a call generated (may leave the bucket in debt). */
  chargeOutput(tokens: number, now: number): void {
    if (tokens > 0) this.buckets.outputTokens?.take(tokens, now);
  }

  /** The state of each declared bucket, as the `anthropic-ratelimit-*` headers would report it. */
  snapshot(now: number): RateLimitSnapshot {
    const snapshot: RateLimitSnapshot = {};
    for (const [name, bucket] of Object.entries(this.buckets) as [QuotaBucketName, QuotaBucket][]) {
      const window: RateLimitWindow = { limit: bucket.limit, remaining: Math.max(0, Math.floor(bucket.level(now))), resetAt: now + bucket.untilFull(now) };
      snapshot[name] = window;
    }
    return snapshot;
  }
}

/**
 * Throws a {@link OptionsError} naming the field when a quota limit is not a finite number > 0.
 * @internal
 */
export function checkQuota(quota: SimulatedQuota | undefined, where: string): void {
  if (quota === undefined) return;
  if (typeof quota !== 'object' || quota === null) throw new OptionsError('quota', `${where}: 'quota' must be an object, got ${String(quota)}`, 'models');
  for (const field of ['requestsPerMinute', 'inputTokensPerMinute', 'outputTokensPerMinute'] as const) {
    const value = quota[field];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new OptionsError(`quota.${field}`, `${where}: 'quota.${field}' must be a finite number > 0, got ${String(value)}`, 'models');
    }
  }
}
