import type { Observable } from 'rxjs';

/** Where an image or a document comes from: inline base64 data or a URL the provider fetches. */
export type MediaSource = { type: 'base64'; mediaType: string; data: string } | { type: 'url'; url: string } | { type: 'text'; mediaType: 'text/plain'; data: string };

/**
 * One block of a message's content, as the Messages API has them: text, an image, a document, a tool
 * call of the assistant (`tool_use`), the answer to one (`tool_result`), or the assistant's thinking
 * (which must be sent back unchanged, signature included, within a tool loop).
 *
 * ## Example
 * ```ts
 * import type { ContentBlock } from 'rx-orchestra';
 * const blocks: ContentBlock[] = [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }];
 * ```
 */
export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: MediaSource }
  | { type: 'document'; source: MediaSource; title?: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; content: string | readonly ({ type: 'text'; text: string } | { type: 'image'; source: MediaSource })[]; isError?: boolean }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

/** The content of one turn: a string (one text block) or blocks. */
export type MessageContent = string | readonly ContentBlock[];

/** One earlier turn of a conversation. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: MessageContent;
}

/** A tool the model may call: its name, what it does, and its input as JSON Schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the tool's input (an object schema). */
  inputSchema: Record<string, unknown>;
}

/** Which tools the model may or must call. @default 'auto' */
export type ToolChoice = 'auto' | 'any' | 'none' | { name: string };

/** One request to a model. */
export interface CompletionRequest {
  /** The user's message (the last user turn): text, or blocks (images, documents, tool results). */
  prompt: MessageContent;
  system?: string;
  /** Upper bound on output tokens. @default provider-specific (1024) */
  maxTokens?: number;
  /** Sampling temperature, 0..1. Claude takes none with `thinking` (the adapter leaves it out). @default provider-specific */
  temperature?: number;
  /** Model id for this call, overriding the provider's default (e.g. 'claude-haiku-4-5'). */
  model?: string;
  /** Earlier turns, sent before `prompt` (a tool loop's transcript, or a validation error fed back). */
  history?: readonly ChatTurn[];
  /** Ask for JSON matching this JSON Schema (structured output). */
  jsonSchema?: Record<string, unknown>;
  /** Tools the model may call; its answer then may hold `tool_use` blocks (`stopReason: 'tool_use'`). */
  tools?: readonly ToolDefinition[];
  /** @default 'auto' */
  toolChoice?: ToolChoice;
  /** Extended thinking: up to `budgetTokens` tokens of reasoning before the answer (at least 1024, below `maxTokens`). */
  thinking?: { budgetTokens: number };
  /**
   * Prompt caching: mark the stable prefix (tool definitions, system prompt, and the conversation through
   * the final user turn) with cache breakpoints, so later calls that resend it (the next step of a tool
   * loop) read it from the cache at a tenth of the input price. @default false
   */
  cache?: boolean;
  /**
   * Deadline for the call itself, in ms: a governed model starts it once the call is admitted, so
   * waiting for the quota or a slot does not count. Providers without traffic control ignore it.
   */
  timeoutMs?: number;
  /** Deadline for the first streamed text, from admission (like `timeoutMs`). */
  firstTokenMs?: number;
  /**
   * Longest silence allowed once the call is admitted, in ms: from admission to the first event and
   * between events. Any event of the stream counts (a {@link LivenessEvent} too), so a stream that
   * stalls before its first text fails as well.
   */
  idleMs?: number;
}

/** The text of a message's content: its text blocks joined, other blocks left out. */
export function textOf(content: MessageContent): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const block of content) if (block.type === 'text') text += block.text;
  return text;
}

/** Tokens billed for one call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens written to the prompt cache. @default 0 */
  cacheCreationInputTokens?: number;
  /** Input tokens read from the prompt cache. @default 0 */
  cacheReadInputTokens?: number;
}

/** One limit of a provider's quota, as its response headers report it. */
export interface RateLimitWindow {
  limit?: number;
  remaining?: number;
  /** When the bucket is full again, in ms since the epoch. */
  resetAt?: number;
}

/** What a response said about the provider's quota (`anthropic-ratelimit-*` headers). */
export interface RateLimitSnapshot {
  requests?: RateLimitWindow;
  tokens?: RateLimitWindow;
  inputTokens?: RateLimitWindow;
  outputTokens?: RateLimitWindow;
}

/** A model's answer to one {@link CompletionRequest}. */
export interface Completion {
  /** The answer's text blocks, joined (no thinking, no tool calls). */
  text: string;
  /**
   * The answer as blocks, when it holds more than text: `thinking` and `tool_use` blocks in the order the
   * model wrote them. A tool loop sends them back as the assistant's turn. @default one text block of `text`
   */
  content?: readonly ContentBlock[];
  usage: TokenUsage;
  /** Time from the call to the answer, in scheduler ms. */
  latencyMs: number;
  /** Which model answered. */
  model: string;
  /** Why generation stopped ('end_turn', 'max_tokens', ...), when the provider says. */
  stopReason?: string;
  /** Quota state from the response headers, when the provider sends them. */
  rateLimit?: RateLimitSnapshot;
  /** The provider's request id, for support tickets and logs. */
  requestId?: string;
}

/**
 * What a call reports about the traffic control around it (see `governedModel`): it waited for the
 * quota or a concurrency slot, the adaptive limit changed, or a circuit breaker changed state.
 */
export type GovernanceEvent =
  | { type: 'ratelimit.waiting'; waitMs: number; limitedBy: 'requests' | 'inputTokens' | 'outputTokens' | 'retryAfter' | 'concurrency'; queued: number }
  | { type: 'concurrency.changed'; limit: number; previous: number; reason: 'increase' | 'overload' | 'latency' }
  | { type: 'circuit.opened' | 'circuit.halfOpened' | 'circuit.closed'; breaker: string; failures?: number }
  | { type: 'cache.hit'; key: string; model: string; savedUsd: number };

/**
 * A sign of life from the provider's stream that carries no text: one per server-sent event
 * (`message_start`, `content_block_start`, `ping`, ...) other than a text or thinking delta. It keeps a call's
 * `idleMs` deadline from firing, but not its `firstTokenMs` one. Consumers that only want text and
 * the answer ignore it (`llm()` nodes do not turn it into node events).
 */
export interface LivenessEvent {
  type: 'liveness';
  /** The provider's event type, e.g. `'message_start'` or `'ping'`. */
  event: string;
}

/**
 * What a streaming call emits: text as it arrives, signs of life of the stream, traffic-control
 * reports, then the whole completion, once, last.
 */
export type ModelEvent =
  | { type: 'text'; text: string }
  /** Extended thinking as it streams (never part of the answer's text). */
  | { type: 'thinking'; text: string }
  /** A tool call the model finished writing (its input complete). */
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | LivenessEvent
  | GovernanceEvent
  | { type: 'completion'; completion: Completion };

/**
 * False for a {@link LivenessEvent}: what a call's first-token deadline waits for (text, the answer).
 * @internal
 */
export function isAnswer(event: ModelEvent): boolean {
  return event.type !== 'liveness';
}

/**
 * What every model provider offers (simulated, Claude): cold Observables per call. Subscribing
 * sends the request; unsubscribing, or aborting `signal`, cancels it (for HTTP providers, the
 * request is aborted). `stream` emits text deltas then the completion; `complete` only the
 * completion.
 *
 * ## Example
 * ```ts
 * import { graph, simulatedModel, type Model } from 'rx-orchestra';
 * const model: Model = simulatedModel({ seed: 1 });
 * graph().node('answer', { run: ({ signal }) => model.complete({ prompt: 'Why is the sky blue?' }, signal) });
 * ```
 */
export interface Model {
  /** The provider's default model id. */
  readonly model: string;
  /**
   * Keeps this provider's answers apart in a response cache (`cachedModel`) when it is not the
   * provider its model ids name: a simulated model standing in for Claude reports Claude's id (so
   * it is priced as Claude) but its cache namespace is `'simulated'`, so what it answered offline
   * is never served as Claude's once a key is set. Wrappers (`governedModel`, `cachedModel`) pass
   * it on. @default none (the model ids' own provider, e.g. Claude for `anthropicModel`)
   */
  readonly cacheNamespace?: string;
  complete(request: CompletionRequest, signal?: AbortSignal): Observable<Completion>;
  stream(request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent>;
}
