import type { CostEstimate, CostEstimateContext } from '../../budget/cost-estimate.js';
import { estimateTokens } from '../../budget/token-cap.js';
import { CLAUDE_PRICES } from '../../models/pricing.js';
import { defaultModel } from '../../nodes/default-model.js';
import { isCodePeer, type ModelPeer, type Peer } from './peer.js';

/** Prompt-template allowance of the opening message (as `llm()`). */
const PROMPT_ALLOWANCE_TOKENS = 100;
/** Output bound of a reply when its peer sets no `maxTokens` (the providers' default). */
const DEFAULT_MAX_TOKENS = 1024;

/**
 * The pre-run estimate of a collaboration, an upper bound in calls: `maxTurns` replies, each
 * resending the conversation, which grows by one reply (at most `maxTokens`) a turn; so the mean
 * input of a call is `base + (maxTurns - 1) / 2 x maxTokens`, where `base` is the longest system
 * prompt + 100 + what the dependencies output. Priced at the model of the peer that speaks first
 * (else the first model peer): give the node a `costEstimate` for a team of differently priced
 * models. Undefined when no peer is a model. @internal
 */
export function collaborationEstimate(peers: Readonly<Record<string, Peer>>, first: string, maxTurns: number, context: CostEstimateContext): CostEstimate | undefined {
  const models = Object.values(peers).filter((p): p is ModelPeer => !isCodePeer(p));
  const priced = (isCodePeer(peers[first]!) ? undefined : (peers[first] as ModelPeer)) ?? models[0];
  if (!priced) return undefined;
  const outputTokens = Math.max(...models.map((p) => p.maxTokens ?? DEFAULT_MAX_TOKENS));
  const base = Math.max(...models.map((p) => estimateTokens(p.system))) + PROMPT_ALLOWANCE_TOKENS + context.upstreamOutputTokens;
  return {
    model: priced.model ?? priced.provider?.model ?? context.model ?? defaultModel().model,
    inputTokens: Math.ceil(base + ((maxTurns - 1) * outputTokens) / 2),
    outputTokens,
    calls: maxTurns,
    prices: priced.prices ?? CLAUDE_PRICES,
  };
}
