import { Observable, from, of, type ObservableInput, type Subscription } from 'rxjs';
import { RxOrchestraError, brandError, hasErrorTag } from '../src/errors/rx-orchestra-error.js';

/**
 * The one reason an attempt's signal aborts with when the attempt is unsubscribed (cancelled, timed
 * out, superseded) before its work finished: named `AbortError` like the DOM's, code `CANCELLED`.
 * A parent signal's abort is passed on with the parent's own reason instead.
 *
 * ## Example
 * ```ts
 * import { attempt, isAttemptAbortError } from 'rx-orchestra/operators';
 * attempt(({ signal }) => {
 *   signal.addEventListener('abort', () => console.log(isAttemptAbortError(signal.reason))); // true
 *   return fetch(url, { signal });
 * }).subscribe().unsubscribe();
 * ```
 */
export class AttemptAbortError extends RxOrchestraError {
  static {
    brandError(this, 'AttemptAbortError');
  }
  override readonly name = 'AbortError';
  readonly code = 'CANCELLED' as const;
  readonly retryable = false;
  constructor(message = 'the attempt was cancelled before it finished') {
    super(message);
  }
}

/** True for an {@link AttemptAbortError}, also one from another copy of this package. */
export function isAttemptAbortError(error: unknown): error is AttemptAbortError {
  return hasErrorTag(error, 'AttemptAbortError');
}

/** Why an attempt's work gave no result: it completed without a value, or did not return an ObservableInput. */
export type AttemptResultErrorCode = 'EMPTY_RESULT' | 'INVALID_RESULT';

/**
 * The default error of {@link attempt} for work that completed without a value (`EMPTY_RESULT`)
 * or returned something that is not an Observable, a Promise or an iterable (`INVALID_RESULT`).
 * Callers that know what they ran (a node, a worker, an agent) pass their own via
 * {@link AttemptConfig.empty} and {@link AttemptConfig.invalid}. Not retryable: a retry would do the same.
 *
 * ## Example
 * ```ts
 * import { attempt, isAttemptResultError } from 'rx-orchestra/operators';
 * import { EMPTY } from 'rxjs';
 * attempt(() => EMPTY).subscribe({ error: (e) => isAttemptResultError(e) && console.log(e.code) }); // EMPTY_RESULT
 * ```
 */
export class AttemptResultError extends RxOrchestraError {
  static {
    brandError(this, 'AttemptResultError');
  }
  override readonly name = 'AttemptResultError';
  readonly retryable = false;
  constructor(
    readonly code: AttemptResultErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True for an {@link AttemptResultError}, also one from another copy of this package. */
export function isAttemptResultError(error: unknown): error is AttemptResultError {
  return hasErrorTag(error, 'AttemptResultError');
}

/**
 * What an attempt's work receives: its AbortSignal, created only when first read (most instant
 * work never reads it, and an AbortController costs more than the rest of an attempt's
 * bookkeeping), and derived from the parent signal if one was given: the parent's abort is passed
 * on with the parent's reason, as cockatiel's `deriveAbortController` does.
 *
 * ## Example
 * ```ts
 * import { attempt } from 'rx-orchestra/operators';
 * attempt(({ signal }) => fetch(url, { signal }), { signal: request.signal });
 * ```
 */
export class AttemptHandle {
  #controller: AbortController | undefined = undefined;
  #aborted = false;
  /** The reason {@link AttemptHandle.stop} was given, if any. */
  #reason: unknown = undefined;
  #ended = false;
  /** True while `stop(reason)` aborts the signal: what abort listeners report then still goes out. */
  #lastWords = false;
  #parent: AbortSignal | undefined;
  #onParentAbort: (() => void) | undefined = undefined;

  /** @param parent a signal whose abort aborts this attempt's too */
  constructor(parent?: AbortSignal) {
    this.#parent = parent;
  }

  /** The attempt's AbortSignal: pass it on to whatever the work calls. */
  get signal(): AbortSignal {
    return (this.#controller ?? this.#derive()).signal;
  }

  /**
   * True once the attempt is over: it finished, was torn down, or was {@link AttemptHandle.stop}ped.
   * Work may use it to go quiet (an engine's progress reports do).
   */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * True once the work's progress reports are to be dropped: from the moment the attempt
   * {@link AttemptHandle.ended}, except while `stop(reason)` aborts its signal, so that abort
   * listeners can report, synchronously, why the work stopped (an agent's last transcript).
   */
  get silenced(): boolean {
    return this.#ended && !this.#lastWords;
  }

  /**
   * Ends the attempt ahead of its teardown: aborts its signal with `reason` (by default an
   * {@link AttemptAbortError}) and ignores what its work does from now on (no value, error or
   * completion is passed on). With a `reason`, the reports the work's abort listeners emit while
   * the signal aborts still go out ({@link AttemptHandle.silenced} is false until the abort
   * returned): the caller tells the work why it stops, and the work may say what it leaves.
   * For a caller that must abort many attempts before it unsubscribes any of them, e.g. a run
   * being cancelled or stopped by its budget; unsubscribe next.
   * @param reason the signal's abort reason; give one the work can recognize (e.g. a subclass of {@link AttemptAbortError})
   */
  stop(reason?: unknown): void {
    this.#ended = true;
    if (reason === undefined) return this.#abort();
    this.#lastWords = true;
    try {
      this.#abort(reason);
    } finally {
      this.#lastWords = false;
    }
  }

  /** The attempt's subscription ended; `cancelled` when its work had not finished. @internal */
  end(cancelled: boolean): void {
    this.#ended = true;
    if (this.#onParentAbort) {
      this.#parent!.removeEventListener('abort', this.#onParentAbort);
      this.#onParentAbort = undefined;
    }
    if (cancelled) this.#abort();
  }

  #abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    // The reason is made only when a signal exists to carry it: aborting unread signals stays cheap.
    if (this.#controller && !this.#controller.signal.aborted) this.#controller.abort(reason ?? new AttemptAbortError());
  }

  #derive(): AbortController {
    const controller = (this.#controller = new AbortController());
    const parent = this.#parent;
    if (this.#aborted) controller.abort(this.#reason ?? new AttemptAbortError()); // read after the attempt was cancelled
    else if (parent?.aborted) controller.abort(parent.reason);
    else if (parent && !this.#ended) {
      this.#onParentAbort = () => controller.abort(parent.reason);
      parent.addEventListener('abort', this.#onParentAbort, { once: true });
    }
    return controller;
  }
}

/**
 * Settings of {@link attempt}. `empty` and `invalid` are called as methods of the config, so a
 * class instance can carry them without a closure per attempt.
 */
export interface AttemptConfig {
  /** A parent signal: when it aborts, the attempt's signal aborts with the parent's reason. @default undefined (none) */
  signal?: AbortSignal;
  /**
   * `'last'`: the attempt is a call with one result, its work's last value, emitted when the work
   * completes. `'all'`: every value is passed on as it comes (a stream that replaces another, as a
   * fallback Observable does), and completing without a value is a plain completion.
   * @default 'last'
   */
  values?: 'last' | 'all';
  /**
   * The error for work that completed without a value (with `values: 'last'`); name what ran in it,
   * e.g. the node or the worker. Never `undefined`: an empty result is always this error.
   * @default () => new AttemptResultError('EMPTY_RESULT', ...)
   */
  empty?: () => unknown;
  /**
   * The error for work that returned something that is not an Observable, a Promise or an
   * iterable (`result` is what it returned).
   * @default (result) => new AttemptResultError('INVALID_RESULT', ...)
   */
  invalid?: (result: unknown) => unknown;
}

/**
 * Runs user code once per subscription as a cold Observable, the way every policy of this
 * package runs it (cockatiel's `ExecuteWrapper`): `work` gets an {@link AttemptHandle} whose
 * `signal` is its own; its result may be an Observable, a Promise, an async iterable or an
 * iterable (a string is one value, not its characters). The rules:
 * - **result**: the last value, emitted once the work completes (`values: 'all'` passes every value on);
 * - **empty**: work that completes without a value errors with `config.empty()` (an
 *   {@link AttemptResultError} `EMPTY_RESULT` unless given), never emits `undefined`;
 * - **throw**: a synchronous throw of `work` is an error notification, as is an invalid result (`config.invalid`);
 * - **abort**: unsubscribing before the work finished aborts its signal with an
 *   {@link AttemptAbortError} (`name: 'AbortError'`, `code: 'CANCELLED'`); after the work
 *   completed or errored, the signal is left alone. A parent signal's abort is passed on with its reason.
 *
 * ## Example
 * ```ts
 * import { attempt, timeout } from 'rx-orchestra/operators';
 * const answer$ = attempt(({ signal }) => client.messages.create(request, { signal }), {
 *   signal: request.signal,
 *   empty: () => new Error('the model returned nothing'),
 * }).pipe(timeout({ total: 30_000 })); // a timeout unsubscribes: the call's signal aborts
 * ```
 * @param work the user code; called on each subscription
 * @see AttemptHandle
 */
export function attempt<T>(work: (handle: AttemptHandle) => ObservableInput<T>, config: AttemptConfig = {}): Observable<T> {
  const parent = config.signal;
  const all = config.values === 'all';
  return new Observable<T>((subscriber) => {
    const run = new AttemptRun<T>(subscriber, new AttemptHandle(parent), all, config);
    let result: ObservableInput<T>;
    try {
      result = work(run.handle);
    } catch (error) {
      run.error(error);
      return run;
    }
    run.follow(result);
    return run;
  });
}

/** Where an {@link AttemptRun} passes its outcome: a Subscriber, or any object with these methods. @internal */
export interface AttemptDestination<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/**
 * User code's result as an Observable, by the rule of {@link attempt}: a string is one value, not its
 * characters; anything else goes through `from`, and what `from` refuses throws an
 * {@link AttemptResultError} `INVALID_RESULT`.
 * @internal
 */
export function fromResult<T>(result: ObservableInput<T>): Observable<T> {
  return toObservable(result, NO_RULES);
}

const NO_RULES: AttemptConfig = {};

/** {@link fromResult} with the config's `invalid` (called as its method). */
function toObservable<T>(result: ObservableInput<T>, config: AttemptConfig): Observable<T> {
  if (typeof result === 'string') return of(result as T);
  try {
    return from(result);
  } catch {
    throw config.invalid ? config.invalid(result) : invalidResult(result);
  }
}

/**
 * One subscription of {@link attempt} without the Observable around it: it observes the work's
 * result, applies the rules (last value or all values, the empty result, silence once the handle
 * ended) and passes the outcome to a destination; {@link AttemptRun.unsubscribe} is the teardown
 * (unsubscribe the work, abort its signal when it had not finished). The run loop drives a node's
 * attempt through it directly: one object, no operator chain. A class, not closures, for the run
 * loop's per-node cost.
 *
 * Use: call the work with `run.handle`; a synchronous throw goes to {@link AttemptRun.error},
 * the result to {@link AttemptRun.follow}; keep `run` as the teardown.
 * @internal
 */
export class AttemptRun<T> {
  // Fields are assigned in the constructor, not declared with initializers: one is built per
  // attempt, and in a fresh process field initializers cost about three times as much.
  /** True once the work completed or errored (its signal is left alone then). */
  declare finished: boolean;
  declare readonly destination: AttemptDestination<T>;
  declare readonly handle: AttemptHandle;
  declare readonly all: boolean;
  declare readonly config: AttemptConfig;
  declare private latest: T | undefined;
  declare private hasValue: boolean;
  declare private subscription: Subscription | undefined;

  constructor(destination: AttemptDestination<T>, handle: AttemptHandle, all: boolean, config: AttemptConfig) {
    this.finished = false;
    this.destination = destination;
    this.handle = handle;
    this.all = all;
    this.config = config;
    this.latest = undefined;
    this.hasValue = false;
    this.subscription = undefined;
  }

  /** Subscribes to the work's result; one that is not an ObservableInput is an error (`config.invalid`). */
  follow(result: ObservableInput<T>): void {
    let source: Observable<T>;
    try {
      source = toObservable(result, this.config);
    } catch (error) {
      this.error(error);
      return;
    }
    this.subscription = source.subscribe(this);
  }

  next(value: T): void {
    if (this.handle.ended) return;
    if (this.all) this.destination.next(value);
    else {
      this.latest = value;
      this.hasValue = true;
    }
  }

  error(error: unknown): void {
    this.finished = true;
    if (!this.handle.ended) this.destination.error(error);
  }

  complete(): void {
    this.finished = true;
    if (this.handle.ended) return;
    if (this.all) this.destination.complete();
    else if (this.hasValue) {
      this.destination.next(this.latest as T);
      this.destination.complete();
    } else this.destination.error(this.config.empty ? this.config.empty() : emptyResult());
  }

  /** The teardown: unsubscribes the work and, when it had not finished, aborts its signal. */
  unsubscribe(): void {
    this.subscription?.unsubscribe();
    this.handle.end(!this.finished);
  }
}

function emptyResult(): AttemptResultError {
  return new AttemptResultError('EMPTY_RESULT', 'the attempt completed without a value');
}

function invalidResult(result: unknown): AttemptResultError {
  const what = result === null ? 'null' : Array.isArray(result) ? 'an array' : typeof result;
  return new AttemptResultError('INVALID_RESULT', `the attempt's work returned ${what}, not an Observable, a Promise or an iterable`);
}
