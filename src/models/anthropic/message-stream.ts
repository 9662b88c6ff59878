/**
 * One streamed Messages API call, read event by event: the events go to a callback, the promise
 * resolves with what the completion takes from the final Message (model, usage, stop reason) and
 * from the HTTP response (headers, request id).
 *
 * The adapter folds the content blocks itself (`AnswerBlocks`), so it does not need the SDK's
 * `MessageStream` helper (`client.messages.stream`), which keeps a snapshot of the whole Message
 * as well, copying the block a delta extends on every delta, and dispatches each event to its
 * listeners by name. The call is sent with `client.messages.create({ stream: true })` and its
 * events are read as they come; the Message's model, usage and stop reason are taken from
 * `message_start` and `message_delta` the way the helper takes them. The helper is still used when
 * the client's OpenTelemetry spans record content (`openTelemetry.traces.contentMode: 'content'`):
 * it is what records the streamed Message on the call's span.
 * @module
 * @internal
 */
import Anthropic, { AnthropicError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { APIPromise } from '@anthropic-ai/sdk/core/api-promise';
import type { Stream } from '@anthropic-ai/sdk/core/streaming';
import type { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';

/** What a streamed call ends with, besides its content blocks. @internal */
export interface StreamedMessage {
  readonly model: string;
  readonly usage: Anthropic.Messages.Usage;
  readonly stopReason: Anthropic.Messages.StopReason | null;
  readonly headers?: Headers;
  readonly requestId?: string | null;
}

/** Runs its argument in the call's trace context (see src/models/call-scope.ts). */
type Scope = <T>(fn: () => T) => T;

/**
 * Sends `params` as a streamed call and hands each server-sent event to `onEvent`, in order.
 * Rejects as the SDK's helper does: `APIUserAbortError` once `signal` aborted, the SDK's errors as
 * they are, anything else as an `AnthropicError` with it as the cause, and an `AnthropicError`
 * when the stream ends before `message_stop`. `scope` runs the call's synchronous start (where the
 * SDK opens its call span). @internal
 */
export function streamMessage(client: Anthropic, params: Anthropic.MessageStreamParams, signal: AbortSignal, scope: Scope, onEvent: (event: Anthropic.MessageStreamEvent) => void): Promise<StreamedMessage> {
  if (recordsContent(client)) return viaHelper(client, params, signal, scope, onEvent);
  let created: APIPromise<Stream<Anthropic.MessageStreamEvent>>;
  try {
    created = scope(() => client.messages.create({ ...params, stream: true } as Anthropic.MessageCreateParamsStreaming, { signal }));
  } catch (error) {
    return Promise.reject(asSdkError(error)); // as the helper, which starts the request in a promise
  }
  return readEvents(created, signal, onEvent).catch((error: unknown) => {
    throw asSdkError(error);
  });
}

async function readEvents(created: APIPromise<Stream<Anthropic.MessageStreamEvent>>, signal: AbortSignal, onEvent: (event: Anthropic.MessageStreamEvent) => void): Promise<StreamedMessage> {
  const { data, response, request_id } = await created.withResponse();
  let start: Anthropic.Message | undefined;
  let usage: Anthropic.Messages.Usage | undefined;
  let stopReason: Anthropic.Messages.StopReason | null = null;
  let stopped = false;
  for await (const event of data) {
    switch (event.type) {
      case 'message_start':
        start = event.message;
        usage = { ...event.message.usage };
        stopReason = event.message.stop_reason;
        break;
      case 'message_delta':
        if (usage) {
          // As the helper folds it: the final output count, and the totals the event has (null when they do not apply).
          usage.output_tokens = event.usage.output_tokens;
          if (event.usage.input_tokens != null) usage.input_tokens = event.usage.input_tokens;
          if (event.usage.cache_creation_input_tokens != null) usage.cache_creation_input_tokens = event.usage.cache_creation_input_tokens;
          if (event.usage.cache_read_input_tokens != null) usage.cache_read_input_tokens = event.usage.cache_read_input_tokens;
          stopReason = event.delta.stop_reason;
        }
        break;
      case 'message_stop':
        stopped = start !== undefined;
        break;
    }
    onEvent(event);
  }
  // The SDK's stream ends quietly when its request is aborted.
  if (signal.aborted) throw new APIUserAbortError();
  if (!stopped || !start || !usage) throw new AnthropicError('stream ended without producing a Message with role=assistant');
  return { model: start.model, usage, stopReason, headers: response.headers, requestId: request_id };
}

/** The SDK's `MessageStream` helper, which records the Message on the call's span in content mode. */
function viaHelper(client: Anthropic, params: Anthropic.MessageStreamParams, signal: AbortSignal, scope: Scope, onEvent: (event: Anthropic.MessageStreamEvent) => void): Promise<StreamedMessage> {
  let stream: MessageStream;
  try {
    stream = scope(() => client.messages.stream(params, { signal }));
  } catch (error) {
    return Promise.reject(asSdkError(error)); // as the raw path: a promise that rejects, never a throw
  }
  stream.on('streamEvent', onEvent);
  return stream.finalMessage().then((message) => ({ model: message.model, usage: message.usage, stopReason: message.stop_reason, headers: stream.response?.headers, requestId: stream.request_id }));
}

/** True when the client's spans record message content (an SDK without OpenTelemetry settings: false). */
function recordsContent(client: Anthropic): boolean {
  const settings = (client as { openTelemetry?: { traces?: { enabled?: boolean; contentMode?: string } } | false }).openTelemetry;
  const traces = settings ? settings.traces : undefined;
  return traces?.enabled !== false && traces?.contentMode === 'content';
}

/** What the helper rejects with for `error` (its `MessageStream` error handling). */
function asSdkError(error: unknown): AnthropicError {
  if (error instanceof AnthropicError) return error;
  if (error instanceof Error) {
    if (error.name === 'AbortError') return new APIUserAbortError();
    const wrapped = new AnthropicError(error.message);
    (wrapped as { cause?: unknown }).cause = error;
    return wrapped;
  }
  return new AnthropicError(String(error));
}
