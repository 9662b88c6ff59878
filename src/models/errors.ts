/** What went wrong in a simulated call: a transient overload (529) or a malformed request (400). */
export type SimulatedModelErrorCode = 'OVERLOADED' | 'INVALID_REQUEST';

const STATUS: Record<SimulatedModelErrorCode, number> = { OVERLOADED: 529, INVALID_REQUEST: 400 };

/**
 * An error of the simulated provider, shaped like the API's own: an HTTP-like `status`, a `code`,
 * and `retryable` (true for `OVERLOADED`, the 529 the real API returns under load; false for a
 * request that can never succeed). The executor's retry layer reads `retryable`.
 *
 * ## Example
 * ```ts
 * import { simulatedModel, isSimulatedModelError } from 'rx-orchestra';
 * simulatedModel({ failureRate: 1 }).complete({ prompt: 'hi' }).subscribe({
 *   error: (e) => isSimulatedModelError(e) && console.log(e.code, e.status, e.retryable), // OVERLOADED 529 true
 * });
 * ```
 */
export class SimulatedModelError extends Error {
  override readonly name = 'SimulatedModelError';
  /** HTTP-like status: 529 for `OVERLOADED`, 400 for `INVALID_REQUEST`. */
  readonly status: number;
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  constructor(
    readonly code: SimulatedModelErrorCode,
    message: string,
  ) {
    super(message);
    this.status = STATUS[code];
    this.retryable = code === 'OVERLOADED';
  }
}

/**
 * True for a {@link SimulatedModelError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isSimulatedModelError } from 'rx-orchestra';
 * if (isSimulatedModelError(error) && error.code === 'OVERLOADED') countOverload();
 * ```
 */
export function isSimulatedModelError(error: unknown): error is SimulatedModelError {
  return error instanceof SimulatedModelError || (error instanceof Error && error.name === 'SimulatedModelError' && 'status' in error);
}

/**
 * A model call that was cancelled through its AbortSignal (a timeout, the run failing, or the
 * caller). Named `AbortError` like the DOM's, so code that checks `error.name === 'AbortError'`
 * keeps working; `cause` holds the signal's reason. Not retryable.
 *
 * ## Example
 * ```ts
 * import { simulatedModel, isModelAbortError } from 'rx-orchestra';
 * const controller = new AbortController();
 * controller.abort();
 * simulatedModel().complete({ prompt: 'hi' }, controller.signal).subscribe({
 *   error: (e) => console.log(isModelAbortError(e), e.code), // true ABORTED
 * });
 * ```
 */
export class ModelAbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORTED' as const;
  readonly retryable = false;
  constructor(reason?: unknown) {
    super('the model call was aborted', reason === undefined ? undefined : { cause: reason });
  }
}

/**
 * True for a {@link ModelAbortError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isModelAbortError } from 'rx-orchestra';
 * if (isModelAbortError(error)) return; // cancelled on purpose: nothing to report
 * ```
 */
export function isModelAbortError(error: unknown): error is ModelAbortError {
  return error instanceof ModelAbortError || (error instanceof Error && (error as { code?: unknown }).code === 'ABORTED');
}

/**
 * An invalid setting given to a model factory or a model helper, named by `field`
 * (e.g. `'latency.p95Ms'`). Thrown at call time, before anything runs.
 *
 * ## Example
 * ```ts
 * import { simulatedModel, ModelOptionsError } from 'rx-orchestra';
 * try { simulatedModel({ failureRate: 2 }); }
 * catch (e) { if (e instanceof ModelOptionsError) console.log(e.code, e.field); } // INVALID_OPTION failureRate
 * ```
 */
export class ModelOptionsError extends Error {
  override readonly name = 'ModelOptionsError';
  readonly code = 'INVALID_OPTION' as const;
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
