import type { Observable } from 'rxjs';

/** One request to a model: a user prompt, an optional system prompt and an output cap. */
export interface CompletionRequest {
  prompt: string;
  system?: string;
  /** Upper bound on output tokens. @default provider-specific */
  maxTokens?: number;
}

/** Tokens billed for one call. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** A model's answer to one {@link CompletionRequest}. */
export interface Completion {
  text: string;
  usage: TokenUsage;
  /** Time from the call to the answer, in scheduler ms. */
  latencyMs: number;
  /** Which model answered. */
  model: string;
}

/**
 * What every model provider offers (the simulated one now, Claude later): a cold Observable per
 * call that emits one {@link Completion} and completes. Subscribing sends the request;
 * unsubscribing, or aborting `signal`, cancels it.
 *
 * ## Example
 * ```ts
 * import { graph, simulatedModel, type Model } from 'rx-orchestra';
 * const model: Model = simulatedModel({ seed: 1 });
 * graph().node('answer', { run: ({ signal }) => model.complete({ prompt: 'Why is the sky blue?' }, signal) });
 * ```
 */
export interface Model {
  complete(request: CompletionRequest, signal?: AbortSignal): Observable<Completion>;
}
