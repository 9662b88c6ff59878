import { defer, type Observable } from 'rxjs';
import type { z } from 'zod';
import { withRunDefaults, type NodeContext, type NodeRun } from '../graph/node-spec.js';
import type { CompletionRequest, MessageContent, Model } from '../models/model.js';
import { CLAUDE_PRICES, type PriceTable } from '../models/pricing.js';
import type { CostEstimator } from '../budget/cost-estimate.js';
import { estimateTokens } from '../budget/token-cap.js';
import { OptionsError, isOptionsError } from '../errors/options-error.js';
import { defaultModel } from '../nodes/default-model.js';
import { checkBatch, checkLlmDeadlines, checkThinking } from '../nodes/llm-options.js';
import type { LlmUpstream } from '../nodes/llm.js';
import { DEFAULT_CALL_TIMEOUT_MS, nodeModel } from '../nodes/model-call.js';
import { jsonSchemaOf } from '../nodes/structured-output.js';
import { agentCostEstimate } from './agent-estimate.js';
import { agentLoop, type AgentCallRetryConfig, type AgentLoopSettings, type TranscriptMode } from './agent-loop.js';
import { checkRetryConfig } from '../../operators/retry.js';
import { AgentNodeError } from './errors.js';
import type { AnyTool } from './tool-runner.js';
import type { ToolSource } from './tool.js';
import { agentTools, definitionsOf, withSourceTools } from './tool-sources.js';
import type { Transcript } from './transcript.js';

/**
 * Settings of an agent node ({@link agent}). Only `prompt` is required. `I` is the type of the
 * prompt's inputs, `T` of the answer, `D` the dependencies' outputs, `M` where the transcript goes;
 * all are inferred where `agent()` is a node's `run`.
 */
export interface AgentNodeOptions<I, T, D = unknown, M extends TranscriptMode = 'event'> {
  /**
   * Builds the first user message from the node's typed inputs: text, or content blocks (images and
   * documents from the inputs pass through). Typed from the node's `deps`, as in `llm()`.
   */
  prompt: (inputs: I, ctx: NodeContext<I, unknown, LlmUpstream<I, D>>) => MessageContent;
  system?: string;
  /**
   * The tools the model may call: tools (`tool()`) and tool sources (`mcpTools()` of
   * `rx-orchestra/mcp`, any {@link ToolSource}). Each node run takes every source when it starts,
   * before its first model call (`source.tools({ signal, scheduler })`, all sources at once), and
   * releases them when it ends (completes, fails or is cancelled: `signal` aborts), which lets an MCP
   * connection close. A source that fails to open fails the node with its own error. Names must
   * differ: two plain tools of one name are refused here, a source's tool named like another tool
   * fails the node run with `TOOL_NAME_CLASH` naming both. @default none
   */
  tools?: readonly (AnyTool | ToolSource)[];
  /** Model id for this node. @default the provider's default model */
  model?: string;
  /** Model provider for this node. @default the run's (`execute(g, { model })`), else `defaultModel()` */
  provider?: Model;
  /** Send every step's call through traffic control (quota, adaptive concurrency, breaker), as `llm()`. @default true */
  governed?: boolean;
  /** Prices for cost accounting. @default CLAUDE_PRICES */
  prices?: PriceTable;
  /**
   * Send each step's model call through the Message Batches API, at half price: every step waits
   * for its batch (minutes, at most 24 h) and has no call deadline, so a loop of n steps takes n
   * batches. For agents that can wait (nightly runs). See `llm({ batch })`.
   * @default the run's (`execute(g, { batch })`), else false
   */
  batch?: boolean;
  /**
   * Model calls at most, output repairs included. A model that still asks for tools at the last one
   * fails the node with a `MAX_STEPS` {@link AgentNodeError} that keeps the transcript. @default 10
   */
  maxSteps?: number;
  /**
   * A zod schema for the final answer: every call asks for this JSON shape, and the answer is
   * parsed (invalid answers are fed back up to `repairs` times); the node's value is the parsed object.
   */
  output?: z.ZodType<T>;
  /** How often an answer that fails `output` is sent back with the issues. @default 2 */
  repairs?: number;
  /** Output cap of each call (thinking included). @default the provider's (1024) */
  maxTokens?: number;
  /** Sampling temperature, 0..1. @default the provider's */
  temperature?: number;
  /**
   * Extended thinking on every call: `budgetTokens` (>= 1024, below `maxTokens`). Thinking streams as
   * `node.thinking`, and its blocks are sent back with each assistant turn, as the API requires. @default off
   */
  thinking?: { budgetTokens: number };
  /**
   * Prompt caching: every call marks the tools, the system prompt and the conversation so far as a
   * cached prefix, which each next step resends (cache reads cost a tenth of input). @default true
   */
  cache?: boolean;
  /**
   * A tool that throws or times out (after its retries): `'report'` sends the model an error result
   * it can react to; `'fail'` fails the node (`TOOL_FAILED`). Unknown tools and invalid input are
   * always reported. @default 'report'
   */
  onToolError?: 'report' | 'fail';
  /**
   * The node fails (`TOO_MANY_TOOL_ERRORS`) once more tool calls than this failed in a row (unknown
   * tool, invalid input, threw, timed out; a refusal by `approve` neither counts nor resets). @default 3
   */
  maxConsecutiveToolErrors?: number;
  /**
   * Where the transcript goes: on `agent.finished` (`'event'`), also into the value as
   * `{ answer, transcript }` (`'value'`), or nowhere (`'none'`). @default 'event'
   */
  transcript?: M;
  /**
   * Retries of each step's model call when it fails with a retryable error (429 `RATE_LIMITED`, 529
   * `OVERLOADED`, 5xx, a dropped connection, the call's `timeout`): the same request is sent again
   * after an exponential backoff on the run's scheduler, or after the error's retry-after when longer
   * (one longer than `maxRetryAfter` fails at once with `RETRY_AFTER_TOO_LONG`). A number of
   * retries, or `{ count, initialDelay, factor, maxDelay, jitter, maxRetryAfter }` (the fields and
   * defaults of `retryWithBackoff`: 1 s doubling up to 30 s, half jittered, retry-after up to 10 min);
   * `0` turns it off. A retry is the same step (it does not count towards `maxSteps`), the tools of
   * earlier steps do not run again, and each one is an `agent.retrying` event. Errors that are not
   * retryable (a 400, an open breaker) and a node that was stopped are not retried. Retries spent,
   * the node fails with the call's error (a node `retry` may then run the whole loop again). Text a
   * failed attempt streamed stays on the stream as `node.token` (before its `agent.retrying`); the
   * value holds only the answering attempt's text. Not charged to the run's retry budget (a node
   * cannot reach it), and jittered with `Math.random`.
   * @default { count: 3 }
   */
  callRetry?: number | AgentCallRetryConfig;
  /** Deadline of each model call, from its admission; `false` for none. @default 30000 */
  timeout?: number | false;
  /** Deadline of each call's first streamed text, from admission. @default none */
  firstTokenTimeout?: number;
  /** Longest silence of each call's stream, from admission. @default none */
  idleTimeout?: number;
  /**
   * Input tokens of the first call for the pre-run estimate. The default counts the definitions of
   * plain tools only: a tool source's tools are not known before the run, so count them here.
   * @default system prompt + plain tools' definitions + 100 + the dependencies' output
   */
  estimatedInputTokens?: number;
  /** Tool-result tokens each step adds, for the pre-run estimate. @default 1000 */
  estimatedToolResultTokens?: number;
}

/** The value of an agent node with `transcript: 'value'`. */
export interface AgentAnswer<T> {
  readonly answer: T;
  readonly transcript: Transcript;
}

/** An agent node's value: the answer, or `{ answer, transcript }` with `transcript: 'value'`. */
export type AgentValue<T, M extends TranscriptMode> = [M] extends ['value'] ? AgentAnswer<T> : T;

/**
 * What `agent()` returns: a node's `run` carrying its pre-run cost estimate (which accounts for
 * `maxSteps`) and no node deadline (each model call has its own). An interface with a call
 * signature, like `LlmRun`, so that `run: agent({...})` is inferred after the node's `deps` and the
 * prompt's inputs are typed from them.
 */
export interface AgentRun<I, T, D = unknown> extends NodeRun<I, T, unknown, D> {
  (ctx: NodeContext<I, unknown, D>): Observable<T>;
  /** The pre-run estimate: `maxSteps` calls, each resending the growing conversation. */
  readonly costEstimate: CostEstimator;
  /** No node deadline: each model call has its own (`timeout`), and tools theirs. */
  readonly defaultTimeout: false;
}

const TRANSCRIPT_MODES: readonly TranscriptMode[] = ['event', 'value', 'none'];

const CALL_RETRY_FIELDS = ['count', 'initialDelay', 'factor', 'maxDelay', 'jitter', 'maxRetryAfter'] as const;

/**
 * `callRetry` as the loop takes it: the listed fields only, checked (an OptionsError names
 * `callRetry.<field>`); undefined when it is off.
 */
function callRetryConfig(setting: unknown): AgentCallRetryConfig | undefined {
  if (setting === undefined) return { count: 3 };
  const given: Record<string, unknown> | undefined = typeof setting === 'number' ? { count: setting } : typeof setting === 'object' && setting !== null ? (setting as Record<string, unknown>) : undefined;
  if (!given) {
    throw new OptionsError('callRetry', `agent: 'callRetry' must be a number of retries or { count, initialDelay, factor, maxDelay, jitter, maxRetryAfter }, got ${String(setting)}`);
  }
  const config: Record<string, unknown> = {};
  for (const field of CALL_RETRY_FIELDS) if (given[field] !== undefined) config[field] = given[field];
  try {
    checkRetryConfig(config, 'agent');
  } catch (error) {
    if (!isOptionsError(error)) throw error;
    const field = `callRetry.${error.field}`;
    throw new OptionsError(field, error.message.replace(`'${error.field}'`, `'${field}'`));
  }
  return config.count === 0 ? undefined : (config as AgentCallRetryConfig);
}

function checkAgentOptions(options: AgentNodeOptions<unknown, unknown, unknown, TranscriptMode>): void {
  const integer = (field: string, value: unknown, min: number) => {
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= min)) {
      throw new OptionsError(field, `agent: '${field}' must be an integer >= ${min}, got ${String(value)}`);
    }
  };
  if (typeof options.prompt !== 'function') throw new OptionsError('prompt', `agent: 'prompt' must be a function of the inputs`);
  integer('maxSteps', options.maxSteps, 1);
  integer('repairs', options.repairs, 0);
  integer('maxConsecutiveToolErrors', options.maxConsecutiveToolErrors, 0);
  integer('maxTokens', options.maxTokens, 1);
  integer('estimatedInputTokens', options.estimatedInputTokens, 0);
  integer('estimatedToolResultTokens', options.estimatedToolResultTokens, 0);
  if (options.onToolError !== undefined && options.onToolError !== 'report' && options.onToolError !== 'fail') {
    throw new OptionsError('onToolError', `agent: 'onToolError' must be 'report' or 'fail', got ${String(options.onToolError)}`);
  }
  if (options.transcript !== undefined && !TRANSCRIPT_MODES.includes(options.transcript)) {
    throw new OptionsError('transcript', `agent: 'transcript' must be 'event', 'value' or 'none', got ${String(options.transcript)}`);
  }
  checkLlmDeadlines(options, 'agent');
  checkThinking(options, 'agent');
  checkBatch(options, 'agent');
}

/**
 * Makes a node an agent that acts: it calls the model with its tools, runs the tools the model asks
 * for (the calls of one step in parallel, each under its tool's own timeout, retries and concurrency
 * limit, `approve` first), sends the results back, and loops until the model ends its turn; the
 * value is the final text, or the `output` schema's object. Every call goes through the governed
 * model like `llm()` (quota, adaptive concurrency, breaker: per step), streams `node.token` (and
 * `node.thinking`), reports `node.usage` with its cost, and is cached by default (`cache: true`).
 * The run's stream also gets `agent.step` per model call, `tool.called` / `tool.succeeded` /
 * `tool.failed` per tool call and `agent.finished` with the transcript. A tool that throws or times
 * out becomes an error result the model reads (`onToolError: 'report'`, bounded by
 * `maxConsecutiveToolErrors`) or fails the node (`'fail'`); unknown tools and invalid input always
 * go back to the model with the issues. A model call that fails with a retryable error (429, 529, 5xx,
 * a dropped connection, its deadline) is sent again within the loop after a backoff (`callRetry`,
 * default 3 retries; `agent.retrying` each time), so the tools of earlier steps never run twice.
 * Cancelling the node (its timeout, the run's cancellation or
 * budget stop) aborts the call in flight and every running tool's signal; a budget stop also emits
 * `agent.finished` with reason `budget` and the transcript so far. Tool sources
 * (`mcpTools()`) are taken by each node run before its first call and released when it ends. The
 * pre-run estimate counts `maxSteps` calls, each resending the growing conversation, with the
 * definitions of plain tools (a source's tools are not known before the run: see `estimatedInputTokens`).
 *
 * ## Example
 * ```ts
 * import { agent, graph, tool } from 'rx-orchestra';
 * import { z } from 'zod';
 * const weather = tool({
 *   name: 'get_weather',
 *   description: 'Current weather for a city',
 *   input: z.object({ city: z.string() }),
 *   run: async ({ city }) => ({ city, celsius: 21 }),
 * });
 * const g = graph()
 *   .node('cities', { run: async () => ['Paris', 'Oslo'] })
 *   .node('trip', {
 *     deps: ['cities'],
 *     run: agent({
 *       system: 'You plan trips.',
 *       prompt: ({ cities }) => `Which of ${cities.join(', ')} is warmer today?`,
 *       tools: [weather],
 *       maxSteps: 5,
 *       output: z.object({ warmest: z.string() }),
 *     }),
 *   })
 *   .build();
 * ```
 * @throws {OptionsError} for a bad setting (naming it), two tools of one name, a tool source listed twice, or an `output`
 * schema JSON Schema cannot express
 */
export function agent<I = Record<string, unknown>, T = string, D = unknown, M extends TranscriptMode = 'event'>(options: AgentNodeOptions<I, T, D, M>): AgentRun<I, AgentValue<T, M>, D> {
  checkAgentOptions(options as AgentNodeOptions<unknown, unknown, unknown, TranscriptMode>);
  const { maxSteps = 10, repairs = 2, prices = CLAUDE_PRICES, onToolError = 'report', maxConsecutiveToolErrors = 3, output } = options;
  const transcript: TranscriptMode = options.transcript ?? 'event';
  const callRetry = callRetryConfig(options.callRetry);
  const tools = agentTools(options.tools ?? []);
  const definitions = definitionsOf(tools.plain.values());
  let jsonSchema: Record<string, unknown> | undefined;
  if (output) {
    try {
      jsonSchema = jsonSchemaOf(output);
    } catch (error) {
      throw new OptionsError('output', `agent: its output schema cannot be expressed as JSON Schema: ${(error as Error).message}`);
    }
  }
  const callTimeout = options.timeout === false ? undefined : (options.timeout ?? DEFAULT_CALL_TIMEOUT_MS);
  const request: Omit<CompletionRequest, 'prompt' | 'history'> = {
    ...(options.system !== undefined ? { system: options.system } : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.thinking !== undefined ? { thinking: options.thinking } : {}),
    ...(definitions.length > 0 ? { tools: definitions } : {}),
    ...(jsonSchema ? { jsonSchema } : {}),
    cache: options.cache ?? true,
    ...(callTimeout !== undefined ? { timeoutMs: callTimeout } : {}),
    ...(options.firstTokenTimeout !== undefined ? { firstTokenMs: options.firstTokenTimeout } : {}),
    ...(options.idleTimeout !== undefined ? { idleMs: options.idleTimeout } : {}),
  };

  // Plain tools only: a source's tools are known once a node run has taken it (see `estimatedInputTokens`).
  const toolDefinitionTokens = definitions.length > 0 ? estimateTokens(JSON.stringify(definitions)) : 0;
  const costEstimate: CostEstimator = (context) => {
    const estimate = agentCostEstimate(
      {
        model: (info) => options.model ?? options.provider?.model ?? info.model ?? defaultModel().model,
        system: options.system,
        toolDefinitionTokens,
        hasTools: tools.plain.size > 0 || tools.sources.length > 0,
        maxSteps,
        repairs: output ? repairs : 0,
        maxTokens: options.maxTokens,
        estimatedInputTokens: options.estimatedInputTokens,
        estimatedToolResultTokens: options.estimatedToolResultTokens,
        prices,
      },
      context,
    );
    return estimate && options.batch !== undefined ? { ...estimate, batch: options.batch } : estimate;
  };

  const run = (ctx: NodeContext<I, unknown, D>) =>
    defer(() => {
      const model = nodeModel({ ...options, prices }, ctx);
      let prompt: MessageContent;
      try {
        prompt = options.prompt(ctx.inputs, ctx as NodeContext<I, unknown, LlmUpstream<I, D>>);
      } catch (error) {
        throw new AgentNodeError('PROMPT_FAILED', ctx.nodeId, `its prompt function threw: ${(error as Error).message}`, { cause: error });
      }
      return withSourceTools(tools, ctx, (runTools) => {
        const settings: AgentLoopSettings<T> = {
          model,
          // With sources, this run's tools are known only now: the request lists them all.
          request: tools.sources.length === 0 ? request : { ...request, ...(runTools.size > 0 ? { tools: definitionsOf(runTools.values()) } : {}) },
          tools: { tools: runTools, onToolError },
          maxSteps,
          maxConsecutiveToolErrors,
          output: output ? { schema: output, repairs } : undefined,
          transcript,
          callRetry,
        };
        return agentLoop(prompt, settings, ctx as NodeContext<unknown>) as Observable<AgentValue<T, M>>;
      });
    });
  return withRunDefaults(run, { costEstimate, defaultTimeout: false, ...(options.batch !== undefined ? { batch: options.batch } : {}) });
}
