/**
 * One owner per run: the lease `executeDurable` and `resume` hold on a run while they run it.
 * @module
 */
import { Observable, Subscription, exhaustMap, from, interval, of, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { clearTimeout, setTimeout } from 'node:timers'; // real timers on purpose: see realTimeScheduler
import type { LeaseState, MaybePromise, RunStore } from './run-store.js';
import { RunLockedError, StoreError } from './errors.js';
import { isPromiseLike } from './maybe-promise.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/** How long a lease lasts without renewal by default, in ms. */
export const DEFAULT_LEASE_TTL_MS = 30_000;


/**
 * Settings of the lease `executeDurable` and `resume` hold on a run (`lease` option): while a
 * process runs a run, another `executeDurable` or `resume` of it fails with `RUN_LOCKED`. The lease
 * is renewed while the run goes on and released when it ends (completes, fails or is unsubscribed).
 * A process that dies without releasing it (SIGKILL, a crash, a lost machine) keeps it until it
 * expires: `ttlMs` after its last renewal, the run can be resumed elsewhere.
 *
 * ## Example
 * ```ts
 * import { resume, type LeaseOptions } from 'rx-orchestra/store';
 * const lease: LeaseOptions = { ttlMs: 10_000 }; // a crashed owner blocks a takeover for 10 s at most
 * resume(store, 'nightly-42', g, { lease });
 * ```
 */
export interface LeaseOptions {
  /**
   * How long the lease lasts without renewal, in ms: the longest a crashed owner blocks a resume,
   * and the longest a stalled owner (a stopped process, a suspended machine) may be away before
   * another may take the run over. @default 30000
   */
  ttlMs?: number;
  /** How often the running owner renews it, in ms; less than `ttlMs`. @default a third of ttlMs */
  renewEveryMs?: number;
  /**
   * Scheduler of the renewal timer. The renewal is endless while the run goes on, and a lease
   * expires by the store's clock (the wall clock, or Redis's), so by default it runs on the
   * process's own timers: independent of the run's `scheduler`, and not made virtual by
   * `TestScheduler.run` (there an endless renewal would keep `flush()` going for ever once a node
   * never settles). Pass a virtual scheduler only to test renewal itself in virtual time (with a
   * virtual store clock), with runs whose nodes all settle or time out.
   * @default the process's real-time timers (setTimeout)
   */
  scheduler?: SchedulerLike;
}

/**
 * Lease settings, validated.
 * @internal
 */
export interface LeaseSettings {
  ttlMs: number;
  renewEveryMs: number;
  scheduler: SchedulerLike;
}

/**
 * Validates `lease` options (at call time, as `execute` validates its own).
 * @internal
 * @throws {StoreError} `INVALID_OPTION` naming the field
 */
export function leaseSettings(options: LeaseOptions = {}): LeaseSettings {
  const { ttlMs = DEFAULT_LEASE_TTL_MS } = options;
  if (!Number.isInteger(ttlMs) || ttlMs < 2 || ttlMs > MAX_TIMER_MS) {
    throw new StoreError('INVALID_OPTION', `lease: 'ttlMs' must be an integer from 2 to ${MAX_TIMER_MS} (ms), got ${String(ttlMs)}`, { field: 'lease.ttlMs' });
  }
  const { renewEveryMs = Math.max(1, Math.floor(ttlMs / 3)) } = options;
  if (!Number.isInteger(renewEveryMs) || renewEveryMs < 1 || renewEveryMs >= ttlMs) {
    throw new StoreError('INVALID_OPTION', `lease: 'renewEveryMs' must be an integer from 1 to ttlMs - 1 (${ttlMs - 1}), got ${String(renewEveryMs)}`, { field: 'lease.renewEveryMs' });
  }
  return { ttlMs, renewEveryMs, scheduler: options.scheduler ?? realTimeScheduler };
}

/**
 * A scheduler on the process's own `setTimeout`, for timers that must keep real time whatever the
 * run's scheduler is. `TestScheduler.run` makes asyncScheduler (every AsyncScheduler) virtual by
 * swapping the timer providers behind it; it does not touch the global timers this one calls.
 * @internal
 */
export const realTimeScheduler: SchedulerLike = {
  // eslint-disable-next-line no-restricted-syntax -- this scheduler is the wall clock by definition (and `interval` never reads it)
  now: () => Date.now(),
  schedule<S>(work: (this: SchedulerAction<S>, state?: S) => void, delay = 0, state?: S): Subscription {
    return new TimerAction(work).schedule(state, delay);
  },
};

/** One piece of work on {@link realTimeScheduler}; it may re-arm itself (`this.schedule`), as `interval` does. */
class TimerAction<S> extends Subscription implements SchedulerAction<S> {
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #work: (this: SchedulerAction<S>, state?: S) => void;
  constructor(work: (this: SchedulerAction<S>, state?: S) => void) {
    super();
    this.#work = work;
    this.add(() => clearTimeout(this.#timer));
  }
  schedule(state?: S, delay = 0): Subscription {
    if (this.closed) return this;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#work.call(this, state);
      if (this.#timer === undefined) this.unsubscribe(); // not re-armed: done
    }, delay);
    return this;
  }
}

/**
 * Runs `body` as the run's owner: takes the run's lease (failing with {@link RunLockedError} when
 * another owner holds it, before `body` is subscribed), renews it every `renewEveryMs` while `body`
 * runs, with `renewLease`, which extends only a lease this owner still holds (failing the stream
 * with a `lost` RunLockedError, and cancelling `body`, when the lease is gone or another owner has
 * it: an owner that stalled past its TTL never takes the run back), and releases it once `body`
 * completes or fails, before passing that on, or when unsubscribed. Synchronous stores keep the
 * stream synchronous.
 * @internal
 */
export function withLease<T>(store: RunStore, runId: string, lease: LeaseSettings, body: (owner: string) => Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    let closed = false;
    let held = false;
    let main: Subscription | undefined;
    let renewal: Subscription | undefined;

    /** Gives the lease up; a failure to do so is not the run's failure: the lease then just expires. */
    const release = (then?: () => void): void => {
      renewal?.unsubscribe();
      if (!held) return then?.();
      held = false;
      let released: MaybePromise<void> | undefined;
      try {
        released = store.releaseLease(runId, owner);
      } catch {
        released = undefined; // expires by itself
      }
      if (isPromiseLike(released)) void released.then(then, then);
      else then?.();
    };
    const fail = (error: unknown): void => {
      main?.unsubscribe();
      release(() => subscriber.error(error));
    };
    const start = (state: LeaseState): void => {
      if (state.acquired) held = true;
      if (closed) return release(); // unsubscribed while the lease was being taken
      if (!state.acquired) return subscriber.error(new RunLockedError(runId, state.owner, state.expiresInMs));
      renewal = interval(lease.renewEveryMs, lease.scheduler)
        .pipe(
          exhaustMap(() => {
            const renewed = store.renewLease(runId, owner, lease.ttlMs);
            return isPromiseLike(renewed) ? from(renewed) : of(renewed);
          }),
        )
        .subscribe({
          next: (renewed) => {
            if (!renewed.acquired) fail(new RunLockedError(runId, renewed.owner, renewed.expiresInMs, true));
          },
          error: fail,
        });
      main = body(owner).subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => release(() => subscriber.error(error)),
        complete: () => release(() => subscriber.complete()),
      });
    };

    let taken: MaybePromise<LeaseState>;
    try {
      taken = store.acquireLease(runId, owner, lease.ttlMs);
    } catch (error) {
      subscriber.error(error);
      return;
    }
    if (isPromiseLike(taken)) taken.then(start, (error: unknown) => subscriber.error(error));
    else start(taken);
    return () => {
      closed = true;
      main?.unsubscribe();
      release();
    };
  });
}
