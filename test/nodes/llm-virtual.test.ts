/** LLM nodes on the simulated provider, in virtual time: token timing, quota waits and usage are exact. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { execute, graph, llm, simulatedModel, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

const FIXED = { medianMs: 100, p95Ms: 100 };

describe('llm nodes in virtual time', () => {
  it('streams tokens onto the run at the simulated generation times, then reports usage', () => {
    const events = testScheduler().run(() => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10, model: 'claude-haiku-4-5', respond: () => 'abcdefghijkl' }); // 3 tokens
      return record(execute(graph().node('writer', { run: llm({ prompt: () => 'write' }) }).build(), { model }));
    });
    const tokens = events.filter((e): e is Extract<RunEvent, { type: 'node.token' }> => e.type === 'node.token');
    expect(tokens.map((e) => e.text).join('')).toBe('abcdefghijkl');
    expect(tokens[0]!.at).toBe(100); // first token after the first-token latency
    expect(tokens.at(-1)!.at).toBeLessThanOrEqual(400);
    const usage = events.find((e) => e.type === 'node.usage');
    expect(usage).toMatchObject({ model: 'claude-haiku-4-5', usage: { outputTokens: 3 }, attempt: 1 });
    expect(events.at(-1)).toMatchObject({ summary: { usage: { total: { calls: 1, outputTokens: 3 } } } });
  });

  it('waits out a 429 for exactly the retry-after the simulated quota asks for', () => {
    const events = testScheduler().run(() => {
      const model = simulatedModel({ latency: FIXED, quota: { requestsPerMinute: 1 }, model: 'claude-haiku-4-5' });
      const g = graph()
        .node('first', { run: llm({ prompt: () => 'a' }) })
        .node('second', { run: llm({ prompt: () => 'b' }), retry: { count: 1, initialDelay: 1000, jitter: 0 } })
        .build();
      return record(execute(g, { model, concurrency: 2 }));
    });
    const retry = events.find((e) => e.type === 'node.retrying');
    expect(retry).toMatchObject({ nodeId: 'second', error: { code: 'RATE_LIMITED', status: 429, retryAfterMs: 60_000 } });
    expect(eventTimeline(events, { only: ['node.retrying', 'node.succeeded'] })).toEqual([
      't=20 node.retrying second #1 wait=60000', // quota refuses at once (20 ms), asks for a minute
      't=100 node.succeeded first',
      't=60120 node.succeeded second',
    ]);
  });

  it('returns a structured value that conforms to the schema, offline', () => {
    const Verdict = z.object({ route: z.enum(['coder', 'reviewer', 'FINISH']), confidence: z.number().min(0).max(1) });
    const events = testScheduler().run(() => {
      const model = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5' });
      return record(execute(graph().node('router', { run: llm({ prompt: () => 'route', schema: Verdict, temperature: 0 }) }).build(), { model }));
    });
    const value = (events.find((e) => e.type === 'node.succeeded') as { value: unknown }).value;
    expect(Verdict.parse(value)).toEqual(value);
  });
});
