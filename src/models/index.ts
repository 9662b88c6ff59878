/**
 * Model providers: the {@link Model} contract, the offline simulated provider, its seeded random
 * source and its typed errors. (Meant to be re-exported from the package root.)
 * @module
 */
export type { Model, Completion, CompletionRequest, TokenUsage } from './model.js';
export { simulatedModel, type SimulatedModel, type SimulatedModelOptions } from './simulated-model.js';
export { seededRandom, logNormalLatency, type LatencyProfile } from './random.js';
export {
  SimulatedModelError,
  isSimulatedModelError,
  ModelAbortError,
  isModelAbortError,
  ModelOptionsError,
  type SimulatedModelErrorCode,
} from './errors.js';
