/**
 * What the fake Anthropic server can be told to answer, and the defaults it fills in.
 * Pure data and pure functions: no I/O.
 * @module
 */

/** Token counts reported by a fake reply; every field is optional in a {@link TextReply}. */
export interface FakeUsage {
  /**
   * Input tokens after the last cache breakpoint (all of them when the request has none).
   * @default ceil(characters of tools + system + messages / 4), less the cached ones
   */
  input_tokens: number;
  /** @default ceil(characters of the reply's thinking, text and tool inputs / 4) */
  output_tokens: number;
  /** @default tokens the request's cache breakpoints wrote to the fake's prompt cache, else 0 */
  cache_creation_input_tokens: number;
  /** @default tokens the request read from the fake's prompt cache, else 0 */
  cache_read_input_tokens: number;
}

/** Settings every kind of reply accepts. */
export interface ReplyBase {
  /** Extra response headers; they override the defaults (`request-id`, `anthropic-ratelimit-*`). */
  headers?: Record<string, string>;
  /** Wait this long before sending the response headers. @default 0 */
  firstByteDelayMs?: number;
}

/**
 * A successful answer: served as SSE when the request has `stream: true`, otherwise as JSON.
 *
 * ## Example
 * ```ts
 * import { startFakeAnthropic } from 'rx-orchestra/testing';
 * const fake = await startFakeAnthropic();
 * fake.reply({ text: 'Hello world', chunks: ['Hel', 'lo world'], usage: { cache_read_input_tokens: 12 } });
 * ```
 */
export interface TextReply extends ReplyBase {
  text: string;
  /** How the text is split into `text_delta` events; must join back to `text`. @default split after each word */
  chunks?: readonly string[];
  /** Overrides the estimated token counts. */
  usage?: Partial<FakeUsage>;
  /** @default 'end_turn' */
  stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';
  /** @default the request's `model` */
  model?: string;
  /** Wait this long between SSE events. @default 0 */
  chunkDelayMs?: number;
  /**
   * Send this many text deltas, then nothing more, keeping the connection open until the client
   * closes it (if the text has fewer deltas, all are sent and the stream stalls before
   * `content_block_stop`). On a non-streaming request nothing at all is sent.
   * @default undefined (never stall)
   */
  stallAfterChunks?: number;
  /**
   * The model's thinking, streamed first as `thinking_delta`s and a `signature_delta` (see
   * {@link fakeThinkingSignature}). Sent only when the request enables thinking, as the real API
   * does; a request that enables it gets a short default thinking when the reply sets none.
   * @default undefined
   */
  thinking?: string;
}

/** One tool call of a {@link ToolUseReply}. */
export interface FakeToolCall {
  name: string;
  /** The tool's input: a JSON object, streamed as `input_json_delta` chunks. */
  input: Record<string, unknown>;
  /** @default `toolu_fake<request number>_<position>` */
  id?: string;
}

/**
 * An answer that calls tools: optional thinking, optional text, then one `tool_use` block per call
 * (parallel calls when several), with `stop_reason: 'tool_use'`. Streamed as the API does:
 * `content_block_start` of type `tool_use` with an empty input, `input_json_delta` chunks, then
 * `content_block_stop`.
 *
 * ## Example
 * ```ts
 * fake.reply({ text: 'Let me look.', toolUse: [{ name: 'read_file', input: { path: 'README.md' } }] }, { text: 'It is a README.' });
 * ```
 */
export interface ToolUseReply extends ReplyBase {
  toolUse: readonly FakeToolCall[];
  /** Text before the calls. @default none */
  text?: string;
  /** As {@link TextReply.thinking}. */
  thinking?: string;
  /** Overrides the estimated token counts. */
  usage?: Partial<FakeUsage>;
  /** @default 'tool_use' */
  stopReason?: TextReply['stopReason'];
  /** @default the request's `model` */
  model?: string;
  /** Wait this long between SSE events. @default 0 */
  chunkDelayMs?: number;
}

/** HTTP statuses the fake can answer with an error. */
export type FakeErrorStatus = 400 | 401 | 403 | 404 | 413 | 429 | 500 | 503 | 529;

/**
 * An HTTP error with the API's JSON error body.
 *
 * ## Example
 * ```ts
 * fake.reply({ status: 429, retryAfterSeconds: 2 }, { status: 529 }, { text: 'finally' });
 * ```
 */
export interface ErrorReply extends ReplyBase {
  status: FakeErrorStatus;
  /** `error.type` in the body. @default by status, see {@link defaultErrorType} */
  errorType?: string;
  /** `error.message` in the body. @default a message like the API's for that type */
  message?: string;
  /** Sets the `retry-after` header (whole seconds). */
  retryAfterSeconds?: number;
  /** Sets the `retry-after-ms` header. */
  retryAfterMs?: number;
  /**
   * Append the request's headers, unredacted (API key included), to `error.message`, as some
   * proxies and gateways do: for testing that a client never lets a key in an error body escape.
   * @default false
   */
  echoRequestHeaders?: boolean;
}

/**
 * HTTP 200 with an SSE stream that starts normally, sends `afterChunks` deltas, then an
 * `event: error` and ends: what the API does when it overloads mid-answer. On a non-streaming
 * request it becomes the matching HTTP error (529 for `overloaded_error`, 500 for `api_error`).
 *
 * ## Example
 * ```ts
 * fake.reply({ midStreamError: 'overloaded_error', afterChunks: 2, text: 'one two three' });
 * ```
 */
export interface MidStreamErrorReply extends ReplyBase {
  midStreamError: 'overloaded_error' | 'api_error';
  /** Text deltas sent before the error. @default 0 */
  afterChunks?: number;
  /** Text the deltas are cut from (split by word). @default {@link DEFAULT_REPLY_TEXT} */
  text?: string;
  /** @default 0 */
  chunkDelayMs?: number;
}

/**
 * Destroys the TCP connection after `dropConnectionAfterChunks` text deltas (a connection error
 * on the client). On a non-streaming request the connection is destroyed before any response.
 *
 * ## Example
 * ```ts
 * fake.reply({ dropConnectionAfterChunks: 1, text: 'one two three' });
 * ```
 */
export interface DropConnectionReply extends ReplyBase {
  dropConnectionAfterChunks: number;
  text: string;
  /** @default 0 */
  chunkDelayMs?: number;
}

/**
 * One scripted answer of the fake Anthropic server.
 *
 * ## Example
 * ```ts
 * const script: Reply[] = [{ status: 529 }, { text: 'ok' }];
 * fake.reply(...script);
 * ```
 */
export type Reply = TextReply | ToolUseReply | ErrorReply | MidStreamErrorReply | DropConnectionReply;

/**
 * The text of the reply used when nothing else was scripted.
 *
 * ## Example
 * ```ts
 * expect(await stream.finalText()).toBe(DEFAULT_REPLY_TEXT);
 * ```
 */
export const DEFAULT_REPLY_TEXT = 'Hello from the fake Anthropic server.';

const ERROR_TYPES: Record<FakeErrorStatus, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<string, string> = {
  invalid_request_error: 'There was an issue with the format or content of your request.',
  authentication_error: 'invalid x-api-key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'The requested resource could not be found.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'This request would exceed the rate limit for your organization.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/**
 * The API's `error.type` for an HTTP status.
 *
 * ## Example
 * ```ts
 * defaultErrorType(529); // 'overloaded_error'
 * ```
 */
export function defaultErrorType(status: FakeErrorStatus): string {
  return ERROR_TYPES[status];
}

/**
 * A message like the API's for an error type.
 *
 * ## Example
 * ```ts
 * defaultErrorMessage('overloaded_error'); // 'Overloaded'
 * ```
 */
export function defaultErrorMessage(errorType: string): string {
  return ERROR_MESSAGES[errorType] ?? errorType;
}

/**
 * Splits text into word-sized deltas that join back to the text ("Hi there" → ["Hi ", "there"]).
 *
 * ## Example
 * ```ts
 * splitWords('Hello brave world'); // ['Hello ', 'brave ', 'world']
 * ```
 */
export function splitWords(text: string): string[] {
  return text.match(/^\s+|\S+\s*/g) ?? [];
}

/**
 * Estimates tokens as the API's rule of thumb does: one token per four characters, rounded up.
 *
 * ## Example
 * ```ts
 * estimateTokens('abcde'); // 2
 * ```
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** A block or tool definition without its `cache_control` (which changes nothing the model reads). */
export const withoutCacheControl = (block: unknown): unknown => {
  if (typeof block !== 'object' || block === null || !('cache_control' in block)) return block;
  const { cache_control: _marker, ...rest } = block as Record<string, unknown>;
  return rest;
};

/** The characters one block (or tool definition) counts for: a text block its text, anything else its JSON. */
export const blockChars = (block: unknown): number =>
  typeof block === 'object' && block !== null && (block as { type?: unknown }).type === 'text' && typeof (block as { text?: unknown }).text === 'string'
    ? (block as { text: string }).text.length
    : (JSON.stringify(withoutCacheControl(block)) ?? '').length;

const contentChars = (content: unknown): number => {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return content === undefined ? 0 : (JSON.stringify(content) ?? '').length;
  return content.reduce((sum: number, block: unknown) => sum + blockChars(block), 0);
};

/**
 * Estimates the input tokens of a Messages request body: ceil(characters of tools + system +
 * every message's text / 4); text blocks count by their text, other blocks and tool definitions
 * by their JSON length (without `cache_control`).
 *
 * ## Example
 * ```ts
 * estimateInputTokens({ system: 'Be brief.', messages: [{ role: 'user', content: 'Hi!' }] }); // 3
 * ```
 */
export function estimateInputTokens(body: { system?: unknown; messages?: unknown; tools?: unknown } | undefined): number {
  if (!body) return 0;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const chars =
    tools.reduce((sum: number, tool: unknown) => sum + blockChars(tool), 0) +
    contentChars(body.system) +
    messages.reduce((sum: number, message: unknown) => sum + contentChars((message as { content?: unknown } | null)?.content), 0);
  return Math.ceil(chars / 4);
}

/**
 * Checks a reply before it is queued; returns what is wrong with it, or undefined.
 *
 * ## Example
 * ```ts
 * replyProblem({ text: 'ab', chunks: ['a'] }); // 'chunks must join to text: ...'
 * ```
 */
export function replyProblem(reply: Reply): string | undefined {
  const counts: [string, number | undefined][] = [
    ['firstByteDelayMs', reply.firstByteDelayMs],
    ['chunkDelayMs', 'chunkDelayMs' in reply ? reply.chunkDelayMs : undefined],
    ['stallAfterChunks', 'stallAfterChunks' in reply ? reply.stallAfterChunks : undefined],
    ['afterChunks', 'afterChunks' in reply ? reply.afterChunks : undefined],
    ['dropConnectionAfterChunks', 'dropConnectionAfterChunks' in reply ? reply.dropConnectionAfterChunks : undefined],
    ['retryAfterMs', 'retryAfterMs' in reply ? reply.retryAfterMs : undefined],
    ['retryAfterSeconds', 'retryAfterSeconds' in reply ? reply.retryAfterSeconds : undefined],
  ];
  for (const [field, value] of counts) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) return `${field} must be a number >= 0, got ${value}`;
  }
  if ('status' in reply && !(reply.status in ERROR_TYPES)) return `unsupported status ${String(reply.status)}`;
  if ('text' in reply && reply.text !== undefined && typeof reply.text !== 'string') return 'text must be a string';
  if ('thinking' in reply && reply.thinking !== undefined && typeof reply.thinking !== 'string') return 'thinking must be a string';
  if ('toolUse' in reply) {
    if (!Array.isArray(reply.toolUse) || reply.toolUse.length === 0) return 'toolUse must be a non-empty array of { name, input, id? }';
    const ids = new Set<string>();
    for (const [i, call] of reply.toolUse.entries()) {
      if (typeof call?.name !== 'string' || call.name === '') return `toolUse[${i}].name must be a non-empty string`;
      if (typeof call.input !== 'object' || call.input === null || Array.isArray(call.input)) return `toolUse[${i}].input must be a JSON object`;
      if (call.id !== undefined) {
        if (typeof call.id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(call.id)) return `toolUse[${i}].id must match ^[a-zA-Z0-9_-]+$`;
        if (ids.has(call.id)) return `toolUse[${i}].id ${call.id} is used twice`;
        ids.add(call.id);
      }
    }
  }
  if ('chunks' in reply && reply.chunks && reply.chunks.join('') !== reply.text) {
    return `chunks must join to text: ${JSON.stringify(reply.chunks.join(''))} !== ${JSON.stringify(reply.text)}`;
  }
  return undefined;
}

/** Limits the fake advertises in its default `anthropic-ratelimit-*` headers. */
export const FAKE_RATE_LIMITS = { requests: 4000, inputTokens: 2_000_000, outputTokens: 400_000 } as const;

/**
 * The headers the fake sends with every Messages response unless a reply overrides them:
 * `request-id` and plausible `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-
 * {limit,remaining,reset}` (reset one minute after `now`, in RFC 3339). The remaining counts
 * only subtract this one request: the fake does not model a quota.
 *
 * ## Example
 * ```ts
 * defaultResponseHeaders({ requestId: 'req_1', requestNumber: 1, inputTokens: 10, outputTokens: 5, now: new Date() });
 * ```
 */
export function defaultResponseHeaders(info: {
  requestId: string;
  /** 1-based number of this request. */
  requestNumber: number;
  inputTokens: number;
  outputTokens: number;
  now: Date;
}): Record<string, string> {
  const reset = new Date(info.now.getTime() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const { requests, inputTokens, outputTokens } = FAKE_RATE_LIMITS;
  const limit = (name: string, max: number, used: number): [string, string][] => [
    [`anthropic-ratelimit-${name}-limit`, String(max)],
    [`anthropic-ratelimit-${name}-remaining`, String(Math.max(0, max - used))],
    [`anthropic-ratelimit-${name}-reset`, reset],
  ];
  return Object.fromEntries([
    ['request-id', info.requestId],
    ...limit('requests', requests, info.requestNumber),
    ...limit('tokens', inputTokens + outputTokens, info.inputTokens + info.outputTokens),
    ...limit('input-tokens', inputTokens, info.inputTokens),
    ...limit('output-tokens', outputTokens, info.outputTokens),
  ]);
}
