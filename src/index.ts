/**
 * `rx-orchestra`: multi-agent workflows as RxJS streams. The engine (typed graphs, `execute`, events,
 * outcomes), Claude and simulated models with traffic control, `llm()` and `agent()` nodes with `tool()`s,
 * prices and budgets.
 * Loads nothing beyond its peer dependencies (rxjs, zod, @anthropic-ai/sdk); the other entry points are
 * `rx-orchestra/operators`, `/testing`, `/patterns`, `/observe`, `/store`, `/distributed`, `/ui` and `/mcp`.
 *
 * ## Example
 * ```ts
 * import { graph, llm, collect, execute } from 'rx-orchestra';
 * const g = graph().node('facts', { run: llm({ prompt: () => 'Three facts about RxJS' }) }).build();
 * const { outcomes } = await collect(execute(g));
 * ```
 * @module
 */
export { graph, graphFromNodes, type GraphBuilder } from './graph/builder.js';
export { GraphError, isGraphError, type GraphErrorCode } from './graph/errors.js';
export type { Graph } from './graph/graph.js';
export type { JoinPolicy, ApprovalSpec, ApprovalGranted, Decision, BranchFn } from './graph/dynamic-spec.js';
export type { ForEachSpec, ForEachContext, JoinValue } from './graph/for-each-spec.js';
export { subgraph, type SubgraphOptions, type SubgraphRun, type SubgraphInputContext } from './run/subgraph.js';
export { approval, type ApprovalRun } from './nodes/approval.js';
export {
  DEFAULT_NODE_TIMEOUT_MS,
  withRunDefaults,
  type NodeRun,
  type NodeRunDefaults,
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
export { RunTracker, type RunTrackerOptions, type SnapshotParts } from './run/run-tracker.js';
export {
  NodeRunError,
  NodeDeadlineError,
  RunIncompleteError,
  isNodeRunError,
  isRunIncompleteError,
  type NodeRunErrorCode,
  DynamicNodeError,
  isDynamicNodeError,
  type DynamicNodeErrorCode,
  ApprovalError,
  isApprovalError,
  type ApprovalErrorCode,
} from './run/errors.js';
export { hasValue, describeSkip, type NodeOutcome } from './run/outcome.js';
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
export { anthropicModel, defaultClaudeModelId, MissingApiKeyError, type AnthropicModelOptions } from './models/anthropic/anthropic-model.js';
export { ModelCallError, CallDeadlineError, isModelCallError, type ModelErrorCode } from './models/model-error.js';
export { CLAUDE_PRICES, priceOf, costUsd, UnknownModelPriceError, type ModelPrice, type PriceTable } from './models/pricing.js';
export { governedModel, type GovernedModel, type GovernedModelOptions } from './models/governed-model.js';
export type { GovernanceEvent } from './models/model.js';
export * from './budget/index.js';
export { fallbackTo } from './nodes/fallback-to.js';
export { MissingPeerError, isMissingPeerError } from './peer/errors.js';
export { RxOrchestraError, isRxOrchestraError } from './errors/rx-orchestra-error.js';
export { OptionsError, isOptionsError, type OptionsScope, type OptionsErrorCode } from './errors/options-error.js';
export {
  tool,
  isToolSource,
  DEFAULT_TOOL_TIMEOUT_MS,
  type Tool,
  type ToolSpec,
  type ToolContext,
  type ToolInputCheck,
  type ToolResultContent,
  type ToolSource,
  type ToolSourceContext,
} from './agents/tool.js';
export { agent, type AgentNodeOptions, type AgentRun, type AgentAnswer, type AgentValue } from './agents/agent.js';
export type { TranscriptMode, AgentCallRetryConfig } from './agents/agent-loop.js';
export type { Transcript } from './agents/transcript.js';
export {
  AgentNodeError,
  isAgentNodeError,
  ToolCallError,
  isToolCallError,
  type AgentNodeErrorCode,
  type AgentNodeErrorDetails,
  type ToolCallErrorCode,
} from './agents/errors.js';
export { loop, type LoopOptions, type LoopRun, type LoopContext, type LoopCheck } from './nodes/loop.js';
export { LoopError, isLoopError, type LoopErrorCode } from './nodes/errors.js';
export { BATCH_DISCOUNT, batchPrice } from './models/pricing.js';
export type { SimulatedBatchOptions } from './models/simulated/batches.js';
export {
  batchingModel,
  isBatchingModel,
  anthropicBatches,
  memoryBatchJournal,
  isBatchedCompletion,
  pollDelay,
  BatchCallError,
  isBatchCallError,
  type BatchingModel,
  type BatchingModelOptions,
  type BatchableRequest,
  type BatchRunOptions,
  type AnthropicBatchesOptions,
  type BatchBackend,
  type BatchEntry,
  type BatchStatus,
  type BatchItemResult,
  type BatchRequestCounts,
  type BatchJournal,
  type BatchJournalEntry,
  type BatchedCompletion,
  type BatchPollInterval,
  type BatchCallErrorCode,
} from './models/batch/index.js';
