/**
 * Plays one {@link Reply} onto an HTTP response: headers, delays, SSE frames, stalls, dropped
 * connections. Real timers are fine here: this is a network fake, not scheduled code.
 * @module
 * @internal
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import {
  DEFAULT_REPLY_TEXT,
  defaultErrorMessage,
  defaultErrorType,
  defaultResponseHeaders,
  splitWords,
  type ErrorReply,
  type FakeErrorStatus,
  type FakeUsage,
  type Reply,
  type TextReply,
  type ToolUseReply,
} from './replies.js';
import { errorBody, framesUntilTextDelta, messageBody, messageFrames, sseErrorFrame, type FakeBlock, type FakeMessage, type TaggedFrame } from './sse.js';
import { fakeThinkingSignature } from './thinking-signature.js';

/** What {@link writeReply} needs to know about the request it answers. */
export interface ReplyTarget {
  res: ServerResponse;
  /** Whether the request asked for `stream: true`. */
  stream: boolean;
  requestId: string;
  messageId: string;
  /** 1-based number of the request, for the rate-limit headers. */
  requestNumber: number;
  /** The request's `model`, if any. */
  model: string | undefined;
  /** Estimated input tokens of the request that were not read from or written to the prompt cache. */
  inputTokens: number;
  /** What the request's cache breakpoints wrote to and read from the fake's prompt cache. @default none */
  cache?: Pick<FakeUsage, 'cache_creation_input_tokens' | 'cache_read_input_tokens'>;
  /** Whether the request enables extended thinking (`thinking.type: 'enabled'`). @default false */
  thinking?: boolean;
  /** The request's headers as received (secrets included), for {@link ErrorReply.echoRequestHeaders}. */
  requestHeaders?: IncomingHttpHeaders;
  /** Aborted when the connection closes (by the client, or the server shutting down). */
  closed: AbortSignal;
  /** Called when the fake destroys the connection on purpose. */
  onDrop: () => void;
}

const DEFAULT_MODEL = 'claude-sonnet-4-6';

/** Waits `ms`; false if the connection closed first. */
const wait = async (ms: number | undefined, closed: AbortSignal): Promise<boolean> => {
  if (closed.aborted) return false;
  if (!ms) return true;
  try {
    await delay(ms, undefined, { signal: closed });
    return true;
  } catch {
    return false;
  }
};

/** Resolves when the connection closes. */
const untilClosed = (closed: AbortSignal): Promise<void> =>
  closed.aborted ? Promise.resolve() : new Promise((resolve) => closed.addEventListener('abort', () => resolve(), { once: true }));

const lowerKeys = (headers: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));

const headersFor = (target: ReplyTarget, outputTokens: number, extra: Record<string, string> | undefined) => ({
  ...defaultResponseHeaders({
    requestId: target.requestId,
    requestNumber: target.requestNumber,
    inputTokens: target.inputTokens,
    outputTokens,
    now: new Date(),
  }),
  ...lowerKeys(extra),
});

const sendJson = (target: ReplyTarget, status: number, headers: Record<string, string>, body: unknown) => {
  target.res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  target.res.end(JSON.stringify(body));
};

/** Writes SSE frames, waiting `gapMs` before each; false if the connection closed meanwhile. */
const sendFrames = async (target: ReplyTarget, frames: readonly string[], gapMs: number | undefined): Promise<boolean> => {
  for (const frame of frames) {
    if (!(await wait(gapMs, target.closed))) return false;
    target.res.write(frame);
  }
  return true;
};

const startStream = (target: ReplyTarget, headers: Record<string, string>) => {
  target.res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  target.res.flushHeaders();
};

/** The parts of a reply a message is built from. @internal */
export type MessageFields = Partial<Pick<TextReply, 'text' | 'chunks' | 'model' | 'stopReason' | 'usage' | 'thinking'>> & Partial<Pick<ToolUseReply, 'toolUse'>>;

/** What the fake thinks when the request enables thinking and the reply scripts none. */
const DEFAULT_THINKING = 'Let me think about how to answer this.';

/** Splits JSON into the small pieces the API streams tool input in, after an empty first delta. */
const jsonChunks = (json: string): string[] => ['', ...(json.match(/[\s\S]{1,12}/g) ?? [])];

/** The message a reply answers with (also a batch's succeeded line). @internal */
export const messageOf = (target: Pick<ReplyTarget, 'thinking' | 'requestNumber' | 'messageId' | 'model' | 'inputTokens' | 'cache'>, reply: MessageFields): FakeMessage => {
  const content: FakeBlock[] = [];
  let outputChars = 0;
  if (target.thinking) {
    const thinking = reply.thinking ?? DEFAULT_THINKING;
    content.push({ type: 'thinking', chunks: splitWords(thinking), signature: fakeThinkingSignature(thinking) });
    outputChars += thinking.length;
  }
  const text = reply.toolUse ? reply.text : (reply.text ?? DEFAULT_REPLY_TEXT);
  if (text !== undefined) {
    content.push({ type: 'text', chunks: reply.chunks ?? splitWords(text) });
    outputChars += text.length;
  }
  const requestNumber = String(target.requestNumber).padStart(6, '0');
  for (const [i, call] of (reply.toolUse ?? []).entries()) {
    const json = JSON.stringify(call.input);
    content.push({ type: 'tool_use', id: call.id ?? `toolu_fake${requestNumber}_${i}`, name: call.name, input: call.input, jsonChunks: jsonChunks(json) });
    outputChars += call.name.length + json.length;
  }
  return {
    id: target.messageId,
    model: reply.model ?? target.model ?? DEFAULT_MODEL,
    content,
    stopReason: reply.stopReason ?? (reply.toolUse ? 'tool_use' : 'end_turn'),
    usage: {
      input_tokens: target.inputTokens,
      output_tokens: Math.ceil(outputChars / 4),
      cache_creation_input_tokens: target.cache?.cache_creation_input_tokens ?? 0,
      cache_read_input_tokens: target.cache?.cache_read_input_tokens ?? 0,
      ...reply.usage,
    },
  };
};

const framesOf = (frames: readonly TaggedFrame[]): string[] => frames.map((f) => f.frame);

const writeError = (target: ReplyTarget, reply: ErrorReply) => {
  const type = reply.errorType ?? defaultErrorType(reply.status);
  const retry: Record<string, string> = {};
  if (reply.retryAfterSeconds !== undefined) retry['retry-after'] = String(reply.retryAfterSeconds);
  if (reply.retryAfterMs !== undefined) retry['retry-after-ms'] = String(reply.retryAfterMs);
  const headers = { ...headersFor(target, 0, undefined), ...retry, ...lowerKeys(reply.headers) };
  const message = reply.message ?? defaultErrorMessage(type);
  const echo = reply.echoRequestHeaders ? ` (request headers: ${JSON.stringify(target.requestHeaders ?? {})})` : '';
  sendJson(target, reply.status, headers, errorBody(type, message + echo, target.requestId));
};

/**
 * Answers one Messages request with `reply`; resolves when the response has ended, stalled
 * until the client left, or the connection was dropped.
 *
 * ## Example
 * ```ts
 * await writeReply({ text: 'hi' }, target);
 * ```
 */
export async function writeReply(reply: Reply, target: ReplyTarget): Promise<void> {
  if (!(await wait(reply.firstByteDelayMs, target.closed))) return;
  const { res, stream } = target;

  if ('status' in reply) return writeError(target, reply);

  if ('midStreamError' in reply) {
    const type = reply.midStreamError;
    if (!stream) {
      const status: FakeErrorStatus = type === 'overloaded_error' ? 529 : 500;
      return writeError(target, { status, errorType: type, headers: reply.headers });
    }
    const message = messageOf(target, { text: reply.text });
    startStream(target, headersFor(target, message.usage.output_tokens, reply.headers));
    if (!(await sendFrames(target, framesOf(framesUntilTextDelta(messageFrames(message), reply.afterChunks ?? 0)), reply.chunkDelayMs))) return;
    if (!(await wait(reply.chunkDelayMs, target.closed))) return;
    res.end(sseErrorFrame(type, defaultErrorMessage(type)));
    return;
  }

  if ('dropConnectionAfterChunks' in reply) {
    const message = messageOf(target, { text: reply.text });
    if (stream) {
      startStream(target, headersFor(target, message.usage.output_tokens, reply.headers));
      if (!(await sendFrames(target, framesOf(framesUntilTextDelta(messageFrames(message), reply.dropConnectionAfterChunks)), reply.chunkDelayMs))) return;
      if (!(await wait(reply.chunkDelayMs, target.closed))) return;
      // Let the frames reach the socket first: destroying drops whatever is still buffered.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
    }
    target.onDrop();
    res.socket?.destroy();
    res.destroy();
    return;
  }

  const message = messageOf(target, reply);
  const headers = headersFor(target, message.usage.output_tokens, reply.headers);
  const stall = 'stallAfterChunks' in reply ? reply.stallAfterChunks : undefined;
  if (!stream) {
    if (stall !== undefined) return untilClosed(target.closed);
    return sendJson(target, 200, headers, messageBody(message));
  }
  startStream(target, headers);
  const frames = messageFrames(message);
  if (stall !== undefined) {
    if (!(await sendFrames(target, framesOf(framesUntilTextDelta(frames, stall)), reply.chunkDelayMs))) return;
    return untilClosed(target.closed);
  }
  if (!(await sendFrames(target, framesOf(frames), reply.chunkDelayMs))) return;
  res.end();
}
