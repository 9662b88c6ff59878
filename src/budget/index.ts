/**
 * Cost control before a run (seed 000): per-node cost estimates, the run's estimated cost, the
 * budget check that refuses a run over `maxUsd`, and token caps for fan-out summaries.
 * (Re-exported from the package root.)
 * @module
 */
export type { CostEstimate, CostEstimateContext, CostEstimator, CostEstimateSpec, CostedNode, NodeCost, RunCostEstimate } from './cost-estimate.js';
export { estimateRunCost, type EstimateRunCostOptions } from './estimate.js';
export type { BudgetConfig } from './budget-config.js';
export {
  BudgetExceededError,
  isBudgetExceededError,
  BudgetStopError,
  isBudgetStopError,
  CostEstimateError,
  isCostEstimateError,
  type BudgetExceededInfo,
  type BudgetConfigField,
  type CostEstimateField,
} from './errors.js';
export { capTokens, estimateTokens, type CapTokensOptions } from './token-cap.js';
