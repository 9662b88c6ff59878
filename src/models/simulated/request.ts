import { textOf, type CompletionRequest, type ContentBlock, type MessageContent, type ToolDefinition } from '../model.js';
import { sampleJsonSchema, type EnumPicker } from './json-schema-sample.js';

/** Output cap when a request sets no `maxTokens`. */
export const DEFAULT_MAX_TOKENS = 1024;
/**
 * Input tokens of an image or a PDF document: a fixed estimate (a 1,092 x 1,092 image is about
 * 1,600 tokens; pixels and pages are not decoded).
 */
export const MEDIA_TOKENS = 1600;
const WORDS_IN_ANSWER = 8;
const CHARS_PER_TOKEN = 4;

/** Tokens in a text, estimated the usual way for English: a token per 4 characters. @internal */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

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

/**
 * The words of a prompt: its text blocks and the text of its tool results (what a tool loop's
 * prompt holds). @internal
 */
export function promptText(prompt: MessageContent): string {
  if (typeof prompt === 'string') return prompt;
  const parts: string[] = [];
  for (const block of prompt) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'tool_result') parts.push(typeof block.content === 'string' ? block.content : textOf(block.content.filter((part) => part.type === 'text')));
  }
  return parts.join(' ');
}

/**
 * The simulated model's own answer: JSON conforming to `jsonSchema` when the request asks for
 * structured output, else `"[sim] <the prompt's first words>…"`.
 * @internal
 */
export function defaultReply(request: CompletionRequest, pickEnum: EnumPicker): string {
  if (request.jsonSchema !== undefined) return JSON.stringify(sampleJsonSchema(request.jsonSchema, pickEnum));
  return `[sim] ${firstWords(promptText(request.prompt))}`;
}

/** The first words of a text, with `…` when there are more. @internal */
export function firstWords(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return `${words.slice(0, WORDS_IN_ANSWER).join(' ')}${words.length > WORDS_IN_ANSWER ? '…' : ''}`;
}

/** The reply as sent: cut to `maxTokens` (then `stopReason` is `'max_tokens'`). @internal */
export function capReply(text: string, maxTokens = DEFAULT_MAX_TOKENS): { text: string; outputTokens: number; stopReason: 'end_turn' | 'max_tokens' } {
  const cut = text.length > maxTokens * CHARS_PER_TOKEN;
  const sent = cut ? text.slice(0, maxTokens * CHARS_PER_TOKEN) : text;
  return { text: sent, outputTokens: countPieces(sent), stopReason: cut ? 'max_tokens' : 'end_turn' };
}

/**
 * Splits a text into its estimated tokens: 4 characters each (5 where a cut would split a surrogate
 * pair, so every delta is a valid string); as many as `estimateTokens` for text without astral characters.
 * @internal
 */
export function tokenPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** How many pieces {@link tokenPieces} makes, without making them. */
function countPieces(text: string): number {
  let count = 0;
  for (let start = 0; start < text.length; start = pieceEnd(text, start)) count++;
  return count;
}

function pieceEnd(text: string, start: number): number {
  const end = Math.min(text.length, start + CHARS_PER_TOKEN);
  return end < text.length && isHighSurrogate(text.charCodeAt(end - 1)) ? end + 1 : end;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
