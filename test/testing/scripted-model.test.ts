import { describe, expect, it } from 'vitest';
import { concat, mergeMap, of, switchMap, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ScriptExhaustedError } from 'rx-orchestra/testing';
import { SimulatedModelError, type ChatTurn, type CompletionRequest, type ContentBlock, type MessageContent, type ModelEvent, type ToolDefinition } from 'rx-orchestra';
import { scriptedModel, type ScriptedModel } from '../../src/testing/scripted-model.js';
import { thinkingSignature } from '../../src/models/simulated/signature.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const readFile: ToolDefinition = { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const tools = [readFile];

/**
 * An agent's tool loop over `stream`: every event of every step; after a `tool_use` stop, runs the
 * tools (`toolMs`), then calls again with the transcript and the results.
 */
function streamLoop(model: ScriptedModel, base: Omit<CompletionRequest, 'prompt' | 'history'>, prompt: MessageContent, toolMs = 10, history: ChatTurn[] = []): Observable<ModelEvent> {
  return model.stream({ ...base, history, prompt }).pipe(
    mergeMap((event) => {
      if (event.type !== 'completion' || event.completion.stopReason !== 'tool_use') return of(event);
      const blocks = event.completion.content!;
      const results: ContentBlock[] = blocks.flatMap((block) => (block.type === 'tool_use' ? [{ type: 'tool_result' as const, toolUseId: block.id, content: `contents of ${(block.input as { path: string }).path}` }] : []));
      const next = [...history, { role: 'user' as const, content: prompt }, { role: 'assistant' as const, content: blocks }];
      return concat(of(event), timer(toolMs).pipe(switchMap(() => streamLoop(model, base, results, toolMs, next))));
    }),
  );
}

describe('scriptedModel', () => {
  it('runs a whole tool loop with exact frames: thinking and the tool call at 20, the tool until 30, the answer at 60', () => {
    const model = scriptedModel([
      { thinking: 'I need a.ts.', toolUse: [{ name: 'read_file', input: { path: 'a.ts' } }], after: 20 },
      { text: 'a.ts exports run().', after: 30 },
    ]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(streamLoop(model, { tools, thinking: { budgetTokens: 1024 }, maxTokens: 2048 }, 'What does a.ts export?')).toBe('20ms (htc) 35ms (xd|)', {
        h: { type: 'thinking', text: 'I need a.ts.' },
        t: { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } },
        c: {
          type: 'completion',
          completion: expect.objectContaining({
            text: '',
            content: [
              { type: 'thinking', thinking: 'I need a.ts.', signature: thinkingSignature('I need a.ts.') },
              { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } },
            ],
            stopReason: 'tool_use',
            latencyMs: 20,
          }),
        },
        x: { type: 'text', text: 'a.ts exports run().' },
        d: { type: 'completion', completion: expect.objectContaining({ text: 'a.ts exports run().', stopReason: 'end_turn', latencyMs: 30 }) },
      });
    });
    expect(model.calls.map(({ startedAt, endedAt, result }) => [startedAt, endedAt, result])).toEqual([
      [0, 20, 'replied'],
      [30, 60, 'replied'],
    ]);
    expect(model.calls[1]!.request.prompt).toEqual([{ type: 'tool_result', toolUseId: 'toolu_1', content: 'contents of a.ts' }]);
    expect(model.calls[1]!.request.history).toHaveLength(2);
    expect(model.remaining).toBe(0);
  });

  it('answers complete() with the completion only, estimates usage, and takes given ids, JSON and usage', () => {
    const model = scriptedModel([
      { toolUse: [{ name: 'read_file', input: { path: 'a.ts' }, id: 'toolu_mine' }, { name: 'read_file', input: { path: 'b.ts' } }], text: 'Reading both.', after: 5 },
      { json: { answer: 42 }, after: 5, usage: { cacheReadInputTokens: 900 } },
      { text: 'cut', stopReason: 'max_tokens' },
    ]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(model.complete({ prompt: 'Read a.ts and b.ts', tools })).toBe('5ms (a|)', {
        a: expect.objectContaining({
          text: 'Reading both.',
          content: [
            { type: 'text', text: 'Reading both.' },
            { type: 'tool_use', id: 'toolu_mine', name: 'read_file', input: { path: 'a.ts' } },
            { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'b.ts' } },
          ],
          // input: 'Read a.ts and b.ts' 5 + the tool definition; output: 4 + 2 x (3 + 4)
          usage: { inputTokens: 5 + Math.ceil(JSON.stringify({ name: readFile.name, description: readFile.description, input_schema: readFile.inputSchema }).length / 4), outputTokens: 4 + 14, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
          model: 'simulated',
        }),
      });
      expectObservable(model.complete({ prompt: 'JSON please', model: 'claude-haiku-4-5' })).toBe('5ms (b|)', {
        b: expect.objectContaining({ text: '{"answer":42}', model: 'claude-haiku-4-5', usage: expect.objectContaining({ cacheReadInputTokens: 900 }), stopReason: 'end_turn' }),
      });
      expectObservable(model.complete({ prompt: 'more' })).toBe('(c|)', { c: expect.objectContaining({ text: 'cut', stopReason: 'max_tokens' }) });
    });
    expect(model.calls[1]!.request.model).toBe('claude-haiku-4-5');
  });

  it('fails a step at its time, hangs until cancelled, and fails with SCRIPT_EXHAUSTED when the script runs out', () => {
    const overloaded = new SimulatedModelError('OVERLOADED', 'busy');
    const model = scriptedModel([{ fail: overloaded, after: 15 }, { hang: true }]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(model.complete({ prompt: 'a' })).toBe('15ms #', undefined, overloaded);
      expectObservable(model.stream({ prompt: 'b' }), '^ 39ms !').toBe('');
      expectObservable(model.complete({ prompt: 'c' })).toBe('#', undefined, expect.any(ScriptExhaustedError));
    });
    expect(model.calls.map(({ result, endedAt }) => [result, endedAt])).toEqual([
      ['failed', 15],
      ['cancelled', 40],
      ['failed', 0],
    ]);
    const repeating = scriptedModel([{ text: 'again', after: 1 }], { whenExhausted: 'repeatLast' });
    testScheduler().run(({ expectObservable }) => {
      expectObservable(concat(repeating.complete({ prompt: 'x' }), repeating.complete({ prompt: 'y' }))).toBe('- a (a|)', { a: expect.objectContaining({ text: 'again' }) });
    });
  });

  it('errors with an AbortError when the signal aborts mid-call, at that frame', () => {
    const model = scriptedModel([{ text: 'late', after: 100 }]);
    const controller = new AbortController();
    testScheduler().run(({ expectObservable, cold }) => {
      cold('30ms a').subscribe(() => controller.abort('stop'));
      expectObservable(model.stream({ prompt: 'x' }, controller.signal)).toBe('30ms #', undefined, expect.objectContaining({ name: 'AbortError', code: 'ABORTED' }));
    });
    expect(model.calls[0]).toMatchObject({ result: 'failed', endedAt: 30, signalAborted: true });
  });

  it('refuses what the API refuses (a tool result for another call), without using a step; validate: false lets it through', () => {
    const call = { type: 'tool_use' as const, id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } };
    const bad: CompletionRequest = { tools, history: [{ role: 'user', content: 'Read a.ts' }, { role: 'assistant', content: [call] }], prompt: [{ type: 'tool_result', toolUseId: 'toolu_2', content: 'x' }] };
    const model = scriptedModel([{ text: 'ok' }]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(model.complete(bad)).toBe('#', undefined, expect.objectContaining({ code: 'BAD_REQUEST', status: 400, retryable: false }));
    });
    expect(model.remaining).toBe(1);
    const lax = scriptedModel([{ text: 'ok' }], { validate: false });
    testScheduler().run(({ expectObservable }) => {
      expectObservable(lax.complete(bad)).toBe('(a|)', { a: expect.objectContaining({ text: 'ok' }) });
    });
  });

  it('counts calls in flight', () => {
    const model = scriptedModel([{ text: 'a', after: 10 }, { text: 'b', after: 20 }, { text: 'c', after: 5 }]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(model.complete({ prompt: '1' })).toBe('10ms (a|)', { a: expect.objectContaining({ text: 'a' }) });
      expectObservable(model.complete({ prompt: '2' })).toBe('20ms (b|)', { b: expect.objectContaining({ text: 'b' }) });
      expectObservable(timer(12).pipe(switchMap(() => model.complete({ prompt: '3' })))).toBe('17ms (c|)', { c: expect.objectContaining({ text: 'c' }) });
    });
    expect([model.inFlight, model.maxInFlight]).toEqual([0, 2]);
  });
});
