/**
 * rx-orchestra: multi-agent workflows as RxJS streams.
 * @module
 */
export { graph, graphFromNodes, GraphBuilder } from './graph/builder.js';
export { GraphError, isGraphError, type GraphErrorCode } from './graph/errors.js';
export type { Graph } from './graph/graph.js';
export {
  DEFAULT_NODE_TIMEOUT_MS,
  type NodeContext,
  type NodeSpec,
  type NodeDefinition,
  type NodeFallback,
  type FallbackStep,
  type StepOutput,
  fallbacks,
  type NodeRetry,
  type UpstreamPolicy,
} from './graph/node-spec.js';
export { execute, type ExecuteOptions, type ExecuteArgs, type RunStream } from './run/execute.js';
export { collect, run, type RunResult } from './run/collect.js';
export { shareRun, type SharedRun } from './run/share-run.js';
export { RunTracker } from './run/run-tracker.js';
export {
  NodeRunError,
  NodeDeadlineError,
  ExecuteOptionsError,
  RunIncompleteError,
  isNodeRunError,
  isExecuteOptionsError,
  isRunIncompleteError,
  type NodeRunErrorCode,
} from './run/errors.js';
export { hasValue, errorInfo, outcomeOf, describeSkip, type NodeOutcome } from './run/outcome.js';
export {
  RunEventSchema,
  ErrorInfoSchema,
  SkipCauseSchema,
  RunSummarySchema,
  NodeStatusSchema,
  RunStatusSchema,
  isNodeEndEvent,
  type RunEvent,
  type RunEventType,
  type EventOf,
  type NodeEndEvent,
  type ErrorInfo,
  type SkipCause,
  type NodeStatus,
  type RunStatus,
  type RunSummary,
  type NodeView,
} from './run/events.js';
export * from './models/index.js';
export { llm, type LlmNodeOptions, type LlmRun } from './nodes/llm.js';
export { defaultModel } from './nodes/default-model.js';
export { LlmNodeError, isLlmNodeError, type LlmNodeErrorCode } from './nodes/errors.js';
export { parseStructured, jsonSchemaOf } from './nodes/structured-output.js';
export { anthropicModel, defaultClaudeModelId, MissingApiKeyError, type AnthropicModelOptions } from './models/anthropic/anthropic-model.js';
export { classifyAnthropicError } from './models/anthropic/classify-error.js';
export { rateLimitOf, retryAfterMsOf } from './models/anthropic/headers.js';
export { ModelCallError, CallDeadlineError, isModelCallError, type ModelErrorCode } from './models/model-error.js';
export { CLAUDE_PRICES, priceOf, costUsd, UnknownModelPriceError, type ModelPrice, type PriceTable } from './models/pricing.js';
export { governedModel, type GovernedModel, type GovernedModelOptions } from './models/governed-model.js';
export type { GovernanceEvent } from './models/model.js';
export { RateLimiter, ConcurrencyLimiter, QUOTA_PRESETS, type Quota } from '../operators/index.js';
export * from './budget/index.js';
export { fallbackTo } from './nodes/fallback-to.js';
export { createRunLogger, logRunEvents, REDACTED_PATHS, type RunLoggerOptions } from './observe/run-logger.js';
export { writeRunLog, readRunLog, lineOf, RunLogError, type RunLogLine } from './observe/run-log-file.js';
export { runMetrics, type RunMetrics, type CallStats } from './observe/run-metrics.js';
export { traceRunEvents } from './observe/run-tracing.js';
export * from './patterns/supervisor/index.js';
export * from './patterns/bus/index.js';
export * from './patterns/agents/index.js';
export * from './patterns/pool/index.js';
export * from './store/index.js';
export * from './distributed/index.js';
export * from './ui/index.js';
