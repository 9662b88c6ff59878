import { estimateTokens } from '../budget/token-cap.js';
import type { CompletionRequest, ContentBlock, MessageContent, ToolDefinition } from './model.js';

/*
 * Token estimates of a request before the provider counts it (4 characters a token): what a governed
 * model reserves in the quota, and what the simulated and scripted models report. One place, so the
 * quota and the simulators agree.
 */

/**
 * Input tokens of an image or a PDF document: a fixed estimate (a 1,092 x 1,092 image is about
 * 1,600 tokens; pixels and pages are not decoded).
 */
export const MEDIA_TOKENS = 1600;

/**
 * Tokens of a message's content: its text (4 characters a token, per block), tool calls and results
 * as their JSON, thinking as its text, each image or PDF {@link MEDIA_TOKENS}. @internal
 */
export function contentTokens(content: MessageContent): number {
  if (typeof content === 'string') return estimateTokens(content);
  let tokens = 0;
  for (const block of content) tokens += blockTokens(block);
  return tokens;
}

function blockTokens(block: ContentBlock): number {
  switch (block.type) {
    case 'text':
      return estimateTokens(block.text);
    case 'image':
      return MEDIA_TOKENS;
    case 'document':
      return (block.source.type === 'text' ? estimateTokens(block.source.data) : MEDIA_TOKENS) + estimateTokens(block.title ?? '');
    case 'tool_use':
      return toolUseTokens(block.name, block.input);
    case 'tool_result':
      return typeof block.content === 'string' ? estimateTokens(block.content) : block.content.reduce((sum, part) => sum + (part.type === 'text' ? estimateTokens(part.text) : MEDIA_TOKENS), 0);
    case 'thinking':
      return estimateTokens(block.thinking);
    case 'redacted_thinking':
      return estimateTokens(block.data);
  }
}

/** Tokens of a tool call: its name and its input as JSON (at least one). @internal */
export function toolUseTokens(name: string, input: unknown): number {
  return Math.max(1, estimateTokens(name) + estimateTokens(JSON.stringify(input ?? {})));
}

/** Tokens of tool definitions: each as the JSON the API is sent. @internal */
export function toolsTokens(tools: readonly ToolDefinition[] | undefined): number {
  return (tools ?? []).reduce((sum, tool) => sum + estimateTokens(JSON.stringify({ name: tool.name, description: tool.description, input_schema: tool.inputSchema })), 0);
}

/** Input tokens of a request: its tools, system prompt, earlier turns and prompt. @internal */
export function inputTokensOf(request: CompletionRequest): number {
  const history = (request.history ?? []).reduce((sum, turn) => sum + contentTokens(turn.content), 0);
  return toolsTokens(request.tools) + estimateTokens(request.system ?? '') + history + contentTokens(request.prompt);
}
