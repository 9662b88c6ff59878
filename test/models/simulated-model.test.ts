import { describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom, merge, take, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import { TestScheduler } from 'rxjs/testing';
import { isRetryable } from 'rx-orchestra/operators';
import {
  ModelAbortError,
  OptionsError,
  SimulatedModelError,
  isModelAbortError,
  isSimulatedModelError,
  logNormalLatency,
  seededRandom,
  simulatedModel,
  textOf,
  type Completion,
  type CompletionRequest,
  type ModelEvent,
} from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1000, p95Ms: 1000 }; // p95 = median: every call takes exactly 1000 ms

/** Subscribes and records what the call did, in virtual time (inside `TestScheduler.run`; read it after `flush()`). */
function record<T>(source: Observable<T>) {
  const seen: { value?: T; error?: unknown; at?: number } = {};
  source.subscribe({
    next: (value) => Object.assign(seen, { value, at: asyncScheduler.now() }),
    error: (error: unknown) => Object.assign(seen, { error, at: asyncScheduler.now() }),
  });
  return seen;
}

describe('seededRandom and logNormalLatency', () => {
  it('repeats a sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws latencies whose median and 95th percentile match the profile', () => {
    const random = seededRandom(7);
    const draws = Array.from({ length: 20_000 }, () => logNormalLatency({ medianMs: 1200, p95Ms: 2500 }, random)).sort((a, b) => a - b);
    expect(draws[10_000]! / 1200).toBeCloseTo(1, 1);
    expect(draws[19_000]! / 2500).toBeCloseTo(1, 1);
  });

  it('rejects bad settings with typed errors naming the field', () => {
    expect(() => seededRandom(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'seed' }));
    expect(() => logNormalLatency({ medianMs: 1000, p95Ms: 900 }, Math.random)).toThrow(OptionsError);
    expect(() => simulatedModel({ failureRate: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'failureRate' }));
    expect(() => simulatedModel({ latency: { medianMs: 0, p95Ms: 10 } })).toThrow(expect.objectContaining({ field: 'latency.medianMs' }));
    expect(() => simulatedModel({ outputTokensPerSecond: 0 })).toThrow(expect.objectContaining({ field: 'outputTokensPerSecond' }));
    expect(() => simulatedModel({ respond: 'hi' as never })).toThrow(expect.objectContaining({ field: 'respond' }));
    expect(() => simulatedModel({ model: '' })).toThrow(expect.objectContaining({ field: 'model' }));
  });
});

describe('simulatedModel', () => {
  it('answers after its latency, in virtual time', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED });
      const expected: Completion = {
        text: '[sim] Explain marble tests to a new colleague',
        usage: {
          inputTokens: Math.ceil('Explain marble tests to a new colleague'.length / 4) + Math.ceil('Be brief.'.length / 4),
          outputTokens: 12,
          cacheCreationInputTokens: 0,
          cacheReadInputTokens: 0,
        },
        latencyMs: 1000,
        model: 'simulated',
        stopReason: 'end_turn',
        requestId: 'req_sim_1',
      };
      expectObservable(model.complete({ prompt: 'Explain marble tests to a new colleague', system: 'Be brief.' })).toBe('1000ms (a|)', { a: expected });
    });
  });

  it('is cold: every subscription is a new call with its own latency', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 });
      const call = model.complete({ prompt: 'one two three four five six seven eight nine ten' }); // 12 output tokens
      const ends = merge(call, call).pipe(toArray());
      // each call: 1000 ms to the first token + 12 tokens at 10 tokens/s = 2200 ms, both in parallel
      expectObservable(ends).toBe('2200ms (a|)', { a: [expect.objectContaining({ latencyMs: 2200 }), expect.objectContaining({ latencyMs: 2200 })] });
    });
  });

  it('is deterministic for a seed', () => {
    const latencies = (seed: number) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed });
        const calls = Array.from({ length: 8 }, (_, i) => record(model.complete({ prompt: `question ${i}` })));
        flush();
        return calls.map((call) => [call.value?.latencyMs, call.at]);
      });
    expect(latencies(3)).toEqual(latencies(3));
    expect(latencies(3)).not.toEqual(latencies(4));
    for (const [latencyMs, at] of latencies(3)) expect(at).toBe(latencyMs);
  });

  it('injects typed, retryable OVERLOADED errors at about the requested rate', () => {
    testScheduler().run(({ flush }) => {
      const model = simulatedModel({ seed: 11, failureRate: 0.2, latency: FIXED });
      const calls = Array.from({ length: 2000 }, () => record(model.complete({ prompt: 'hi' })));
      flush();
      const failures = calls.filter((call) => call.error !== undefined);
      expect(failures.length / calls.length).toBeGreaterThan(0.17);
      expect(failures.length / calls.length).toBeLessThan(0.23);
      for (const { error, at } of failures) {
        expect(error).toBeInstanceOf(SimulatedModelError);
        expect(error).toMatchObject({ code: 'OVERLOADED', status: 529, retryable: true });
        expect(isSimulatedModelError(error) && isRetryable(error)).toBe(true);
        expect(at).toBe(250); // an overload is reported after a quarter of the latency
      }
    });
  });

  it('does not shift latencies when the failure rate changes', () => {
    const latencies = (failureRate: number) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed: 5, failureRate });
        const calls = Array.from({ length: 20 }, () => record(model.complete({ prompt: 'hi' })));
        flush();
        return calls
          .filter((call) => call.value)
          .map((call) => call.value!.latencyMs);
      });
    const all = latencies(0);
    const some = latencies(0.5);
    expect(some.length).toBeLessThan(all.length);
    expect(some.every((latency) => all.includes(latency))).toBe(true);
  });

  it('cancels the call when unsubscribed: nothing is emitted, no timer is left', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const model = simulatedModel({ latency: FIXED });
      expectObservable(model.complete({ prompt: 'hi' }), '^ 500ms !').toBe('');
      flush();
      expect(scheduler.frame).toBe(501); // the reply, due at 1000, was taken off the queue
    });
  });

  it('errors with a typed AbortError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort('user left');
    const error: unknown = await lastValueFrom(simulatedModel().complete({ prompt: 'hi' }, controller.signal)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelAbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED', retryable: false, cause: 'user left' });
    expect(isModelAbortError(error)).toBe(true);
  });

  it('errors when the signal aborts mid-call, at that moment, and stops the timer', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const controller = new AbortController();
      asyncScheduler.schedule(() => controller.abort(), 300);
      expectObservable(simulatedModel({ latency: FIXED }).complete({ prompt: 'hi' }, controller.signal)).toBe(
        '300ms #',
        undefined,
        expect.objectContaining({ name: 'AbortError', code: 'ABORTED' }),
      );
      flush();
      expect(scheduler.frame).toBe(300); // the reply, due at 1000, was taken off the queue
    });
  });

  it('answers a malformed request with a non-retryable BAD_REQUEST (400)', () => {
    testScheduler().run(({ flush }) => {
      const call = record(simulatedModel().complete({ prompt: 'hi', maxTokens: 0 }));
      flush();
      expect(call.error).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false });
      expect(call.at).toBe(0);
    });
  });
});

/** 'hi there' → '[sim] hi there': 14 characters, 4 tokens: '[sim', '] hi', ' the', 're'. */
const HI = { prompt: 'hi there' };
const completionOf = (events: ModelEvent[]) => events.find((event) => event.type === 'completion')?.completion;

/** Runs calls to the end in virtual time and returns their values (or errors). */
function settle<T>(calls: () => Observable<T>[]) {
  return testScheduler().run(({ flush }) => {
    const seen = calls().map(record);
    flush();
    return seen;
  });
}

describe('simulatedModel.stream', () => {
  it('emits the text token by token after the first-token latency, then the completion', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 }); // a token per 100 ms
      expectObservable(model.stream(HI)).toBe('1000ms a 99ms b 99ms c 99ms d 99ms (z|)', {
        a: { type: 'text', text: '[sim' },
        b: { type: 'text', text: '] hi' },
        c: { type: 'text', text: ' the' },
        d: { type: 'text', text: 're' },
        z: { type: 'completion', completion: expect.objectContaining({ text: '[sim] hi there', latencyMs: 1400, usage: expect.objectContaining({ outputTokens: 4 }) }) },
      });
    });
  });

  it('sends the whole text at the end without a generation rate', () => {
    testScheduler().run(({ expectObservable }) => {
      expectObservable(simulatedModel({ latency: FIXED }).stream(HI)).toBe('1000ms (tz|)', {
        t: { type: 'text', text: '[sim] hi there' },
        z: { type: 'completion', completion: expect.objectContaining({ latencyMs: 1000 }) },
      });
    });
  });

  it('merges tokens due in the same millisecond into one delta', () => {
    testScheduler().run(({ expectObservable }) => {
      // 2000 tokens/s: tokens at 1000, 1000.5 → 1001, 1001, 1001.5 → 1002; the end at 1002
      expectObservable(simulatedModel({ latency: FIXED, outputTokensPerSecond: 2000 }).stream(HI)).toBe('1000ms a b (cz|)', {
        a: { type: 'text', text: '[sim' },
        b: { type: 'text', text: '] hi the' },
        c: { type: 'text', text: 're' },
        z: { type: 'completion', completion: expect.objectContaining({ latencyMs: 1002 }) },
      });
    });
  });

  it('gives complete() the same completion at the same time, without the deltas', () => {
    testScheduler().run(({ flush }) => {
      const request = { prompt: 'compare stream and complete on the same seed' };
      const streamed = record(simulatedModel({ seed: 9, outputTokensPerSecond: 50 }).stream(request).pipe(toArray()));
      const completed = record(simulatedModel({ seed: 9, outputTokensPerSecond: 50 }).complete(request));
      flush();
      expect(completed.value).toEqual(completionOf(streamed.value!));
      expect(completed.at).toBe(streamed.at);
      expect(completed.value!.latencyMs).toBe(completed.at);
    });
  });

  it('concatenates its deltas to the completion text', async () => {
    const events = await lastValueFrom(simulatedModel({ latency: { medianMs: 5, p95Ms: 5 }, outputTokensPerSecond: 5000 }).stream({ prompt: 'the deltas add up to the text, emoji 🎉🎉🎉 included' }).pipe(toArray()));
    const text = events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
    expect(text).toBe(completionOf(events)?.text);
    expect(events.filter((event) => event.type === 'text').every((event) => !/[\uD800-\uDBFF]$/.test((event as { text: string }).text))).toBe(true);
    expect(events.at(-1)?.type).toBe('completion');
  });

  it('stops at once when unsubscribed mid-stream: no more deltas, no timer left', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 });
      expectObservable(model.stream(HI), '^ 1150ms !').toBe('1000ms a 99ms b', { a: { type: 'text', text: '[sim' }, b: { type: 'text', text: '] hi' } });
      flush();
      expect(scheduler.frame).toBe(1151);
    });
  });

  it('stops when a downstream take() has enough', () => {
    testScheduler().run(({ expectObservable }) => {
      expectObservable(simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 }).stream(HI).pipe(take(2))).toBe('1000ms a 99ms (b|)', {
        a: { type: 'text', text: '[sim' },
        b: { type: 'text', text: '] hi' },
      });
    });
  });

  it('errors with an AbortError when the signal aborts mid-stream, after the text so far', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const controller = new AbortController();
      asyncScheduler.schedule(() => controller.abort('deadline'), 1150);
      expectObservable(simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 }).stream(HI, controller.signal)).toBe(
        '1000ms a 99ms b 49ms #',
        { a: { type: 'text', text: '[sim' }, b: { type: 'text', text: '] hi' } },
        expect.objectContaining({ name: 'AbortError', code: 'ABORTED', cause: 'deadline' }),
      );
      flush();
      expect(scheduler.frame).toBe(1150);
    });
  });

  it('replays the same deltas at the same times for a seed', () => {
    const timeline = (seed: number) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed, outputTokensPerSecond: 40 });
        const seen: [number, string][] = [];
        for (let i = 0; i < 3; i++) model.stream({ prompt: `question number ${i} about the weather` }).subscribe((event) => seen.push([asyncScheduler.now(), event.type === 'text' ? event.text : 'END']));
        flush();
        return seen;
      });
    expect(timeline(21)).toEqual(timeline(21));
    expect(timeline(21)).not.toEqual(timeline(22));
  });
});

describe('simulatedModel requests', () => {
  const answer = (request: CompletionRequest, options: Parameters<typeof simulatedModel>[0] = {}) =>
    testScheduler().run(({ flush }) => {
      const call = record(simulatedModel({ latency: FIXED, ...options }).complete(request));
      flush();
      return call;
    });

  it('reports the requested model, else its own', () => {
    expect(answer({ prompt: 'hi', model: 'claude-haiku-4-5' }, { model: 'sim-default' }).value?.model).toBe('claude-haiku-4-5');
    expect(answer({ prompt: 'hi' }, { model: 'sim-default' }).value?.model).toBe('sim-default');
  });

  it('counts the history in the input tokens', () => {
    const history = [
      { role: 'user' as const, content: 'Give me JSON.' }, // 4 tokens
      { role: 'assistant' as const, content: '{"oops":' }, // 2 tokens
    ];
    const without = answer({ prompt: 'Fix it: missing field', system: 'Be strict.' }).value!.usage.inputTokens;
    const withHistory = answer({ prompt: 'Fix it: missing field', system: 'Be strict.', history }).value!.usage;
    expect(withHistory).toEqual({ inputTokens: without + 4 + 2, outputTokens: expect.any(Number), cacheCreationInputTokens: 0, cacheReadInputTokens: 0 });
  });

  it('reports stop reasons: end_turn, or max_tokens when the answer is cut', () => {
    expect(answer({ prompt: 'a b c d e f g h i j' }).value).toMatchObject({ stopReason: 'end_turn' });
    expect(answer({ prompt: 'a b c d e f g h i j', maxTokens: 2 }).value).toMatchObject({ text: '[sim] a ', stopReason: 'max_tokens', usage: { outputTokens: 2 } });
  });

  it.each([
    [{ prompt: 'hi', temperature: 1.5 }, 'temperature'],
    [{ prompt: 'hi', temperature: -0.1 }, 'temperature'],
    [{ prompt: 'hi', temperature: Number.NaN }, 'temperature'],
    [{ prompt: 'hi', model: '' }, 'model'],
    [{ prompt: 'hi', history: [{ role: 'system', content: 'x' }] }, 'history[0]'],
    [{ prompt: 'hi', history: 'earlier' }, 'history'],
    [{ prompt: 'hi', jsonSchema: [] }, 'jsonSchema'],
    [{ prompt: 42 }, 'prompt'],
  ])('answers %j with a non-retryable BAD_REQUEST naming %s, at once', (request, field) => {
    const call = answer(request as unknown as CompletionRequest);
    expect(call.error).toMatchObject({ code: 'BAD_REQUEST', status: 400, retryable: false, message: expect.stringContaining(`'${field}'`) });
    expect(call.at).toBe(0);
  });

  it('accepts temperatures 0 and 1', () => {
    expect(answer({ prompt: 'hi', temperature: 0 }).value).toBeDefined();
    expect(answer({ prompt: 'hi', temperature: 1 }).value).toBeDefined();
  });
});

describe('simulatedModel structured output (jsonSchema)', () => {
  const Plan = z.object({
    next: z.enum(['researcher', 'coder', 'reviewer', 'FINISH']),
    reason: z.string().min(5),
    confidence: z.number().min(0).max(1),
    steps: z.array(z.object({ id: z.int().positive(), title: z.string(), done: z.boolean() })),
    owner: z.email().nullable(),
  });
  const jsonSchema = z.toJSONSchema(Plan) as Record<string, unknown>;

  it('answers JSON that parses and validates against the zod schema', () => {
    const model = simulatedModel({ seed: 3 });
    const calls = settle(() => Array.from({ length: 20 }, () => model.complete({ prompt: 'Plan the next step.', jsonSchema })));
    for (const { value } of calls) {
      expect(value?.stopReason).toBe('end_turn');
      expect(() => Plan.parse(JSON.parse(value!.text))).not.toThrow();
    }
  });

  it('picks enum values from its seed, the first one at temperature 0', () => {
    const picks = (seed: number, temperature?: number) => {
      const model = simulatedModel({ seed });
      const request = { prompt: 'route', jsonSchema, ...(temperature !== undefined ? { temperature } : {}) };
      return settle(() => Array.from({ length: 12 }, () => model.complete(request))).map(({ value }) => Plan.parse(JSON.parse(value!.text)).next);
    };
    expect(picks(4)).toEqual(picks(4));
    expect(new Set(picks(4)).size).toBeGreaterThan(1);
    expect(picks(4)).not.toEqual(picks(5));
    expect(new Set(picks(4, 0))).toEqual(new Set(['researcher']));
  });

  it('is cut like any text when maxTokens is too small (then it is not valid JSON)', () => {
    testScheduler().run(({ flush }) => {
      const call = record(simulatedModel({ latency: FIXED }).complete({ prompt: 'x', jsonSchema, maxTokens: 3 }));
      flush();
      expect(call.value).toMatchObject({ stopReason: 'max_tokens', usage: { outputTokens: 3 } });
      expect(() => JSON.parse(call.value!.text)).toThrow();
    });
  });
});

describe('simulatedModel respond hook', () => {
  it('scripts the reply per call: a router that says who is next, then FINISH', () => {
    const Route = z.object({ next: z.enum(['researcher', 'writer', 'FINISH']) });
    const script = ['researcher', 'writer', 'FINISH'];
    const seen: [string, number][] = [];
    const model = simulatedModel({
      respond: (request, call) => {
        seen.push([textOf(request.prompt), call]);
        return JSON.stringify({ next: script[call] });
      },
    });
    const calls = settle(() => [0, 1, 2].map((turn) => model.complete({ prompt: `turn ${turn}`, jsonSchema: z.toJSONSchema(Route) })));
    const routes = calls.map(({ value }) => Route.parse(JSON.parse(value!.text)).next);
    expect(routes).toEqual(['researcher', 'writer', 'FINISH']);
    expect(seen).toEqual([['turn 0', 0], ['turn 1', 1], ['turn 2', 2]]);
  });

  it('streams the scripted text, cut to maxTokens, and times it by its own length', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10, respond: () => 'abcdefghij' }); // 3 tokens
      expectObservable(model.stream({ prompt: 'x' })).toBe('1000ms a 99ms b 99ms c 99ms (z|)', {
        a: { type: 'text', text: 'abcd' },
        b: { type: 'text', text: 'efgh' },
        c: { type: 'text', text: 'ij' },
        z: { type: 'completion', completion: expect.objectContaining({ text: 'abcdefghij', latencyMs: 1300, stopReason: 'end_turn' }) },
      });
      expectObservable(model.complete({ prompt: 'x', maxTokens: 1 })).toBe('1100ms (z|)', { z: expect.objectContaining({ text: 'abcd', stopReason: 'max_tokens' }) });
    });
  });

  it('does not change the latencies of a seed', () => {
    const latencies = (respond?: () => string) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed: 13, ...(respond ? { respond } : {}) });
        const calls = Array.from({ length: 6 }, () => record(model.complete({ prompt: 'hi' })));
        flush();
        return calls.map((call) => call.at);
      });
    expect(latencies(() => '[sim] hi')).toEqual(latencies());
  });

  it('errors the call with a typed error when the script returns no string, or throws', () => {
    testScheduler().run(({ flush }) => {
      const bad = record(simulatedModel({ respond: () => 42 as unknown as string }).complete({ prompt: 'x' }));
      const thrown = record(simulatedModel({ respond: () => { throw new Error('script ran out'); } }).complete({ prompt: 'x' }));
      flush();
      expect(bad.error).toMatchObject({ code: 'INVALID_OPTION', field: 'respond' });
      expect(thrown.error).toMatchObject({ message: 'script ran out' });
    });
  });
});
