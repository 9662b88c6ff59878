import { z } from 'zod';
import { llm, type LlmRun } from '../../nodes/llm.js';
import type { Model } from '../../models/model.js';
import type { PriceTable } from '../../models/pricing.js';
import type { Router, RouterDecision } from './router.js';
import { FINISH, type SupervisorState } from './state.js';

/**
 * Settings of {@link llmRouter}. Only `system` is required.
 *
 * ## Example
 * ```ts
 * import { llmRouter, type LlmRouterOptions } from 'rx-orchestra/patterns';
 * const options: LlmRouterOptions = { system: 'Pick the next worker, or FINISH.', model: 'claude-haiku-4-5', rationale: true };
 * const router = llmRouter(options);
 * ```
 */
export interface LlmRouterOptions {
  /** The supervisor's instructions: what each worker is for, when to finish (seed 004's prompt). */
  system: string;
  /** Model id for routing calls (a small fast model is usually enough). @default the provider's default model */
  model?: string;
  /** Provider for routing calls. @default the run's (`execute(g, { model })`), else `defaultModel()` */
  provider?: Model;
  /** Ask for a short `rationale` with each decision (shown in `supervisor.routed`). @default false */
  rationale?: boolean;
  /** Sampling temperature: routing should be repeatable. @default 0 */
  temperature?: number;
  /** Output cap of a routing call. @default 256 */
  maxTokens?: number;
  /** How often an invalid decision is sent back with the validation errors. @default 2 */
  repairs?: number;
  /** Deadline of each routing call, in ms, from admission; `false` for none. @default 30000 */
  timeout?: number | false;
  /** Send calls through traffic control (see `llm()`). @default true */
  governed?: boolean;
  /** Prices for cost accounting. @default CLAUDE_PRICES */
  prices?: PriceTable;
  /**
   * Builds the user message from the state. @default the conversation as
   * `<message from="...">` blocks, then the choice to make
   */
  prompt?: (state: SupervisorState) => string;
}

/**
 * The zod schema of a routing decision among `workers`: `next` is an enum of the worker names plus
 * `FINISH` (never free text), with a required `rationale` string when asked for.
 *
 * ## Example
 * ```ts
 * import { routerSchema } from 'rx-orchestra/patterns';
 * routerSchema(['recommender', 'auditor'], true).parse({ next: 'FINISH', rationale: 'done' });
 * ```
 */
export function routerSchema(workers: readonly string[], rationale = false): z.ZodType<RouterDecision> {
  const next = z.enum([...workers, FINISH] as unknown as [string, ...string[]]);
  return rationale ? z.object({ next, rationale: z.string() }) : z.object({ next });
}

/**
 * A router that asks an LLM, with structured output: the schema is {@link routerSchema} of the
 * supervisor's workers, so the answer is one worker name or `FINISH`, validated by zod (invalid
 * answers are sent back for repair, then fail with an `INVALID_OUTPUT` `LlmNodeError`). Each routing
 * call is an `llm()` call: governed by default, its `node.usage` (tokens, cost) reported on the
 * supervisor's node, cancelled with the loop. The routing JSON is not streamed as `node.token`.
 *
 * ## Example
 * ```ts
 * import { supervisor, llmRouter } from 'rx-orchestra/patterns';
 * const router = llmRouter({
 *   system: [
 *     'You are a data standardization supervisor. Pick the next worker:',
 *     '- recommender: standard abbreviations and domains (RAG)',
 *     '- post_processor: physical names, table sorting',
 *     '- auditor: domain-priority checks of full tables',
 *     '- FINISH: when the answer is complete. One worker at a time.',
 *   ].join('\n'),
 *   model: 'claude-haiku-4-5',
 *   rationale: true,
 * });
 * supervisor({ name: 'data-team', workers, router });
 * ```
 */
export function llmRouter(options: LlmRouterOptions): Router {
  const { rationale = false, prompt = routingPrompt } = options;
  const calls = new Map<string, LlmRun<SupervisorState, RouterDecision>>();
  const callFor = (workers: readonly string[]) => {
    const key = workers.join('\u0000');
    let call = calls.get(key);
    if (!call) {
      call = llm<SupervisorState, RouterDecision>({
        prompt: (state) => prompt(state),
        system: options.system,
        schema: routerSchema(workers, rationale),
        temperature: options.temperature ?? 0,
        maxTokens: options.maxTokens ?? 256,
        ...(options.model !== undefined ? { model: options.model } : {}),
        ...(options.provider !== undefined ? { provider: options.provider } : {}),
        ...(options.repairs !== undefined ? { repairs: options.repairs } : {}),
        ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        ...(options.governed !== undefined ? { governed: options.governed } : {}),
        ...(options.prices !== undefined ? { prices: options.prices } : {}),
      });
      calls.set(key, call);
    }
    return call;
  };
  return (state, ctx) =>
    callFor(state.workers)({
      inputs: state,
      upstream: {},
      signal: ctx.signal,
      attempt: ctx.attempt,
      nodeId: ctx.nodeId,
      runId: ctx.runId,
      context: ctx.context,
      scheduler: ctx.scheduler,
      model: ctx.model,
      emit: (report) => {
        if (report.type !== 'node.token') ctx.emit(report); // the decision's JSON is not the node's text
      },
    });
}

/**
 * The default routing prompt: the conversation as `<message from="user">` / `<message
 * from="worker">` blocks, then which names may come next.
 *
 * ## Example
 * ```ts
 * import { routingPrompt } from 'rx-orchestra/patterns';
 * routingPrompt({ turn: 1, workers: ['recommender'], messages: [{ role: 'user', content: 'Standardize PT_ID' }] });
 * ```
 */
export function routingPrompt(state: SupervisorState): string {
  const conversation = state.messages.length
    ? state.messages.map((m) => `<message from="${m.role === 'user' ? 'user' : (m.name ?? 'worker')}">\n${m.content}\n</message>`).join('\n')
    : '(no messages yet)';
  const options = [...state.workers, FINISH].join(', ');
  const described = state.descriptions ? state.workers.filter((w) => state.descriptions![w] !== undefined) : [];
  const roster = described.length ? `Workers:\n${described.map((w) => `- ${w}: ${state.descriptions![w]}`).join('\n')}\n\n` : '';
  return `${conversation}\n\n${roster}Turn ${state.turn}. Who acts next? Choose exactly one of: ${options}. Choose ${FINISH} when the request is fully answered.`;
}
