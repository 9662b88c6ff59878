import { createHash } from 'node:crypto';
import type { CompletionRequest } from '../models/model.js';

/**
 * The response-cache key of a request: SHA-256 (hex) of the model id, the system prompt, the
 * messages (earlier turns, then the prompt) and the parameters that shape the answer (`maxTokens`,
 * `temperature`, `jsonSchema`, the schema's keys in any order). `timeoutMs` is left out: it does
 * not change the answer.
 *
 * ## Example
 * ```ts
 * import { cacheKeyOf } from './cache-key.js';
 * cacheKeyOf({ prompt: 'Three facts about RxJS', temperature: 0 }, 'claude-haiku-4-5'); // '5f0c…'
 * ```
 * @param defaultModel the provider's model id, used when the request names none
 */
export function cacheKeyOf(request: CompletionRequest, defaultModel: string): string {
  const messages = [...(request.history ?? []).map(({ role, content }) => ({ role, content })), { role: 'user', content: request.prompt }];
  const parts = {
    model: request.model ?? defaultModel,
    system: request.system ?? null,
    messages,
    maxTokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    jsonSchema: request.jsonSchema ?? null,
  };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
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
