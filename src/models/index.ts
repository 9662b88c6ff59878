/**
 * Model providers: the {@link Model} contract, the offline simulated provider, its seeded random
 * source and its typed errors. (Meant to be re-exported from the package root.)
 * @module
 */
export type { Model, Completion, CompletionRequest, TokenUsage, ChatTurn, ModelEvent, RateLimitSnapshot, RateLimitWindow, ContentBlock, MessageContent, MediaSource, ToolDefinition, ToolChoice } from './model.js';
export { textOf } from './model.js';
export { simulatedModel, type SimulatedModel, type SimulatedModelOptions } from './simulated-model.js';
export type { SimulatedToolPolicy, SimulatedToolAnswer, ToolPolicyContext } from './simulated/answer.js';
export type { SimulatedFaults } from './simulated/faults.js';
export type { SimulatedQuota } from './simulated/quota-buckets.js';
export { seededRandom, logNormalLatency, type LatencyProfile } from './random.js';
export {
  SimulatedModelError,
  isSimulatedModelError,
  ModelAbortError,
  isModelAbortError,
  type SimulatedModelErrorCode,
  type SimulatedModelErrorDetails,
} from './errors.js';
