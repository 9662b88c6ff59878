/**
 * The exact wire format of the Anthropic Messages API: SSE frames of a streamed answer, the JSON
 * body of a non-streamed one, and the JSON error body. Pure functions: no I/O.
 * @module
 */
import type { FakeUsage } from './replies.js';

/** Everything the wire format needs to describe one assistant message. */
export interface FakeMessage {
  /** e.g. `msg_fake0001` */
  id: string;
  model: string;
  /** The text deltas, in order; the message text is their concatenation. */
  chunks: readonly string[];
  stopReason: string;
  usage: FakeUsage;
}

/**
 * One server-sent event: `event: <name>\ndata: <json>\n\n`.
 *
 * ## Example
 * ```ts
 * sseFrame('message_stop', { type: 'message_stop' }); // 'event: message_stop\ndata: {"type":"message_stop"}\n\n'
 * ```
 */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The frames that open a streamed text message: `message_start` (usage with the input and cache
 * counts and `output_tokens: 1`), `content_block_start` of an empty text block, and a `ping`.
 *
 * ## Example
 * ```ts
 * res.write(openingFrames(message).join(''));
 * ```
 */
export function openingFrames(message: FakeMessage): string[] {
  const { id, model, usage } = message;
  return [
    sseFrame('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.input_tokens,
          cache_creation_input_tokens: usage.cache_creation_input_tokens,
          cache_read_input_tokens: usage.cache_read_input_tokens,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }),
    sseFrame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sseFrame('ping', { type: 'ping' }),
  ];
}

/**
 * One `content_block_delta` frame carrying a `text_delta`.
 *
 * ## Example
 * ```ts
 * textDeltaFrame('Hello'); // 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,...}\n\n'
 * ```
 */
export function textDeltaFrame(text: string, index = 0): string {
  return sseFrame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
}

/**
 * The frames that close a streamed text message: `content_block_stop`, `message_delta` (stop
 * reason and the final `output_tokens`), `message_stop`.
 *
 * ## Example
 * ```ts
 * res.end(closingFrames(message).join(''));
 * ```
 */
export function closingFrames(message: FakeMessage): string[] {
  return [
    sseFrame('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sseFrame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: message.stopReason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    }),
    sseFrame('message_stop', { type: 'message_stop' }),
  ];
}

/**
 * Every frame of a complete streamed message, in order.
 *
 * ## Example
 * ```ts
 * const body = streamFrames({ id: 'msg_1', model: 'claude-haiku-4-5', chunks: ['Hi'], stopReason: 'end_turn',
 *   usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }).join('');
 * ```
 */
export function streamFrames(message: FakeMessage): string[] {
  return [...openingFrames(message), ...message.chunks.map((chunk) => textDeltaFrame(chunk)), ...closingFrames(message)];
}

/**
 * The SSE `error` event the API sends on an HTTP 200 stream when it fails mid-answer, e.g.
 * `event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`.
 *
 * ## Example
 * ```ts
 * res.end(sseErrorFrame('overloaded_error', 'Overloaded'));
 * ```
 */
export function sseErrorFrame(type: string, message: string): string {
  return sseFrame('error', { type: 'error', error: { type, message } });
}

/**
 * The JSON body of a non-streamed text message.
 *
 * ## Example
 * ```ts
 * res.end(JSON.stringify(messageBody(message)));
 * ```
 */
export function messageBody(message: FakeMessage): Record<string, unknown> {
  const { id, model, usage } = message;
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text: message.chunks.join('') }],
    stop_reason: message.stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      output_tokens: usage.output_tokens,
      service_tier: 'standard',
    },
  };
}

/**
 * The JSON body of an HTTP error: `{"type":"error","error":{"type":...,"message":...},"request_id":...}`.
 *
 * ## Example
 * ```ts
 * errorBody('rate_limit_error', 'Slow down', 'req_fake0001');
 * ```
 */
export function errorBody(type: string, message: string, requestId: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: requestId };
}
