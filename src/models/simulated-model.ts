import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Completion, CompletionRequest, Model } from './model.js';
import { ModelAbortError, ModelOptionsError, SimulatedModelError } from './errors.js';
import { checkLatencyProfile, logNormalLatency, seededRandom, type LatencyProfile } from './random.js';

/** Settings of {@link simulatedModel}. Every field is optional. */
export interface SimulatedModelOptions {
  /**
   * Latency of a call, drawn log-normally per call. Without `outputTokensPerSecond` it is the
   * whole call; with it, the time to the first token. @default { medianMs: 1200, p95Ms: 2500 }
   */
  latency?: LatencyProfile;
  /** Seed of the model's own random source: same seed, same latencies and faults. @default 1 */
  seed?: number;
  /**
   * Share of calls, 0..1, that fail with a retryable `OVERLOADED` (529) {@link SimulatedModelError}.
   * The failure arrives after a quarter of the call's drawn latency. @default 0
   */
  failureRate?: number;
  /** When set, generating the output adds `outputTokens / outputTokensPerSecond` to the latency. @default undefined */
  outputTokensPerSecond?: number;
  /** Scheduler for the latency: virtual inside `TestScheduler.run`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** The name reported in `Completion.model`. @default 'simulated' */
  model?: string;
}

/** A {@link Model} that answers offline after a simulated latency. */
export interface SimulatedModel extends Model {
  /** The name it reports in `Completion.model`. */
  readonly model: string;
}

const DEFAULT_LATENCY: LatencyProfile = { medianMs: 1200, p95Ms: 2500 };
const DEFAULT_MAX_TOKENS = 1024;
/** An overloaded API sheds load quickly: a failing call errors after this share of its latency. */
const FAILURE_LATENCY_SHARE = 0.25;
const WORDS_IN_ANSWER = 8;

/**
 * A simulated LLM provider for offline demos and tests. Each `complete` call is a cold Observable:
 * on subscription it draws a latency (log-normal, from its own seeded random source), waits it on
 * the scheduler, then emits one {@link Completion} whose text is derived from the prompt
 * (`"[sim] <first words>…"`) and completes. Input tokens are estimated as `ceil(chars / 4)`.
 * Unsubscribing cancels the wait; an aborted `signal` errors with a {@link ModelAbortError}; a
 * share `failureRate` of calls errors with a retryable `OVERLOADED` {@link SimulatedModelError}.
 * Every call draws the same random numbers whatever `failureRate` is, so changing the fault rate
 * does not change the latencies.
 *
 * ## Example
 * ```ts
 * import { graph, simulatedModel } from 'rx-orchestra';
 * const model = simulatedModel({ latency: { medianMs: 1200, p95Ms: 2500 }, seed: 7, failureRate: 0.05 });
 * const g = graph()
 *   .node('research', { run: ({ signal }) => model.complete({ prompt: 'Research X' }, signal), retry: 2 })
 *   .build();
 * ```
 * @throws {ModelOptionsError} at call time, for an invalid option (named by field)
 */
export function simulatedModel(options: SimulatedModelOptions = {}): SimulatedModel {
  const { latency = DEFAULT_LATENCY, seed = 1, failureRate = 0, outputTokensPerSecond, scheduler = asyncScheduler, model = 'simulated' } = options;
  checkLatencyProfile(latency, 'simulatedModel');
  if (!(typeof failureRate === 'number' && failureRate >= 0 && failureRate <= 1)) {
    throw new ModelOptionsError('failureRate', `simulatedModel: 'failureRate' must be a number between 0 and 1, got ${String(failureRate)}`);
  }
  if (outputTokensPerSecond !== undefined && !(outputTokensPerSecond > 0 && Number.isFinite(outputTokensPerSecond))) {
    throw new ModelOptionsError('outputTokensPerSecond', `simulatedModel: 'outputTokensPerSecond' must be a finite number > 0, got ${String(outputTokensPerSecond)}`);
  }
  const random = seededRandom(seed);

  const complete = (request: CompletionRequest, signal?: AbortSignal): Observable<Completion> =>
    new Observable<Completion>((subscriber) => {
      if (signal?.aborted) {
        subscriber.error(new ModelAbortError(signal.reason));
        return;
      }
      const invalid = requestProblem(request);
      if (invalid) {
        subscriber.error(new SimulatedModelError('INVALID_REQUEST', `simulatedModel: ${invalid}`));
        return;
      }
      const fails = random() < failureRate;
      const firstTokenMs = logNormalLatency(latency, random);
      const { text, outputTokens } = answer(request);
      const generationMs = outputTokensPerSecond === undefined ? 0 : (outputTokens / outputTokensPerSecond) * 1000;
      const latencyMs = Math.max(1, Math.round(firstTokenMs + generationMs));
      const onAbort = () => {
        reply.unsubscribe();
        subscriber.error(new ModelAbortError(signal?.reason));
      };
      const reply = scheduler.schedule(
        () => {
          signal?.removeEventListener('abort', onAbort);
          if (fails) {
            subscriber.error(new SimulatedModelError('OVERLOADED', `${model} is overloaded (simulated 529); try again`));
            return;
          }
          const inputTokens = estimateTokens(request.prompt) + estimateTokens(request.system ?? '');
          subscriber.next({ text, usage: { inputTokens, outputTokens }, latencyMs, model });
          subscriber.complete();
        },
        fails ? Math.max(1, Math.round(latencyMs * FAILURE_LATENCY_SHARE)) : latencyMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      return () => {
        reply.unsubscribe();
        signal?.removeEventListener('abort', onAbort);
      };
    });

  return { model, complete };
}

/** Tokens in a text, estimated the usual way for English: a token per 4 characters. */
function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The deterministic answer to a request: its first words, cut to `maxTokens`. */
function answer(request: CompletionRequest): { text: string; outputTokens: number } {
  const words = request.prompt.trim().split(/\s+/).filter(Boolean);
  const full = `[sim] ${words.slice(0, WORDS_IN_ANSWER).join(' ')}${words.length > WORDS_IN_ANSWER ? '…' : ''}`;
  const maxTokens = request.maxTokens ?? DEFAULT_MAX_TOKENS;
  const text = full.length > maxTokens * 4 ? full.slice(0, maxTokens * 4) : full;
  return { text, outputTokens: estimateTokens(text) };
}

/** What is wrong with a request, as the API's 400 would say; undefined when it is fine. */
function requestProblem(request: CompletionRequest): string | undefined {
  if (typeof request?.prompt !== 'string') return `'prompt' must be a string, got ${typeof request?.prompt}`;
  if (request.system !== undefined && typeof request.system !== 'string') return `'system' must be a string, got ${typeof request.system}`;
  const { maxTokens } = request;
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) {
    return `'maxTokens' must be an integer > 0, got ${String(maxTokens)}`;
  }
  return undefined;
}
