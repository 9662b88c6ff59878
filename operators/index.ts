/**
 * Standalone RxJS operators for resilient agent calls. None of them knows about LLMs or graphs;
 * each works on any Observable and takes a scheduler, so it runs in virtual time in marble tests.
 * @module
 */
export { timeout, TimeoutError, isTimeoutError, type TimeoutConfig, type TimeoutKind } from './timeout.js';
export {
  retryWithBackoff,
  isRetryable,
  retryAfterOf,
  RetryAfterTooLongError,
  isRetryAfterTooLongError,
  DEFAULT_MAX_RETRY_AFTER_MS,
  type RetryConfig,
  type RetryInfo,
  type GiveUpInfo,
  type GiveUpReason,
} from './retry.js';
export { MAX_TIMER_MS } from './long-timer.js';
export { createRetryBudget, DEFAULT_RETRY_BUDGET, type RetryBudget, type RetryBudgetConfig } from './retry-budget.js';
export {
  attempt,
  AttemptHandle,
  AttemptAbortError,
  isAttemptAbortError,
  AttemptResultError,
  isAttemptResultError,
  type AttemptConfig,
  type AttemptResultErrorCode,
} from './attempt.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffConfig } from './backoff.js';
export { fallback, fallbackValue, type FallbackConfig, type FallbackSource } from './fallback.js';
export { inWaves, runInWaves, type WaveTask, type WaveInfo, type WavesConfig } from './waves.js';
export { TokenBucket } from './token-bucket.js';
export { RateLimiter, QUOTA_PRESETS, type Quota, type CallCost, type Permit, type RateLimitWait, type LimitKind, type ReportedQuota } from './rate-limiter.js';
export { rateLimit, type RateLimitOptions } from './rate-limit.js';
export { ConcurrencyLimiter, type AdaptiveLimitConfig, type CallFeedback, type LimitChange, type Slot } from './concurrency-limiter.js';
export { limitConcurrency, isOverloadError, type LimitConcurrencyOptions } from './limit-concurrency.js';
export {
  createCircuitBreaker,
  circuitBreaker,
  CircuitOpenError,
  isCircuitOpenError,
  type CircuitBreaker,
  type CircuitBreakerConfig,
  type CircuitBreakerCallConfig,
  type CircuitState,
  type CircuitEvent,
  type CircuitErrorInfo,
  type BreakerPermit,
} from './circuit-breaker.js';
export { consecutiveFailures, failureRate, type BreakerPolicy, type BreakerTally, type FailureRateConfig } from './breaker-policy.js';
export { fallbackChain, type FallbackChainConfig, type FallbackStep as FallbackChainStep } from './fallback-chain.js';
