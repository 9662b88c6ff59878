import { textOf, type CompletionRequest, type MessageContent } from '../model.js';
import { estimateTokens } from '../../budget/token-cap.js';
export { MEDIA_TOKENS, contentTokens, inputTokensOf, toolUseTokens, toolsTokens } from '../request-tokens.js';
export { estimateTokens };
import { sampleJsonSchema, type EnumPicker } from './json-schema-sample.js';

/** Output cap when a request sets no `maxTokens`. */
export const DEFAULT_MAX_TOKENS = 1024;
const WORDS_IN_ANSWER = 8;
const CHARS_PER_TOKEN = 4;

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
