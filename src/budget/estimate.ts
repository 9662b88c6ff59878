import { CLAUDE_PRICES, batchPrice, costUsd, priceOf, type PriceTable } from '../models/pricing.js';
import { checkTop, DEFAULT_TOP_NODES } from './budget-config.js';
import type { CostedNode, NodeCost, RunCostEstimate } from './cost-estimate.js';
import { resolveCostEstimates } from './resolve-estimates.js';

/**
 * Settings of {@link estimateRunCost}.
 *
 * ## Example
 * ```ts
 * import { CLAUDE_PRICES, estimateRunCost, type EstimateRunCostOptions } from 'rx-orchestra';
 * const options: EstimateRunCostOptions = { prices: { ...CLAUDE_PRICES, 'my-model': { inputPerMTok: 2, outputPerMTok: 8 } }, top: 5, model: 'claude-sonnet-4-6' };
 * estimateRunCost(g.nodes, options);
 * ```
 */
export interface EstimateRunCostOptions {
  /** Prices of the models, for estimates that bring none. @default CLAUDE_PRICES */
  prices?: PriceTable;
  /** How many of the most expensive nodes `top` lists. An integer >= 0. @default 3 */
  top?: number;
  /** The run's model id, passed to estimator functions as `context.model`. @default undefined */
  model?: string;
  /**
   * Price every node as batched (`execute(g, { batch })`): at the Message Batches API's discount
   * (half price), except nodes whose estimate says `batch: false`. @default false (only nodes whose
   * estimate says `batch: true`)
   */
  batch?: boolean;
}

/**
 * Estimates what a run will cost before it starts (seed 000): per node, `calls x (inputTokens x
 * input price + outputTokens x output price)` at the model's price (`priceOf`/`costUsd`), and
 * the total. Estimator functions are called in dependency order with their dependencies'
 * estimates. Nodes without an estimate are listed in `unestimated` and count as free. An `llm()`
 * node that names no model or provider is priced as the run's `model`, else as `defaultModel()`'s
 * model, which is the model that answers with `ANTHROPIC_API_KEY` set (`RX_ORCHESTRA_MODEL`, else
 * `claude-sonnet-4-6`) also offline, where the simulated provider stands in for it: an estimate
 * is the same with and without a key. Pure.
 *
 * ## Example
 * ```ts
 * import { estimateRunCost } from 'rx-orchestra';
 * const estimate = estimateRunCost([
 *   { id: 'research', costEstimate: { model: 'claude-haiku-4-5', inputTokens: 1_000, outputTokens: 2_000 } },   // $0.011
 *   { id: 'outline', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 2_000, outputTokens: 1_000 } },    // $0.021
 *   { id: 'format' },
 * ]);
 * estimate.totalUsd;                      // 0.032
 * estimate.top.map((n) => n.nodeId);      // ['outline', 'research']
 * estimate.unestimated;                   // ['format']
 * ```
 * @throws {UnknownModelPriceError} for a model without a price, naming the node
 * @throws {CostEstimateError} for an invalid estimate or an estimator that threw, naming the node
 * @throws {OptionsError} (scope `'budget'`) for an invalid `top`
 */
export function estimateRunCost(nodes: readonly CostedNode[], options: EstimateRunCostOptions = {}): RunCostEstimate {
  const { prices = CLAUDE_PRICES, top = DEFAULT_TOP_NODES, model, batch: runBatched = false } = options;
  checkTop(top);
  const estimates = resolveCostEstimates(nodes, model);
  const costs: NodeCost[] = [];
  const unestimated: string[] = [];
  let totalUsd = 0;
  nodes.forEach((node, i) => {
    const estimate = estimates[i];
    if (estimate === undefined) {
      unestimated.push(node.id);
      return;
    }
    const calls = estimate.calls ?? 1;
    const listPrice = priceOf(estimate.model, estimate.prices ?? prices, node.id);
    const batched = estimate.batch ?? runBatched;
    const price = batched ? batchPrice(listPrice) : listPrice;
    const inputTokens = calls * estimate.inputTokens;
    const outputTokens = calls * estimate.outputTokens;
    const usd = costUsd({ inputTokens, outputTokens }, price);
    totalUsd += usd;
    costs.push({ nodeId: node.id, model: estimate.model, calls, inputTokens, outputTokens, usd, ...(batched ? { batch: true } : {}) });
  });
  const byNode = costs.sort((a, b) => b.usd - a.usd); // stable: ties keep the nodes' order
  return { totalUsd, byNode, top: byNode.slice(0, top), unestimated };
}
