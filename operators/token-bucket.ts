/**
 * A token bucket on an explicit clock: `capacity` tokens, refilled continuously at `refillPerMs`.
 * Taking may drive the level below zero (a debt, e.g. output tokens charged after the fact), which
 * later refills pay back. Pure bookkeeping: every method takes `now` (scheduler ms).
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
  #level: number;
  #at: number;

  constructor(
    /** Most tokens the bucket holds. */
    public capacity: number,
    /** Tokens added per ms. */
    public refillPerMs: number,
    now: number,
    initial: number = capacity,
  ) {
    this.#level = initial;
    this.#at = now;
  }

  /** A bucket for a per-minute limit, full at `now`. */
  static perMinute(limit: number, now: number): TokenBucket {
    return new TokenBucket(limit, limit / 60_000, now);
  }

  /** Tokens available at `now` (negative while in debt). */
  level(now: number): number {
    if (now > this.#at) {
      this.#level = Math.min(this.capacity, this.#level + (now - this.#at) * this.refillPerMs);
      this.#at = now;
    }
    return this.#level;
  }

  /** Whole ms until `amount` tokens are available (0 if they are). An amount above capacity waits for a full bucket. */
  timeUntil(amount: number, now: number): number {
    const missing = Math.min(amount, this.capacity) - this.level(now);
    if (missing <= 1e-9) return 0;
    // Whole ms, up; a result within float noise of a whole ms is that ms (so 1 request at 2 RPM is exactly 30 s).
    const ms = missing / this.refillPerMs;
    const nearest = Math.round(ms);
    return Math.abs(ms - nearest) < 1e-6 ? Math.max(1, nearest) : Math.ceil(ms);
  }

  /** Takes `amount` tokens (the level may go negative). */
  take(amount: number, now: number): void {
    this.#level = this.level(now) - amount;
  }

  /** Gives back `amount` tokens (e.g. an estimate that was too high), up to capacity. */
  give(amount: number, now: number): void {
    this.#level = Math.min(this.capacity, this.level(now) + amount);
  }

  /** Sets the level from what the provider reports (`remaining`), e.g. from response headers. */
  set(level: number, now: number): void {
    this.level(now);
    this.#level = Math.min(this.capacity, level);
  }
}
