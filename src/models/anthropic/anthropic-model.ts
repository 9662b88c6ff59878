import Anthropic from '@anthropic-ai/sdk';
import { Observable, asyncScheduler, filter, map, type SchedulerLike } from 'rxjs';
import type { Completion, CompletionRequest, Model, ModelEvent } from '../model.js';
import { classifyAnthropicError } from './classify-error.js';
import { rateLimitOf } from './headers.js';
import { AnswerBlocks } from './answer-blocks.js';
import { streamMessage } from './message-stream.js';
import { DeltaBurst } from './delta-burst.js';
import { textAndContent, usageOfMessage } from './message-usage.js';
import { toParams } from './request-params.js';
import { secretsOf } from './scrub-secrets.js';
import { MissingApiKeyError, defaultClaudeModelId } from './defaults.js';
import { anthropicBatches } from '../batch/anthropic-batches.js';
import type { BatchBackend } from '../batch/backend.js';
import { withCallScope } from '../call-scope.js';

/** Settings of {@link anthropicModel}. Every field is optional. */
export interface AnthropicModelOptions {
  /** API key. @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** API address, e.g. a local fake server's. @default the SDK's (https://api.anthropic.com or ANTHROPIC_BASE_URL) */
  baseURL?: string;
  /** Default model id. @default process.env.RX_ORCHESTRA_MODEL, else 'claude-sonnet-4-6' */
  model?: string;
  /** Default output cap when a request sets none. @default 1024 */
  maxTokens?: number;
  /** Your own client; its retries are turned off (rx-orchestra's retry operator is the one retry layer). */
  client?: Anthropic;
  /** Scheduler for `latencyMs`. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

export { MissingApiKeyError, defaultClaudeModelId } from './defaults.js';

/**
 * Claude as a {@link Model}, over the official `@anthropic-ai/sdk` with streaming. Each call is a
 * cold Observable: subscribing sends the request; text deltas arrive as `{ type: 'text' }`,
 * extended thinking as `{ type: 'thinking' }` (the deltas that arrive in one burst of I/O as one
 * event, see src/models/anthropic/delta-burst.ts), each tool call once its input is complete as
 * `{ type: 'tool_use', id, name, input }`, every other server-sent event as `liveness`; the
 * completion (text, the assistant's blocks when it holds more than text, usage with cache tokens,
 * stop reason, request id and the `anthropic-ratelimit-*` quota state) comes last. Unsubscribing
 * aborts the HTTP request. The SDK's own retries are off; errors become typed
 * {@link ModelCallError}s that say whether to retry and how long the API asked to wait. A missing
 * API key fails here, before any call.
 *
 * The request maps onto the Messages API: `history` then `prompt` as messages of content blocks,
 * `tools` with their JSON Schema as `input_schema`, `toolChoice`, `thinking: { budgetTokens }` as
 * `{ type: 'enabled', budget_tokens }` (then `temperature` is not sent, since the API takes no
 * other value than 1 with thinking, and a request without `maxTokens` gets the budget plus the
 * default cap), and `cache: true` as `cache_control` breakpoints on the last tool, the system
 * prompt, and the last block of the final and of the previous user turn (4 at most).
 *
 * ## Example
 * ```ts
 * import { anthropicModel, execute } from 'rx-orchestra';
 * const claude = anthropicModel({ model: 'claude-haiku-4-5' });
 * execute(g, { model: claude });
 * ```
 * @throws {MissingApiKeyError} when no key is given or found and no client is passed
 */
export function anthropicModel(options: AnthropicModelOptions = {}): Model & { readonly batches: BatchBackend } {
  const { model = defaultClaudeModelId(), maxTokens = 1024, scheduler = asyncScheduler } = options;
  const client = clientFor(options);
  const secrets = secretsOf(client); // scrubbed from every error that leaves the adapter

  const stream = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> =>
    new Observable<ModelEvent>((subscriber) => {
      const params = toParams(request, model, maxTokens); // throws BAD_REQUEST for what Claude cannot take
      const controller = new AbortController();
      const onAbort = () => controller.abort(signal?.reason);
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      const startedAt = scheduler.now();
      const blocks = new AnswerBlocks();
      const deltas = new DeltaBurst(subscriber);
      let failed = false;
      let settled = false;
      // Every server-sent event is a sign of life (for `idleMs`), also before the first text: a text
      // or thinking delta says so with its text, any other event (message_start, ping, ...) as `liveness`.
      const onEvent = (event: Anthropic.MessageStreamEvent) => {
        if (failed) return;
        const delta = event.type === 'content_block_delta' ? event.delta : undefined;
        if (delta?.type === 'text_delta') deltas.add('text', delta.text);
        else if (delta?.type === 'thinking_delta') deltas.add('thinking', delta.thinking);
        else {
          deltas.flush();
          subscriber.next({ type: 'liveness', event: event.type });
        }
        try {
          const call = blocks.add(event);
          if (call) subscriber.next(call);
        } catch (error) {
          failed = true;
          subscriber.error(error);
          controller.abort();
        }
      };
      // Sent in the trace context of the node attempt making the call, when `traceRunEvents()` traces
      // the run: the SDK starts its call span from the active context, synchronously, in `scope`.
      const scope = <T>(fn: () => T): T => withCallScope(request, fn);
      streamMessage(client, params, controller.signal, scope, onEvent).then(
        (message) => {
          settled = true;
          if (failed) return;
          deltas.flush();
          const content = blocks.content();
          const completion: Completion = {
            ...textAndContent(content),
            usage: usageOfMessage(message.usage),
            latencyMs: scheduler.now() - startedAt,
            model: message.model,
            ...(message.stopReason ? { stopReason: message.stopReason } : {}),
            ...withRateLimit(message.headers),
            ...(message.requestId ? { requestId: message.requestId } : {}),
          };
          subscriber.next({ type: 'completion', completion });
          subscriber.complete();
        },
        (error: unknown) => {
          settled = true;
          if (failed) return;
          deltas.flush(); // the text that came before the failure, as it would have without the burst
          subscriber.error(classifyAnthropicError(error, wallClockNow(), secrets));
        },
      );
      return () => {
        deltas.drop();
        signal?.removeEventListener('abort', onAbort);
        if (!settled) controller.abort(); // unsubscribed mid-call: stop the HTTP request
      };
    });

  let batches: BatchBackend | undefined;
  return {
    model,
    stream,
    /** The Message Batches API over the same client (made on first use), so `batch: true` needs no setup. */
    get batches(): BatchBackend {
      return (batches ??= anthropicBatches({ client, model, maxTokens }));
    },
    complete: (request, signal) =>
      stream(request, signal).pipe(
        filter((event): event is Extract<ModelEvent, { type: 'completion' }> => event.type === 'completion'),
        map((event) => event.completion),
      ),
  };
}

function clientFor({ client, apiKey, baseURL }: AnthropicModelOptions): Anthropic {
  if (client) return client.withOptions({ maxRetries: 0 });
  const key = apiKey ?? process.env.ANTHROPIC_API_KEY;
  if (!key) throw new MissingApiKeyError();
  return new Anthropic({ apiKey: key, maxRetries: 0, ...(baseURL ? { baseURL } : {}) });
}

function withRateLimit(headers: Headers | undefined): Pick<Completion, 'rateLimit'> {
  const rateLimit = rateLimitOf(headers);
  return rateLimit ? { rateLimit } : {};
}

/** Milliseconds since the epoch, for HTTP-date retry-afters (wall-clock by nature, whatever the scheduler). */
function wallClockNow(): number {
  return performance.timeOrigin + performance.now();
}
