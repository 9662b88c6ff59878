import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import type { ChatTurn } from '../models/model.js';

/**
 * Why an agent node failed:
 * - `MAX_STEPS`: the model still asked for tools after `maxSteps` model calls (the transcript is kept);
 * - `TOOL_FAILED`: a tool threw or timed out under `onToolError: 'fail'`;
 * - `TOO_MANY_TOOL_ERRORS`: more than `maxConsecutiveToolErrors` tool calls failed in a row;
 * - `INVALID_OUTPUT`: the final answer did not match the `output` schema after every repair;
 * - `PROMPT_FAILED`: the prompt function threw (before any token was spent);
 * - `NO_ANSWER`: the model ended its turn without text and without tool calls (e.g. a refusal);
 * - `TOOL_NAME_CLASH`: two of the node run's tools have one name (a plain tool and a tool source's, or
 *   two sources'), before any model call; the message names both;
 * - `TOOL_SOURCE_INVALID`: a tool source (`mcpTools()`, ...) answered no list of tools, or a non-tool in it.
 *
 * A tool source whose `tools()` fails (an MCP server that cannot start) fails the node with its own error.
 */
export type AgentNodeErrorCode = 'MAX_STEPS' | 'TOOL_FAILED' | 'TOO_MANY_TOOL_ERRORS' | 'INVALID_OUTPUT' | 'PROMPT_FAILED' | 'NO_ANSWER' | 'TOOL_NAME_CLASH' | 'TOOL_SOURCE_INVALID';

/** What an {@link AgentNodeError} knows besides its message. */
export interface AgentNodeErrorDetails {
  /** The conversation so far (every turn as content blocks), when the loop had started. */
  readonly transcript?: readonly ChatTurn[];
  /** Model calls made. */
  readonly steps?: number;
  /** `TOOL_FAILED`: the tool and its call; `TOOL_NAME_CLASH`: the name found twice. */
  readonly tool?: string;
  readonly toolUseId?: string;
  /** `INVALID_OUTPUT`: the model's last answer, unparsed, and the validation issues. */
  readonly rawText?: string;
  readonly issues?: readonly string[];
  readonly cause?: unknown;
}

/**
 * An agent node that could not answer: see {@link AgentNodeErrorCode}. Not retryable, except
 * `TOOL_FAILED` when the tool's own error is (a node `retry` then runs the whole loop again).
 *
 * ## Example
 * ```ts
 * import { agent, graph, isAgentNodeError } from 'rx-orchestra';
 * graph().node('explore', {
 *   run: agent({ prompt: () => 'Find the entry points', tools: [readFile, grep], maxSteps: 8 }),
 *   fallback: (error) => (isAgentNodeError(error) && error.code === 'MAX_STEPS' ? `gave up after ${error.details.steps} steps` : 'failed'),
 * });
 * ```
 */
export class AgentNodeError extends RxOrchestraError {
  static {
    brandError(this, 'AgentNodeError');
  }
  override readonly name = 'AgentNodeError';
  readonly retryable: boolean;
  constructor(
    readonly code: AgentNodeErrorCode,
    readonly nodeId: string,
    message: string,
    override readonly details: AgentNodeErrorDetails = {},
  ) {
    super(`node '${nodeId}': ${message}`, { cause: details.cause });
    const cause = details.cause as { retryable?: unknown } | undefined;
    this.retryable = code === 'TOOL_FAILED' && cause?.retryable !== false;
  }
  /** The conversation up to the failure (`MAX_STEPS` always has it). */
  get transcript(): readonly ChatTurn[] | undefined {
    return this.details.transcript;
  }
  /** For `INVALID_OUTPUT`: the model's last answer, unparsed. */
  get rawText(): string | undefined {
    return this.details.rawText;
  }
}

/** True for an {@link AgentNodeError}, also one from another copy of this package. */
export function isAgentNodeError(error: unknown): error is AgentNodeError {
  return hasErrorTag(error, 'AgentNodeError');
}

/**
 * Why one tool call gave the model an error result (or failed the node): the model named no such
 * tool (`UNKNOWN_TOOL`), its input failed the tool's schema (`INVALID_INPUT`, with the issues), the
 * `approve` hook refused it (`REFUSED`), it outlived the tool's `timeout` (`TIMED_OUT`, retryable),
 * or it completed without a value (`NO_RESULT`). A tool that throws reports its own error instead.
 */
export type ToolCallErrorCode = 'UNKNOWN_TOOL' | 'INVALID_INPUT' | 'REFUSED' | 'TIMED_OUT' | 'NO_RESULT';

/**
 * One tool call that did not answer (see {@link ToolCallErrorCode}); carried by `tool.failed` events
 * and, under `onToolError: 'fail'`, by the node's `TOOL_FAILED` error as its cause.
 */
export class ToolCallError extends RxOrchestraError {
  static {
    brandError(this, 'ToolCallError');
  }
  override readonly name = 'ToolCallError';
  readonly retryable: boolean;
  constructor(
    readonly code: ToolCallErrorCode,
    readonly tool: string,
    message: string,
    override readonly details: { issues?: readonly string[]; timeoutMs?: number } = {},
  ) {
    super(message);
    this.retryable = code === 'TIMED_OUT';
  }
}

/** True for a {@link ToolCallError}, also one from another copy of this package. */
export function isToolCallError(error: unknown): error is ToolCallError {
  return hasErrorTag(error, 'ToolCallError');
}
