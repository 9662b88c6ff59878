import type { CompletionRequest } from '../model.js';
import { contentTokens, estimateTokens, toolsTokens } from './request.js';
import { hashText } from './signature.js';

/** How long a cached prefix lives after its last use: the API's default (ephemeral) 5 minutes. */
export const PROMPT_CACHE_TTL_MS = 5 * 60_000;
/** The shortest prefix the API caches for Sonnet models (Haiku and Opus 4.5 need more). */
export const DEFAULT_CACHE_MIN_TOKENS = 1024;

/** How a request's input tokens split between the cache and fresh input. @internal */
export interface CacheSplit {
  /** Input tokens neither read from nor written to the cache. */
  inputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** Stores what this call wrote and refreshes what it read; call it when the call succeeds. */
  commit(now: number): void;
}

/** A prefix of the request: its key (a hash chained over the segments) and its tokens. */
interface Position {
  key: string;
  tokens: number;
  /** Whether the request puts a cache breakpoint here (tools, system, the previous user turn, the prompt). */
  breakpoint: boolean;
}

/**
 * The simulated prompt cache of one model instance, as the API's works: a request with
 * `cache: true` has breakpoints where the Claude adapter puts them: after its tool definitions,
 * after its system prompt, after the last user turn of its history and after the prompt. The
 * longest prefix an earlier call wrote (found at any turn boundary, the API's look-back) is read
 * (`cacheReadInputTokens`); the rest up to the last breakpoint (the whole input) is written
 * (`cacheCreationInputTokens`), if it holds at least `minTokens`. So each step of a tool loop reads
 * what the step before sent and writes only its new turns. Entries live 5 minutes after their last
 * use, on the model's scheduler clock. Prefixes are keyed by model id too.
 * @internal
 */
export class PromptCache {
  /** Prefix key -> when it expires. */
  readonly #entries = new Map<string, number>();

  constructor(readonly minTokens: number = DEFAULT_CACHE_MIN_TOKENS) {}

  /** How `request`'s `total` input tokens split, at `now`; nothing is stored until `commit`. */
  split(request: CompletionRequest, modelId: string, total: number, now: number): CacheSplit {
    const none: CacheSplit = { inputTokens: total, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, commit: () => undefined };
    if (request.cache !== true) return none;
    const positions = positionsOf(request, modelId);
    const last = [...positions].reverse().find((position) => position.breakpoint);
    if (!last || last.tokens < this.minTokens) return none;
    const hit = [...positions].reverse().find((position) => this.#live(position.key, now));
    const read = hit?.tokens ?? 0;
    const written = positions.filter((position) => position.breakpoint && position.tokens >= this.minTokens && position.tokens > read);
    return {
      inputTokens: total - last.tokens,
      cacheReadInputTokens: read,
      cacheCreationInputTokens: last.tokens - read,
      commit: (at) => {
        for (const position of hit ? [hit, ...written] : written) this.#entries.set(position.key, at + PROMPT_CACHE_TTL_MS);
        this.#prune(at);
      },
    };
  }

  #live(key: string, now: number): boolean {
    const expiresAt = this.#entries.get(key);
    return expiresAt !== undefined && expiresAt > now;
  }

  /** Drops expired entries now and then, so a long simulation does not grow the map without end. */
  #prune(now: number): void {
    if (this.#entries.size < 4096) return;
    for (const [key, expiresAt] of this.#entries) if (expiresAt <= now) this.#entries.delete(key);
  }
}

/** The request's prefixes at each segment boundary: tools, system, then each turn of the history. */
function positionsOf(request: CompletionRequest, modelId: string): Position[] {
  const positions: Position[] = [];
  let key = hashText(modelId, 'prefix');
  let tokens = 0;
  const add = (segment: string, segmentTokens: number, breakpoint: boolean) => {
    key = hashText(segment, key);
    tokens += segmentTokens;
    positions.push({ key, tokens, breakpoint });
  };
  if (request.tools && request.tools.length > 0) add(`tools:${stableJson(request.tools)}`, toolsTokens(request.tools), true);
  if (request.system) add(`system:${request.system}`, estimateTokens(request.system), true);
  const history = request.history ?? [];
  const previousUser = history.map((turn) => turn.role).lastIndexOf('user');
  history.forEach((turn, i) => add(`${turn.role}:${stableJson(turn.content)}`, contentTokens(turn.content), i === previousUser));
  // The prompt is serialized as a user turn, so the next step finds it again in its history.
  add(`user:${stableJson(request.prompt)}`, contentTokens(request.prompt), true);
  return positions;
}

/** JSON with object keys sorted: the same blocks, built in another key order, hash alike. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
