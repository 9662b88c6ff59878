import { checkBudgetConfig, type BudgetConfig } from './budget-config.js';
import type { RunCostEstimate } from './cost-estimate.js';
import { BudgetExceededError } from './errors.js';

/**
 * Rounding slack: sums of per-node float costs may land a hair above an exact budget
 * (0.1 + 0.2 > 0.3); a billionth of a dollar is not a real overrun.
 */
const TOLERANCE_USD = 1e-9;

/**
 * Refuses a run over its budget: throws a {@link BudgetExceededError} listing the `budget.top`
 * most expensive nodes when `estimate.totalUsd` is above `budget.maxUsd` (equal is allowed),
 * and returns the estimate otherwise. Pure: call it before the run starts, so nothing is spent.
 *
 * ## Example
 * ```ts
 * import { assertWithinBudget } from './preflight.js';
 * import { estimateRunCost } from 'rx-orchestra';
 * assertWithinBudget(estimateRunCost(g.nodes, { model: 'claude-sonnet-4-6' }), { maxUsd: 0.5 });
 * // throws: estimated $0.84 exceeds the budget of $0.50; most expensive: synthesize $0.41, outline $0.22, research $0.11
 * ```
 * @throws {OptionsError} (scope `'budget'`) for an invalid `budget` (named by field)
 * @throws {BudgetExceededError} when the estimate is over `budget.maxUsd`
 */
export function assertWithinBudget(estimate: RunCostEstimate, budget: BudgetConfig): RunCostEstimate {
  const { maxUsd, top } = checkBudgetConfig(budget);
  if (estimate.totalUsd - maxUsd > TOLERANCE_USD) {
    throw new BudgetExceededError({
      estimateUsd: estimate.totalUsd,
      maxUsd,
      topNodes: estimate.byNode.slice(0, top),
      unestimated: estimate.unestimated,
    });
  }
  return estimate;
}
