import type { RateLimitSnapshot, RateLimitWindow } from '../model.js';
import { ModelOptionsError } from '../errors.js';

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

const MINUTE_MS = 60_000;

/**
 * One token bucket with capacity `limit`, refilled at `limit` per minute. The level is kept
 * multiplied by 60 000 ("limit-milliseconds"), so that with integer clock readings and integer
 * limits all arithmetic is exact: RPM 2 refills one request in exactly 30 000 ms.
 * @internal
 */
export class TokenBucket {
  /** level × 60 000 */
  private scaled: number;
  private at: number;

  constructor(
    readonly limit: number,
    now: number,
  ) {
    this.scaled = limit * MINUTE_MS;
    this.at = now;
  }

  /** What the bucket holds at `now` (negative in debt). */
  level(now: number): number {
    this.refill(now);
    return this.scaled / MINUTE_MS;
  }

  /** Ms from `now` until the bucket holds `amount`: 0 when it does now, Infinity when it never can. */
  waitFor(amount: number, now: number): number {
    this.refill(now);
    const missing = amount * MINUTE_MS - this.scaled;
    if (missing <= 0) return 0;
    if (amount > this.limit) return Infinity;
    return Math.ceil(missing / this.limit);
  }

  /** Takes `amount` (the level may go negative). */
  take(amount: number, now: number): void {
    this.refill(now);
    this.scaled -= amount * MINUTE_MS;
  }

  /** Ms from `now` until the bucket is full. */
  untilFull(now: number): number {
    this.refill(now);
    return Math.ceil((this.limit * MINUTE_MS - this.scaled) / this.limit);
  }

  private refill(now: number): void {
    if (now < this.at) this.at = now; // a clock that went back (a new virtual run): refill from here
    if (now === this.at) return;
    this.scaled = Math.min(this.limit * MINUTE_MS, this.scaled + (now - this.at) * this.limit);
    this.at = now;
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
  private readonly buckets: Partial<Record<QuotaBucketName, TokenBucket>> = {};

  constructor(quota: SimulatedQuota, now: number) {
    const limits: [QuotaBucketName, number | undefined][] = [
      ['requests', quota.requestsPerMinute],
      ['inputTokens', quota.inputTokensPerMinute],
      ['outputTokens', quota.outputTokensPerMinute],
    ];
    for (const [name, limit] of limits) if (limit !== undefined) this.buckets[name] = new TokenBucket(limit, now);
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
    for (const [name, bucket] of Object.entries(this.buckets) as [QuotaBucketName, TokenBucket][]) {
      const window: RateLimitWindow = { limit: bucket.limit, remaining: Math.max(0, Math.floor(bucket.level(now))), resetAt: now + bucket.untilFull(now) };
      snapshot[name] = window;
    }
    return snapshot;
  }
}

/**
 * Throws a {@link ModelOptionsError} naming the field when a quota limit is not a finite number > 0.
 * @internal
 */
export function checkQuota(quota: SimulatedQuota | undefined, where: string): void {
  if (quota === undefined) return;
  if (typeof quota !== 'object' || quota === null) throw new ModelOptionsError('quota', `${where}: 'quota' must be an object, got ${String(quota)}`);
  for (const field of ['requestsPerMinute', 'inputTokensPerMinute', 'outputTokensPerMinute'] as const) {
    const value = quota[field];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new ModelOptionsError(`quota.${field}`, `${where}: 'quota.${field}' must be a finite number > 0, got ${String(value)}`);
    }
  }
}
