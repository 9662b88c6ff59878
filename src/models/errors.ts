import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import type { RateLimitSnapshot } from './model.js';
import { ModelCallError, type ModelErrorCode } from './model-error.js';

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
 * An error of the simulated provider: a {@link ModelCallError} (provider `simulated`), so guards,
 * retry and circuit breakers treat it as the Claude adapter's. It has an HTTP-like `status`
 * (undefined for a dropped connection), a `code`, `retryable` (true for the transient codes, see
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
export class SimulatedModelError extends ModelCallError {
  static {
    brandError(this, 'SimulatedModelError');
  }
  override readonly name = 'SimulatedModelError';
  declare readonly code: SimulatedModelErrorCode;
  constructor(code: SimulatedModelErrorCode, message: string, details: SimulatedModelErrorDetails = {}) {
    const status = STATUS[code];
    // status 529, 500, 429, 400 or 413 (none for `CONNECTION`); `retryable` follows the code.
    super(code, message, { ...(status !== undefined ? { status } : {}), provider: 'simulated', ...details });
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
  return hasErrorTag(error, 'SimulatedModelError');
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
export class ModelAbortError extends RxOrchestraError {
  static {
    brandError(this, 'ModelAbortError');
  }
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
  return hasErrorTag(error, 'ModelAbortError');
}
