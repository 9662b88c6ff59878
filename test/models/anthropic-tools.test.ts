/**
 * The Claude adapter's content blocks, tools, thinking and prompt caching, for real: the official
 * SDK over HTTP against the fake Messages API, which refuses what the real API refuses.
 * Real time, so assertions are about order, bodies and counts, never wall-clock durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { anthropicModel, isModelCallError, type Completion, type Model, type ModelEvent } from 'rx-orchestra';
import { retryWithBackoff } from 'rx-orchestra/operators';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import type { ChatTurn, CompletionRequest, ContentBlock, ToolDefinition } from '../../src/models/model.js';
import { fakeThinkingSignature } from '../../src/testing/fake-anthropic/thinking-signature.js';

let server: FakeAnthropic;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  claude = anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
});
afterEach(() => server.close());

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const clock: ToolDefinition = { name: 'get_time', description: 'The time in a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } };

const events = (request: CompletionRequest, model = claude): Promise<ModelEvent[]> => lastValueFrom(model.stream(request).pipe(toArray()));
const completionOf = (all: ModelEvent[]): Completion => (all.at(-1) as Extract<ModelEvent, { type: 'completion' }>).completion;
const bodyOf = (i: number) => server.requests[i]!.body as Record<string, unknown>;

/** The error a call fails with, behind the retry operator (which would retry a retryable one). */
const failure = async (request: CompletionRequest): Promise<unknown> => {
  try {
    await lastValueFrom(claude.stream(request).pipe(retryWithBackoff({ count: 3, initialDelay: 1, jitter: 0 })));
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

/** Asserts a 400 BAD_REQUEST that no layer retried, and returns its message. */
const badRequest = async (request: CompletionRequest): Promise<string> => {
  const before = server.requests.length;
  const error = await failure(request);
  expect(isModelCallError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false });
  expect(server.requests.length).toBe(before + 1);
  return (error as Error).message;
};

describe('requests: content blocks, tools, tool choice and thinking in the API shape', () => {
  it('maps every kind of block of the history and the prompt to snake_case content blocks', async () => {
    const history: ChatTurn[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look at these.' },
          { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', source: { type: 'base64', mediaType: 'application/pdf', data: 'JVBERi0=' }, title: 'Spec' },
          { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          { type: 'document', source: { type: 'text', mediaType: 'text/plain', data: 'plain notes' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Two lookups.', signature: fakeThinkingSignature('Two lookups.') },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: { city: 'Paris' } },
        ],
      },
    ];
    const prompt: ContentBlock[] = [
      { type: 'tool_result', toolUseId: 'toolu_1', content: 'sunny' },
      { type: 'tool_result', toolUseId: 'toolu_2', content: [{ type: 'text', text: 'clock broke' }], isError: true },
    ];
    await events({ history, prompt, tools: [weather, clock], toolChoice: { name: 'get_weather' } });

    const body = bodyOf(0);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Look at these.' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'Spec' },
          { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain notes' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Two lookups.', signature: fakeThinkingSignature('Two lookups.') },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: { city: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'clock broke' }], is_error: true },
        ],
      },
    ]);
    expect(body.tools).toEqual([
      { name: 'get_weather', description: 'The weather in a city', input_schema: weather.inputSchema },
      { name: 'get_time', description: 'The time in a city', input_schema: clock.inputSchema },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('maps the other tool choices, and sends none when the request sets none', async () => {
    for (const toolChoice of ['auto', 'any', 'none'] as const) await events({ prompt: 'hi', tools: [weather], toolChoice });
    await events({ prompt: 'hi', tools: [weather] });
    expect(server.requests.map((r) => r.body?.tool_choice)).toEqual([{ type: 'auto' }, { type: 'any' }, { type: 'none' }, undefined]);
  });

  it('sends thinking as { type: enabled, budget_tokens }, leaves temperature out, and keeps max_tokens above the budget', async () => {
    await events({ prompt: 'hi', thinking: { budgetTokens: 2048 }, temperature: 0.2 });
    await events({ prompt: 'hi', thinking: { budgetTokens: 2048 }, maxTokens: 8000 });
    expect(bodyOf(0)).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 2048 }, max_tokens: 2048 + 1024 });
    expect(bodyOf(0)).not.toHaveProperty('temperature');
    expect(bodyOf(1)).toMatchObject({ max_tokens: 8000 });
  });

  it('keeps structured output working together with tools', async () => {
    server.reply({ text: '{"city":"Paris"}' });
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const all = await events({ prompt: 'Which city?', tools: [weather], jsonSchema: schema });
    expect(completionOf(all).text).toBe('{"city":"Paris"}');
    expect(bodyOf(0)).toMatchObject({ tools: [{ name: 'get_weather' }], output_config: { format: { type: 'json_schema', schema: { ...schema, additionalProperties: false } } } });
  });
});

describe('answers: streamed tool calls and thinking', () => {
  it('emits text, then a tool_use event once each call is complete, liveness for every other SSE event, and the blocks in order', async () => {
    server.reply({ text: 'Let me check.', toolUse: [{ name: 'get_weather', input: { city: 'Paris', days: [1, 2] }, id: 'toolu_a' }, { name: 'get_time', input: {}, id: 'toolu_b' }] });
    const all = await events({ prompt: 'Weather and time in Paris?', tools: [weather, clock] });

    // Text deltas that arrive in one burst of I/O come as one text event (src/models/anthropic/delta-burst.ts): one 'text' here for each run of them.
    const kinds = all.map((e) => (e.type === 'liveness' ? `~${e.event}` : e.type)).filter((k, i, list) => k !== 'text' || list[i - 1] !== 'text');
    expect(all.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('')).toBe('Let me check.');
    expect(kinds.filter((k) => !k.startsWith('~content_block_delta'))).toEqual([
      '~message_start',
      '~content_block_start', // (the SDK swallows the ping that follows)
      'text',
      '~content_block_stop',
      '~content_block_start',
      '~content_block_stop',
      'tool_use',
      '~content_block_start',
      '~content_block_stop',
      'tool_use',
      '~message_delta',
      '~message_stop',
      'completion',
    ]);
    expect(kinds.filter((k) => k === '~content_block_delta').length).toBeGreaterThan(2); // input_json_delta chunks
    expect(all.filter((e) => e.type === 'tool_use')).toEqual([
      { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris', days: [1, 2] } },
      { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} },
    ]);
    const completion = completionOf(all);
    expect(completion).toMatchObject({ text: 'Let me check.', stopReason: 'tool_use' });
    expect(completion.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris', days: [1, 2] } },
      { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} },
    ]);
  });

  it('leaves content out of a text-only answer (one text block)', async () => {
    server.reply({ text: 'Just text.' });
    const completion = completionOf(await events({ prompt: 'hi' }));
    expect(completion.text).toBe('Just text.');
    expect(completion).not.toHaveProperty('content');
  });

  it('runs a tool loop of two steps by hand: call, tool_use, tool_result, final text', async () => {
    server.reply({ toolUse: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { text: 'Sunny, 21 °C.' });
    const step1 = completionOf(await events({ prompt: 'Weather in Paris?', tools: [weather] }));
    expect(step1.stopReason).toBe('tool_use');
    const call = step1.content!.find((b) => b.type === 'tool_use')!;
    const step2 = completionOf(
      await events({
        history: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: step1.content! },
        ],
        prompt: [{ type: 'tool_result', toolUseId: call.id, content: '21 °C, sunny' }],
        tools: [weather],
      }),
    );
    expect(step2).toMatchObject({ text: 'Sunny, 21 °C.', stopReason: 'end_turn' });
    expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it('streams thinking as its own events, never in the text, and its signed block passes back in the loop', async () => {
    server.reply({ thinking: 'Paris means Europe/Paris.', toolUse: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { thinking: 'Done.', text: 'Sunny.' });
    const thinking = { budgetTokens: 1024 };
    const all = await events({ prompt: 'Weather in Paris?', tools: [weather], thinking });
    expect(all.filter((e) => e.type === 'thinking').map((e) => (e as { text: string }).text).join('')).toBe('Paris means Europe/Paris.');
    expect(all.some((e) => e.type === 'text')).toBe(false);
    const step1 = completionOf(all);
    expect(step1.text).toBe('');
    expect(step1.content).toEqual([
      { type: 'thinking', thinking: 'Paris means Europe/Paris.', signature: fakeThinkingSignature('Paris means Europe/Paris.') },
      { type: 'tool_use', id: expect.any(String), name: 'get_weather', input: { city: 'Paris' } },
    ]);
    const call = step1.content![1] as Extract<ContentBlock, { type: 'tool_use' }>;
    const step2 = completionOf(
      await events({
        history: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: step1.content! },
        ],
        prompt: [{ type: 'tool_result', toolUseId: call.id, content: 'sunny' }],
        tools: [weather],
        thinking,
      }),
    );
    expect(step2.text).toBe('Sunny.');
    expect(step2.content?.map((b) => b.type)).toEqual(['thinking', 'text']);
  });
});

describe('refusals: a 400 ModelCallError BAD_REQUEST, never retried', () => {
  const callTurn: ChatTurn = { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] };
  const ask: ChatTurn = { role: 'user', content: 'Weather in Paris?' };
  const result = (id: string): ContentBlock[] => [{ type: 'tool_result', toolUseId: id, content: 'sunny' }];

  it('a tool_result for a tool_use the previous assistant turn did not make', async () => {
    const prompt = [...result('toolu_1'), ...result('toolu_9')];
    expect(await badRequest({ history: [ask, callTurn], prompt, tools: [weather] })).toMatch(/unexpected `tool_use_id` found in `tool_result` blocks: toolu_9/);
  });

  it('a tool call left without its result', async () => {
    expect(await badRequest({ history: [ask, callTurn], prompt: 'and then?', tools: [weather] })).toMatch(/`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1/);
  });

  it('thinking dropped from, or altered in, the assistant turn of a tool loop', async () => {
    const thinking = { budgetTokens: 1024 };
    expect(await badRequest({ history: [ask, callTurn], prompt: result('toolu_1'), tools: [weather], thinking })).toMatch(/Expected `thinking` or `redacted_thinking`, but found `tool_use`/);
    const altered: ChatTurn = { role: 'assistant', content: [{ type: 'thinking', thinking: 'edited', signature: fakeThinkingSignature('original') }, ...(callTurn.content as ContentBlock[])] };
    expect(await badRequest({ history: [ask, altered], prompt: result('toolu_1'), tools: [weather], thinking })).toMatch(/Invalid `signature` in `thinking` block/);
  });

  it('a thinking budget below 1024 or not below maxTokens, and a forced tool choice with thinking', async () => {
    expect(await badRequest({ prompt: 'hi', thinking: { budgetTokens: 500 } })).toMatch(/budget_tokens: Input should be greater than or equal to 1024/);
    expect(await badRequest({ prompt: 'hi', thinking: { budgetTokens: 2048 }, maxTokens: 2048 })).toMatch(/`max_tokens` must be greater than `thinking.budget_tokens`/);
    expect(await badRequest({ prompt: 'hi', thinking: { budgetTokens: 1024 }, tools: [weather], toolChoice: 'any' })).toMatch(/tool_choice forces tool use/);
  });

  it('a tool name the API does not take', async () => {
    expect(await badRequest({ prompt: 'hi', tools: [{ ...weather, name: 'weather.get' }] })).toMatch(/tools\.0\.custom\.name: String should match pattern/);
  });
});

describe('prompt caching', () => {
  const system = 'You are a weather assistant who answers in one sentence. '.repeat(100); // 5,700 chars
  const ephemeral = { type: 'ephemeral' };

  it('puts breakpoints on the last tool, the system prompt and the last block of the final user turn', async () => {
    await events({ prompt: 'Weather in Paris?', system, tools: [clock, weather], cache: true });
    const body = bodyOf(0);
    expect(body.tools).toEqual([
      { name: 'get_time', description: clock.description, input_schema: clock.inputSchema },
      { name: 'get_weather', description: weather.description, input_schema: weather.inputSchema, cache_control: ephemeral },
    ]);
    expect(body.system).toEqual([{ type: 'text', text: system, cache_control: ephemeral }]);
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?', cache_control: ephemeral }] }]);
  });

  it('in a tool loop, also marks the previous user turn (at most 4 breakpoints), writes the prefix once and reads it on the next step', async () => {
    server.reply({ toolUse: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { toolUse: [{ name: 'get_weather', input: { city: 'Rome' } }] }, { text: 'Both sunny.' });
    const request = { system, tools: [weather], cache: true } as const;
    const history: ChatTurn[] = [];
    let prompt: CompletionRequest['prompt'] = 'Weather in Paris and Rome?';
    const usages: Completion['usage'][] = [];
    for (let step = 0; step < 3; step++) {
      const completion = completionOf(await events({ ...request, history: [...history], prompt }));
      usages.push(completion.usage);
      const call = completion.content?.find((b) => b.type === 'tool_use');
      if (!call) break;
      history.push({ role: 'user', content: prompt }, { role: 'assistant', content: completion.content! });
      prompt = [{ type: 'tool_result', toolUseId: call.id, content: 'sunny' }];
    }
    expect(usages).toHaveLength(3);
    // Step 1 writes tools + system + the question; every later step reads the previous step's prefix and writes only its new turns.
    expect(usages[0]).toMatchObject({ cacheReadInputTokens: 0 });
    expect(usages[0]!.cacheCreationInputTokens).toBeGreaterThan(1024);
    for (const i of [1, 2]) {
      expect(usages[i]!.cacheReadInputTokens).toBe(usages[i - 1]!.cacheReadInputTokens! + usages[i - 1]!.cacheCreationInputTokens!);
      expect(usages[i]!.cacheCreationInputTokens).toBeGreaterThan(0);
      expect(usages[i]!.cacheCreationInputTokens).toBeLessThan(100);
    }
    const last = bodyOf(2);
    const marked = (last.messages as { content: string | { cache_control?: unknown }[] }[]).map((m) => (typeof m.content === 'string' ? 'text' : m.content.map((b) => Boolean(b.cache_control))));
    expect(marked).toEqual(['text', [false], [true], [false], [true]]); // the previous user turn and the final one
  });

  it('sends no breakpoints without cache: true', async () => {
    await events({ prompt: 'hi', system: 'Be brief.', tools: [weather] });
    expect(bodyOf(0)).toMatchObject({ system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
    expect(JSON.stringify(bodyOf(0))).not.toContain('cache_control');
  });
});
