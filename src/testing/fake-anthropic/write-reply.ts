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
  estimateTokens,
  splitWords,
  type ErrorReply,
  type FakeErrorStatus,
  type Reply,
  type TextReply,
} from './replies.js';
import { closingFrames, errorBody, messageBody, openingFrames, sseErrorFrame, textDeltaFrame, type FakeMessage } from './sse.js';

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
  /** Estimated input tokens of the request. */
  inputTokens: number;
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

type MessageFields = Partial<Pick<TextReply, 'text' | 'chunks' | 'model' | 'stopReason' | 'usage'>>;

const messageOf = (target: ReplyTarget, reply: MessageFields): FakeMessage => {
  const text = reply.text ?? DEFAULT_REPLY_TEXT;
  return {
    id: target.messageId,
    model: reply.model ?? target.model ?? DEFAULT_MODEL,
    chunks: reply.chunks ?? splitWords(text),
    stopReason: reply.stopReason ?? 'end_turn',
    usage: {
      input_tokens: target.inputTokens,
      output_tokens: estimateTokens(text),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      ...reply.usage,
    },
  };
};

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
    const message = messageOf(target, reply);
    startStream(target, headersFor(target, message.usage.output_tokens, reply.headers));
    const sent = message.chunks.slice(0, reply.afterChunks ?? 0);
    if (!(await sendFrames(target, [...openingFrames(message), ...sent.map((c) => textDeltaFrame(c))], reply.chunkDelayMs))) return;
    if (!(await wait(reply.chunkDelayMs, target.closed))) return;
    res.end(sseErrorFrame(type, defaultErrorMessage(type)));
    return;
  }

  if ('dropConnectionAfterChunks' in reply) {
    const message = messageOf(target, reply);
    if (stream) {
      startStream(target, headersFor(target, message.usage.output_tokens, reply.headers));
      const sent = message.chunks.slice(0, reply.dropConnectionAfterChunks);
      if (!(await sendFrames(target, [...openingFrames(message), ...sent.map((c) => textDeltaFrame(c))], reply.chunkDelayMs))) return;
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
  const stall = reply.stallAfterChunks;
  if (!stream) {
    if (stall !== undefined) return untilClosed(target.closed);
    return sendJson(target, 200, headers, messageBody(message));
  }
  startStream(target, headers);
  const deltas = message.chunks.map((c) => textDeltaFrame(c));
  if (stall !== undefined && stall < deltas.length) {
    if (!(await sendFrames(target, [...openingFrames(message), ...deltas.slice(0, stall)], reply.chunkDelayMs))) return;
    return untilClosed(target.closed);
  }
  if (!(await sendFrames(target, [...openingFrames(message), ...deltas], reply.chunkDelayMs))) return;
  if (stall !== undefined) return untilClosed(target.closed);
  if (!(await sendFrames(target, closingFrames(message), reply.chunkDelayMs))) return;
  res.end();
}
