import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ContentTooLargeError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
} from '@anthropic-ai/sdk';
import { startFakeAnthropic, type FakeAnthropic, type FakeErrorStatus } from 'rx-orchestra/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Real HTTP against a real SDK: each test drives `@anthropic-ai/sdk` (maxRetries: 0) against the
// fake and asserts what would break if the wire format were wrong. Delays are tens of ms and
// assertions are about order, never about wall-clock durations.

const params = {
  model: 'claude-haiku-4-5',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hello there, model' }], // 18 chars -> 5 input tokens
};

let fake: FakeAnthropic;
let client: Anthropic;

beforeEach(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'sk-ant-secret-value', maxRetries: 0 });
});

afterEach(async () => {
  await fake.close();
});

/** Runs `promise` to its rejection and returns the error. */
const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('streamed text', () => {
  it('yields the deltas in order and a final message with text, all four usage fields and stop_reason', async () => {
    fake.reply({
      text: 'Hello, streaming world',
      chunks: ['Hel', 'lo, ', 'streaming', ' world'],
      usage: { input_tokens: 11, output_tokens: 7, cache_creation_input_tokens: 3, cache_read_input_tokens: 20 },
      stopReason: 'max_tokens',
      model: 'claude-opus-4-5',
    });
    const stream = client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    expect(deltas).toEqual(['Hel', 'lo, ', 'streaming', ' world']);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello, streaming world' }]);
    expect(message.usage).toMatchObject({
      input_tokens: 11,
      output_tokens: 7,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 20,
    });
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.model).toBe('claude-opus-4-5');
    expect(message.id).toMatch(/^msg_/);
    expect(fake.requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages', body: { stream: true, model: 'claude-haiku-4-5' } });
  });

  it('splits by word and estimates tokens at four characters each by default', async () => {
    fake.reply({ text: 'Hello brave new world' }); // 21 chars -> 6 output tokens
    const stream = client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();

    expect(deltas).toEqual(['Hello ', 'brave ', 'new ', 'world']);
    expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 6, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    expect(message.stop_reason).toBe('end_turn');
    expect(message.model).toBe('claude-haiku-4-5');
  });

  it('carries the request-id and rate-limit headers on the stream response, with overrides', async () => {
    fake.reply({ text: 'hi', headers: { 'Anthropic-Ratelimit-Requests-Remaining': '0', 'x-extra': 'yes' } });
    const stream = client.messages.stream(params);
    const { response } = await stream.withResponse();
    await stream.done();

    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(stream.request_id).toBe(response.headers.get('request-id'));
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(response.headers.get('x-extra')).toBe('yes');
    expect(response.headers.get('anthropic-ratelimit-output-tokens-limit')).toMatch(/^\d+$/);
  });
});

describe('non-streamed text', () => {
  it('answers messages.create with a JSON message and rate-limit headers readable via withResponse()', async () => {
    fake.reply({ text: 'A plain answer', usage: { cache_creation_input_tokens: 4 } });
    const { data, response } = await client.messages.create(params).withResponse();

    expect(data).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-haiku-4-5',
      content: [{ type: 'text', text: 'A plain answer' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 5, output_tokens: 4, cache_creation_input_tokens: 4, cache_read_input_tokens: 0 },
    });
    for (const name of ['requests', 'input-tokens', 'output-tokens']) {
      expect(Number(response.headers.get(`anthropic-ratelimit-${name}-limit`))).toBeGreaterThan(0);
      expect(Number(response.headers.get(`anthropic-ratelimit-${name}-remaining`))).toBeGreaterThanOrEqual(0);
      const reset = response.headers.get(`anthropic-ratelimit-${name}-reset`) ?? '';
      expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/); // RFC 3339
      expect(Number.isNaN(new Date(reset).getTime())).toBe(false);
    }
    expect(fake.requests[0]?.body?.stream).toBeUndefined();
  });

  it('falls back to respond(), then to the default text, once the queue is empty', async () => {
    await fake.close();
    fake = await startFakeAnthropic({
      respond: (request) =>
        request.body?.max_tokens === 1 ? undefined : { text: `echo ${String((request.body?.messages?.[0] as { content: string }).content)}` },
    });
    client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    fake.reply({ text: 'scripted' });
    expect(fake.queued).toBe(1);

    const texts = [];
    for (const maxTokens of [64, 64, 1]) {
      const message = await client.messages.create({ ...params, max_tokens: maxTokens });
      texts.push(message.content[0]?.type === 'text' ? message.content[0].text : '');
    }
    expect(texts).toEqual(['scripted', 'echo Hello there, model', 'Hello from the fake Anthropic server.']);
    expect(fake.queued).toBe(0);
  });
});

describe('HTTP errors surface as the SDK error classes', () => {
  const cases: [FakeErrorStatus, abstract new (...args: never[]) => APIError, string][] = [
    [400, BadRequestError, 'invalid_request_error'],
    [401, AuthenticationError, 'authentication_error'],
    [403, PermissionDeniedError, 'permission_error'],
    [404, NotFoundError, 'not_found_error'],
    [413, ContentTooLargeError, 'request_too_large'],
    [429, RateLimitError, 'rate_limit_error'],
    [500, InternalServerError, 'api_error'],
    [503, ServiceUnavailableError, 'api_error'],
    [529, OverloadedError, 'overloaded_error'],
  ];

  it.each(cases)('%i -> %o with the body type and retry-after headers', async (status, ErrorClass, type) => {
    fake.reply({ status, retryAfterSeconds: 2, retryAfterMs: 1500 });
    const error = await rejection(client.messages.create(params));

    expect(error).toBeInstanceOf(ErrorClass);
    const apiError = error as APIError;
    expect(apiError.status).toBe(status);
    expect(apiError.type).toBe(type);
    expect(apiError.error).toMatchObject({ type: 'error', error: { type }, request_id: expect.stringMatching(/^req_/) });
    expect(apiError.headers?.get('retry-after')).toBe('2');
    expect(apiError.headers?.get('retry-after-ms')).toBe('1500');
    expect(apiError.requestID).toMatch(/^req_/);
    if (status >= 500) expect(error).toBeInstanceOf(InternalServerError);
  });

  it('surfaces a 429 on a streamed request the same way, with a custom type and message', async () => {
    fake.reply({ status: 429, errorType: 'rate_limit_error', message: 'Slow down', retryAfterSeconds: 7 });
    const error = await rejection(client.messages.stream(params).finalMessage());

    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).apiMessage).toBe('Slow down');
    expect((error as RateLimitError).headers.get('retry-after')).toBe('7');
    expect((error as RateLimitError).headers.get('anthropic-ratelimit-requests-limit')).toMatch(/^\d+$/);
  });
});

describe('mid-stream error event', () => {
  // Shape recorded for the adapter's classifier (SDK 1.12, core/streaming.ts):
  //   an SSE `event: error` on an HTTP 200 is thrown as the base class `APIError` (not a
  //   subclass, not OverloadedError) with `status: undefined`, `type: 'overloaded_error'`,
  //   `error` = the parsed event body `{ type: 'error', error: { type: 'overloaded_error',
  //   message: 'Overloaded' } }`, `headers` = the 200 response's Headers (request-id,
  //   anthropic-ratelimit-*), and message '{"type":"error","error":{...}}' (JSON of the body).
  //   Both `messages.stream(...)` (from finalMessage()/done(), after the earlier deltas were
  //   emitted) and iterating `messages.create({ stream: true })` throw that same shape.
  it('throws an APIError with status undefined and type overloaded_error after the earlier deltas', async () => {
    fake.reply({ midStreamError: 'overloaded_error', afterChunks: 2, text: 'one two three four' });
    const stream = client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const error = await rejection(stream.finalMessage());

    expect(deltas).toEqual(['one ', 'two ']);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).constructor).toBe(APIError);
    expect(error).toMatchObject({
      status: undefined,
      type: 'overloaded_error',
      error: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    expect((error as APIError).headers?.get('request-id')).toMatch(/^req_/);
    expect((error as APIError).message).toContain('overloaded_error');
  });

  it('throws the same shape from a raw create({ stream: true }) iteration, for api_error too', async () => {
    fake.reply({ midStreamError: 'api_error', afterChunks: 1, text: 'one two' });
    const types: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of await client.messages.create({ ...params, stream: true })) types.push(event.type);
      })(),
    );

    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(error).toMatchObject({ constructor: APIError, status: undefined, type: 'api_error' });
  });

  it('becomes an HTTP 529 on a non-streamed request', async () => {
    fake.reply({ midStreamError: 'overloaded_error' });
    expect(await rejection(client.messages.create(params))).toBeInstanceOf(OverloadedError);
  });
});

describe('dropped connection', () => {
  // Shape recorded for the adapter's classifier:
  //   messages.stream(): `AnthropicError` (not an APIError, no status), message 'terminated',
  //     cause TypeError('terminated') whose cause is undici's SocketError (code 'UND_ERR_SOCKET').
  //   iterating messages.create({ stream: true }): the raw TypeError('terminated') itself.
  //   before the response (non-streamed): `APIConnectionError` ('Connection error.'), cause
  //     TypeError('fetch failed').
  it('fails a stream with an AnthropicError caused by the terminated socket', async () => {
    fake.reply({ dropConnectionAfterChunks: 1, text: 'one two three' });
    const stream = client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const error = await rejection(stream.finalMessage());

    expect(deltas).toEqual(['one ']);
    expect(error).toBeInstanceOf(AnthropicError);
    expect(error).not.toBeInstanceOf(APIError);
    expect((error as Error).message).toBe('terminated');
    expect(((error as Error).cause as Error).cause).toMatchObject({ code: 'UND_ERR_SOCKET' });
    await fake.settled();
    expect(fake.requests[0]).toMatchObject({ connectionDropped: true, clientClosed: false, status: 200 });
  });

  it('fails a non-streamed request with an APIConnectionError', async () => {
    fake.reply({ dropConnectionAfterChunks: 0, text: 'never sent' });
    const error = await rejection(client.messages.create(params));

    expect(error).toBeInstanceOf(APIConnectionError);
    expect((error as APIConnectionError).status).toBeUndefined();
  });
});

describe('abort, slow first byte and stalls', () => {
  it('stalls after exactly stallAfterChunks deltas until the client aborts; the server sees the close', async () => {
    fake.reply({ text: 'one two three four', stallAfterChunks: 2 });
    const controller = new AbortController();
    const log: string[] = [];
    const stream = client.messages.stream(params, { signal: controller.signal });
    stream.on('text', (delta) => log.push(delta));
    const ended = rejection(stream.finalMessage());
    await new Promise<void>((resolve) => stream.on('text', () => log.length === 2 && resolve()));

    // A whole request/response on another connection completes while the stream stays stalled.
    await client.messages.create(params);
    expect(log).toEqual(['one ', 'two ']);
    expect(stream.ended).toBe(false);
    expect(fake.requests[0]?.endedAt).toBeUndefined();

    controller.abort();
    const error = await ended;
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(error).toMatchObject({ status: undefined, message: 'Request was aborted.' });
    expect(log).toEqual(['one ', 'two ']);
    await fake.settled();
    expect(fake.requests[0]).toMatchObject({ clientClosed: true, connectionDropped: false, status: 200 });
    expect(fake.requests[1]?.clientClosed).toBe(false);
  });

  it('ends a raw create({ stream: true }) iteration quietly on abort (no throw)', async () => {
    fake.reply({ text: 'one two three', stallAfterChunks: 1 });
    const controller = new AbortController();
    const raw = await client.messages.create({ ...params, stream: true }, { signal: controller.signal });
    const types: string[] = [];
    for await (const event of raw) {
      types.push(event.type);
      if (event.type === 'content_block_delta') controller.abort();
    }
    expect(types).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    await fake.settled();
    expect(fake.requests[0]?.clientClosed).toBe(true);
  });

  it('holds the response headers for firstByteDelayMs: a later fast request finishes first', async () => {
    fake.reply({ text: 'slow', firstByteDelayMs: 100 }, { text: 'fast' });
    const order: string[] = [];
    const slow = client.messages.create(params).then(() => order.push('slow'));
    await new Promise<void>((resolve) => {
      const poll = () => (fake.requests.length === 1 ? resolve() : setImmediate(poll));
      poll();
    });
    const fast = client.messages.create(params).then(() => order.push('fast'));
    await Promise.all([slow, fast]);

    expect(order).toEqual(['fast', 'slow']);
    expect(fake.requests[0]!.receivedAt).toBeLessThan(fake.requests[1]!.receivedAt);
    expect(fake.requests[0]!.endedAt!).toBeGreaterThan(fake.requests[1]!.endedAt!);
  });

  it('sees the client close during the first-byte delay, and sends nothing', async () => {
    fake.reply({ text: 'never', firstByteDelayMs: 5_000 });
    const controller = new AbortController();
    const pending = rejection(client.messages.create(params, { signal: controller.signal }));
    await new Promise<void>((resolve) => {
      const poll = () => (fake.requests[0]?.body ? resolve() : setImmediate(poll));
      poll();
    });
    controller.abort();

    expect(await pending).toBeInstanceOf(APIUserAbortError);
    await fake.settled();
    expect(fake.requests[0]?.clientClosed).toBe(true);
    expect(fake.requests[0]?.status).toBeUndefined();
  });

  it('spaces SSE events by chunkDelayMs: a request sent after the first delta completes before the stream', async () => {
    fake.reply({ text: 'one two three', chunkDelayMs: 20 }, { text: 'quick' });
    const order: string[] = [];
    const stream = client.messages.stream(params);
    await new Promise<void>((resolve) => stream.once('text', () => resolve()));
    const quick = client.messages.create(params).then(() => order.push('quick'));
    const slow = stream.finalText().then((text) => order.push(text));
    await Promise.all([quick, slow]);

    expect(order).toEqual(['quick', 'one two three']);
  });
});

describe('other endpoints and records', () => {
  it('answers count_tokens with ceil(characters of system + messages / 4)', async () => {
    const count = await client.messages.countTokens({ ...params, system: 'Be brief.' }); // 9 + 18 = 27 chars
    expect(count).toEqual({ input_tokens: 7 });
    expect(fake.requests[0]?.path).toBe('/v1/messages/count_tokens');
    expect(fake.queued).toBe(0);
  });

  it('answers unknown paths with a 404 not_found_error', async () => {
    const error = await rejection(client.models.retrieve('claude-nope'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).type).toBe('not_found_error');

    const response = await fetch(`${fake.baseURL}/v1/unknown`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('never stores the API key', async () => {
    const withHeader = new Anthropic({
      baseURL: fake.baseURL,
      apiKey: 'sk-ant-secret-value',
      maxRetries: 0,
      defaultHeaders: { 'x-api-key': 'sk-ant-other-secret' },
    });
    await withHeader.messages.create(params);
    await client.messages.stream(params).done();

    expect(JSON.stringify(fake.requests)).not.toMatch(/secret/);
    expect(fake.requests[0]?.headers['x-api-key']).toBe('REDACTED');
    expect(fake.requests[1]?.headers.authorization).toBe('REDACTED'); // SDK 1.12 sends `Authorization: Bearer <apiKey>`
  });

  it('refuses a structured-output schema the real API refuses (400 invalid_request_error), keeping the scripted reply', async () => {
    fake.reply({ text: '{"name":"Ada"}' });
    const schema = (name: Record<string, unknown>) => ({ type: 'object', properties: { name }, required: ['name'], additionalProperties: false });
    const refused = await rejection(
      client.messages.create({ ...params, output_config: { format: { type: 'json_schema', schema: schema({ type: 'string', minLength: 2 }) } } }),
    );
    expect(refused).toBeInstanceOf(BadRequestError);
    expect(refused).toMatchObject({ status: 400, type: 'invalid_request_error', apiMessage: expect.stringMatching(/properties\.name: .*'minLength' is not supported/) });
    expect(fake.queued).toBe(1);
    const accepted = await client.messages.create({ ...params, output_config: { format: { type: 'json_schema', schema: schema({ type: 'string', description: '{minLength: 2}' }) } } });
    expect(accepted.content).toEqual([expect.objectContaining({ type: 'text', text: '{"name":"Ada"}' })]);
    expect(fake.requests.map((r) => r.status)).toEqual([400, 200]);
  });

  it('echoes the request headers, key included, into an error body when asked (echoRequestHeaders)', async () => {
    fake.reply({ status: 401, echoRequestHeaders: true });
    const error = await rejection(client.messages.create(params));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).apiMessage).toContain('Bearer sk-ant-secret-value');
    expect(JSON.stringify(fake.requests)).not.toMatch(/secret/);
  });

  it('rejects an invalid scripted reply, and answers an invalid respond() result with a 500', async () => {
    expect(() => fake.reply({ text: 'abc', chunks: ['ab'] })).toThrow(TypeError);
    expect(() => fake.reply({ status: 429, retryAfterMs: -1 })).toThrow(/retryAfterMs/);
    expect(fake.queued).toBe(0);

    await fake.close();
    fake = await startFakeAnthropic({ respond: () => ({ text: 'abc', chunks: ['x'] }) });
    client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
    const error = await rejection(client.messages.create(params));
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).apiMessage).toMatch(/invalid reply: chunks must join to text/);
  });
});
