/**
 * One owner per run: the lease `executeDurable` and `resume` hold on a run while they run it.
 * @module
 */
import { Observable, asyncScheduler, exhaustMap, from, interval, of, type SchedulerLike, type Subscription } from 'rxjs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaseState, MaybePromise, RunStore } from './run-store.js';
import { RunLockedError, StoreError } from './errors.js';
import { isPromiseLike } from './maybe-promise.js';

/** How long a lease lasts without renewal by default, in ms. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** The longest a timer can wait (Node clamps longer delays to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  /** Scheduler of the renewal timer. @default asyncScheduler */
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
  return { ttlMs, renewEveryMs, scheduler: options.scheduler ?? asyncScheduler };
}

/**
 * Runs `body` as the run's owner: takes the run's lease (failing with {@link RunLockedError} when
 * another owner holds it, before `body` is subscribed), renews it every `renewEveryMs` while `body`
 * runs (failing the stream with a `lost` RunLockedError, and cancelling `body`, when another owner
 * took it meanwhile), and releases it once `body` completes or fails, before passing that on, or when
 * unsubscribed. Synchronous stores keep the stream synchronous.
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
            const renewed = store.acquireLease(runId, owner, lease.ttlMs);
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
