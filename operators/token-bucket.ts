/** Ms in the window of a per-minute limit: a per-minute bucket refills its capacity over this long. @internal */
export const MINUTE_MS = 60_000;

/**
 * A token bucket on an explicit clock: `capacity` tokens, refilled continuously at `refillPerMs`.
 * Taking may drive the level below zero (a debt, e.g. output tokens charged after the fact), which
 * later refills pay back. Pure bookkeeping: every method takes `now` (scheduler ms). A clock that
 * goes back (a new virtual run) refills from there on, without a crash or a refill.
 *
 * The one in-memory bucket of the library: the `RateLimiter`'s quota and the simulated model's
 * quota both count with it (the fleet's Redis buckets, `src/distributed/token-bucket-scripts.ts`,
 * follow the same rules in Lua, in floating point). A per-minute bucket
 * ({@link TokenBucket.perMinute}) keeps its level multiplied by 60 000, so that with integer limits
 * and clock readings all its arithmetic is exact: 2 requests per minute refill one in exactly 30 s.
 *
 * ## Example
 * ```ts
 * import { TokenBucket } from 'rx-orchestra/operators';
 * const rpm = TokenBucket.perMinute(50, 0); // 50 requests per minute, full at t=0
 * rpm.take(50, 0);
 * rpm.timeUntil(1, 0); // 1200: one request refills every 1.2 s
 * ```
 */
export class TokenBucket {
  #capacity: number;
  /** Level × #scale. */
  #scaled: number;
  /** Tokens added per ms × #scale. */
  #refill: number;
  /** 1, or 60 000 for a per-minute bucket (whose refill per ms, scaled, is then the limit itself). */
  #scale = 1;
  #at: number;

  constructor(
    /** Most tokens the bucket holds. */
    capacity: number,
    /** Tokens added per ms. */
    refillPerMs: number,
    now: number,
    initial: number = capacity,
  ) {
    this.#capacity = capacity;
    this.#refill = refillPerMs;
    this.#scaled = initial;
    this.#at = now;
  }

  /** A bucket for a per-minute limit, full at `now`, with exact arithmetic for integer limits and clocks. */
  static perMinute(limit: number, now: number): TokenBucket {
    const bucket = new TokenBucket(limit, limit / MINUTE_MS, now);
    bucket.#scale = MINUTE_MS;
    bucket.#refill = limit;
    bucket.#scaled = limit * MINUTE_MS;
    return bucket;
  }

  /** Most tokens the bucket holds. Setting it keeps the refill rate (see {@link TokenBucket.resize}). */
  get capacity(): number {
    return this.#capacity;
  }
  set capacity(capacity: number) {
    this.#capacity = capacity;
  }

  /** Tokens added per ms. */
  get refillPerMs(): number {
    return this.#refill / this.#scale;
  }
  set refillPerMs(refillPerMs: number) {
    this.#refill = refillPerMs * this.#scale;
  }

  /** Tokens available at `now` (negative while in debt). */
  level(now: number): number {
    this.#update(now);
    return this.#scaled / this.#scale;
  }

  /** Whole ms until `amount` tokens are available (0 if they are). An amount above capacity waits for a full bucket. */
  timeUntil(amount: number, now: number): number {
    this.#update(now);
    return this.#msFor(Math.min(amount, this.#capacity) * this.#scale - this.#scaled);
  }

  /** Whole ms until the bucket is full (0 if it is). */
  timeUntilFull(now: number): number {
    this.#update(now);
    return this.#msFor(this.#capacity * this.#scale - this.#scaled);
  }

  /** Takes `amount` tokens (the level may go negative). */
  take(amount: number, now: number): void {
    this.#update(now);
    this.#scaled -= amount * this.#scale;
  }

  /** Gives back `amount` tokens (e.g. an estimate that was too high), up to capacity. */
  give(amount: number, now: number): void {
    this.#update(now);
    this.#scaled = Math.min(this.#capacity * this.#scale, this.#scaled + amount * this.#scale);
  }

  /** Sets the level from what the provider reports (`remaining`), e.g. from response headers. */
  set(level: number, now: number): void {
    this.#update(now);
    this.#scaled = Math.min(this.#capacity, level) * this.#scale;
  }

  /**
   * Changes the capacity at `now`, keeping the time a refill from empty to full takes (a per-minute
   * bucket stays per-minute): the level is refilled at the old rate up to `now`, then capped.
   */
  resize(capacity: number, now: number): void {
    this.#update(now);
    this.#refill = (this.#refill / this.#capacity) * capacity;
    this.#capacity = capacity;
    this.#scaled = Math.min(this.#scaled, capacity * this.#scale);
  }

  #update(now: number): void {
    if (now < this.#at) this.#at = now; // a clock that went back (a new virtual run): refill from here
    if (now === this.#at) return;
    this.#scaled = Math.min(this.#capacity * this.#scale, this.#scaled + (now - this.#at) * this.#refill);
    this.#at = now;
  }

  /** Whole ms until `missing` (scaled) tokens refill: exact for whole numbers, else rounded within float noise. */
  #msFor(missing: number): number {
    if (missing <= 1e-9 * this.#scale) return 0;
    const ms = missing / this.#refill;
    if (Number.isInteger(missing) && Number.isInteger(this.#refill)) return Math.ceil(ms);
    // A result within float noise of a whole ms is that ms (so 1 request at 2 RPM is exactly 30 s).
    const nearest = Math.round(ms);
    return Math.abs(ms - nearest) < 1e-6 ? Math.max(1, nearest) : Math.ceil(ms);
  }
}
