/**
 * A local fake of the Anthropic Messages API over real HTTP, for testing code that uses the real
 * `@anthropic-ai/sdk`: scripted replies, every request recorded.
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_REPLY_TEXT, estimateInputTokens, replyProblem, type Reply } from './replies.js';
import { FakePromptCache, DEFAULT_MIN_CACHE_TOKENS } from './prompt-cache.js';
import { requestProblem, thinkingEnabled } from './request-rules.js';
import { structuredOutputProblem } from './schema-rules.js';
import { errorBody } from './sse.js';
import { writeReply } from './write-reply.js';
import { fakeBatches, type FakeBatchOptions } from './batches.js';

/** The parsed JSON body of a request; the Messages fields the fake reads are typed. */
export interface FakeRequestBody {
  model?: string;
  system?: unknown;
  messages?: unknown[];
  max_tokens?: number;
  stream?: boolean;
  [field: string]: unknown;
}

/** What the fake server saw of one request. Fields are updated while the response is in flight. */
export interface FakeRequest {
  /** 0-based, in arrival order. */
  index: number;
  method: string;
  /** The path without the query, e.g. `/v1/messages`. */
  path: string;
  /** Lower-case names; the values of `x-api-key` and `authorization` are `'REDACTED'`. */
  headers: Record<string, string>;
  /** The parsed JSON body; undefined while it is being read, or if there was none. */
  body: FakeRequestBody | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
  /** `performance.now()` when the response ended or the connection closed; undefined while in flight. */
  endedAt?: number;
  /** The HTTP status sent; undefined if no response headers went out. */
  status?: number;
  /** Whether the client closed the connection before the response had finished. */
  clientClosed: boolean;
  /** Whether the fake destroyed the connection on purpose (a {@link DropConnectionReply}). */
  connectionDropped: boolean;
}

/** Settings of {@link startFakeAnthropic}. */
export interface FakeAnthropicOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a random free port) */
  port?: number;
  /**
   * Answers `POST /v1/messages` requests when no scripted reply is queued; returning undefined
   * (or leaving this out) answers with `{ text: DEFAULT_REPLY_TEXT }`.
   */
  respond?: (request: FakeRequest) => Reply | undefined | Promise<Reply | undefined>;
  /**
   * Smallest prefix the fake's prompt cache stores, in (estimated) tokens: a breakpoint whose
   * prefix is shorter is not cached, as with the real API. @default 1024 (Sonnet and Opus)
   */
  cacheMinTokens?: number;
  /**
   * How the Message Batches endpoints (`/v1/messages/batches`: create, retrieve, list, results as
   * JSONL, cancel, delete) process batches: processing time, expiry, per-request results.
   * @default every batch ends at once, every request answered with `DEFAULT_REPLY_TEXT`
   */
  batches?: FakeBatchOptions;
}

/** A running fake Anthropic server; see {@link startFakeAnthropic}. */
export interface FakeAnthropic {
  /** Pass to `new Anthropic({ baseURL, apiKey: 'test', maxRetries: 0 })`. */
  readonly baseURL: string;
  /** Every request received, in arrival order. */
  readonly requests: readonly FakeRequest[];
  /** Replies still queued. */
  readonly queued: number;
  /** Queues replies, consumed one per `POST /v1/messages` in arrival order. Throws a TypeError on an invalid reply. */
  reply(...replies: Reply[]): void;
  /** Resolves once no response is in flight (every response ended or its connection closed). */
  settled(): Promise<void>;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** Reads a request body; undefined if it is empty. */
const readBody = async (req: IncomingMessage): Promise<string | undefined> => {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text.length > 0 ? text : undefined;
};

const SECRET_HEADERS = new Set(['x-api-key', 'authorization']);

const recordedHeaders = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [
      name,
      SECRET_HEADERS.has(name) ? 'REDACTED' : Array.isArray(value) ? value.join(', ') : (value ?? ''),
    ]),
  );

const sendError = (res: ServerResponse, status: number, type: string, message: string, requestId: string) => {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId });
  res.end(JSON.stringify(errorBody(type, message, requestId)));
};

/**
 * Starts a fake Anthropic Messages API on 127.0.0.1 (a random free port) that the real
 * `@anthropic-ai/sdk` talks to over real HTTP. It serves `POST /v1/messages` (SSE with the exact
 * wire format when `stream: true`, JSON otherwise) from a queue of scripted {@link Reply}s, then
 * from `options.respond`, then a default text; `POST /v1/messages/count_tokens` answers
 * `{ input_tokens }`; the Message Batches endpoints (`/v1/messages/batches`: create, retrieve, list,
 * results as JSONL, cancel, delete) process batches as `options.batches` scripts them; anything
 * else is a 404 `not_found_error`. Replies can be HTTP errors with
 * `retry-after`, mid-stream `error` events, dropped connections, slow first bytes and stalls.
 * Replies can call tools (`{ toolUse: [{ name, input }] }`: `tool_use` blocks streamed as
 * `input_json_delta` chunks, `stop_reason: 'tool_use'`) and think (signed `thinking` blocks, when
 * the request enables thinking). A prompt cache is simulated: a `cache_control` breakpoint writes
 * its prefix the first time (`cache_creation_input_tokens`) and a later request repeating that
 * prefix reads it (`cache_read_input_tokens`).
 * Like the real API, it refuses with a 400 `invalid_request_error`, worded as the API words it, a
 * structured-output schema (`output_config.format`, strict tools) using JSON Schema keywords
 * Claude does not accept (`minLength`, `maximum`, `minItems` > 1, unsupported `format`s,
 * `additionalProperties` other than false, recursion, ...), and what {@link requestProblem}
 * lists: a `tool_result` matching no `tool_use` of the assistant turn before it, `tool_use`
 * blocks left without results, thinking blocks dropped from (or altered in) a tool loop with
 * thinking on, `temperature` or a forced `tool_choice` with thinking, a `budget_tokens` below
 * 1024 or not below `max_tokens`, more than 4 cache breakpoints, invalid or duplicate tool
 * names. A refused request does not consume a scripted reply.
 * Every request is recorded (API keys redacted), including whether the client hung up early.
 *
 * ## Example
 * ```ts
 * import Anthropic from '@anthropic-ai/sdk';
 * import { startFakeAnthropic } from 'rx-orchestra/testing';
 *
 * const fake = await startFakeAnthropic();
 * fake.reply({ status: 429, retryAfterSeconds: 1 }, { text: 'Hello world' });
 * const client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
 * await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [] }).catch(() => {}); // 429
 * const text = await client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [] }).finalText();
 * await fake.close();
 * ```
 */
export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const { host = '127.0.0.1', port = 0, respond, cacheMinTokens = DEFAULT_MIN_CACHE_TOKENS } = options;
  if (!(Number.isFinite(cacheMinTokens) && cacheMinTokens >= 0)) throw new TypeError(`startFakeAnthropic: cacheMinTokens must be a number >= 0, got ${String(cacheMinTokens)}`);
  const promptCache = new FakePromptCache(cacheMinTokens);
  const requests: FakeRequest[] = [];
  const queue: Reply[] = [];
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  let closing: Promise<void> | undefined;
  let baseURL = '';
  const batches = fakeBatches(options.batches ?? {}, () => baseURL);

  const ended = () => {
    inFlight -= 1;
    if (inFlight > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const index = requests.length;
    const requestId = `req_fake${String(index + 1).padStart(6, '0')}`;
    const record: FakeRequest = {
      index,
      method: req.method ?? 'GET',
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      headers: recordedHeaders(req),
      body: undefined,
      receivedAt: performance.now(),
      clientClosed: false,
      connectionDropped: false,
    };
    requests.push(record);
    inFlight += 1;
    const closed = new AbortController();
    res.once('close', () => {
      record.endedAt = performance.now();
      if (res.headersSent) record.status = res.statusCode;
      if (!res.writableFinished && !record.connectionDropped && !closing) record.clientClosed = true;
      closed.abort();
      ended();
    });

    const isMessages = record.method === 'POST' && record.path === '/v1/messages';
    const isCount = record.method === 'POST' && record.path === '/v1/messages/count_tokens';
    // Taken on arrival, so concurrent requests consume the script in the order they arrived.
    const scripted = isMessages ? queue.shift() : undefined;

    const raw = await readBody(req);
    try {
      record.body = raw === undefined ? undefined : (JSON.parse(raw) as FakeRequestBody);
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'The request body is not valid JSON.', requestId);
    }
    if (isCount) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      res.end(JSON.stringify({ input_tokens: estimateInputTokens(record.body) }));
      return;
    }
    if (record.path === '/v1/messages/batches' || record.path.startsWith('/v1/messages/batches/')) {
      return batches.handle(record.method, record.path, new URL(req.url ?? '/', 'http://fake').searchParams, record.body, res, requestId);
    }
    if (!isMessages) {
      return sendError(res, 404, 'not_found_error', `${record.method} ${record.path} is not served by the fake Anthropic server.`, requestId);
    }

    // The real API refuses what structured outputs cannot take before any model sees the request:
    // a refused request leaves its scripted reply at the head of the queue for the next one.
    const refused = structuredOutputProblem(record.body) ?? requestProblem(record.body);
    if (refused) {
      if (scripted) queue.unshift(scripted);
      return sendError(res, 400, 'invalid_request_error', refused, requestId);
    }

    // Accounted on arrival, like the scripted reply, so concurrent requests see the cache in arrival order.
    const cache = promptCache.account(record.body);
    const reply = scripted ?? (await respond?.(record)) ?? { text: DEFAULT_REPLY_TEXT };
    const problem = replyProblem(reply);
    if (problem) return sendError(res, 500, 'api_error', `fake-anthropic: invalid reply: ${problem}`, requestId);
    await writeReply(reply, {
      res,
      stream: record.body?.stream === true,
      requestId,
      messageId: `msg_fake${String(index + 1).padStart(6, '0')}`,
      requestNumber: index + 1,
      model: record.body?.model,
      inputTokens: cache?.input_tokens ?? estimateInputTokens(record.body),
      ...(cache ? { cache } : {}),
      thinking: thinkingEnabled(record.body),
      requestHeaders: req.headers,
      closed: closed.signal,
      onDrop: () => {
        record.connectionDropped = true;
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'api_error', `fake-anthropic: ${error instanceof Error ? error.message : String(error)}`, 'req_fake_error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  baseURL = `http://${hostPart}:${address.port}`;
  return {
    baseURL,
    requests,
    get queued() {
      return queue.length;
    },
    reply(...replies) {
      for (const reply of replies) {
        const problem = replyProblem(reply);
        if (problem) throw new TypeError(`fake-anthropic: invalid reply ${JSON.stringify(reply)}: ${problem}`);
      }
      queue.push(...replies);
    },
    settled() {
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
