import type { CostEstimate, CostEstimateContext } from '../budget/cost-estimate.js';
import type { PriceTable } from '../models/pricing.js';
import { estimateTokens } from '../budget/token-cap.js';

/** Prompt-template allowance of the first call, on top of the system prompt, the tools and the inputs (as `llm()`). */
const PROMPT_ALLOWANCE_TOKENS = 100;

/** Output bound of one call when `maxTokens` is not set (the providers' default). */
export const DEFAULT_AGENT_MAX_TOKENS = 1024;

/** Tokens of tool results one step is assumed to add to the conversation when the agent does not say. */
export const DEFAULT_TOOL_RESULT_TOKENS = 1000;

/** What the estimate knows of an agent node. @internal */
export interface AgentEstimateInput {
  /** Model id, else the run's, else the default model's. */
  readonly model: (context: CostEstimateContext) => string;
  readonly system: string | undefined;
  /**
   * The plain tools' definitions as sent (name, description, input schema). A tool source's tools
   * (`mcpTools()`) are listed only when a node run takes the source, so they are not in here.
   */
  readonly toolDefinitionTokens: number;
  /** Plain tools or tool sources: the model may ask for tools at every step. */
  readonly hasTools: boolean;
  readonly maxSteps: number;
  /** Repairs of the output schema, when there is one. */
  readonly repairs: number;
  readonly maxTokens: number | undefined;
  readonly estimatedInputTokens: number | undefined;
  readonly estimatedToolResultTokens: number | undefined;
  readonly prices: PriceTable;
}

/**
 * The pre-run estimate of an agent node, an upper bound: it makes every call it may make and each
 * resends the whole conversation.
 *
 * - Calls: `maxSteps` with tools; without tools, one call plus the output repairs (at most `maxSteps`).
 * - First call's input `base`: `estimatedInputTokens`, else the system prompt + the plain tools'
 *   definitions + 100 (the prompt template) + what the dependencies output. The tools of tool
 *   sources (`mcpTools()`) are not counted: they are known only once a node run has taken the source
 *   (an agent with sources counts `maxSteps` calls all the same); pass `estimatedInputTokens` to
 *   include their definitions.
 * - Each step adds to the next call's input what it wrote (at most `maxTokens`, default 1024, the
 *   output bound of every call) and its tool results (`estimatedToolResultTokens`, default 1000).
 *   Call k (from 1) thus reads `base + (k - 1) x growth`, and over `n` calls the input is
 *   `n x base + n(n - 1)/2 x growth`, quadratic in the steps: reported as `calls = n` of
 *   `inputTokens = ceil(base + (n - 1)/2 x growth)` each (their mean).
 * - Prompt caching is not discounted: a prefix shorter than the model's minimum cacheable length
 *   (1024 to 4096 tokens) or an expired cache entry is billed in full, and the estimate must not
 *   promise what a run may not get. What caching saves shows in `node.usage` (cache reads).
 *
 * @internal
 */
export function agentCostEstimate(agent: AgentEstimateInput, context: CostEstimateContext): CostEstimate {
  const outputTokens = agent.maxTokens ?? DEFAULT_AGENT_MAX_TOKENS;
  const base = agent.estimatedInputTokens ?? estimateTokens(agent.system ?? '') + agent.toolDefinitionTokens + PROMPT_ALLOWANCE_TOKENS + context.upstreamOutputTokens;
  const calls = agent.hasTools ? agent.maxSteps : Math.min(agent.maxSteps, 1 + agent.repairs);
  const growth = outputTokens + (agent.hasTools ? (agent.estimatedToolResultTokens ?? DEFAULT_TOOL_RESULT_TOKENS) : 0);
  return {
    model: agent.model(context),
    inputTokens: Math.ceil(base + ((calls - 1) * growth) / 2),
    outputTokens,
    calls,
    prices: agent.prices,
  };
}
