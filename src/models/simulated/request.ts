import type { CompletionRequest } from '../model.js';
import { sampleJsonSchema, type EnumPicker } from './json-schema-sample.js';

/** Output cap when a request sets no `maxTokens`. */
export const DEFAULT_MAX_TOKENS = 1024;
const WORDS_IN_ANSWER = 8;
const CHARS_PER_TOKEN = 4;

/** Tokens in a text, estimated the usual way for English: a token per 4 characters. @internal */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Input tokens of a request: its prompt, system prompt and earlier turns. @internal */
export function inputTokensOf(request: CompletionRequest): number {
  const history = (request.history ?? []).reduce((sum, turn) => sum + estimateTokens(turn.content), 0);
  return estimateTokens(request.prompt) + estimateTokens(request.system ?? '') + history;
}

/**
 * The simulated model's own answer: JSON conforming to `jsonSchema` when the request asks for
 * structured output, else `"[sim] <the prompt's first words>…"`.
 * @internal
 */
export function defaultReply(request: CompletionRequest, pickEnum: EnumPicker): string {
  if (request.jsonSchema !== undefined) return JSON.stringify(sampleJsonSchema(request.jsonSchema, pickEnum));
  const words = request.prompt.trim().split(/\s+/).filter(Boolean);
  return `[sim] ${words.slice(0, WORDS_IN_ANSWER).join(' ')}${words.length > WORDS_IN_ANSWER ? '…' : ''}`;
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

/** What is wrong with a request, as the API's 400 would say; undefined when it is fine. @internal */
export function requestProblem(request: CompletionRequest): string | undefined {
  if (typeof request?.prompt !== 'string') return `'prompt' must be a string, got ${typeof request?.prompt}`;
  if (request.system !== undefined && typeof request.system !== 'string') return `'system' must be a string, got ${typeof request.system}`;
  const { maxTokens, temperature, model, history, jsonSchema } = request;
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) {
    return `'maxTokens' must be an integer > 0, got ${String(maxTokens)}`;
  }
  if (temperature !== undefined && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 1)) {
    return `'temperature' must be a number between 0 and 1, got ${String(temperature)}`;
  }
  if (model !== undefined && !(typeof model === 'string' && model.length > 0)) return `'model' must be a non-empty string, got ${JSON.stringify(model)}`;
  if (history !== undefined) {
    if (!Array.isArray(history)) return `'history' must be an array of turns, got ${typeof history}`;
    const bad = history.findIndex((turn) => !(turn !== null && typeof turn === 'object' && (turn.role === 'user' || turn.role === 'assistant') && typeof turn.content === 'string'));
    if (bad >= 0) return `'history[${bad}]' must be { role: 'user' | 'assistant', content: string }`;
  }
  if (jsonSchema !== undefined && !(typeof jsonSchema === 'object' && jsonSchema !== null && !Array.isArray(jsonSchema))) {
    return `'jsonSchema' must be a JSON Schema object, got ${Array.isArray(jsonSchema) ? 'an array' : typeof jsonSchema}`;
  }
  return undefined;
}
