import type { RateLimitSnapshot } from './model.js';
import type { ModelErrorCode } from './model-error.js';

/**
 * What went wrong in a simulated call, with the same codes as the Claude adapter's
 * `ModelCallError`, so policies (retry, circuit breakers) treat both providers alike:
 * - `OVERLOADED` (529), `SERVER_ERROR` (500), `RATE_LIMITED` (429, with `retryAfterMs`) and
 *   `CONNECTION` (a stream cut after some text; no HTTP status) are transient: retryable;
 * - `BAD_REQUEST` (400) and `REQUEST_TOO_LARGE` (413: more input tokens than the
 *   input-tokens-per-minute limit can ever admit) can never succeed: not retryable.
 */
export type SimulatedModelErrorCode = Extract<ModelErrorCode, 'OVERLOADED' | 'SERVER_ERROR' | 'RATE_LIMITED' | 'CONNECTION' | 'BAD_REQUEST' | 'REQUEST_TOO_LARGE'>;

const STATUS: Record<SimulatedModelErrorCode, number | undefined> = {
  OVERLOADED: 529,
  SERVER_ERROR: 500,
  RATE_LIMITED: 429,
  CONNECTION: undefined,
  BAD_REQUEST: 400,
  REQUEST_TOO_LARGE: 413,
};

const RETRYABLE: ReadonlySet<SimulatedModelErrorCode> = new Set(['OVERLOADED', 'SERVER_ERROR', 'RATE_LIMITED', 'CONNECTION']);

/** Context a {@link SimulatedModelError} may carry besides its code. */
export interface SimulatedModelErrorDetails {
  /** For `RATE_LIMITED`: how long to wait before the quota admits the call, in ms (whole seconds, like `retry-after`). */
  retryAfterMs?: number;
  /** The quota state when the call was refused (only with a `quota`). */
  rateLimit?: RateLimitSnapshot;
  /** The simulated request id, as a real response's `request-id` header. */
  requestId?: string;
}

/**
 * An error of the simulated provider, shaped like the API's own: an HTTP-like `status` (undefined
 * for a dropped connection), a `code`, `retryable` (true for the transient codes, see
 * {@link SimulatedModelErrorCode}) and, for a 429, `retryAfterMs`. The executor's retry layer reads
 * `retryable` and `retryAfterMs`.
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
  /** HTTP-like status: 529, 500, 429, 400 or 413; undefined for `CONNECTION`. */
  readonly status: number | undefined;
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** For `RATE_LIMITED`: the wait the simulated `retry-after` asks for, in ms. */
  readonly retryAfterMs?: number;
  /** The quota state when a `RATE_LIMITED` call was refused by the simulated quota. */
  readonly rateLimit?: RateLimitSnapshot;
  /** The simulated request id. */
  readonly requestId?: string;
  constructor(
    readonly code: SimulatedModelErrorCode,
    message: string,
    details: SimulatedModelErrorDetails = {},
  ) {
    super(message);
    this.status = STATUS[code];
    this.retryable = RETRYABLE.has(code);
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.rateLimit !== undefined) this.rateLimit = details.rateLimit;
    if (details.requestId !== undefined) this.requestId = details.requestId;
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
  return error instanceof SimulatedModelError || (error instanceof Error && error.name === 'SimulatedModelError' && 'code' in error && 'retryable' in error);
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
