/**
 * Claude as a node, for real: the official SDK over HTTP against our fake Messages API server.
 * Real time, so assertions are about order and counts, never wall-clock durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { z } from 'zod';
import {
  anthropicModel,
  collect,
  execute,
  graph,
  isModelCallError,
  llm,
  MissingApiKeyError,
  type Model,
  type RunEvent,
} from 'rx-orchestra';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';

const API_KEY = 'sk-ant-test-secret-do-not-log';
let server: FakeAnthropic;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  claude = anthropicModel({ apiKey: API_KEY, baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
});
afterEach(() => server.close());

const fastRetry = { count: 2, initialDelay: 5, jitter: 0 };
const runAll = (g: Parameters<typeof execute>[0], model: Model = claude) => lastValueFrom(execute(g, { model }).pipe(toArray()));

describe('Claude node: streaming, usage and cost', () => {
  it('streams the text as node.token events in order, ends with the full text, and reports usage and cost', async () => {
    server.reply({ text: 'Schedulers own time.', usage: { input_tokens: 1000, output_tokens: 200, cache_creation_input_tokens: 100, cache_read_input_tokens: 400 } });
    const g = graph()
      .node('facts', { run: llm({ prompt: () => 'Three facts about schedulers', system: 'Be brief.', maxTokens: 300, temperature: 0.2 }) })
      .build();
    const events = await runAll(g);
    // Three deltas; those that arrive in one burst of I/O come as one token (src/models/anthropic/delta-burst.ts).
    const tokens = events.filter((e) => e.type === 'node.token').map((e) => (e as { text: string }).text);
    expect(tokens.join('')).toBe('Schedulers own time.');
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'Schedulers own time.' });
    // Sonnet 4.6: $3 in, $15 out, cache write 1.25x, cache read 0.1x per MTok
    const cost = (1000 * 3 + 200 * 15 + 100 * 3.75 + 400 * 0.3) / 1e6;
    const usage = events.find((e) => e.type === 'node.usage');
    expect(usage).toMatchObject({
      model: 'claude-sonnet-4-6',
      usage: { inputTokens: 1000, outputTokens: 200, cacheCreationInputTokens: 100, cacheReadInputTokens: 400 },
      rateLimit: { requests: { limit: expect.any(Number), remaining: expect.any(Number), resetAt: expect.any(Number) } },
    });
    expect((usage as { costUsd: number }).costUsd).toBeCloseTo(cost, 12);
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'claude-sonnet-4-6', system: 'Be brief.', max_tokens: 300, temperature: 0.2, stream: true });
    expect(body.messages).toEqual([{ role: 'user', content: 'Three facts about schedulers' }]);
  });

  it('builds prompts from typed upstream outputs and adds up usage per node, per model and in total', async () => {
    server.reply({ text: 'alpha', usage: { input_tokens: 10, output_tokens: 5 } }, { text: 'beta', usage: { input_tokens: 20, output_tokens: 8 } });
    const g = graph()
      .node('research', { run: llm({ prompt: () => 'research', model: 'claude-haiku-4-5' }) })
      .node('write', { deps: ['research'], run: llm({ prompt: ({ research }) => `write about ${research}` }) })
      .build();
    const result = await collect(execute(g, { model: claude }));
    expect(result.outcomes.write).toMatchObject({ status: 'succeeded', value: 'beta' });
    expect((server.requests[1]!.body as { messages: unknown }).messages).toEqual([{ role: 'user', content: 'write about alpha' }]);
    const { usage } = result.summary;
    expect(usage.total).toMatchObject({ calls: 2, inputTokens: 30, outputTokens: 13 });
    expect(usage.byNode.research).toMatchObject({ calls: 1, inputTokens: 10, costUsd: (10 * 1 + 5 * 5) / 1e6 });
    expect(Object.keys(usage.byModel).sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6']);
    expect(usage.total.costUsd).toBeCloseTo((10 + 25 + 20 * 3 + 8 * 15) / 1e6, 12);
  });
});

describe('Claude node: cancellation and stalled streams', () => {
  it('aborts the HTTP request when the run is unsubscribed (the server sees the connection close)', async () => {
    server.reply({ text: 'never finishes', stallAfterChunks: 1 });
    const g = graph().node('slow', { run: llm({ prompt: () => 'go' }), timeout: false }).build();
    const subscription = execute(g, { model: claude }).subscribe();
    await waitFor(() => server.requests.length === 1);
    subscription.unsubscribe();
    await waitFor(() => server.requests[0]!.clientClosed);
    expect(server.requests[0]!.clientClosed).toBe(true);
  });

  it('fails a stalled stream with the idle timeout, aborts it, and retries', async () => {
    server.reply({ text: 'a b c d', stallAfterChunks: 2 }, { text: 'recovered' });
    const g = graph()
      .node('stream', { run: llm({ prompt: () => 'go', idleTimeout: 150, firstTokenTimeout: 2000 }), retry: fastRetry })
      .build();
    const events = await runAll(g);
    expect(events.find((e) => e.type === 'node.retrying')).toMatchObject({ error: { name: 'TimeoutError', code: 'TIMEOUT' } });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'recovered', attempts: 2 });
    await waitFor(() => server.requests[0]!.clientClosed);
    expect(server.requests[0]!.clientClosed).toBe(true);
  });
});

describe('Claude node: one retry layer with typed, classified errors', () => {
  it.each([
    [429, 'RATE_LIMITED', true],
    [529, 'OVERLOADED', true],
    [500, 'SERVER_ERROR', true],
    [503, 'SERVER_ERROR', true],
    [400, 'BAD_REQUEST', false],
    [401, 'AUTHENTICATION', false],
    [403, 'PERMISSION', false],
    [404, 'NOT_FOUND', false],
    [413, 'REQUEST_TOO_LARGE', false],
  ] as const)('HTTP %i becomes %s (retryable: %s), and the node retries only if retryable', async (status, code, retryable) => {
    server.reply({ status }, { text: 'ok' });
    const events = await runAll(graph().node('call', { run: llm({ prompt: () => 'hi' }), retry: fastRetry }).build());
    const retried = events.find((e) => e.type === 'node.retrying');
    if (retryable) {
      expect(retried).toMatchObject({ error: { name: 'ModelCallError', code, status, retryable: true } });
      expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ attempts: 2 });
    } else {
      expect(retried).toBeUndefined();
      expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ attempts: 1, error: { code, status, retryable: false } });
      expect(server.requests).toHaveLength(1);
    }
  });

  it('waits the retry-after the API asks for when it is longer than the backoff', async () => {
    server.reply({ status: 429, retryAfterMs: 120 }, { status: 529, retryAfterSeconds: 0 }, { text: 'ok' });
    const events = await runAll(graph().node('call', { run: llm({ prompt: () => 'hi' }), retry: fastRetry }).build());
    const retries = events.filter((e) => e.type === 'node.retrying');
    expect(retries.map((e) => [e.error.code, e.delayMs])).toEqual([
      ['RATE_LIMITED', 120], // retry-after-ms beats the 5 ms backoff
      ['OVERLOADED', 10], // retry-after: 0 is shorter than the 10 ms backoff
    ]);
    expect(retries[0]!.error.retryAfterMs).toBe(120);
  });

  it('retries an overloaded_error that arrives as an SSE error event on an HTTP 200', async () => {
    server.reply({ midStreamError: 'overloaded_error', afterChunks: 1, text: 'partial answer' }, { text: 'whole answer' });
    const events = await runAll(graph().node('call', { run: llm({ prompt: () => 'hi' }), retry: fastRetry }).build());
    expect(events.find((e) => e.type === 'node.retrying')).toMatchObject({ error: { code: 'OVERLOADED', retryable: true } });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'whole answer' });
  });

  it('retries a connection dropped mid-stream', async () => {
    server.reply({ dropConnectionAfterChunks: 1, text: 'cut off here' }, { text: 'complete' });
    const events = await runAll(graph().node('call', { run: llm({ prompt: () => 'hi' }), retry: fastRetry }).build());
    expect(events.find((e) => e.type === 'node.retrying')).toMatchObject({ error: { code: 'CONNECTION', retryable: true } });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'complete' });
  });

  it('classifies a direct call’s error as a typed ModelCallError', async () => {
    server.reply({ status: 429, retryAfterSeconds: 3 });
    const error = await lastValueFrom(claude.complete({ prompt: 'hi' })).catch((e: unknown) => e);
    expect(isModelCallError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterMs: 3000, retryable: true });
  });
});

describe('Claude node: structured output with zod', () => {
  const Outline = z.object({ title: z.string(), sections: z.array(z.string()).min(2) });

  it('asks for the JSON Schema through output_config.format and returns the validated object', async () => {
    server.reply({ text: '{"title":"RxJS","sections":["time","retries"]}' });
    const result = await collect(execute(graph().node('outline', { run: llm({ prompt: () => 'outline', schema: Outline }) }).build(), { model: claude }));
    expect(result.outcomes.outline).toMatchObject({ status: 'succeeded', value: { title: 'RxJS', sections: ['time', 'retries'] } });
    const body = server.requests[0]!.body as { output_config?: { format?: { type: string; schema: { properties: object } } } };
    expect(body.output_config?.format?.type).toBe('json_schema');
    expect(Object.keys(body.output_config!.format!.schema.properties)).toEqual(['title', 'sections']);
  });

  it('feeds the validation error back and accepts the repaired answer', async () => {
    server.reply({ text: '{"title":"RxJS","sections":["only one"]}' }, { text: '{"title":"RxJS","sections":["one","two"]}' });
    const result = await collect(execute(graph().node('outline', { run: llm({ prompt: () => 'outline', schema: Outline }) }).build(), { model: claude }));
    expect(result.outcomes.outline).toMatchObject({ status: 'succeeded', value: { sections: ['one', 'two'] } });
    const repair = server.requests[1]!.body as { messages: { role: string; content: string }[] };
    expect(repair.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(repair.messages[1]!.content).toBe('{"title":"RxJS","sections":["only one"]}');
    expect(repair.messages[2]!.content).toMatch(/sections: Too small/);
    expect(result.summary.usage.total.calls).toBe(2);
  });

  it('fails with INVALID_OUTPUT carrying the raw text after the repairs, without node retries', async () => {
    server.reply({ text: 'not json' }, { text: '{"title":1}' });
    const result = await collect(
      execute(graph().node('outline', { run: llm({ prompt: () => 'outline', schema: Outline, repairs: 1 }), retry: 3 }).build(), { model: claude }),
    );
    expect(result.outcomes.outline).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { name: 'LlmNodeError', code: 'INVALID_OUTPUT', retryable: false },
    });
    expect(server.requests).toHaveLength(2);
  });
});

describe('Claude node: bad input fails before any token is spent, naming the node', () => {
  it('an unknown model without a price, a schema zod cannot express, a prompt function that throws', async () => {
    const g = graph()
      .node('pricey', { run: llm({ prompt: () => 'x', model: 'claude-unreleased-9' }), retry: 2 })
      .node('dated', { run: llm({ prompt: () => 'x', schema: z.object({ when: z.date() }) }) })
      .node('broken', {
        run: llm({
          prompt: () => {
            throw new Error('no template');
          },
        }),
      })
      .build();
    const result = await collect(execute(g, { model: claude }));
    expect(result.outcomes.pricey).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'UNKNOWN_MODEL_PRICE' } });
    expect(result.outcomes.pricey.status === 'failed' && result.outcomes.pricey.error.message).toMatch(/node 'pricey'.*claude-unreleased-9/);
    expect(result.outcomes.dated).toMatchObject({ status: 'failed', error: { code: 'SCHEMA_UNSUPPORTED', message: expect.stringContaining("node 'dated'") } });
    expect(result.outcomes.broken).toMatchObject({ status: 'failed', error: { code: 'PROMPT_FAILED', message: expect.stringContaining('no template') } });
    expect(server.requests).toHaveLength(0);
  });

  it('a missing API key is a typed error when the Claude provider is created', () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      expect(() => anthropicModel()).toThrow(MissingApiKeyError);
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });

  it('never puts the API key into events or errors', async () => {
    server.reply({ status: 401 });
    const events: RunEvent[] = await runAll(graph().node('call', { run: llm({ prompt: () => 'hi' }) }).build());
    expect(JSON.stringify(events)).not.toContain(API_KEY);
    expect(JSON.stringify(server.requests)).not.toContain(API_KEY);
  });
});

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
