import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import { AttemptAbortError } from '../../operators/attempt.js';
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
 * The setting an `OptionsError` of scope `'budget'` is about (its `field`).
 *
 * ## Example
 * ```ts
 * import { isOptionsError, type BudgetConfigField } from 'rx-orchestra';
 * const fieldOf = (e: unknown) => (isOptionsError(e, 'budget') ? (e.field as BudgetConfigField) : undefined);
 * ```
 */
export type BudgetConfigField = 'maxUsd' | 'top' | 'maxTokens' | 'ellipsis' | 'tokensOf';

/**
 * The part of a node's cost estimate a {@link CostEstimateError} is about.
 *
 * ## Example
 * ```ts
 * import { isCostEstimateError, type CostEstimateField } from 'rx-orchestra';
 * const fieldOf = (e: unknown): CostEstimateField | undefined => (isCostEstimateError(e) ? e.field : undefined);
 * ```
 */
export type CostEstimateField = 'costEstimate' | 'model' | 'inputTokens' | 'outputTokens' | 'calls' | 'prices' | 'batch';

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

/**
 * The abort reason of the nodes a run stops because its spend crossed `budget.maxUsd` (after a
 * call's `node.usage`): the signal of every in-flight node aborts with it, so a node can tell a
 * budget stop from a cancellation and say what it leaves, synchronously from its abort listener
 * (an agent emits `agent.finished` with reason `budget` and its transcript). An
 * {@link AttemptAbortError} (`name: 'AbortError'`, `code: 'CANCELLED'`): code that treats any abort
 * as a cancellation keeps doing so.
 *
 * ## Example
 * ```ts
 * import { graph, isBudgetStopError } from 'rx-orchestra';
 * graph().node('crawl', {
 *   run: ({ signal }) => {
 *     signal.addEventListener('abort', () => {
 *       if (isBudgetStopError(signal.reason)) console.log(signal.reason.message); // the run was stopped: it spent $0.61, ...
 *     });
 *     return crawl(signal);
 *   },
 * });
 * ```
 */
export class BudgetStopError extends AttemptAbortError {
  static {
    brandError(this, 'BudgetStopError');
  }
  /** What the run had spent when it stopped, in USD. */
  readonly spentUsd: number;
  /** The budget (`budget.maxUsd`). */
  readonly maxUsd: number;

  constructor(info: { spentUsd: number; maxUsd: number }) {
    const decimals = decimalsToTellApart(info.spentUsd, info.maxUsd);
    super(`the run was stopped: it spent ${formatUsd(info.spentUsd, decimals)}, over its budget of ${formatUsd(info.maxUsd, decimals)}`);
    this.spentUsd = info.spentUsd;
    this.maxUsd = info.maxUsd;
  }
}

/** True for a {@link BudgetStopError}, also one from another copy of this package. */
export function isBudgetStopError(error: unknown): error is BudgetStopError {
  return hasErrorTag(error, 'BudgetStopError');
}
