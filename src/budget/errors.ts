import { OptionsError, isOptionsError } from '../errors/options-error.js';
import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import type { NodeCost } from './cost-estimate.js';
import { decimalsToTellApart, formatUsd } from './format-usd.js';

/**
 * What {@link BudgetExceededError} carries.
 *
 * ## Example
 * ```ts
 * import { BudgetExceededError, type BudgetExceededInfo } from 'rx-orchestra';
 * const info: BudgetExceededInfo = { estimateUsd: 0.84, maxUsd: 0.5, topNodes: [] };
 * new BudgetExceededError(info).message; // 'estimated $0.84 exceeds the budget of $0.50'
 * ```
 */
export interface BudgetExceededInfo {
  /** The run's estimated cost in USD. */
  readonly estimateUsd: number;
  /** The budget it exceeds (`budget.maxUsd`). */
  readonly maxUsd: number;
  /** The most expensive nodes, most expensive first. */
  readonly topNodes: readonly NodeCost[];
  /** Nodes without an estimate, not counted in `estimateUsd`. @default [] */
  readonly unestimated?: readonly string[];
}

/**
 * A run refused before it starts: its estimated cost is over the budget (seed 000). Nothing was
 * called and nothing spent. The message names the most expensive nodes, the places to cut
 * (a cheaper model, a lower `maxTokens`, a capped summary instead of the full upstream text).
 *
 * ## Example
 * ```ts
 * import { assertWithinBudget } from './preflight.js';
 * import { estimateRunCost, isBudgetExceededError } from 'rx-orchestra';
 * try { assertWithinBudget(estimateRunCost(g.nodes), { maxUsd: 0.5 }); }
 * catch (e) { if (isBudgetExceededError(e)) console.log(e.message); }
 * // estimated $0.84 exceeds the budget of $0.50; most expensive: synthesize $0.41, outline $0.22, research $0.11
 * ```
 */
export class BudgetExceededError extends RxOrchestraError {
  static {
    brandError(this, 'BudgetExceededError');
  }
  override readonly name = 'BudgetExceededError';
  readonly code = 'BUDGET_EXCEEDED' as const;
  readonly retryable = false;
  readonly estimateUsd: number;
  readonly maxUsd: number;
  readonly topNodes: readonly NodeCost[];
  readonly unestimated: readonly string[];

  constructor(info: BudgetExceededInfo) {
    const decimals = decimalsToTellApart(info.estimateUsd, info.maxUsd);
    const unestimated = info.unestimated ?? [];
    const parts = [`estimated ${formatUsd(info.estimateUsd, decimals)} exceeds the budget of ${formatUsd(info.maxUsd, decimals)}`];
    if (info.topNodes.length > 0) parts.push(`most expensive: ${info.topNodes.map((n) => `${n.nodeId} ${formatUsd(n.usd, decimals)}`).join(', ')}`);
    if (unestimated.length > 0) parts.push(`without an estimate (not counted): ${unestimated.join(', ')}`);
    super(parts.join('; '));
    this.estimateUsd = info.estimateUsd;
    this.maxUsd = info.maxUsd;
    this.topNodes = info.topNodes;
    this.unestimated = unestimated;
  }
}

/**
 * True for a {@link BudgetExceededError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { assertWithinBudget } from './preflight.js';
 * import { estimateRunCost, isBudgetExceededError } from 'rx-orchestra';
 * try { assertWithinBudget(estimateRunCost(g.nodes), { maxUsd: 0.5 }); }
 * catch (e) { if (isBudgetExceededError(e)) console.table(e.topNodes); else throw e; }
 * ```
 */
export function isBudgetExceededError(error: unknown): error is BudgetExceededError {
  return hasErrorTag(error, 'BudgetExceededError');
}

/**
 * The setting a {@link BudgetConfigError} is about.
 *
 * ## Example
 * ```ts
 * import { isBudgetConfigError, type BudgetConfigField } from 'rx-orchestra';
 * const fieldOf = (e: unknown): BudgetConfigField | undefined => (isBudgetConfigError(e) ? e.field : undefined);
 * ```
 */
export type BudgetConfigField = 'maxUsd' | 'top' | 'maxTokens' | 'ellipsis' | 'tokensOf';

/**
 * An invalid budget setting (`budget.maxUsd`, `top`) or token-cap argument: an {@link OptionsError}
 * of scope `'budget'` (name `BudgetConfigError`, code `INVALID_BUDGET_CONFIG`) naming the `field`,
 * thrown when the setting is given, before anything runs.
 *
 * ## Example
 * ```ts
 * import { checkBudgetConfig } from './budget-config.js';
 * import { isBudgetConfigError } from 'rx-orchestra';
 * try { checkBudgetConfig({ maxUsd: -1 }); }
 * catch (e) { if (isBudgetConfigError(e)) console.log(e.field); } // maxUsd
 * ```
 * @deprecated Use {@link OptionsError} and `isOptionsError(e, 'budget')`.
 */
export type BudgetConfigError = OptionsError & { readonly scope: 'budget'; readonly code: 'INVALID_BUDGET_CONFIG'; readonly field: BudgetConfigField };
/** @deprecated Use {@link OptionsError}: `new OptionsError(field, message, 'budget')`. */
export const BudgetConfigError = OptionsError;

/**
 * True for an {@link OptionsError} about a budget setting, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { capTokens, isBudgetConfigError } from 'rx-orchestra';
 * try { capTokens('text', -1); } catch (e) { isBudgetConfigError(e); } // true
 * ```
 */
export function isBudgetConfigError(error: unknown): error is BudgetConfigError {
  return isOptionsError(error, 'budget');
}

/**
 * The part of a node's cost estimate a {@link CostEstimateError} is about.
 *
 * ## Example
 * ```ts
 * import { isCostEstimateError, type CostEstimateField } from 'rx-orchestra';
 * const fieldOf = (e: unknown): CostEstimateField | undefined => (isCostEstimateError(e) ? e.field : undefined);
 * ```
 */
export type CostEstimateField = 'costEstimate' | 'model' | 'inputTokens' | 'outputTokens' | 'calls' | 'prices';

/**
 * A node whose cost estimate is unusable: not an object, a bad field (`field` names it), or an
 * estimator function that threw (`cause` keeps its error). Thrown by `estimateRunCost`, before
 * anything runs. (A model without a price is an `UnknownModelPriceError` naming the node.)
 *
 * ## Example
 * ```ts
 * import { estimateRunCost, isCostEstimateError } from 'rx-orchestra';
 * try { estimateRunCost([{ id: 'a', costEstimate: { model: 'claude-haiku-4-5', inputTokens: -1, outputTokens: 0 } }]); }
 * catch (e) { if (isCostEstimateError(e)) console.log(e.nodeId, e.field); } // a inputTokens
 * ```
 */
export class CostEstimateError extends RxOrchestraError {
  static {
    brandError(this, 'CostEstimateError');
  }
  override readonly name = 'CostEstimateError';
  readonly code = 'INVALID_COST_ESTIMATE' as const;
  readonly retryable = false;
  constructor(
    readonly nodeId: string,
    readonly field: CostEstimateField,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`node '${nodeId}': ${message}`, options);
  }
}

/**
 * True for a {@link CostEstimateError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { estimateRunCost, isCostEstimateError } from 'rx-orchestra';
 * try { estimateRunCost(g.nodes); } catch (e) { if (isCostEstimateError(e)) console.log(e.nodeId); }
 * ```
 */
export function isCostEstimateError(error: unknown): error is CostEstimateError {
  return hasErrorTag(error, 'CostEstimateError');
}
