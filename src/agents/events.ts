import { z } from 'zod';
import { ErrorInfoSchema, reportFields } from '../run/event-fields.js';

/**
 * The events of agent nodes (`agent()`) and their tools, declared next to the code that emits them
 * (reported through the node's `ctx.emit`) and merged into `RunEventSchema` (src/run/events.ts). Zod
 * and the shared fields only: see `.dependency-cruiser.cjs` (event declarations).
 */

/** Token counts of one model call, as in `node.usage`. */
const StepTokensSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationInputTokens: z.number().optional(),
  cacheReadInputTokens: z.number().optional(),
});

/** `agent.step`: one model call of an agent loop ended; `toolCalls` tools are about to run. */
export const AgentStepEventSchema = z.object({
  type: z.literal('agent.step'),
  ...reportFields,
  /** 1 for the first model call of the loop (a call's retries are the same step). */
  step: z.number().int(),
  /** Why the model stopped: `tool_use`, `end_turn`, `max_tokens`, ... */
  stopReason: z.string(),
  /** Tool calls the model asked for at this step. */
  toolCalls: z.number().int(),
  tokens: StepTokensSchema,
  /** From the step's first call attempt to its answer: failed attempts and retry waits included. */
  durationMs: z.number(),
});

/**
 * `agent.retrying`: the model call of step `step` failed with a retryable error (429, 529, 5xx, a
 * dropped connection, the call's deadline) and is sent again, the same request, after `delayMs`
 * (the backoff, or the error's retry-after when longer): `agent({ callRetry })`. The tools of earlier
 * steps do not run again. Text the failed attempt streamed stays on the stream as `node.token`
 * (and `node.thinking`) before this event; the step's `agent.step` and the node's value carry only
 * the attempt that answered.
 */
export const AgentRetryingEventSchema = z.object({
  type: z.literal('agent.retrying'),
  ...reportFields,
  /** The step whose model call is retried (1 for the loop's first call). */
  step: z.number().int(),
  /**
   * The call attempt that failed, 1 for the step's first call. (`attempt`, as on every report, is
   * the node's attempt: a node `retry` runs the whole loop again.)
   */
  callAttempt: z.number().int(),
  /** The wait before the next attempt, in ms. */
  delayMs: z.number(),
  error: ErrorInfoSchema,
});

/** `tool.called`: a tool call of the model starts, its input validated (or refused: see `tool.failed`). */
export const ToolCalledEventSchema = z.object({
  type: z.literal('tool.called'),
  ...reportFields,
  step: z.number().int(),
  tool: z.string(),
  toolUseId: z.string(),
  /** The input as the model wrote it (validated, when `tool.succeeded` follows). */
  input: z.unknown(),
});

/** `tool.succeeded`: a tool call answered. */
export const ToolSucceededEventSchema = z.object({
  type: z.literal('tool.succeeded'),
  ...reportFields,
  step: z.number().int(),
  tool: z.string(),
  toolUseId: z.string(),
  durationMs: z.number(),
  /** Size of the result sent back to the model, in characters. */
  resultChars: z.number().int(),
});

/** `tool.failed`: a tool call failed, timed out, was refused, or named an unknown tool or invalid input. */
export const ToolFailedEventSchema = z.object({
  type: z.literal('tool.failed'),
  ...reportFields,
  step: z.number().int(),
  tool: z.string(),
  toolUseId: z.string(),
  durationMs: z.number(),
  error: ErrorInfoSchema,
  /** `reported`: sent back to the model as an `is_error` result; `fatal`: the node fails. */
  handling: z.enum(['reported', 'fatal']),
});

/** `node.thinking`: extended thinking as it streams (never part of the node's value). */
export const NodeThinkingEventSchema = z.object({
  type: z.literal('node.thinking'),
  ...reportFields,
  text: z.string(),
});

/** `agent.finished`: the loop ended; the transcript (every turn, as content blocks) when asked for. */
export const AgentFinishedEventSchema = z.object({
  type: z.literal('agent.finished'),
  ...reportFields,
  steps: z.number().int(),
  /**
   * `output` (the answer matched the output schema), else the model's stop reason when it answered in
   * text (`end_turn`, `max_tokens`, ...); `max_steps` or `failed` when the node fails; `budget` when
   * the run's budget stopped it mid-loop (with the transcript so far; `node.skipped` with cause
   * `budget` follows). A node stopped otherwise from outside (its timeout, the run's cancellation, the
   * run failed by another node) emits no `agent.finished`: its reports are silenced once it is
   * stopped (see `node.timedOut` / `node.skipped`).
   */
  reason: z.string(),
  toolCalls: z.number().int(),
  /** The conversation as `{ role, content }` turns (content blocks), unless the agent says `transcript: 'none'`. */
  transcript: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.unknown() })).optional(),
});
