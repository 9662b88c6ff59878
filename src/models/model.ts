import type { Observable } from 'rxjs';

/** One earlier turn of a conversation. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** One request to a model. */
export interface CompletionRequest {
  /** The user's message (the last user turn). */
  prompt: string;
  system?: string;
  /** Upper bound on output tokens. @default provider-specific (1024) */
  maxTokens?: number;
  /** Sampling temperature, 0..1. @default provider-specific */
  temperature?: number;
  /** Model id for this call, overriding the provider's default (e.g. 'claude-haiku-4-5'). */
  model?: string;
  /** Earlier turns, sent before `prompt` (used e.g. to feed back a validation error). */
  history?: readonly ChatTurn[];
  /** Ask for JSON matching this JSON Schema (structured output). */
  jsonSchema?: Record<string, unknown>;
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
  text: string;
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
 * (`message_start`, `content_block_start`, `ping`, ...) other than a text delta. It keeps a call's
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
export type ModelEvent = { type: 'text'; text: string } | LivenessEvent | GovernanceEvent | { type: 'completion'; completion: Completion };

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
