import { OperatorConfigError } from './errors.js';
import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/** Which clock ran out: the whole operation, the wait for the first value, or the gap between two values. */
export type TimeoutKind = 'total' | 'first' | 'idle';

/**
 * Raised by {@link timeout} when a deadline passes. Carries the kind of deadline and its length,
 * and is retryable by default (a slow call may well succeed on the next attempt).
 */
export class TimeoutError extends Error {
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
  return error instanceof TimeoutError || (error instanceof Error && (error as { code?: unknown }).code === 'TIMEOUT');
}

/** Deadlines for {@link timeout}; give any combination. */
export interface TimeoutConfig {
  /** The source must complete within this many ms of subscription. @default undefined (no limit) */
  total?: number;
  /** The first value must arrive within this many ms of subscription. @default undefined (no limit) */
  first?: number;
  /** After a value, the next value (or completion) must arrive within this many ms. @default undefined (no limit) */
  idle?: number;
  /** Scheduler for the deadlines; a virtual one in marble tests. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Makes the error to raise. @default `new TimeoutError(kind, ms)` */
  with?: (kind: TimeoutKind, ms: number) => unknown;
}

/**
 * Errors with a {@link TimeoutError} when the source misses a deadline, and unsubscribes it
 * (so an in-flight call is cancelled). Unlike rxjs' own `timeout`, `total` bounds the whole
 * operation, not just the first value, and `first`/`idle` catch a stream that stops sending.
 *
 * ## Example
 * ```ts
 * import { timeout } from 'rx-orchestra/operators';
 * callModel$.pipe(timeout(30_000));                       // whole call within 30 s
 * stream$.pipe(timeout({ first: 10_000, idle: 5_000 }));  // first byte, then between chunks
 * ```
 * @param config a total deadline in ms, or a {@link TimeoutConfig}
 */
export function timeout<T>(config: number | TimeoutConfig): MonoTypeOperatorFunction<T> {
  const { total, first, idle, scheduler = asyncScheduler, with: makeError = (kind: TimeoutKind, ms: number) => new TimeoutError(kind, ms) } =
    typeof config === 'number' ? { total: config } : config;
  for (const [field, value] of Object.entries({ total, first, idle })) {
    if (value !== undefined && !(value >= 0)) {
      throw new OperatorConfigError(field, `timeout: '${field}' must be a number of ms >= 0, got ${String(value)}`);
    }
  }
  return (source) =>
    new Observable<T>((subscriber) => {
      let gap: Subscription | undefined;
      let sawValue = false;
      const fail = (kind: TimeoutKind, ms: number) => () => subscriber.error(makeError(kind, ms));
      const armGap = (kind: TimeoutKind, ms: number | undefined) => {
        gap?.unsubscribe();
        gap = ms === undefined || ms === Infinity ? undefined : scheduler.schedule(fail(kind, ms), ms);
        if (gap) subscriber.add(gap);
      };
      subscriber.add(
        source.subscribe({
          next: (value) => {
            sawValue = true;
            armGap('idle', idle);
            subscriber.next(value);
          },
          error: (error) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
      // Armed after subscribing, at the same scheduler time: a source that finished synchronously
      // never creates a timer.
      if (subscriber.closed) return;
      if (total !== undefined && total !== Infinity) subscriber.add(scheduler.schedule(fail('total', total), total));
      if (!sawValue) armGap('first', first);
    });
}
