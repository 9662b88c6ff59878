/**
 * Standalone RxJS operators for resilient agent calls. None of them knows about LLMs or graphs;
 * each works on any Observable and takes a scheduler, so it runs in virtual time in marble tests.
 * @module
 */
export { timeout, TimeoutError, isTimeoutError, type TimeoutConfig, type TimeoutKind } from './timeout.js';
export { retryWithBackoff, isRetryable, retryAfterOf, type RetryConfig, type RetryInfo } from './retry.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffConfig } from './backoff.js';
export { fallback, fallbackValue, type FallbackConfig, type FallbackSource } from './fallback.js';
export { OperatorConfigError, isOperatorConfigError } from './errors.js';
