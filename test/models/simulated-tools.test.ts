import { describe, expect, it } from 'vitest';
import { EMPTY, asyncScheduler, defer, expand, map, timer, switchMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  CLAUDE_PRICES,
  OptionsError,
  costUsd,
  priceOf,
  simulatedModel,
  type ChatTurn,
  type Completion,
  type CompletionRequest,
  type ContentBlock,
  type MessageContent,
  type Model,
  type SimulatedModelOptions,
  type SimulatedToolPolicy,
  type ToolDefinition,
} from 'rx-orchestra';
import { thinkingSignature } from '../../src/models/simulated/signature.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1000, p95Ms: 1000 }; // every call takes exactly 1000 ms to its first token

const readFile: ToolDefinition = {
  name: 'read_file',
  description: 'Read a file of the repository',
  inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
};
const grep: ToolDefinition = { name: 'grep', description: 'Search the repository', inputSchema: { type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] } };

/** Reads a.ts, then b.ts and greps, then answers. */
const explorer: SimulatedToolPolicy = (_request, { step }) =>
  step === 1
    ? { text: 'Let me look.', toolUse: [{ name: 'read_file', input: { path: 'a.ts' } }] }
    : step === 2
      ? { toolUse: [{ name: 'read_file', input: { path: 'b.ts' } }, { name: 'grep', input: { pattern: 'export' } }] }
      : { text: 'a.ts and b.ts export the engine.' };

const toolUses = (content: readonly ContentBlock[] | undefined) => (content ?? []).filter((block): block is Extract<ContentBlock, { type: 'tool_use' }> => block.type === 'tool_use');
const resultsFor = (completion: Completion): ContentBlock[] =>
  toolUses(completion.content).map((call) => ({ type: 'tool_result', toolUseId: call.id, content: `result of ${call.name} ${JSON.stringify(call.input)}` }));

/**
 * A tool loop as an agent runs it: call, run the tools (`toolMs` each, in parallel), send the
 * transcript and the results back, until the model ends its turn. Emits every completion.
 */
function toolLoop(model: Model, base: Omit<CompletionRequest, 'prompt' | 'history'>, prompt: MessageContent, toolMs = 10): Observable<Completion> {
  interface Step {
    history: ChatTurn[];
    prompt: MessageContent;
    completion: Completion;
  }
  return defer(() => model.complete({ ...base, prompt })).pipe(
    map((completion): Step => ({ history: [], prompt, completion })),
    expand((step) => {
      if (step.completion.stopReason !== 'tool_use') return EMPTY;
      const history: ChatTurn[] = [...step.history, { role: 'user', content: step.prompt }, { role: 'assistant', content: step.completion.content! }];
      const next = resultsFor(step.completion);
      return timer(toolMs).pipe(
        switchMap(() => model.complete({ ...base, history, prompt: next })),
        map((completion): Step => ({ history, prompt: next, completion })),
      );
    }),
    map((step) => step.completion),
  );
}

/** Runs calls to the end in virtual time and returns what each did. */
function settle<T>(calls: () => Observable<T>[]) {
  return testScheduler().run(({ flush }) => {
    const seen = calls().map((source) => {
      const call: { values: T[]; error?: unknown; at?: number } = { values: [] };
      source.subscribe({
        next: (value) => call.values.push(value),
        error: (error: unknown) => Object.assign(call, { error, at: asyncScheduler.now() }),
        complete: () => (call.at = asyncScheduler.now()),
      });
      return call;
    });
    flush();
    return seen;
  });
}
const answer = (request: CompletionRequest, options: SimulatedModelOptions = {}) => settle(() => [simulatedModel({ latency: FIXED, ...options }).complete(request)])[0]!;

describe('simulatedModel tool policy', () => {
  it('streams the text, then the tool call when its input is written, and answers tool_use blocks', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10, toolPolicy: explorer }); // a token per 100 ms
      // 'Let me look.' is 3 tokens (1000-1200 ms); the call is 7 ('read_file' 3 + '{"path":"a.ts"}' 4): written by 1900; the end at 2000.
      const call = { type: 'tool_use', id: 'toolu_sim_1', name: 'read_file', input: { path: 'a.ts' } } as const;
      expectObservable(model.stream({ prompt: 'Where is the engine?', tools: [readFile, grep] })).toBe('1000ms a 99ms b 99ms c 699ms t 99ms (z|)', {
        a: { type: 'text', text: 'Let ' },
        b: { type: 'text', text: 'me l' },
        c: { type: 'text', text: 'ook.' },
        t: { type: 'tool_use', id: 'toolu_sim_1', name: 'read_file', input: { path: 'a.ts' } },
        z: {
          type: 'completion',
          completion: expect.objectContaining({
            text: 'Let me look.',
            content: [{ type: 'text', text: 'Let me look.' }, call],
            stopReason: 'tool_use',
            latencyMs: 2000,
            usage: expect.objectContaining({ outputTokens: 10 }),
          }),
        },
      });
    });
  });

  it('runs a whole tool loop with exact frames: the policy sees each step, ids count up', () => {
    const steps: number[] = [];
    testScheduler().run(({ expectObservable }) => {
      const policy: SimulatedToolPolicy = (request, context) => (steps.push(context.step), explorer(request, context));
      const model = simulatedModel({ latency: FIXED, toolPolicy: policy });
      const loop = toolLoop(model, { tools: [readFile, grep] }, 'Where is the engine?').pipe(map((c) => [c.stopReason, toolUses(c.content).map((u) => u.id).join(' ')]));
      // each call takes 1000 ms, each round of tools 10 ms
      expectObservable(loop).toBe('1000ms a 1009ms b 1009ms (c|)', {
        a: ['tool_use', 'toolu_sim_1'],
        b: ['tool_use', 'toolu_sim_2 toolu_sim_3'],
        c: ['end_turn', ''],
      });
    });
    expect(steps).toEqual([1, 2, 3]);
  });

  it('answers text as before when no tools are offered, the policy returns undefined, or toolChoice is none', () => {
    let asked = 0;
    const policy: SimulatedToolPolicy = () => (asked++, undefined);
    expect(answer({ prompt: 'hi there', tools: [readFile] }, { toolPolicy: policy }).values[0]).toMatchObject({ text: '[sim] hi there', stopReason: 'end_turn' });
    expect(answer({ prompt: 'hi there' }, { toolPolicy: explorer }).values[0]).not.toHaveProperty('content');
    expect(answer({ prompt: 'hi there', tools: [readFile], toolChoice: 'none' }, { toolPolicy: policy }).values[0]!.text).toBe('[sim] hi there');
    expect(asked).toBe(1);
  });

  it('honours a forced toolChoice, with input sampled from the schema when the policy does not call the tool', () => {
    const forced = answer({ prompt: 'Read something', tools: [readFile, grep], toolChoice: { name: 'grep' } }).values[0]!;
    expect(forced).toMatchObject({ text: '', stopReason: 'tool_use', content: [{ type: 'tool_use', name: 'grep', input: { pattern: expect.any(String) } }] });
    const any = answer({ prompt: 'Read something', tools: [readFile, grep], toolChoice: 'any' }, { toolPolicy: explorer }).values[0]!;
    expect(toolUses(any.content).map((u) => u.name)).toEqual(['read_file']);
    expect(any.text).toBe(''); // the API prefills a forced turn: no text before the call
  });

  it('cuts the answer to maxTokens: a tool call that does not fit is dropped, the stop reason is max_tokens', () => {
    const cut = answer({ prompt: 'Where?', tools: [readFile], maxTokens: 5 }, { toolPolicy: explorer }).values[0]!;
    expect(cut).toMatchObject({ text: 'Let me look.', stopReason: 'max_tokens', usage: { outputTokens: 3 } });
    expect(toolUses(cut.content)).toEqual([]);
  });

  it('gives the policy a random source from the seed, and does not move the latencies', () => {
    const picks = (seed: number) =>
      settle(() => {
        const model = simulatedModel({ seed, toolPolicy: (_r, { random }) => ({ text: String(Math.floor(random() * 1000)) }) });
        return [0, 1, 2].map(() => model.complete({ prompt: 'pick', tools: [readFile] }));
      }).map((call) => (call.values[0] as Completion).text);
    expect(picks(3)).toEqual(picks(3));
    expect(picks(3)).not.toEqual(picks(4));
    const latencies = (options: SimulatedModelOptions, request: CompletionRequest) =>
      settle(() => {
        const model = simulatedModel({ seed: 5, ...options });
        return [0, 1, 2].map(() => model.complete(request));
      }).map((call) => call.at);
    expect(latencies({ toolPolicy: explorer }, { prompt: 'x', tools: [readFile] })).toEqual(latencies({}, { prompt: 'x' }));
  });

  it('fails the call with an OptionsError naming toolPolicy when the policy answers something malformed', () => {
    const bad = [() => 42, () => ({ toolUse: 'read_file' }), () => ({ toolUse: [{ name: 'read_file', input: 'a.ts' }] }), () => ({})] as unknown as SimulatedToolPolicy[];
    for (const toolPolicy of bad) {
      const { error } = answer({ prompt: 'x', tools: [readFile] }, { toolPolicy });
      expect(error).toBeInstanceOf(OptionsError);
      expect(error).toMatchObject({ field: 'toolPolicy' });
    }
    expect(() => simulatedModel({ toolPolicy: 'explore' as unknown as SimulatedToolPolicy })).toThrow(OptionsError);
  });
});

describe('simulatedModel extended thinking', () => {
  const thinking = { budgetTokens: 1024 };

  it('streams thinking before the text, signs the block and counts its tokens as output', () => {
    testScheduler().run(({ expectObservable }) => {
      const text = '[sim thinking] hi there'; // 6 tokens, then '[sim] hi there': 4 tokens
      expectObservable(simulatedModel({ latency: FIXED }).stream({ prompt: 'hi there', thinking })).toBe('1000ms (htz|)', {
        h: { type: 'thinking', text },
        t: { type: 'text', text: '[sim] hi there' },
        z: {
          type: 'completion',
          completion: expect.objectContaining({
            text: '[sim] hi there',
            content: [{ type: 'thinking', thinking: text, signature: thinkingSignature(text) }, { type: 'text', text: '[sim] hi there' }],
            usage: expect.objectContaining({ outputTokens: 10 }),
            stopReason: 'end_turn',
          }),
        },
      });
    });
  });

  it('uses the policy thinking, capped at the budget, in a tool loop that passes it back', () => {
    const policy: SimulatedToolPolicy = (request, { step }) => (step === 1 ? { thinking: 'I should read a.ts first.', toolUse: [{ name: 'read_file', input: { path: 'a.ts' } }] } : { thinking: 'Done.', text: 'Found it.' });
    const [loop] = settle(() => [toolLoop(simulatedModel({ latency: FIXED, toolPolicy: policy }), { tools: [readFile], thinking, maxTokens: 4096 }, 'Where?')]);
    expect(loop!.error).toBeUndefined();
    expect(loop!.values.map((c) => c.content?.[0])).toEqual([
      { type: 'thinking', thinking: 'I should read a.ts first.', signature: thinkingSignature('I should read a.ts first.') },
      { type: 'thinking', thinking: 'Done.', signature: thinkingSignature('Done.') },
    ]);
    expect(answer({ prompt: 'x', thinking, maxTokens: 4096 }, { respond: () => 'ok' }).values[0]!.usage.outputTokens).toBe(4 + 1); // '[sim thinking] x' + 'ok'
    const long: SimulatedToolPolicy = () => ({ thinking: 'z'.repeat(4 * 3000), text: 'ok' });
    const capped = answer({ prompt: 'x', tools: [readFile], thinking, maxTokens: 4096 }, { toolPolicy: long }).values[0]!;
    expect(capped).toMatchObject({ text: 'ok', usage: { outputTokens: 1024 + 1 } });
  });

  it('without maxTokens, caps the answer at the budget plus the default cap, as the Claude adapter does', () => {
    const call = answer({ prompt: 'x', thinking: { budgetTokens: 2000 } }, { respond: () => 'y'.repeat(4 * 5000) });
    expect(call.values[0]).toMatchObject({ stopReason: 'max_tokens', usage: { outputTokens: 3024 } });
  });
});

describe('simulatedModel request checks (as the real API: BAD_REQUEST 400, not retryable, at once)', () => {
  const call = { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } } as const;
  const result = (id = 'toolu_1') => ({ type: 'tool_result', toolUseId: id, content: 'export {}' }) as const;
  const loop = (prompt: MessageContent, assistant: MessageContent = [call]): CompletionRequest => ({ tools: [readFile], history: [{ role: 'user', content: 'Where?' }, { role: 'assistant', content: assistant }], prompt });
  const think = (text: string) => ({ type: 'thinking', thinking: text, signature: thinkingSignature(text) }) as const;

  it.each<[string, CompletionRequest, string]>([
    ['a tool_result answering no tool_use of the previous turn', loop([result('toolu_1'), result('toolu_9')]), 'unexpected tool_use_id found in tool_result blocks: toolu_9'],
    ['a tool_use left without its tool_result', loop('never mind'), 'tool_use ids were found without tool_result blocks immediately after: toolu_1'],
    ['one of two tool calls unanswered', loop([result('toolu_1')], [call, { ...call, id: 'toolu_2' }]), 'without tool_result blocks immediately after: toolu_2'],
    ['text before the tool results', loop([{ type: 'text', text: 'Here:' }, result()]), 'tool_result blocks must come first'],
    ['tool blocks without tools', { ...loop([result()]), tools: undefined }, "must define 'tools'"],
    ['a tool_use id used twice', { ...loop([result()]), history: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [call] }, { role: 'user', content: [result()] }, { role: 'assistant', content: [call] }] }, 'tool_use ids must be unique'],
    ['a tool_use in a user turn', { tools: [readFile], prompt: [call] }, 'may only appear in an assistant turn'],
    ['an image in an assistant turn', { prompt: 'x', history: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [{ type: 'image', source: { type: 'url', url: 'https://e.x/a.png' } }] }] }, 'may only appear in a user turn'],
    ['an image of an unsupported type', { prompt: [{ type: 'image', source: { type: 'base64', mediaType: 'image/tiff', data: 'AA==' } }] }, "'prompt[0].source.mediaType'"],
    ['an empty text block', { prompt: [{ type: 'text', text: '' }] }, 'text content blocks must be non-empty'],
    ['an empty block list', { prompt: [] }, "'prompt' must not be empty"],
    ['tool input that is not an object', loop([result()], [{ ...call, input: 'a.ts' }]), "'history[1].content[0].input' must be an object"],
    ['a tool name the API does not take', { prompt: 'x', tools: [{ ...readFile, name: 'read.file' }] }, "'tools[0].name' must match"],
    ['two tools with one name', { prompt: 'x', tools: [readFile, readFile] }, 'tool names must be unique'],
    ['a tool schema that is not an object schema', { prompt: 'x', tools: [{ ...readFile, inputSchema: { type: 'string' } }] }, "'tools[0].inputSchema'"],
    ['toolChoice without tools', { prompt: 'x', toolChoice: 'any' }, "'toolChoice' may only be given with 'tools'"],
    ['toolChoice naming no tool', { prompt: 'x', tools: [readFile], toolChoice: { name: 'grep' } }, "'toolChoice.name' names no tool"],
    ['a thinking budget under 1024', { prompt: 'x', thinking: { budgetTokens: 1000 } }, "'thinking.budgetTokens' must be an integer >= 1024"],
    ['maxTokens not above the thinking budget', { prompt: 'x', thinking: { budgetTokens: 2048 }, maxTokens: 2048 }, "'maxTokens' (2048) must be greater than 'thinking.budgetTokens' (2048)"],
    ['a forced tool choice with thinking', { prompt: 'x', tools: [readFile], toolChoice: 'any', thinking: { budgetTokens: 1024 } }, 'thinking may not be enabled when toolChoice forces tool use'],
    ['thinking dropped from a tool loop', { ...loop([result()]), thinking: { budgetTokens: 1024 } }, 'expected thinking or redacted_thinking, but found tool_use'],
    ['a thinking block changed on its way back', { ...loop([result()], [{ ...think('Read a.ts.'), thinking: 'Read b.ts.' }, call]), thinking: { budgetTokens: 1024 } }, "invalid 'signature' in thinking block"],
    ['a cache flag that is not a boolean', { prompt: 'x', cache: 'yes' as unknown as boolean }, "'cache' must be a boolean"],
  ])('refuses %s', (_what, request, message) => {
    const refused = answer(request);
    expect(refused.error).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false, message: expect.stringContaining(message) });
    expect(refused.at).toBe(0);
  });

  it.each<[string, CompletionRequest]>([
    ['a tool loop answered in full', loop([result()])],
    ['a tool loop with its thinking passed back', { ...loop([result()], [think('Read a.ts.'), call]), thinking: { budgetTokens: 1024 }, maxTokens: 2048 }],
    ['an assistant turn with thinking but no tool call, thinking off', { prompt: 'and?', history: [{ role: 'user', content: 'a' }, { role: 'assistant', content: [think('Hm.'), { type: 'text', text: 'b' }] }] }],
    ['consecutive user turns, merged', { prompt: 'two', history: [{ role: 'user', content: 'one' }] }],
    ['images, PDFs and text documents', { prompt: [{ type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'AA==' } }, { type: 'document', source: { type: 'base64', mediaType: 'application/pdf', data: 'AA==' } }, { type: 'document', source: { type: 'text', mediaType: 'text/plain', data: 'notes' }, title: 'Notes' }, { type: 'text', text: 'Summarize.' }] }],
    ['a thinking request with a temperature (the adapter drops it)', { prompt: 'x', thinking: { budgetTokens: 1024 }, temperature: 0 }],
  ])('accepts %s', (_what, request) => {
    expect(answer(request).error).toBeUndefined();
  });
});

describe('simulatedModel input tokens with content blocks', () => {
  const inputOf = (request: CompletionRequest) => answer(request).values[0]!.usage.inputTokens;

  it('counts an image as 1,600 tokens, tool calls and results by their JSON, tools by their definitions', () => {
    expect(inputOf({ prompt: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'url', url: 'https://e.x/a.png' } }] })).toBe(4 + 1600);
    const call = { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } } as const; // 3 + 4 tokens
    const request: CompletionRequest = { tools: [readFile], history: [{ role: 'user', content: 'Where?' }, { role: 'assistant', content: [call] }], prompt: [{ type: 'tool_result', toolUseId: 'toolu_1', content: 'export {}' }] };
    const definition = Math.ceil(JSON.stringify({ name: readFile.name, description: readFile.description, input_schema: readFile.inputSchema }).length / 4);
    expect(inputOf(request)).toBe(definition + 2 + 7 + 3);
  });
});

describe('simulatedModel prompt caching', () => {
  const system = 'You explore a code base and report what you find. '.repeat(90); // 4,500 chars: 1,125 tokens
  const sonnet = priceOf('claude-sonnet-4-5', CLAUDE_PRICES);
  /** Reads a file per step for `steps - 1` steps, then answers. */
  const reader =
    (steps: number): SimulatedToolPolicy =>
    (_r, { step }) =>
      step < steps ? { text: `Step ${step}: reading.`, toolUse: [{ name: 'read_file', input: { path: `src/file-${step}.ts` } }] } : { text: 'Done.' };
  const usages = (cache: boolean, steps: number, options: SimulatedModelOptions = {}) =>
    settle(() => [toolLoop(simulatedModel({ latency: FIXED, toolPolicy: reader(steps), ...options }), { system, tools: [readFile], cache }, 'Map the engine.')])[0]!.values.map((c) => c.usage);

  it('writes the prefix at the first step, then each step reads what the previous one sent and writes only its new turns', () => {
    const [first, ...rest] = usages(true, 4);
    expect(first).toMatchObject({ inputTokens: 0, cacheReadInputTokens: 0 });
    expect(first!.cacheCreationInputTokens).toBeGreaterThan(1125);
    let previous = first!;
    for (const usage of rest) {
      expect(usage.inputTokens).toBe(0);
      expect(usage.cacheReadInputTokens).toBe(previous.cacheReadInputTokens! + previous.cacheCreationInputTokens!);
      expect(usage.cacheCreationInputTokens).toBeGreaterThan(0);
      expect(usage.cacheCreationInputTokens).toBeLessThan(40); // the assistant turn and the tool result
      previous = usage;
    }
    // the same input in all, cached or not
    const plain = usages(false, 4);
    expect(plain.map((u) => u.inputTokens)).toEqual([first!, ...rest].map((u) => u.inputTokens + u.cacheCreationInputTokens! + u.cacheReadInputTokens!));
    expect(plain.every((u) => u.cacheCreationInputTokens === 0 && u.cacheReadInputTokens === 0)).toBe(true);
  });

  it('makes a 10-step loop cost much less at Sonnet prices (the cache_savings bench)', () => {
    const cost = (cache: boolean) => usages(cache, 10).reduce((sum, usage) => sum + costUsd(usage, sonnet), 0);
    const savings = 1 - cost(true) / cost(false);
    expect(savings).toBeGreaterThan(0.6);
    expect(savings).toBeLessThan(0.9);
  });

  it('caches nothing below cacheMinTokens', () => {
    const short = settle(() => [toolLoop(simulatedModel({ latency: FIXED, toolPolicy: reader(2) }), { system: 'Be brief.', tools: [readFile], cache: true }, 'Map it.')])[0]!.values;
    expect(short.map((c) => [c.usage.cacheCreationInputTokens, c.usage.cacheReadInputTokens])).toEqual([[0, 0], [0, 0]]);
    const small = settle(() => [toolLoop(simulatedModel({ latency: FIXED, toolPolicy: reader(2), cacheMinTokens: 0 }), { system: 'Be brief.', tools: [readFile], cache: true }, 'Map it.')])[0]!.values;
    expect(small[1]!.usage.cacheReadInputTokens).toBeGreaterThan(0);
    expect(() => simulatedModel({ cacheMinTokens: -1 })).toThrow(OptionsError);
  });

  it('keeps a prefix 5 minutes after its last use, in scheduler time, per model id', () => {
    const request: CompletionRequest = { system, prompt: 'Map the engine.', cache: true };
    const at = (model: Model, ms: number, r = request) => timer(ms).pipe(switchMap(() => model.complete(r)));
    const read = (calls: { values: Completion[] }[]) => calls.map((call) => call.values[0]!.usage.cacheReadInputTokens);
    const total = 1125 + 4; // the system prompt and 'Map the engine.'
    // written when the first call ends, at 1000: alive until 301,000
    expect(read(settle(() => { const m = simulatedModel({ latency: FIXED }); return [at(m, 0), at(m, 300_999)]; }))).toEqual([0, total]);
    expect(read(settle(() => { const m = simulatedModel({ latency: FIXED }); return [at(m, 0), at(m, 301_000)]; }))).toEqual([0, 0]);
    // a read refreshes it: read at 200,000 (ends 201,000), so still there at 450,000
    expect(read(settle(() => { const m = simulatedModel({ latency: FIXED }); return [at(m, 0), at(m, 200_000), at(m, 450_000)]; }))).toEqual([0, total, total]);
    // another model id, another cache
    expect(read(settle(() => { const m = simulatedModel({ latency: FIXED }); return [at(m, 0), at(m, 2_000, { ...request, model: 'claude-haiku-4-5' })]; }))).toEqual([0, 0]);
  });

  it('does not count cache reads against the input-token quota, as the API does not', () => {
    const request: CompletionRequest = { system, prompt: 'Map the engine.', cache: true };
    const calls = settle(() => {
      const model = simulatedModel({ latency: FIXED, quota: { inputTokensPerMinute: 1500 } });
      return [model.complete(request), timer(1_000).pipe(switchMap(() => model.complete(request)))];
    });
    expect(calls.map((call) => call.error)).toEqual([undefined, undefined]);
    const uncached = settle(() => {
      const model = simulatedModel({ latency: FIXED, quota: { inputTokensPerMinute: 1500 } });
      return [model.complete({ ...request, cache: false }), timer(1_000).pipe(switchMap(() => model.complete({ ...request, cache: false })))];
    });
    expect(uncached[1]!.error).toMatchObject({ code: 'RATE_LIMITED' });
  });
});
