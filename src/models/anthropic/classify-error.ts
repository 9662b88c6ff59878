import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ModelCallError, type ModelErrorCode } from '../model-error.js';
import { rateLimitOf, retryAfterMsOf } from './headers.js';
import { scrubSecrets } from './scrub-secrets.js';

const BY_STATUS: Readonly<Record<number, ModelErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'AUTHENTICATION',
  403: 'PERMISSION',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  413: 'REQUEST_TOO_LARGE',
  429: 'RATE_LIMITED',
  529: 'OVERLOADED',
};

/**
 * Error `type`s of the API's error body, as codes: for errors that arrive without a status (SSE
 * `error` events) and for a Message Batches result line that `errored`. @internal
 */
export const ERROR_CODE_BY_TYPE: Readonly<Record<string, ModelErrorCode>> = {
  overloaded_error: 'OVERLOADED',
  rate_limit_error: 'RATE_LIMITED',
  api_error: 'SERVER_ERROR',
  timeout_error: 'TIMEOUT',
  invalid_request_error: 'BAD_REQUEST',
  authentication_error: 'AUTHENTICATION',
  permission_error: 'PERMISSION',
  not_found_error: 'NOT_FOUND',
  request_too_large: 'REQUEST_TOO_LARGE',
};

/**
 * Turns what the Anthropic SDK throws into a {@link ModelCallError}: 429 RATE_LIMITED, 529
 * OVERLOADED (also an `overloaded_error` SSE event on an HTTP 200, which the SDK never retries),
 * other 5xx SERVER_ERROR, connection failures and timeouts: retryable; 400, 401, 403, 404, 413:
 * not. `retryAfterMs` comes from `retry-after-ms` / `retry-after`. Anything that is not an SDK
 * error is returned as it is (scrubbed). `now` (ms since the epoch) resolves HTTP-date retry-afters.
 * Every occurrence of a `secrets` value (the API key, the auth token) is replaced by
 * `[REDACTED]` first, in the message, stack, cause and body of what is returned: an error body
 * that echoes the request's headers must not carry the key any further.
 */
export function classifyAnthropicError(thrown: unknown, now: number, secrets: readonly string[] = []): unknown {
  const error = scrubSecrets(thrown, secrets);
  if (!(error instanceof APIError)) {
    return droppedConnection(error)
      ? new ModelCallError('CONNECTION', `connection dropped mid-response: ${(error as Error).message}`, { provider: 'anthropic', cause: error })
      : error;
  }
  const requestId = error.requestID ?? undefined;
  const base = { provider: 'anthropic', cause: error, ...(requestId ? { requestId } : {}) };
  if (error instanceof APIUserAbortError) return new ModelCallError('ABORTED', 'request aborted', base);
  if (error instanceof APIConnectionTimeoutError) return new ModelCallError('TIMEOUT', `request timed out: ${error.message}`, base);
  if (error instanceof APIConnectionError) return new ModelCallError('CONNECTION', `connection error: ${error.message}`, base);
  const status = error.status;
  const type = error.type ?? bodyType(error.error);
  const code: ModelErrorCode =
    (status !== undefined ? BY_STATUS[status] : undefined) ??
    (status !== undefined && status >= 500 ? 'SERVER_ERROR' : undefined) ??
    (type ? ERROR_CODE_BY_TYPE[type] : undefined) ??
    'API_ERROR';
  const retryAfterMs = retryAfterMsOf(error.headers, now);
  const rateLimit = rateLimitOf(error.headers); // a 429 tells the quota too: a limiter learns it from here
  const where = status !== undefined ? `HTTP ${status}` : `stream error event`;
  return new ModelCallError(code, `${where}${type ? ` ${type}` : ''}: ${error.apiMessage ?? error.message}`, {
    ...base,
    ...(status !== undefined ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  });
}

/** `error.type` of an API error body (`{ type: 'error', error: { type, message } }`). */
function bodyType(body: unknown): string | undefined {
  const inner = (body as { error?: { type?: unknown } } | undefined)?.error;
  return typeof inner?.type === 'string' ? inner.type : undefined;
}

/**
 * A response cut off mid-stream: the SDK's stream reader surfaces it as a plain `AnthropicError`
 * (or fetch's `TypeError`) with message 'terminated', caused by undici's socket error.
 */
function droppedConnection(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'UND_ERR_SOCKET' || e.message === 'terminated') return true;
  }
  return false;
}
