/**
 * The exact wire format of the Anthropic Messages API: SSE frames of a streamed answer, the JSON
 * body of a non-streamed one, and the JSON error body. Pure functions: no I/O.
 * @module
 */
import type { FakeUsage } from './replies.js';

/** One content block of a fake assistant message, with how it is streamed. */
export type FakeBlock =
  | { type: 'text'; /** The `text_delta`s, in order; the text is their concatenation. */ chunks: readonly string[] }
  | { type: 'thinking'; /** The `thinking_delta`s. */ chunks: readonly string[]; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; /** The `input_json_delta`s; they join to the input's JSON. */ jsonChunks: readonly string[] };

/** Everything the wire format needs to describe one assistant message. */
export interface FakeMessage {
  /** e.g. `msg_fake0001` */
  id: string;
  model: string;
  /** The blocks, in order (thinking, text, tool calls). */
  content: readonly FakeBlock[];
  stopReason: string;
  usage: FakeUsage;
}

/** One frame of a streamed message, tagged with what it carries (to cut a stream at a given point). */
export interface TaggedFrame {
  frame: string;
  /** `delta` of a text block counts for `stallAfterChunks` and friends; `text-stop` ends a text block. */
  kind: 'open' | 'start' | 'delta' | 'text-delta' | 'stop' | 'text-stop' | 'close';
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
 * The `message_start` frame: the message with no content yet, usage with the input and cache
 * counts and `output_tokens: 1`.
 *
 * ## Example
 * ```ts
 * res.write(messageStartFrame(message));
 * ```
 */
export function messageStartFrame(message: FakeMessage): string {
  const { id, model, usage } = message;
  return sseFrame('message_start', {
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
  });
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

const delta = (index: number, body: Record<string, unknown>) => sseFrame('content_block_delta', { type: 'content_block_delta', index, delta: body });

/** The frames of one content block: its start (empty), its deltas, its stop. */
function blockFrames(block: FakeBlock, index: number): TaggedFrame[] {
  const stop = (kind: 'stop' | 'text-stop'): TaggedFrame => ({ frame: sseFrame('content_block_stop', { type: 'content_block_stop', index }), kind });
  const start = (content_block: Record<string, unknown>): TaggedFrame => ({ frame: sseFrame('content_block_start', { type: 'content_block_start', index, content_block }), kind: 'start' });
  switch (block.type) {
    case 'text':
      return [start({ type: 'text', text: '' }), ...block.chunks.map((text): TaggedFrame => ({ frame: textDeltaFrame(text, index), kind: 'text-delta' })), stop('text-stop')];
    case 'thinking':
      return [
        start({ type: 'thinking', thinking: '', signature: '' }),
        ...block.chunks.map((thinking): TaggedFrame => ({ frame: delta(index, { type: 'thinking_delta', thinking }), kind: 'delta' })),
        { frame: delta(index, { type: 'signature_delta', signature: block.signature }), kind: 'delta' },
        stop('stop'),
      ];
    case 'tool_use':
      return [
        start({ type: 'tool_use', id: block.id, name: block.name, input: {} }),
        ...block.jsonChunks.map((partial_json): TaggedFrame => ({ frame: delta(index, { type: 'input_json_delta', partial_json }), kind: 'delta' })),
        stop('stop'),
      ];
  }
}

/**
 * Every frame of a complete streamed message, in order and tagged: `message_start`, each block's
 * `content_block_start` / deltas / `content_block_stop` (a `ping` after the first start),
 * `message_delta` (stop reason and the final `output_tokens`) and `message_stop`.
 *
 * ## Example
 * ```ts
 * res.end(messageFrames(message).map((f) => f.frame).join(''));
 * ```
 */
export function messageFrames(message: FakeMessage): TaggedFrame[] {
  const frames: TaggedFrame[] = [{ frame: messageStartFrame(message), kind: 'open' }];
  message.content.forEach((block, index) => {
    const [start, ...rest] = blockFrames(block, index);
    frames.push(start!);
    if (index === 0) frames.push({ frame: sseFrame('ping', { type: 'ping' }), kind: 'open' });
    frames.push(...rest);
  });
  if (message.content.length === 0) frames.push({ frame: sseFrame('ping', { type: 'ping' }), kind: 'open' });
  frames.push(
    {
      frame: sseFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: message.stopReason, stop_sequence: null },
        usage: { output_tokens: message.usage.output_tokens },
      }),
      kind: 'close',
    },
    { frame: sseFrame('message_stop', { type: 'message_stop' }), kind: 'close' },
  );
  return frames;
}

/**
 * The frames sent before a stream stalls, errors or drops after `textDeltas` text deltas: up to
 * and including the `textDeltas`-th text delta (with 0, up to the first one); when the message
 * has fewer, everything before the last text block's `content_block_stop` (or before
 * `message_delta` when it has no text).
 *
 * ## Example
 * ```ts
 * framesUntilTextDelta(messageFrames(message), 2);
 * ```
 */
export function framesUntilTextDelta(frames: readonly TaggedFrame[], textDeltas: number): TaggedFrame[] {
  let seen = 0;
  for (let i = 0; i < frames.length; i++) {
    const kind = frames[i]!.kind;
    if (kind === 'text-delta') {
      if (seen === textDeltas) return frames.slice(0, i);
      seen += 1;
    }
  }
  let cut = frames.findIndex((f) => f.kind === 'close');
  for (let i = frames.length - 1; i >= 0; i--) {
    if (frames[i]!.kind === 'text-stop') {
      cut = i;
      break;
    }
  }
  return frames.slice(0, cut);
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
 * The JSON body of a non-streamed message.
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
    content: message.content.map((block) => {
      switch (block.type) {
        case 'text':
          return { type: 'text', text: block.chunks.join('') };
        case 'thinking':
          return { type: 'thinking', thinking: block.chunks.join(''), signature: block.signature };
        case 'tool_use':
          return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
      }
    }),
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
