import { createHash } from 'node:crypto';
import type { CompletionRequest, MessageContent } from '../models/model.js';

/**
 * The response-cache key of a request: SHA-256 (hex) of the model id, the system prompt, the
 * messages (earlier turns, then the prompt, their content blocks included: images, documents, tool
 * calls and results, thinking) and the parameters that shape the answer (`maxTokens`,
 * `temperature`, `jsonSchema`, `tools`, `toolChoice`, `thinking`; schemas' keys in any order). A
 * content of one text block is keyed as its text, as the API reads it. `timeoutMs` and the other
 * deadlines, and `cache` (prompt caching changes the price, not the answer), are left out; so are
 * the new fields when absent, so a request without them keeps the key it always had.
 *
 * ## Example
 * ```ts
 * import { cacheKeyOf } from './cache-key.js';
 * cacheKeyOf({ prompt: 'Three facts about RxJS', temperature: 0 }, 'claude-haiku-4-5'); // '5f0c…'
 * ```
 * @param defaultModel the provider's model id, used when the request names none
 */
export function cacheKeyOf(request: CompletionRequest, defaultModel: string): string {
  const messages = [...(request.history ?? []).map(({ role, content }) => ({ role, content: keyed(content) })), { role: 'user', content: keyed(request.prompt) }];
  const parts = {
    model: request.model ?? defaultModel,
    system: request.system ?? null,
    messages,
    maxTokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    jsonSchema: request.jsonSchema ?? null,
    // Only when given (canonicalJson drops undefined), so older keys stay valid.
    tools: request.tools?.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
    toolChoice: request.toolChoice,
    thinking: request.thinking ? { budgetTokens: request.thinking.budgetTokens } : undefined,
  };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/** A content as keyed: one text block is the same message as its text. */
function keyed(content: MessageContent): MessageContent {
  return typeof content !== 'string' && content.length === 1 && content[0]!.type === 'text' ? content[0]!.text : content;
}

/** JSON with object keys sorted, so equal data always gives equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
