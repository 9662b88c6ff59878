import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscriber } from 'rxjs';
import { OptionsError } from '../src/errors/options-error.js';

/** How a call through a {@link ConcurrencyLimiter} ended, as feedback for an adaptive limit. */
export type CallFeedback = { kind: 'success'; latencyMs: number; startedAt: number } | { kind: 'overload'; startedAt: number } | { kind: 'failure'; startedAt: number } | { kind: 'cancelled'; startedAt: number };

/** The in-flight limit changed. */
export interface LimitChange {
  limit: number;
  previous: number;
  reason: 'increase' | 'overload' | 'latency';
  at: number;
}

/**
 * A held slot: release it exactly once, with feedback on how the call went. A slot released as
 * `cancelled` goes to the next waiter once the teardown in progress is over (same scheduler time).
 */
export interface Slot {
  readonly startedAt: number;
  release(feedback: CallFeedback): void;
}

interface Waiter {
  subscriber: Subscriber<Slot>;
  queued: boolean;
  signal: AbortSignal | undefined;
}

/** Settings of an adaptive (AIMD) limit. */
export interface AdaptiveLimitConfig {
  /** Limit to start from. @default 4 */
  initial?: number;
  /** @default 1 */
  min?: number;
  /** @default 64 */
  max?: number;
  /** Additive increase: the limit grows by `increase` per `limit` successes (one per round trip). @default 1 */
  increase?: number;
  /** Multiplicative decrease on overload (429/529): limit x factor. @default 0.5 */
  decrease?: number;
  /** Also decrease when a success takes longer than `latencyTolerance` x the fastest seen. @default undefined (off) */
  latencyTolerance?: number;
}

/**
 * A shared bound on calls in flight, fixed or adaptive. Share one across runs, nested stages and
 * pools so together they never exceed it (two nested stages limited to 3 do not add up to 6).
 * Adaptive (AIMD, as TCP and Netflix's concurrency-limits): additive increase on success,
 * multiplicative decrease on overload (and, if asked, on rising latency), within bounds; one
 * decrease per round trip (calls that started before the last decrease do not decrease again).
 * Waiting calls are served first come, first served; `changes$` reports every change of the limit.
 * A waiter whose AbortSignal aborts leaves the queue and is never granted a slot, and a slot freed
 * by a cancelled call is handed on once the teardown in progress has finished (at the same
 * scheduler time), so cancelling several callers at once starts none of those queued behind them.
 *
 * ## Example
 * ```ts
 * import { ConcurrencyLimiter, limitConcurrency } from 'rx-orchestra/operators';
 * const fixed = new ConcurrencyLimiter(4);
 * const adaptive = new ConcurrencyLimiter({ initial: 4, min: 1, max: 32 });
 * calls$.pipe(mergeMap((call) => call.pipe(limitConcurrency(adaptive))));
 * ```
 */
export class ConcurrencyLimiter {
  readonly adaptive: boolean;
  readonly #config: Required<Omit<AdaptiveLimitConfig, 'latencyTolerance'>> & { latencyTolerance: number | undefined };
  readonly #scheduler: SchedulerLike;
  readonly #waiting: Waiter[] = [];
  readonly #changes = new Subject<LimitChange>();
  #limit: number;
  #inFlight = 0;
  #lastDecreaseAt = -Infinity;
  #fastest = Infinity;
  #granting = false;
  #grantAgain = false;
  #handOffPending = false;

  /** Every change of the limit. */
  readonly changes$ = this.#changes.asObservable();

  constructor(limit: number | AdaptiveLimitConfig, options: { scheduler?: SchedulerLike } = {}) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.adaptive = typeof limit !== 'number';
    const config = typeof limit === 'number' ? { initial: limit, min: limit, max: limit } : limit;
    this.#config = {
      initial: config.initial ?? 4,
      min: config.min ?? 1,
      max: config.max ?? 64,
      increase: (config as AdaptiveLimitConfig).increase ?? 1,
      decrease: (config as AdaptiveLimitConfig).decrease ?? 0.5,
      latencyTolerance: (config as AdaptiveLimitConfig).latencyTolerance,
    };
    const { initial, min, max, decrease } = this.#config;
    const bad = (field: string, rule: string, value: number) => new OptionsError(field, `ConcurrencyLimiter: '${field}' must be ${rule}, got ${value}`, 'operators');
    if (typeof limit === 'number' && !(Number.isInteger(limit) && limit >= 1)) throw bad('limit', 'an integer >= 1', limit);
    if (!(Number.isInteger(min) && min >= 1)) throw bad('min', 'an integer >= 1', min);
    if (!(max >= min)) throw bad('max', `>= min (${min})`, max);
    if (!(Number.isInteger(initial) && initial >= min && initial <= max)) throw bad(typeof limit === 'number' ? 'limit' : 'initial', `an integer between ${min} and ${max}`, initial);
    if (!(decrease > 0 && decrease < 1) && this.adaptive) throw bad('decrease', 'between 0 and 1 (exclusive)', decrease);
    this.#limit = initial;
  }

  /** The current limit (whole calls). */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Calls holding a slot. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The limiter's clock (its scheduler's `now()`). */
  now(): number {
    return this.#scheduler.now();
  }

  /** Calls waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Waits for a slot: emits it when free, then completes. Unsubscribing while waiting leaves the
   * queue. With a `signal`, an aborted call is never granted a slot: it leaves the queue and errors
   * with `signal.reason` (at once, if the signal is already aborted).
   */
  acquire(signal?: AbortSignal): Observable<Slot> {
    return new Observable<Slot>((subscriber) => {
      if (signal?.aborted) return void subscriber.error(signal.reason);
      const entry: Waiter = { subscriber, queued: true, signal };
      this.#waiting.push(entry);
      this.#grant();
      if (!signal) return () => this.#leave(entry);
      if (!entry.queued) return undefined;
      const onAbort = () => {
        this.#leave(entry);
        subscriber.error(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      return () => {
        signal.removeEventListener('abort', onAbort);
        this.#leave(entry);
      };
    });
  }

  #leave(entry: Waiter): void {
    if (!entry.queued) return; // granted: nothing to remove (and no O(n) search)
    entry.queued = false;
    const at = this.#waiting.indexOf(entry);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  #grant(): void {
    // A holder may release synchronously inside next(): flag another pass instead of recursing,
    // so 10,000 queued calls that finish at once do not grow the stack.
    if (this.#granting) return void (this.#grantAgain = true);
    this.#granting = true;
    try {
      do {
        this.#grantAgain = false;
        while (this.#inFlight < this.limit && this.#waiting.length > 0) {
          const entry = this.#waiting.shift()!;
          entry.queued = false;
          // Its abort listener may not have run yet (another listener of the same abort freed this slot).
          if (entry.signal?.aborted) {
            entry.subscriber.error(entry.signal.reason);
            continue;
          }
          this.#inFlight += 1;
          entry.subscriber.next(this.#slot());
          entry.subscriber.complete();
        }
      } while (this.#grantAgain);
    } finally {
      this.#granting = false;
    }
  }

  /**
   * Grants the slot a cancelled call freed once the current teardown is over (a task at the same
   * scheduler time): unsubscribing several callers at once (two runs in one subscription, a run's
   * nodes) must not start a queued call that the same teardown is about to cancel.
   */
  #grantAfterTeardown(): void {
    if (this.#handOffPending) return;
    this.#handOffPending = true;
    this.#scheduler.schedule(() => {
      this.#handOffPending = false;
      this.#grant();
    });
  }

  #slot(): Slot {
    let released = false;
    const startedAt = this.#scheduler.now();
    return {
      startedAt,
      release: (feedback) => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        if (this.adaptive) this.#adapt(feedback);
        if (feedback.kind === 'cancelled') this.#grantAfterTeardown();
        else this.#grant();
      },
    };
  }

  #adapt(feedback: CallFeedback): void {
    const { min, max, increase, decrease, latencyTolerance } = this.#config;
    const previous = this.limit;
    let reason: LimitChange['reason'] | undefined;
    if (feedback.kind === 'success') {
      this.#fastest = Math.min(this.#fastest, feedback.latencyMs);
      const slow = latencyTolerance !== undefined && feedback.latencyMs > latencyTolerance * this.#fastest;
      if (slow && feedback.startedAt >= this.#lastDecreaseAt) {
        this.#limit = Math.max(min, Math.floor(this.#limit * decrease));
        this.#lastDecreaseAt = this.#scheduler.now();
        reason = 'latency';
      } else if (!slow) {
        this.#limit = Math.min(max, this.#limit + increase / Math.max(1, this.limit));
        reason = 'increase';
      }
    } else if (feedback.kind === 'overload' && feedback.startedAt >= this.#lastDecreaseAt) {
      this.#limit = Math.max(min, Math.floor(this.#limit * decrease));
      this.#lastDecreaseAt = this.#scheduler.now();
      reason = 'overload';
    }
    if (reason && this.limit !== previous) this.#changes.next({ limit: this.limit, previous, reason, at: this.#scheduler.now() });
  }
}
