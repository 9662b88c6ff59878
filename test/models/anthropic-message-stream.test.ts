/**
 * How the Claude adapter reads a streamed call (src/models/anthropic/message-stream.ts): from the
 * raw server-sent events of `messages.create({ stream: true })`, or through the SDK's
 * `MessageStream` helper when the client's spans record content. Both give the same events and
 * the same completion, and fail the same way. Real HTTP, so assertions are about values and order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anthropicModel, type Completion, type Model, type ModelEvent } from 'rx-orchestra';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';

const API_KEY = 'sk-ant-test';
let server: FakeAnthropic;

beforeEach(async () => {
  server = await startFakeAnthropic();
});
afterEach(() => server.close());

/** The adapter over a client whose spans record content (the helper's path) or not (the raw path). */
const claude = (baseURL: string, contentMode: 'content' | 'metadata_only'): Model =>
  anthropicModel({ client: new Anthropic({ apiKey: API_KEY, baseURL, openTelemetry: { traces: { contentMode } } }), model: 'claude-sonnet-4-6' });
const events = (model: Model, signal?: AbortSignal): Promise<ModelEvent[]> => lastValueFrom(model.stream({ prompt: 'hi' }, signal).pipe(toArray()));
const completionOf = (all: ModelEvent[]): Completion => (all.at(-1) as Extract<ModelEvent, { type: 'completion' }>).completion;
const failureOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => undefined, (error: unknown) => error);

describe('a streamed call, read raw or through the SDK helper', () => {
  it('gives the same events and the same completion (text, usage, stop reason, model, request id, quota)', async () => {
    const reply = { text: 'Schedulers own time.', usage: { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 100, cache_read_input_tokens: 400 }, stopReason: 'max_tokens' as const, headers: { 'request-id': 'req_same' } };
    server.reply(reply, reply);
    const raw = await events(claude(server.baseURL, 'metadata_only'));
    const helped = await events(claude(server.baseURL, 'content'));
    const shape = (all: ModelEvent[]) => all.map((e) => (e.type === 'liveness' ? `~${e.event}` : e.type)).filter((k, i, list) => k !== 'text' || list[i - 1] !== 'text');
    expect(shape(raw)).toEqual(shape(helped));
    const text = (all: ModelEvent[]) => all.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
    expect(text(raw)).toBe('Schedulers own time.');
    expect(text(helped)).toBe('Schedulers own time.');
    // Latency and quota differ from call to call (the second call finds one request fewer left).
    const { latencyMs: _raw, rateLimit: rawQuota, ...rawCompletion } = completionOf(raw);
    const { latencyMs: _helped, rateLimit: helpedQuota, ...helpedCompletion } = completionOf(helped);
    expect(rawCompletion).toEqual(helpedCompletion);
    expect(Object.keys(rawQuota ?? {})).toEqual(Object.keys(helpedQuota ?? {}));
    expect(rawCompletion).toMatchObject({
      text: 'Schedulers own time.',
      usage: { inputTokens: 1000, outputTokens: 200, cacheCreationInputTokens: 100, cacheReadInputTokens: 400 },
      stopReason: 'max_tokens',
      model: 'claude-sonnet-4-6',
      requestId: 'req_same',
    });
    expect(rawQuota).toMatchObject({ requests: { limit: expect.any(Number), remaining: expect.any(Number) } });
    // Only the helper marks its requests as sent by it.
    expect(server.requests.map((r) => r.headers['x-stainless-helper-method'])).toEqual([undefined, 'stream']);
  });

  it('fails ABORTED either way when the signal aborts mid-answer', async () => {
    for (const mode of ['metadata_only', 'content'] as const) {
      server.reply({ text: 'one two three four', chunks: ['one ', 'two ', 'three ', 'four'], chunkDelayMs: 200 });
      const controller = new AbortController();
      const model = claude(server.baseURL, mode);
      const seen: ModelEvent[] = [];
      const error = await new Promise<unknown>((resolve) =>
        model.stream({ prompt: 'hi' }, controller.signal).subscribe({
          next: (event) => {
            seen.push(event);
            if (event.type === 'text') controller.abort('user left');
          },
          error: resolve,
          complete: () => resolve(undefined),
        }),
      );
      expect(error, mode).toMatchObject({ code: 'ABORTED', retryable: false });
      expect(seen.some((e) => e.type === 'completion'), mode).toBe(false);
    }
  });
});

describe('a stream that ends before message_stop', () => {
  let cut: Server;
  let baseURL: string;
  beforeEach(async () => {
    // Message start, one text block, then the end of the body: no message_delta, no message_stop.
    const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    cut = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        sse('message_start', { message: { id: 'msg_cut', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }) +
          sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
          sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'half an ans' } }) +
          sse('content_block_stop', { index: 0 }),
      );
    });
    await new Promise<void>((resolve) => cut.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(cut.address() as AddressInfo).port}`;
  });
  afterEach(() => new Promise<void>((resolve) => cut.close(() => resolve())));

  it('fails the call with the SDK error the helper raises, after the text that came', async () => {
    for (const mode of ['metadata_only', 'content'] as const) {
      const seen: ModelEvent[] = [];
      const error = await failureOf(
        new Promise((resolve, reject) => claude(baseURL, mode).stream({ prompt: 'hi' }).subscribe({ next: (e) => seen.push(e), error: reject, complete: () => resolve(undefined) })),
      );
      expect(error, mode).toBeInstanceOf(Anthropic.AnthropicError);
      expect((error as Error).message, mode).toBe('stream ended without producing a Message with role=assistant');
      expect(seen.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join(''), mode).toBe('half an ans');
    }
  });
});
