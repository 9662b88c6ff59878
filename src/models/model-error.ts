import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import type { RateLimitSnapshot } from './model.js';
import { TimeoutError } from '../../operators/timeout.js';

/** What went wrong with a model call, by cause. */
export type ModelErrorCode =
  | 'RATE_LIMITED'
  | 'OVERLOADED'
  | 'SERVER_ERROR'
  | 'CONNECTION'
  | 'TIMEOUT'
  | 'BAD_REQUEST'
  | 'AUTHENTICATION'
  | 'PERMISSION'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'REQUEST_TOO_LARGE'
  | 'ABORTED'
  | 'API_ERROR';

/** Codes worth another attempt: quota, overload, server trouble, the network. */
const RETRYABLE: ReadonlySet<ModelErrorCode> = new Set(['RATE_LIMITED', 'OVERLOADED', 'SERVER_ERROR', 'CONNECTION', 'TIMEOUT', 'CONFLICT']);

/**
 * A failed model call, classified: `code` names the cause, `retryable` says whether the retry
 * operator should try again, and `retryAfterMs` how long the provider asked to wait (it is honoured
 * when longer than the backoff). Never carries the API key or request headers: when a response
 * echoes them, the Claude adapter replaces the key's value with `[REDACTED]` in the message, the
 * stack and the cause (which keeps its SDK error class).
 *
 * ## Example
 * ```ts
 * import { isModelCallError } from 'rx-orchestra';
 * if (isModelCallError(error) && error.code === 'RATE_LIMITED') console.log('wait', error.retryAfterMs);
 * ```
 */
export class ModelCallError extends RxOrchestraError {
  static {
    brandError(this, 'ModelCallError');
  }
  override readonly name: string = 'ModelCallError';
  readonly retryable: boolean;
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    override readonly details: { status?: number; retryAfterMs?: number; requestId?: string; provider?: string; rateLimit?: RateLimitSnapshot; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.retryable = RETRYABLE.has(code);
  }
  /** HTTP status, when there was a response. */
  get status(): number | undefined {
    return this.details.status;
  }
  /** How long the provider asked to wait before retrying, in ms. */
  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
  get requestId(): string | undefined {
    return this.details.requestId;
  }
  /** The quota state the error response reported (`anthropic-ratelimit-*`), if any. */
  get rateLimit(): RateLimitSnapshot | undefined {
    return this.details.rateLimit;
  }
}

/** True for a {@link ModelCallError}, also one from another copy of this package. */
export function isModelCallError(error: unknown): error is ModelCallError {
  return hasErrorTag(error, 'ModelCallError');
}

/**
 * A model call's own deadline passed (a request's `timeoutMs`, `firstTokenMs` or `idleMs`, counted
 * from admission). A `TimeoutError` (code `TIMEOUT`, retryable); an `llm()` node reports it as the
 * node timing out.
 */
export class CallDeadlineError extends TimeoutError {
  static {
    brandError(this, 'CallDeadlineError');
  }
}
