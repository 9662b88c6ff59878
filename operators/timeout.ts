import { RxOrchestraError, brandError, hasErrorTag } from '../src/errors/rx-orchestra-error.js';
import { OptionsError } from '../src/errors/options-error.js';
import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { scheduleAfter } from './long-timer.js';

/** Which clock ran out: the whole operation, the wait for the first value, or the gap between two values. */
export type TimeoutKind = 'total' | 'first' | 'idle';

/**
 * Raised by {@link timeout} when a deadline passes. Carries the kind of deadline and its length,
 * and is retryable by default (a slow call may well succeed on the next attempt).
 */
export class TimeoutError extends RxOrchestraError {
  static {
    brandError(this, 'TimeoutError');
  }
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT' as const;
  readonly retryable = true;
  constructor(
    /** The deadline that passed. */
    readonly kind: TimeoutKind,
    /** Its length in milliseconds. */
    readonly ms: number,
  ) {
    super(
      kind === 'total'
        ? `did not complete within ${ms} ms`
        : kind === 'first'
          ? `no first value within ${ms} ms`
          : `no value for ${ms} ms (stream idle)`,
    );
  }
}

/** True for a {@link TimeoutError}, also one from another copy of this package. */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return hasErrorTag(error, 'TimeoutError');
}

/** Deadlines for {@link timeout}; give any combination. */
export interface TimeoutConfig<T = unknown> {
  /** The source must complete within this many ms of subscription. @default undefined (no limit) */
  total?: number;
  /** The first value (that `meetsFirst` accepts) must arrive within this many ms of subscription. @default undefined (no limit) */
  first?: number;
  /**
   * The longest silence allowed, in ms: from subscription to the first value, and from each value
   * to the next (or to completion). Every value counts, also those `meetsFirst` rejects (a
   * keep-alive is a sign of life). @default undefined (no limit)
   */
  idle?: number;
  /**
   * Which values meet the `first` deadline, e.g. only text and not a stream's keep-alive events.
   * @default every value
   */
  meetsFirst?: (value: T) => boolean;
  /** Scheduler for the deadlines; a virtual one in marble tests. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Makes the error to raise. @default `new TimeoutError(kind, ms)` */
  with?: (kind: TimeoutKind, ms: number) => unknown;
}

/**
 * Errors with a {@link TimeoutError} when the source misses a deadline, and unsubscribes it
 * (so an in-flight call is cancelled). Unlike rxjs' own `timeout`, `total` bounds the whole
 * operation, not just the first value, and `first`/`idle` catch a stream that stops sending, also
 * one that never sends anything. Any length works, `Infinity` meaning none: waits longer than a
 * timer can hold (2^31-1 ms, ~24.8 days) are armed in chunks, not clamped to 1 ms.
 *
 * ## Example
 * ```ts
 * import { timeout } from 'rx-orchestra/operators';
 * callModel$.pipe(timeout(30_000));                       // whole call within 30 s
 * stream$.pipe(timeout({ first: 10_000, idle: 5_000 }));  // first value within 10 s, never 5 s without one
 * ```
 * @param config a total deadline in ms, or a {@link TimeoutConfig}
 * @throws {OptionsError} when a deadline is not a number of ms >= 0
 */
export function timeout<T>(config: number | TimeoutConfig<T>): MonoTypeOperatorFunction<T> {
  const {
    total,
    first,
    idle,
    meetsFirst,
    scheduler = asyncScheduler,
    with: makeError = (kind: TimeoutKind, ms: number) => new TimeoutError(kind, ms),
  } = typeof config === 'number' ? { total: config } : config;
  checkDeadline('total', total);
  checkDeadline('first', first);
  checkDeadline('idle', idle);
  if (first === undefined && idle === undefined) {
    // Only a total deadline (a node's, a call's): no per-value work, one timer once the source is live.
    if (total === undefined || total === Infinity) return (source) => source;
    return (source) =>
      new Observable<T>((subscriber) => {
        source.subscribe(subscriber);
        if (!subscriber.closed) subscriber.add(scheduleAfter(scheduler, total, () => subscriber.error(makeError('total', total))));
      });
  }
  const arm = (ms: number | undefined, fire: () => void) => (ms === undefined || ms === Infinity ? undefined : scheduleAfter(scheduler, ms, fire));
  return (source) =>
    new Observable<T>((subscriber) => {
      let gap: Subscription | undefined;
      let firstTimer: Subscription | undefined;
      let sawFirst = false;
      const fail = (kind: TimeoutKind, ms: number) => () => subscriber.error(makeError(kind, ms));
      const onIdle = idle === undefined ? undefined : fail('idle', idle);
      const armGap = () => {
        gap?.unsubscribe();
        gap = onIdle && arm(idle, onIdle);
      };
      subscriber.add(() => {
        gap?.unsubscribe();
        firstTimer?.unsubscribe();
      });
      subscriber.add(
        source.subscribe({
          next: (value) => {
            if (!sawFirst && (!meetsFirst || meetsFirst(value))) {
              sawFirst = true;
              firstTimer?.unsubscribe();
            }
            if (idle !== undefined) armGap();
            subscriber.next(value);
          },
          error: (error) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
      // Armed after subscribing, at the same scheduler time: a source that finished synchronously
      // never creates a timer.
      if (subscriber.closed) return;
      const totalTimer = arm(total, fail('total', total!));
      if (totalTimer) subscriber.add(totalTimer);
      if (!sawFirst) firstTimer = arm(first, fail('first', first!));
      if (gap === undefined) armGap();
    });
}

/** Throws an {@link OptionsError} naming the field when a deadline is not a number of ms >= 0. */
function checkDeadline(field: 'total' | 'first' | 'idle', value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && value >= 0)) {
    throw new OptionsError(field, `timeout: '${field}' must be a number of ms >= 0 (Infinity for none), got ${String(value)}`, 'operators');
  }
}
