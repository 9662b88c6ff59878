/**
 * agent() nodes under the run's governance: every step goes through the governed model (its
 * concurrency limit and quota), the budget stops a loop mid-way, and the pre-run estimate counts
 * `maxSteps` calls over a growing conversation.
 */
import { describe, expect, it } from 'vitest';
import { map, timer } from 'rxjs';
import { z } from 'zod';
import { estimateRunCost, execute, governedModel, graph, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { estimateTokens } from '../../src/budget/token-cap.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel } from './fake-model.js';
import { agentFrames, asAny, expectValidAgentEvents } from './support.js';

function lookupTool(ms: number) {
  const stats = { runs: 0, aborted: 0 };
  const lookup = tool({
    name: 'lookup',
    description: 'Looks a word up',
    input: z.object({ q: z.string() }),
    run: ({ q }, { signal, scheduler }) => {
      stats.runs += 1;
      signal.addEventListener('abort', () => (stats.aborted += 1));
      return timer(ms, scheduler).pipe(map(() => `found ${q}`));
    },
  });
  return { lookup, stats };
}

describe('agent(): governance and budgets per step', () => {
  it("every step goes through the governed model: a concurrency limit of 1 serialises both agents' calls", () => {
    const { lookup } = lookupTool(5);
    const script = () => [{ after: 10, toolUse: [{ name: 'lookup', input: { q: 'x' } }] }, { after: 10, text: 'done' }];
    let model!: ReturnType<typeof fakeModel>;
    const events: RunEvent[] = testScheduler().run(() => {
      model = fakeModel((request, index) => script()[request.history?.length ? 1 : 0] ?? { text: String(index) });
      const governed = governedModel(model, { concurrency: 1, breaker: false });
      const g = graph()
        .node('a', { run: agent({ prompt: () => 'a', tools: [lookup] }) })
        .node('b', { run: agent({ prompt: () => 'b', tools: [lookup] }) })
        .build();
      return record(execute(g, { model: governed }));
    });
    // a1 0-10, b1 waits -> 10-20, a2 (asked at 15) waits -> 20-30, b2 (asked at 25) waits -> 30-40.
    expect(model.startedAt).toEqual([0, 10, 20, 30]);
    expect(agentFrames(events, ['agent.step'])).toEqual([
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=20 agent.step b #1 tool_use calls=1 20ms', // a step's duration counts its wait for the governed slot
      't=30 agent.step a #2 end_turn calls=0 15ms',
      't=40 agent.step b #2 end_turn calls=0 15ms',
    ]);
    const waits = asAny(events).filter((e) => e.type === 'ratelimit.waiting');
    expect(waits.map((e) => `t=${e.at} ${String(e.nodeId)} ${String(e.limitedBy)}`)).toEqual(['t=0 b concurrency', 't=15 a concurrency', 't=25 b concurrency']);
  });

  it("every step draws on the governed model's quota: the third call of a loop waits for the requests bucket", () => {
    const { lookup } = lookupTool(5);
    const model = fakeModel([{ toolUse: [{ name: 'lookup', input: { q: '1' } }] }, { toolUse: [{ name: 'lookup', input: { q: '2' } }] }, { text: 'done' }]);
    const events = testScheduler().run(() => {
      const governed = governedModel(model, { quota: { requestsPerMinute: 2 }, concurrency: 10, breaker: false });
      return record(execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [lookup] }) }).build(), { model: governed }));
    });
    const waits = asAny(events).filter((e) => e.type === 'ratelimit.waiting');
    expect(waits.map((e) => `t=${e.at} ${String(e.limitedBy)}`)).toEqual([expect.stringMatching(/^t=30 requests$/)]);
    expect(model.startedAt[2]).toBeGreaterThanOrEqual(30_000); // 2 per minute: the third request waits for a refill
    expect(model.startedAt.slice(0, 2)).toEqual([0, 15]);
  });

  it('by default, steps go through the one governor of the run’s provider (quota learned, calls admitted one by one)', () => {
    const model = fakeModel([{ toolUse: [{ name: 'lookup', input: { q: 'x' } }] }, { text: 'ok' }]);
    const { lookup } = lookupTool(5);
    const events = testScheduler().run(() => record(execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [lookup] }) }).build(), { model })));
    expect(model.requests).toHaveLength(2);
    // governed: the governor applies the call deadline from admission (the request still carries it)
    expect(model.requests.every((r) => r.timeoutMs === 30_000)).toBe(true);
    expect(asAny(events).at(-1)).toMatchObject({ summary: { status: 'succeeded', usage: { total: { calls: 2 } } } });
  });

  it('a run over budget stops the loop mid-way: the running tools are aborted, no further step starts, and agent.finished keeps the transcript', () => {
    const { lookup, stats } = lookupTool(50);
    // Estimated within the budget (3 calls x 200 in + 100 out at Haiku prices: $0.0021), but the first step alone reads 10,000 tokens ($0.01).
    const model = fakeModel([{ toolUse: [{ name: 'lookup', input: { q: '1' } }, { name: 'lookup', input: { q: '2' } }], usage: { inputTokens: 10_000, outputTokens: 10 } }, { text: 'never' }]);
    const events = testScheduler().run(() =>
      record(
        execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [lookup], maxSteps: 3, maxTokens: 100, estimatedInputTokens: 100, estimatedToolResultTokens: 0, governed: false }) }).build(), {
          model,
          budget: { maxUsd: 0.005 },
        }),
      ),
    );
    expect(stats).toEqual({ runs: 2, aborted: 2 });
    expect(model.requests).toHaveLength(1);
    const types = asAny(events).map((e) => `t=${e.at} ${e.type}`);
    expect(types.slice(types.indexOf('t=10 node.usage'))).toEqual([
      't=10 node.usage',
      't=10 budget.exceeded',
      't=10 agent.step',
      't=10 tool.called',
      't=10 tool.called',
      't=10 agent.finished', // the loop's last word, from its abort listener: reason budget, the transcript so far
      't=10 node.skipped', // the budget stop, at the same instant: cause budget, wasRunning
      't=10 run.completed',
    ]);
    expect(asAny(events).find((e) => e.type === 'node.skipped')).toMatchObject({ cause: { kind: 'budget', wasRunning: true } });
    const finished = asAny(events).find((e) => e.type === 'agent.finished')!;
    expect(finished).toMatchObject({ nodeId: 'a', steps: 1, reason: 'budget', toolCalls: 2 });
    expect(finished.transcript).toEqual([
      { role: 'user', content: 'x' },
      { role: 'assistant', content: [expect.objectContaining({ type: 'tool_use', input: { q: '1' } }), expect.objectContaining({ type: 'tool_use', input: { q: '2' } })] },
    ]);
    expectValidAgentEvents(events);
    expect(asAny(events).at(-1)).toMatchObject({ summary: { stoppedBy: 'budget' } });
  });

  it('the pre-run estimate counts maxSteps calls, each resending the growing conversation', () => {
    const { lookup } = lookupTool(5);
    const g = graph()
      .node('explore', { run: agent({ prompt: () => 'x', tools: [lookup], maxSteps: 5, maxTokens: 200, estimatedInputTokens: 1000, estimatedToolResultTokens: 300, model: 'claude-sonnet-4-6' }) })
      .build();
    const [cost] = estimateRunCost(g.nodes).byNode;
    // Call k reads 1000 + (k - 1) x (200 written + 300 of tool results): 1000, 1500, ..., 3000 -> 10,000 in all.
    expect(cost).toMatchObject({ nodeId: 'explore', model: 'claude-sonnet-4-6', calls: 5, inputTokens: 10_000, outputTokens: 1_000 });
    expect(cost!.usd).toBeCloseTo((10_000 * 3 + 1_000 * 15) / 1e6, 10);

    // Defaults: system prompt + tool definitions + 100 + upstream output; 10 steps; 1024 out; 1000 of tool results.
    const system = 'You are thorough. '.repeat(20);
    const definitions = JSON.stringify([{ name: lookup.name, description: lookup.description, inputSchema: lookup.inputSchema }]);
    const base = estimateTokens(system) + estimateTokens(definitions) + 100 + 50;
    const d = graph()
      .node('up', { run: async () => 'text', costEstimate: { model: 'claude-haiku-4-5', inputTokens: 0, outputTokens: 50 } })
      .node('agent', { deps: ['up'], run: agent({ prompt: ({ up }) => up, system, tools: [lookup], model: 'claude-haiku-4-5' }) })
      .build();
    const agentCost = estimateRunCost(d.nodes).byNode.find((n) => n.nodeId === 'agent')!;
    expect(agentCost).toMatchObject({ calls: 10, inputTokens: 10 * Math.ceil(base + (9 * (1024 + 1000)) / 2), outputTokens: 10 * 1024 });

    // Without tools only the output repairs can add calls.
    const plain = graph()
      .node('one', { run: agent({ prompt: () => 'x', estimatedInputTokens: 10 }) })
      .node('repaired', { run: agent({ prompt: () => 'x', estimatedInputTokens: 10, output: z.object({ n: z.number() }), repairs: 2 }) })
      .build();
    expect(estimateRunCost(plain.nodes).byNode.map((n) => [n.nodeId, n.calls])).toEqual([
      ['repaired', 3],
      ['one', 1],
    ]);
  });
});
