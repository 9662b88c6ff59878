import { defer, map, mergeMap, of, type Observable } from 'rxjs';
import type { z } from 'zod';
import { withRunDefaults, type NodeContext, type NodeRun } from '../graph/node-spec.js';
import type { CompletionRequest, MessageContent, Model } from '../models/model.js';
import { CLAUDE_PRICES, type PriceTable } from '../models/pricing.js';
import { defaultModel } from './default-model.js';
import type { CostEstimator } from '../budget/cost-estimate.js';
import { estimateTokens } from '../budget/token-cap.js';
import { LlmNodeError } from './errors.js';
import { jsonSchemaOf, parseStructured, repairPrompt } from './structured-output.js';
import { checkBatch, checkLlmDeadlines, checkThinking } from './llm-options.js';
import { DEFAULT_CALL_TIMEOUT_MS, nodeModel, streamCall } from './model-call.js';

/**
 * The dependencies' outputs by id that an `llm()` prompt's `ctx.upstream` is keyed and typed by:
 * `D` when known (inferred from the node, where it differs from `I` under `onUpstreamFailure:
 * 'partial'`), else the inputs `I`.
 */
export type LlmUpstream<I, D> = unknown extends D ? I : D;

/**
 * Settings of an LLM node ({@link llm}). Only `prompt` is required. `I` is the type of the prompt's
 * inputs, `T` of the node's value, `D` the dependencies' outputs (see {@link LlmUpstream}); all three
 * are inferred where `llm()` is a node's `run`.
 */
export interface LlmNodeOptions<I, T, D = unknown> {
  /**
   * Builds the user message from the node's typed inputs (seed 000's `prompt_fn`): text, or content
   * blocks (text, images and documents from the inputs, passed through as they are). Within
   * `.node(id, { deps, run: llm({ prompt }) })` the inputs are typed from `deps`: a name that is not
   * a dependency does not compile.
   */
  prompt: (inputs: I, ctx: NodeContext<I, unknown, LlmUpstream<I, D>>) => MessageContent;
  system?: string;
  /** Model id for this node. @default the provider's default model */
  model?: string;
  /** Output cap. @default the provider's (1024) */
  maxTokens?: number;
  /** Sampling temperature, 0..1. @default the provider's */
  temperature?: number;
  /**
   * Extended thinking: up to `budgetTokens` (an integer >= 1024, below `maxTokens`) tokens of
   * reasoning before the answer. Thinking streams as `node.thinking` events, never into the value;
   * its tokens are output tokens (counted in `node.usage`, the cost and budgets). @default off
   */
  thinking?: { budgetTokens: number };
  /**
   * A zod v4 schema for structured output: Claude is asked for this JSON shape
   * (`output_config.format`), and the answer is validated; the node's value is the parsed object.
   */
  schema?: z.ZodType<T>;
  /** How often invalid structured output is sent back with the validation errors. @default 2 */
  repairs?: number;
  /**
   * Deadline of each model call, in ms, counted from when the call is admitted (waiting for the
   * quota or a concurrency slot does not count). `false` for none. An `llm()` node therefore has no
   * node-level deadline by default; a node `timeout` you set still applies, queueing included.
   * @default 30000 (seed 000: LLM p99 latency plus a buffer)
   */
  timeout?: number | false;
  /** Fail (retryably) when the first streamed text takes longer than this, in ms. @default none */
  firstTokenTimeout?: number;
  /** Fail (retryably) when the stream sends nothing at all (no event, not even a keep-alive) for this long, in ms, from the call's admission on. @default none */
  idleTimeout?: number;
  /** Model provider for this node. @default the run's (`execute(g, { model })`), else {@link defaultModel} */
  provider?: Model;
  /**
   * Send calls through traffic control (adaptive concurrency, quota learned from the provider,
   * circuit breaker), unless the provider already is a `governedModel`. One governor per provider
   * object, shared by every node and run that uses it. @default true
   */
  governed?: boolean;
  /** Prices for cost accounting. @default CLAUDE_PRICES */
  prices?: PriceTable;
  /**
   * Send this node's calls through the Message Batches API, at half price: they wait (minutes, at
   * most 24 h) for their batch instead of streaming, skip the per-minute quota and have no call
   * deadline (`timeout`, `firstTokenTimeout`, `idleTimeout` do not apply; a node `timeout` still
   * does). The provider needs a Message Batches API (`simulatedModel()` has one; wrap Claude in
   * `batchingModel(model, { backend: anthropicBatches() })`). `false` keeps the node direct when
   * the whole run is batched.
   * @default the run's (`execute(g, { batch })`), else false
   */
  batch?: boolean;
  /**
   * Input tokens to assume for the pre-run cost estimate (the prompt cannot be built before its
   * inputs exist). @default the system prompt + 100 + what the dependencies are expected to output
   */
  estimatedInputTokens?: number;
}

/**
 * What `llm()` returns: a node's `run` ({@link NodeRun}), carrying its cost estimator for the pre-run
 * budget check and its default node deadline (none: the call deadline lives inside, after admission).
 *
 * An interface with a call signature, not an intersection with a function type, on purpose: the
 * result is then a function type to TypeScript, so `run: llm({...})` inside `.node(id, { deps, run })`
 * is inferred after `deps` (TypeScript defers generic calls that return a function until the
 * enclosing call's other inferences are made), and the prompt's inputs are typed from the deps.
 */
export interface LlmRun<I, T, D = unknown> extends NodeRun<I, T, unknown, D> {
  (ctx: NodeContext<I, unknown, D>): Observable<T>;
  /** The pre-run estimate: model, `estimatedInputTokens` (or the system prompt + inputs) and `maxTokens`. */
  readonly costEstimate: CostEstimator;
  /** No node deadline: the call deadline (`timeout`) lives inside, after admission. */
  readonly defaultTimeout: false;
  /** The node's `batch` setting, when it has one (what a durable run looks for). */
  readonly batch?: boolean;
}

/** Prompt-template allowance in the pre-run estimate, on top of the system prompt and the inputs. */
const PROMPT_ALLOWANCE_TOKENS = 100;

/**
 * Makes a node a model call: use the result as a node's `run`. The prompt is built from the
 * node's typed inputs; text streams onto the run's event stream as `node.token`; each call reports
 * `node.usage` (tokens and USD cost, added up in the run summary); unsubscribing (timeout,
 * cancellation) aborts the call. With a `schema`, the value is the validated object, and invalid
 * output is fed back up to `repairs` times before the node fails with an `INVALID_OUTPUT`
 * {@link LlmNodeError} carrying the raw text. A missing provider, a throwing prompt function, an
 * unpriced model or a schema JSON Schema cannot express fail before any token is spent. The prompt
 * may return content blocks (an image or a document from the inputs is passed through as a block);
 * with `thinking`, the model's reasoning streams as `node.thinking` events and never enters the value.
 *
 * ## Example
 * ```ts
 * import { graph, llm } from 'rx-orchestra';
 * import { z } from 'zod';
 * const g = graph()
 *   .node('research', { run: llm({ prompt: () => 'Three facts about RxJS schedulers', model: 'claude-haiku-4-5' }), retry: 3 })
 *   .node('outline', {
 *     deps: ['research'],
 *     run: llm({ prompt: ({ research }) => `Outline an article from:\n${research}`, schema: z.object({ sections: z.array(z.string()) }) }),
 *   })
 *   .build();
 * ```
 */
export function llm<I = Record<string, unknown>, T = string, D = unknown>(options: LlmNodeOptions<I, T, D>): LlmRun<I, T, D> {
  checkLlmDeadlines(options); // bad deadlines fail here, naming the field, not after a 1 ms timer
  checkThinking(options, 'llm');
  checkBatch(options, 'llm');
  const { schema, repairs = 2, prices = CLAUDE_PRICES } = options;
  let jsonSchema: Record<string, unknown> | undefined;

  const costEstimate: CostEstimator = (info) => ({
    model: options.model ?? options.provider?.model ?? info.model ?? defaultModel().model,
    inputTokens: options.estimatedInputTokens ?? estimateTokens(options.system ?? '') + PROMPT_ALLOWANCE_TOKENS + info.upstreamOutputTokens,
    outputTokens: options.maxTokens ?? 1024,
    prices,
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
  });

  const run = (ctx: NodeContext<I, unknown, D>) =>
    defer(() => {
      const model = nodeModel({ ...options, prices }, ctx);
      const callTimeout = options.timeout === false ? undefined : (options.timeout ?? DEFAULT_CALL_TIMEOUT_MS);
      if (schema && !jsonSchema) {
        try {
          jsonSchema = jsonSchemaOf(schema);
        } catch (error) {
          throw new LlmNodeError('SCHEMA_UNSUPPORTED', ctx.nodeId, `its output schema cannot be expressed as JSON Schema: ${(error as Error).message}`, { cause: error });
        }
      }
      let prompt: MessageContent;
      try {
        prompt = options.prompt(ctx.inputs, ctx as NodeContext<I, unknown, LlmUpstream<I, D>>);
      } catch (error) {
        throw new LlmNodeError('PROMPT_FAILED', ctx.nodeId, `its prompt function threw: ${(error as Error).message}`, { cause: error });
      }
      const request: CompletionRequest = {
        prompt,
        ...(options.system !== undefined ? { system: options.system } : {}),
        ...(options.model !== undefined ? { model: options.model } : {}),
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
        ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options.thinking !== undefined ? { thinking: options.thinking } : {}),
        ...(jsonSchema ? { jsonSchema } : {}),
        ...(callTimeout !== undefined ? { timeoutMs: callTimeout } : {}),
        ...(options.firstTokenTimeout !== undefined ? { firstTokenMs: options.firstTokenTimeout } : {}),
        ...(options.idleTimeout !== undefined ? { idleMs: options.idleTimeout } : {}),
      };
      // Text streams as node.token, thinking as node.thinking; the value is the answer's text.
      const call = (req: CompletionRequest) => streamCall(model, req, ctx).pipe(map((completion) => completion.text));
      if (!schema) return call(request) as Observable<T>;
      const answer = (req: CompletionRequest, repairsLeft: number): Observable<T> =>
        call(req).pipe(
          mergeMap((text) => {
            const parsed = parseStructured(text, schema);
            if (parsed.ok) return of(parsed.value);
            if (repairsLeft === 0) {
              throw new LlmNodeError('INVALID_OUTPUT', ctx.nodeId, `output did not match its schema after ${repairs} repair(s): ${parsed.issues.join('; ')}`, {
                rawText: text,
                issues: parsed.issues,
              });
            }
            const history = [...(req.history ?? []), { role: 'user' as const, content: req.prompt }, { role: 'assistant' as const, content: text }];
            return answer({ ...req, history, prompt: repairPrompt(parsed.issues) }, repairsLeft - 1);
          }),
        );
      return answer(request, repairs);
    });
  return withRunDefaults(run, { costEstimate, defaultTimeout: false, ...(options.batch !== undefined ? { batch: options.batch } : {}) });
}
