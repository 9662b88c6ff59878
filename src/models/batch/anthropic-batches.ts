import Anthropic from '@anthropic-ai/sdk';
import { Observable } from 'rxjs';
import type { Completion, ContentBlock } from '../model.js';
import { ModelCallError } from '../model-error.js';
import { ERROR_CODE_BY_TYPE, classifyAnthropicError } from '../anthropic/classify-error.js';
import { toParams } from '../anthropic/request-params.js';
import { secretsOf } from '../anthropic/scrub-secrets.js';
import { textAndContent, usageOfMessage } from '../anthropic/message-usage.js';
import { MissingApiKeyError, defaultClaudeModelId } from '../anthropic/defaults.js';
import type { BatchBackend, BatchItemResult, BatchStatus } from './backend.js';

/**
 * Settings of {@link anthropicBatches}. Every field is optional.
 *
 * ## Example
 * ```ts
 * import type { AnthropicBatchesOptions } from 'rx-orchestra';
 * const options: AnthropicBatchesOptions = { model: 'claude-haiku-4-5', maxTokens: 2_048 };
 * ```
 */
export interface AnthropicBatchesOptions {
  /** API key. @default process.env.ANTHROPIC_API_KEY */
  apiKey?: string;
  /** API address, e.g. the fake server's. @default the SDK's */
  baseURL?: string;
  /** Your own client (its retries are turned off). */
  client?: Anthropic;
  /** Model id of requests that name none. @default process.env.RX_ORCHESTRA_MODEL, else 'claude-sonnet-4-6' */
  model?: string;
  /** Output cap of requests that set none. @default 1024 */
  maxTokens?: number;
}


/**
 * Claude's Message Batches API over the official `@anthropic-ai/sdk`
 * (`client.messages.batches.create / retrieve / results / cancel`), as a {@link BatchBackend} for
 * `batchingModel`. Requests are mapped as `anthropicModel` maps them (same blocks, tools, thinking,
 * structured output and cache breakpoints); each line of the results (the SDK decodes the JSONL)
 * becomes a completion, an error classified as a streamed call's (`overloaded_error` ->
 * `OVERLOADED`, retryable; `invalid_request_error` -> `BAD_REQUEST`, not), or `canceled` /
 * `expired`. HTTP failures are classified as `anthropicModel`'s are, the API key scrubbed.
 * Unsubscribing aborts the HTTP request.
 *
 * ## Example
 * ```ts
 * import { anthropicModel, anthropicBatches, batchingModel, execute } from 'rx-orchestra';
 * const claude = batchingModel(anthropicModel(), { backend: anthropicBatches() });
 * execute(g, { model: claude });
 * ```
 * @throws {MissingApiKeyError} when no key is given or found and no client is passed
 */
export function anthropicBatches(options: AnthropicBatchesOptions = {}): BatchBackend {
  const { model = defaultClaudeModelId(), maxTokens = 1024 } = options;
  const client = clientFor(options);
  const secrets = secretsOf(client);
  const classify = (error: unknown) => classifyAnthropicError(error, performance.timeOrigin + performance.now(), secrets);

  /** A cold Observable of one SDK call, aborted on unsubscribe. */
  const call = <T>(send: (signal: AbortSignal) => PromiseLike<T>) =>
    new Observable<T>((subscriber) => {
      const controller = new AbortController();
      send(controller.signal).then(
        (value) => {
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(classify(error)),
      );
      return () => controller.abort();
    });

  return {
    provider: 'anthropic',
    create: (entries) =>
      new Observable<BatchStatus>((subscriber) => {
        let requests: Anthropic.Messages.BatchCreateParams.Request[];
        try {
          requests = entries.map((entry) => ({ custom_id: entry.customId, params: toParams(entry.request, model, maxTokens) as Anthropic.MessageCreateParamsNonStreaming }));
        } catch (error) {
          subscriber.error(error); // BAD_REQUEST: a block Claude cannot take
          return;
        }
        return call((signal) => client.messages.batches.create({ requests }, { signal }))
          .subscribe({ next: (batch) => subscriber.next(statusOf(batch)), error: (error: unknown) => subscriber.error(error), complete: () => subscriber.complete() });
      }),
    retrieve: (batchId) =>
      new Observable<BatchStatus>((subscriber) =>
        call((signal) => client.messages.batches.retrieve(batchId, {}, { signal })).subscribe({
          next: (batch) => subscriber.next(statusOf(batch)),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
    cancel: (batchId) =>
      new Observable<BatchStatus>((subscriber) =>
        call((signal) => client.messages.batches.cancel(batchId, {}, { signal })).subscribe({
          next: (batch) => subscriber.next(statusOf(batch)),
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
    results: (batchId) =>
      new Observable<BatchItemResult>((subscriber) => {
        const controller = new AbortController();
        (async () => {
          const lines = await client.messages.batches.results(batchId, {}, { signal: controller.signal });
          for await (const line of lines) {
            if (subscriber.closed) return;
            subscriber.next(resultOf(line));
          }
          subscriber.complete();
        })().catch((error: unknown) => {
          if (!subscriber.closed) subscriber.error(classify(error));
        });
        return () => controller.abort();
      }),
  };
}

function clientFor({ client, apiKey, baseURL }: AnthropicBatchesOptions): Anthropic {
  if (client) return client.withOptions({ maxRetries: 0 });
  const key = apiKey ?? process.env.ANTHROPIC_API_KEY;
  if (!key) throw new MissingApiKeyError();
  return new Anthropic({ apiKey: key, maxRetries: 0, ...(baseURL ? { baseURL } : {}) });
}

function statusOf(batch: Anthropic.Messages.MessageBatch): BatchStatus {
  const { processing, succeeded, errored, canceled, expired } = batch.request_counts;
  return { id: batch.id, processingStatus: batch.processing_status, requestCounts: { processing, succeeded, errored, canceled, expired } };
}

/** One line of the results JSONL, as a {@link BatchItemResult}. */
function resultOf(line: Anthropic.Messages.MessageBatchIndividualResponse): BatchItemResult {
  const customId = line.custom_id;
  const result = line.result;
  switch (result.type) {
    case 'succeeded':
      return { customId, type: 'succeeded', completion: completionOf(result.message) };
    case 'errored': {
      const body = result.error as { error?: { type?: string; message?: string }; request_id?: string | null };
      const type = body.error?.type ?? 'api_error';
      const requestId = body.request_id ?? undefined;
      const error = new ModelCallError(ERROR_CODE_BY_TYPE[type] ?? 'API_ERROR', `batch request ${customId}: ${type}: ${body.error?.message ?? 'no message'}`, { provider: 'anthropic', ...(requestId ? { requestId } : {}) });
      return { customId, type: 'errored', error };
    }
    default:
      return { customId, type: result.type };
  }
}

/** A Message as a {@link Completion}, as `anthropicModel` builds one from a stream. */
function completionOf(message: Anthropic.Message): Completion {
  const content: ContentBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking') content.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
    else if (block.type === 'redacted_thinking') content.push({ type: 'redacted_thinking', data: block.data });
    else if (block.type === 'tool_use') content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
  }
  return {
    ...textAndContent(content),
    usage: usageOfMessage(message.usage),
    latencyMs: 0,
    model: message.model,
    ...(message.stop_reason ? { stopReason: message.stop_reason } : {}),
    requestId: message.id,
  };
}
