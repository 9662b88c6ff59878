/**
 * Types of the pre-run cost estimate (seed 000: "estimate the cost before the run, refuse it over a
 * threshold"). Types only: the estimator is `estimateRunCost`, the check `assertWithinBudget`.
 * @module
 */
import type { PriceTable } from '../models/pricing.js';

/**
 * What one node is expected to spend: its model and its tokens per call. The node's USD cost is
 * `calls x (inputTokens x input price + outputTokens x output price)` at the model's price.
 *
 * ## Example
 * ```ts
 * import type { CostEstimate } from 'rx-orchestra';
 * const outline: CostEstimate = { model: 'claude-sonnet-4-6', inputTokens: 2_000, outputTokens: 1_024 };
 * ```
 */
export interface CostEstimate {
  /** Model id, priced with `priceOf` (a dated id finds its family). */
  readonly model: string;
  /** Input tokens of one call: system prompt, prompt and upstream text. */
  readonly inputTokens: number;
  /** Output tokens of one call; an upper bound such as the node's `maxTokens`. */
  readonly outputTokens: number;
  /** How many calls the node makes (e.g. structured output with repairs). @default 1 */
  readonly calls?: number;
  /**
   * Prices for this node's model, e.g. the `prices` an `llm()` node was given.
   * @default the estimate's `prices` option, else `CLAUDE_PRICES`
   */
  readonly prices?: PriceTable;
  /**
   * Whether the node's calls go through the Message Batches API (`llm({ batch: true })`): priced at
   * the batch discount (`batchPrice`, half the list price). `false` keeps a node at the list price
   * when the whole run is batched. @default the estimate's `batch` option (false)
   */
  readonly batch?: boolean;
}

/**
 * What a {@link CostEstimator} knows about the node and the run before anything runs.
 *
 * ## Example
 * ```ts
 * import type { CostEstimateContext } from 'rx-orchestra';
 * const input = (ctx: CostEstimateContext) => 300 + ctx.upstreamOutputTokens; // template + upstream text
 * ```
 */
export interface CostEstimateContext {
  readonly nodeId: string;
  /** Ids of the node's dependencies. */
  readonly deps: readonly string[];
  /** The run's model id (`execute(g, { model })`'s `model.model`), if the run has a provider. */
  readonly model: string | undefined;
  /**
   * The dependencies' own estimates, by id (`undefined` for a dependency without one). They are
   * resolved first, so a node can size its input from what its dependencies will hand it.
   */
  readonly upstream: Readonly<Record<string, CostEstimate | undefined>>;
  /** Sum of the dependencies' `outputTokens` (one call each): the upstream text a prompt embeds. */
  readonly upstreamOutputTokens: number;
}

/**
 * Computes a node's estimate from the graph: e.g. an `llm()` node takes its model, `maxTokens`
 * as the output bound and its upstream's output as part of its input. Returns `undefined` when it
 * cannot say (the node is then listed as unestimated).
 *
 * ## Example
 * ```ts
 * import type { CostEstimator } from 'rx-orchestra';
 * const estimator: CostEstimator = (ctx) => ({
 *   model: ctx.model ?? 'claude-sonnet-4-6',
 *   inputTokens: 200 + ctx.upstreamOutputTokens,
 *   outputTokens: 1_024,
 * });
 * ```
 */
export type CostEstimator = (context: CostEstimateContext) => CostEstimate | undefined;

/**
 * A node's `costEstimate` setting: a fixed {@link CostEstimate} or a {@link CostEstimator}.
 *
 * ## Example
 * ```ts
 * import type { CostEstimateSpec } from 'rx-orchestra';
 * const costEstimate: CostEstimateSpec = { model: 'claude-haiku-4-5', inputTokens: 500, outputTokens: 200 };
 * ```
 */
export type CostEstimateSpec = CostEstimate | CostEstimator;

/**
 * A node as the estimator sees it; graph nodes (`g.nodes`) fit, as do plain objects.
 *
 * ## Example
 * ```ts
 * import type { CostedNode } from 'rx-orchestra';
 * const nodes: CostedNode[] = [{ id: 'research', costEstimate: { model: 'claude-haiku-4-5', inputTokens: 100, outputTokens: 1_024 } }];
 * ```
 */
export interface CostedNode {
  readonly id: string;
  /** @default [] */
  readonly deps?: readonly string[];
  /** The node's estimate; a node without one is reported in `unestimated`. */
  readonly costEstimate?: CostEstimateSpec;
}

/**
 * One node's estimated cost, tokens summed over its calls.
 *
 * ## Example
 * ```ts
 * import type { NodeCost } from 'rx-orchestra';
 * const cost: NodeCost = { nodeId: 'outline', model: 'claude-sonnet-4-6', calls: 1, inputTokens: 2_000, outputTokens: 1_000, usd: 0.021 };
 * ```
 */
export interface NodeCost {
  readonly nodeId: string;
  readonly model: string;
  readonly calls: number;
  /** Input tokens over all calls (`calls x inputTokens`). */
  readonly inputTokens: number;
  /** Output tokens over all calls (`calls x outputTokens`). */
  readonly outputTokens: number;
  readonly usd: number;
  /** True when the node is priced as batched (half price). @default false */
  readonly batch?: boolean;
}

/**
 * A run's estimated cost: the total, every estimated node (most expensive first), the `top` most
 * expensive, and the nodes without an estimate (not counted in the total).
 *
 * ## Example
 * ```ts
 * import { estimateRunCost } from 'rx-orchestra';
 * const { totalUsd, top, unestimated } = estimateRunCost(g.nodes);
 * ```
 */
export interface RunCostEstimate {
  readonly totalUsd: number;
  /** Sorted by `usd`, most expensive first; ties keep the nodes' order. */
  readonly byNode: readonly NodeCost[];
  /** The first `top` entries of `byNode`. */
  readonly top: readonly NodeCost[];
  /** Ids of the nodes without an estimate, in the nodes' order. */
  readonly unestimated: readonly string[];
}
