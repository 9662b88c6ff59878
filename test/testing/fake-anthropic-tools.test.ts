import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeThinkingSignature } from '../../src/testing/fake-anthropic/thinking-signature.js';

// The fake's tool-use wire format and the refusals of the real Messages API, driven by the real
// `@anthropic-ai/sdk` (maxRetries: 0) over real HTTP. Assertions are about frames, bodies and
// statuses, never about time.

type Params = Anthropic.MessageCreateParamsNonStreaming;
type Block = Anthropic.ContentBlockParam;

const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

const base = { model: 'claude-sonnet-4-6', max_tokens: 2048, tools: [weatherTool] };
const ask = { role: 'user' as const, content: 'Weather in Paris?' };

let fake: FakeAnthropic;
let client: Anthropic;

beforeEach(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test', maxRetries: 0 });
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

/** The 400 the request gets, asserting its shape; returns the API's message. */
const refusal = async (params: Params): Promise<string> => {
  const before = fake.requests.length;
  const error = await rejection(client.messages.create(params));
  expect(error).toBeInstanceOf(BadRequestError);
  const bad = error as BadRequestError;
  expect(bad.status).toBe(400);
  expect(bad.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  expect(fake.requests.length).toBe(before + 1); // not retried
  return (bad.error as { error: { message: string } }).error.message;
};

/** The assistant turn of a streamed answer, as the SDK accumulated it. */
const streamed = async (params: Params) => {
  const stream = client.messages.stream(params);
  const events: Anthropic.MessageStreamEvent[] = [];
  stream.on('streamEvent', (event) => events.push(event));
  const message = await stream.finalMessage();
  return { events, message };
};

describe('tool use on the wire', () => {
  it('streams a tool call as content_block_start tool_use, input_json_delta chunks and stop_reason tool_use', async () => {
    fake.reply({ text: 'Let me check.', toolUse: [{ name: 'get_weather', input: { city: 'Paris', units: 'metric' } }] });
    const { events, message } = await streamed({ ...base, messages: [ask] });

    const starts = events.filter((e) => e.type === 'content_block_start');
    expect(starts.map((e) => e.content_block.type)).toEqual(['text', 'tool_use']);
    const toolStart = starts[1]!;
    expect(toolStart).toMatchObject({ index: 1, content_block: { type: 'tool_use', name: 'get_weather', input: {} } });
    const json = events.flatMap((e) => (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta' ? [e.delta.partial_json] : []));
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(''))).toEqual({ city: 'Paris', units: 'metric' });
    expect(events.filter((e) => e.type === 'content_block_stop').map((e) => e.index)).toEqual([0, 1]);

    const id = (toolStart.content_block as { id: string }).id;
    expect(id).toMatch(/^toolu_[a-zA-Z0-9_]+$/);
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id, name: 'get_weather', input: { city: 'Paris', units: 'metric' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('answers a non-streamed request with the same blocks, parallel calls and scripted ids', async () => {
    fake.reply({ toolUse: [{ name: 'get_weather', input: { city: 'Paris' }, id: 'toolu_a' }, { name: 'get_weather', input: { city: 'Rome' }, id: 'toolu_b' }] });
    const message = await client.messages.create({ ...base, messages: [ask] });
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
  });

  it('takes a tool loop of two steps: tool_use, then the tool_result, then the final text', async () => {
    fake.reply({ toolUse: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { text: 'Sunny, 21 °C.' });
    const first = await client.messages.create({ ...base, messages: [ask] });
    const call = first.content[0] as Anthropic.ToolUseBlock;
    const second = await client.messages.create({
      ...base,
      messages: [ask, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '21 °C, sunny' }] }],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny, 21 °C.' }]);
    expect(second.stop_reason).toBe('end_turn');
  });
});

describe('thinking on the wire', () => {
  const thinking = { type: 'enabled' as const, budget_tokens: 1024 };

  it('streams thinking as thinking_delta then signature_delta, before the text, with a signature it later verifies', async () => {
    fake.reply({ thinking: 'The user wants the weather.', toolUse: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { text: 'Sunny.' });
    const stream = client.messages.stream({ ...base, thinking, messages: [ask] });
    const thoughts: string[] = [];
    stream.on('thinking', (delta) => thoughts.push(delta));
    const events: Anthropic.MessageStreamEvent[] = [];
    stream.on('streamEvent', (event) => events.push(event));
    const message = await stream.finalMessage();

    expect(thoughts.join('')).toBe('The user wants the weather.');
    const deltas = events.flatMap((e) => (e.type === 'content_block_delta' && e.index === 0 ? [e.delta.type] : []));
    expect(deltas.at(-1)).toBe('signature_delta');
    expect(new Set(deltas.slice(0, -1))).toEqual(new Set(['thinking_delta']));
    const [block, call] = message.content as [Anthropic.ThinkingBlock, Anthropic.ToolUseBlock];
    expect(block).toEqual({ type: 'thinking', thinking: 'The user wants the weather.', signature: fakeThinkingSignature('The user wants the weather.') });
    expect(call.type).toBe('tool_use');

    // Passed back unchanged, the loop goes on.
    const next = await client.messages.create({
      ...base,
      thinking,
      messages: [ask, { role: 'assistant', content: message.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] }],
    });
    expect(next.content.map((b) => b.type)).toEqual(['thinking', 'text']);
  });

  it('thinks by default when the request enables thinking, and never when it does not', async () => {
    const withThinking = await client.messages.create({ ...base, thinking, messages: [ask] });
    expect(withThinking.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    fake.reply({ text: 'plain', thinking: 'not asked for' });
    const without = await client.messages.create({ ...base, messages: [ask] });
    expect(without.content).toEqual([{ type: 'text', text: 'plain' }]);
  });
});

describe('refusals, as the real API words them', () => {
  const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
  const callTurn = (id = 'toolu_1'): Anthropic.MessageParam => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'get_weather', input: { city: 'Paris' } }] });
  const resultTurn = (...ids: string[]): Anthropic.MessageParam => ({ role: 'user', content: ids.map((id): Block => ({ type: 'tool_result', tool_use_id: id, content: 'sunny' })) });

  it('a tool_result whose tool_use_id matches no tool_use of the previous assistant turn', async () => {
    const message = await refusal({ ...base, messages: [ask, callTurn('toolu_1'), resultTurn('toolu_1', 'toolu_2')] });
    expect(message).toBe(
      'messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    );
    // A tool_result with no assistant turn before it at all.
    expect(await refusal({ ...base, messages: [resultTurn('toolu_9')] })).toMatch(/^messages\.0\.content\.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9\./);
  });

  it('tool_use blocks not followed by a user turn carrying a tool_result for each', async () => {
    const twoCalls: Anthropic.MessageParam = {
      role: 'assistant',
      content: [
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
        { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: {} },
      ],
    };
    expect(await refusal({ ...base, messages: [ask, twoCalls, resultTurn('toolu_1')] })).toBe(
      'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_2. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    );
    expect(await refusal({ ...base, messages: [ask, callTurn(), { role: 'user', content: 'never mind' }] })).toMatch(/^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1\./);
    // Text before the tool results does not count as "immediately after".
    const late: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text: 'here:' }, { type: 'tool_result', tool_use_id: 'toolu_1', content: 'x' }] };
    expect(await refusal({ ...base, messages: [ask, callTurn(), late] })).toMatch(/^messages\.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1\./);
  });

  it('thinking blocks dropped from the assistant turn of a tool loop when thinking is enabled', async () => {
    expect(await refusal({ ...base, thinking, messages: [ask, callTurn(), resultTurn('toolu_1')] })).toBe(
      'messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking',
    );
    // Without thinking the same conversation is fine.
    await expect(client.messages.create({ ...base, messages: [ask, callTurn(), resultTurn('toolu_1')] })).resolves.toMatchObject({ type: 'message' });
  });

  it('thinking blocks altered: a signature that does not match the thinking', async () => {
    const altered: Anthropic.MessageParam = {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I changed my mind', signature: fakeThinkingSignature('The original thought') },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
      ],
    };
    expect(await refusal({ ...base, thinking, messages: [ask, altered, resultTurn('toolu_1')] })).toBe('messages.1.content.0: Invalid `signature` in `thinking` block');
    const intact: Anthropic.MessageParam = { ...altered, content: [{ type: 'thinking', thinking: 'The original thought', signature: fakeThinkingSignature('The original thought') }, (altered.content as Block[])[1]!] };
    await expect(client.messages.create({ ...base, thinking, messages: [ask, intact, resultTurn('toolu_1')] })).resolves.toMatchObject({ type: 'message' });
  });

  it('temperature other than 1, or a forced tool choice, with thinking', async () => {
    // (This SDK's types no longer list `temperature`; the API still takes it.)
    const temperature = (value: number) => ({ temperature: value }) as Record<never, never>;
    expect(await refusal({ ...base, thinking, ...temperature(0.2), messages: [ask] })).toBe(
      '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#important-considerations-when-using-extended-thinking',
    );
    await expect(client.messages.create({ ...base, thinking, ...temperature(1), messages: [ask] })).resolves.toMatchObject({ type: 'message' });
    expect(await refusal({ ...base, thinking, tool_choice: { type: 'any' }, messages: [ask] })).toBe('Thinking may not be enabled when tool_choice forces tool use.');
  });

  it('budget_tokens below 1024, or not below max_tokens', async () => {
    expect(await refusal({ ...base, thinking: { type: 'enabled', budget_tokens: 1023 }, messages: [ask] })).toBe('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
    expect(await refusal({ ...base, max_tokens: 1024, thinking, messages: [ask] })).toBe(
      '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
    );
  });

  it('more than 4 cache_control breakpoints', async () => {
    const cc = { type: 'ephemeral' as const };
    const message = await refusal({
      ...base,
      tools: [{ ...weatherTool, cache_control: cc }],
      system: [{ type: 'text', text: 'Be brief.', cache_control: cc }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a', cache_control: cc }, { type: 'text', text: 'b', cache_control: cc }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'c', cache_control: cc }] },
      ],
    });
    expect(message).toBe('A maximum of 4 blocks with cache_control may be provided. Found 5.');
  });

  it('tool names that do not match ^[a-zA-Z0-9_-]{1,128}$, and duplicate names', async () => {
    expect(await refusal({ ...base, tools: [weatherTool, { ...weatherTool, name: 'files.read' }], messages: [ask] })).toBe("tools.1.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
    expect(await refusal({ ...base, tools: [{ ...weatherTool, name: 'x'.repeat(129) }], messages: [ask] })).toMatch(/^tools\.0\.custom\.name: /);
    expect(await refusal({ ...base, tools: [weatherTool, weatherTool], messages: [ask] })).toBe('tools: Tool names must be unique.');
  });

  it('a refused request leaves its scripted reply for the next request', async () => {
    fake.reply({ text: 'kept' });
    await refusal({ ...base, messages: [resultTurn('toolu_9')] });
    const message = await client.messages.create({ ...base, messages: [ask] });
    expect(message.content).toEqual([{ type: 'text', text: 'kept' }]);
  });
});

describe('prompt caching', () => {
  const cc = { type: 'ephemeral' as const };
  const longSystem = 'You are a careful assistant. '.repeat(200); // 5,800 chars: 1,450 tokens, above the 1,024 minimum
  const cachedSystem = [{ type: 'text' as const, text: longSystem, cache_control: cc }];

  const usageOf = async (params: Params) => (await client.messages.create(params)).usage;

  it('writes a prefix on first sight and reads it when a later request repeats it', async () => {
    const params: Params = { ...base, system: cachedSystem, messages: [ask] };
    const first = await usageOf(params);
    expect(first.cache_creation_input_tokens).toBeGreaterThanOrEqual(1024);
    expect(first.cache_read_input_tokens).toBe(0);
    const second = await usageOf(params);
    expect(second.cache_read_input_tokens).toBe(first.cache_creation_input_tokens);
    expect(second.cache_creation_input_tokens).toBe(0);
    expect(second.input_tokens).toBe(first.input_tokens); // what follows the breakpoint is billed as usual
  });

  it('in a growing conversation, reads the earlier prefix and writes only what was added', async () => {
    const turn1: Anthropic.MessageParam = { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?', cache_control: cc }] };
    const first = await usageOf({ ...base, system: longSystem, messages: [turn1] });
    const breakpoint1 = first.cache_creation_input_tokens!;
    expect(breakpoint1).toBeGreaterThan(0);
    const second = await usageOf({
      ...base,
      system: longSystem,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: 'It is sunny in Paris today, 21 degrees.' },
        { role: 'user', content: [{ type: 'text', text: 'And in Rome?', cache_control: cc }] },
      ],
    });
    expect(second.cache_read_input_tokens).toBe(breakpoint1); // found by looking back from the new breakpoint
    expect(second.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(second.cache_creation_input_tokens!).toBeLessThan(30);
  });

  it('changing anything before the breakpoint misses; a prefix below the minimum is never cached; no cache_control, no cache', async () => {
    await usageOf({ ...base, system: cachedSystem, messages: [ask] });
    const otherTools = await usageOf({ ...base, tools: [{ ...weatherTool, description: 'changed' }], system: cachedSystem, messages: [ask] });
    expect(otherTools.cache_read_input_tokens).toBe(0);
    const short = await usageOf({ ...base, system: [{ type: 'text', text: 'Short.', cache_control: cc }], messages: [ask] });
    const shortAgain = await usageOf({ ...base, system: [{ type: 'text', text: 'Short.', cache_control: cc }], messages: [ask] });
    expect([short.cache_creation_input_tokens, shortAgain.cache_read_input_tokens]).toEqual([0, 0]);
    const plain = await usageOf({ ...base, system: longSystem, messages: [ask] });
    expect([plain.cache_creation_input_tokens, plain.cache_read_input_tokens]).toEqual([0, 0]);
  });
});
