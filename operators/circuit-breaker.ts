import { Observable, Subject, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { consecutiveFailures, type BreakerPolicy, type BreakerTally } from './breaker-policy.js';
import { RxOrchestraError, brandError, hasErrorTag } from '../src/errors/rx-orchestra-error.js';
import { OptionsError } from '../src/errors/options-error.js';
import { isRetryable } from './retry.js';

/**
 * Where a breaker stands: `closed` lets calls through and counts their outcomes, `open` fails
 * them fast, `halfOpen` lets one probe call through to test the service.
 */
export type CircuitState = 'closed' | 'open' | 'halfOpen';

/** The error that opened a breaker, as plain data (fits the run events' `ErrorInfo`). */
export interface CircuitErrorInfo {
  name: string;
  message: string;
  code?: string;
  status?: number;
}

/** A state change of a {@link CircuitBreaker}; `at` is its scheduler's `now()`. */
export type CircuitEvent =
  | {
      type: 'circuit.opened';
      breaker: string;
      at: number;
      /** Failures the policy counted when it tripped (1 when a half-open probe failed). */
      failures: number;
      /** The failure that opened it. */
      reason: CircuitErrorInfo;
    }
  | { type: 'circuit.halfOpened'; breaker: string; at: number }
  | { type: 'circuit.closed'; breaker: string; at: number };

/**
 * Raised by {@link circuitBreaker} instead of calling the source while the breaker is open (or
 * half-open with its probe in flight). Not retryable: the point is to stop calling.
 * `retryAfterMs` says how much of the cool-down is left (0 while half-open).
 */
export class CircuitOpenError extends RxOrchestraError {
  static {
    brandError(this, 'CircuitOpenError');
  }
  override readonly name = 'CircuitOpenError';
  readonly code = 'CIRCUIT_OPEN' as const;
  readonly retryable = false;
  constructor(
    /** Name of the breaker that refused the call. */
    readonly breaker: string,
    /** Cool-down left, in ms: after it, the next call is let through as a probe. */
    readonly retryAfterMs: number,
    /** `open`, or `halfOpen` when another call is already probing. */
    readonly state: 'open' | 'halfOpen' = 'open',
  ) {
    super(
      state === 'open'
        ? `circuit '${breaker}' is open; next probe in ${retryAfterMs} ms`
        : `circuit '${breaker}' is half-open and its probe call is still running`,
    );
  }
}

/** True for a {@link CircuitOpenError}, also one from another copy of this package. */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return hasErrorTag(error, 'CircuitOpenError');
}

/** Settings of {@link createCircuitBreaker}. */
export interface CircuitBreakerConfig {
  /** Names the breaker in events and errors, e.g. the model or agent it guards. */
  name: string;
  /** When to open. @default consecutiveFailures(5) */
  policy?: BreakerPolicy;
  /** How long the breaker stays open before it lets a probe through, in ms. @default 30000 */
  cooldownMs?: number;
  /**
   * Which errors count against the service. Other errors count as successes: the service answered,
   * and the fault is the caller's (a 400 Bad Request or a 401 says nothing about the provider's
   * health, so a batch of bad prompts must not cut everyone off). @default {@link isRetryable}:
   * transient trouble (429, 529, 5xx, timeouts, dropped connections), not errors that say
   * `retryable: false` nor 400, 401, 403, 404, 413, 422.
   */
  isFailure?: (error: unknown) => boolean;
  /** Clock for the cool-down, the failure-rate window and event timestamps. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Permission for one call, from {@link CircuitBreaker.acquire}. Report how the call ended exactly
 * once; later reports are ignored.
 */
export interface BreakerPermit {
  /** True when this call is the half-open probe. */
  readonly probe: boolean;
  /** The call completed. */
  success(): void;
  /** The call failed with `error` (counted only if the breaker's `isFailure` says so). */
  failure(error: unknown): void;
  /** The call was cancelled: counts as neither, and frees the probe slot. */
  cancel(): void;
}

/**
 * A circuit breaker shared by every call to one model or agent. Create it once with
 * {@link createCircuitBreaker} and put {@link circuitBreaker} on each call.
 */
export interface CircuitBreaker {
  readonly name: string;
  /**
   * The current state. It reads `open` until the first call after the cool-down, which
   * half-opens the breaker and becomes the probe.
   */
  readonly state: CircuitState;
  /** Every transition, as it happens (hot: no replay). */
  readonly events$: Observable<CircuitEvent>;
  /**
   * Low level (the {@link circuitBreaker} operator uses it): asks to make one call now. Returns a
   * permit to report the outcome on, or the {@link CircuitOpenError} to fail with. `onEvent` gets
   * the transitions this call causes.
   */
  acquire(onEvent?: (event: CircuitEvent) => void): BreakerPermit | CircuitOpenError;
}

/**
 * Creates a circuit breaker for one model or agent, to share between all calls to it. Closed, it
 * counts outcomes with its `policy`; when the policy trips it opens and calls fail fast with a
 * {@link CircuitOpenError}; after `cooldownMs` the next call goes through as the only probe
 * (half-open): success closes the breaker, failure opens it for another cool-down.
 *
 * ## Example
 * ```ts
 * import { createCircuitBreaker, circuitBreaker, consecutiveFailures } from 'rx-orchestra/operators';
 * const opusBreaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(5), cooldownMs: 30_000 });
 * opusBreaker.events$.subscribe((e) => log(e)); // circuit.opened, circuit.halfOpened, circuit.closed
 * callOpus$.pipe(circuitBreaker(opusBreaker));
 * ```
 */
export function createCircuitBreaker(config: CircuitBreakerConfig): CircuitBreaker {
  const { name, policy = consecutiveFailures(5), cooldownMs = 30_000, isFailure = isRetryable, scheduler = asyncScheduler } = config;
  if (typeof name !== 'string' || name === '') {
    throw new OptionsError('name', `createCircuitBreaker: 'name' must be a non-empty string, got ${String(name)}`, 'operators');
  }
  if (!(cooldownMs >= 0)) {
    throw new OptionsError('cooldownMs', `createCircuitBreaker: 'cooldownMs' must be a number of ms >= 0, got ${String(cooldownMs)}`, 'operators');
  }
  const events = new Subject<CircuitEvent>();
  let state: CircuitState = 'closed';
  let tally: BreakerTally = policy.create();
  /** Bumped on every opening, so calls let through before it no longer count. */
  let epoch = 0;
  let openedAt = 0;
  let probing = false;

  type Emit = ((event: CircuitEvent) => void) | undefined;
  const report = (event: CircuitEvent, onEvent: Emit) => {
    events.next(event);
    onEvent?.(event);
  };
  const open = (error: unknown, failures: number, onEvent: Emit) => {
    state = 'open';
    openedAt = scheduler.now();
    epoch++;
    probing = false;
    report({ type: 'circuit.opened', breaker: name, at: openedAt, failures, reason: errorInfo(error) }, onEvent);
  };
  const close = (onEvent: Emit) => {
    state = 'closed';
    tally = policy.create();
    probing = false;
    report({ type: 'circuit.closed', breaker: name, at: scheduler.now() }, onEvent);
  };

  const probePermit = (onEvent: Emit): BreakerPermit => {
    const mine = epoch;
    const once = settleOnce();
    const current = () => state === 'halfOpen' && epoch === mine;
    return {
      probe: true,
      success: once(() => current() && close(onEvent)),
      failure: once((error) => {
        if (!current()) return;
        if (isFailure(error)) open(error, 1, onEvent);
        else close(onEvent);
      }),
      cancel: once(() => {
        if (current()) probing = false;
      }),
    };
  };
  const closedPermit = (onEvent: Emit): BreakerPermit => {
    const mine = epoch;
    const once = settleOnce();
    const current = () => state === 'closed' && epoch === mine;
    return {
      probe: false,
      success: once(() => current() && tally.success(scheduler.now())),
      failure: once((error) => {
        if (!current()) return;
        if (!isFailure(error)) tally.success(scheduler.now());
        else if (tally.failure(scheduler.now())) open(error, tally.failures, onEvent);
      }),
      cancel: once(() => undefined),
    };
  };

  return {
    name,
    get state() {
      return state;
    },
    events$: events.asObservable(),
    acquire(onEvent) {
      if (state === 'open') {
        const left = openedAt + cooldownMs - scheduler.now();
        if (left > 0) return new CircuitOpenError(name, left, 'open');
        state = 'halfOpen';
        report({ type: 'circuit.halfOpened', breaker: name, at: scheduler.now() }, onEvent);
      }
      if (state === 'halfOpen') {
        if (probing) return new CircuitOpenError(name, 0, 'halfOpen');
        probing = true;
        return probePermit(onEvent);
      }
      return closedPermit(onEvent);
    },
  };
}

/** Settings of {@link circuitBreaker} for one call. */
export interface CircuitBreakerCallConfig {
  /**
   * Receives the transitions this call causes (the half-opening it probes, the opening its failure
   * trips, the closing its success brings), e.g. to put them on the call's own event stream. The
   * breaker's `events$` receives all of them anyway. @default undefined
   */
  onEvent?: (event: CircuitEvent) => void;
}

/**
 * Guards a call with a shared {@link CircuitBreaker}. While the breaker is open, errors at once with
 * a {@link CircuitOpenError} without subscribing the source; otherwise subscribes it and tells the
 * breaker how it ended: completion is a success, an error a failure (if the breaker's `isFailure`
 * says so). A call unsubscribed before it ends counts as neither, and frees the probe slot if it
 * was the half-open probe. Put it inside the retry, so each attempt asks the breaker.
 *
 * ## Example
 * ```ts
 * import { createCircuitBreaker, circuitBreaker, retryWithBackoff } from 'rx-orchestra/operators';
 * const sonnet = createCircuitBreaker({ name: 'sonnet' });
 * callSonnet$.pipe(circuitBreaker(sonnet, { onEvent: (e) => log(e) }), retryWithBackoff(3)); // each attempt asks the breaker
 * ```
 */
export function circuitBreaker<T>(breaker: CircuitBreaker, config: CircuitBreakerCallConfig = {}): MonoTypeOperatorFunction<T> {
  const { onEvent } = config;
  return (source) =>
    new Observable<T>((subscriber) => {
      const permit = breaker.acquire(onEvent);
      if (permit instanceof Error) {
        subscriber.error(permit);
        return;
      }
      let ended = false;
      // The outcome reaches the breaker before the subscriber, so a retry that resubscribes at
      // once already sees the new state.
      const inner = source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          ended = true;
          permit.failure(error);
          subscriber.error(error);
        },
        complete: () => {
          ended = true;
          permit.success();
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        if (!ended) permit.cancel();
      };
    });
}

/** Wraps permit callbacks so that only the first report of a call counts. */
function settleOnce() {
  let settled = false;
  return <A extends unknown[]>(report: (...args: A) => unknown) =>
    (...args: A): void => {
      if (settled) return;
      settled = true;
      report(...args);
    };
}

function errorInfo(error: unknown): CircuitErrorInfo {
  if (!(error instanceof Error)) return { name: 'NonError', message: typeof error === 'string' ? error : safeString(error) };
  const { code, status } = error as { code?: unknown; status?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
  };
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
