/** Cost control (seed 000): refuse a run estimated over budget; stop a run whose spend crosses it. */
import { describe, expect, it } from 'vitest';
import { execute, graph, graphFromNodes, isBudgetExceededError, llm, simulatedModel, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler } from './virtual-run.js';

const FIXED = { medianMs: 1_000, p95Ms: 1_000 };

describe('budget before the run', () => {
  it('refuses a run estimated over maxUsd, listing the most expensive nodes, before anything is called', () => {
    let calls = 0;
    const model = simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', respond: () => (calls++, 'x') });
    const g = graph()
      .node('research', { run: llm({ prompt: () => 'r', maxTokens: 1_000, estimatedInputTokens: 1_000 }) }) // $0.003 + $0.015
      .node('outline', { deps: ['research'], run: llm({ prompt: () => 'o', maxTokens: 2_000, model: 'claude-opus-4-6' }) })
      .node('publish', { deps: ['outline'], run: () => ['no model call'] })
      .build();
    let error: unknown;
    try {
      execute(g, { model, budget: { maxUsd: 0.01, top: 2 } });
    } catch (e) {
      error = e;
    }
    expect(isBudgetExceededError(error)).toBe(true);
    // outline: Opus 4.6 $5/$25; input = 100 allowance + research's 1,000 expected output tokens
    const outlineUsd = (1_100 * 5 + 2_000 * 25) / 1e6;
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', maxUsd: 0.01, topNodes: [{ nodeId: 'outline' }, { nodeId: 'research' }] });
    expect((error as { estimateUsd: number }).estimateUsd).toBeCloseTo(outlineUsd + 0.018, 12);
    expect((error as Error).message).toBe("estimated $0.07 exceeds the budget of $0.01; most expensive: outline $0.06, research $0.02; without an estimate (not counted): publish");
    expect(calls).toBe(0);
  });

  it('lets a run under budget start, and reports the estimate on run.started', () => {
    const events = testScheduler().run(() => {
      const model = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5' });
      const g = graph().node('a', { run: llm({ prompt: () => 'a', maxTokens: 100 }) }).build();
      return record(execute(g, { model, budget: { maxUsd: 1 } }));
    });
    expect(events[0]).toMatchObject({ type: 'run.started', costEstimate: { maxUsd: 1, unestimated: [] } });
    expect(events.at(-1)).toMatchObject({ summary: { status: 'succeeded' } });
  });
});

describe('budget during the run', () => {
  it('stops when the actual spend crosses maxUsd: in-flight calls aborted, the rest skipped, results kept', () => {
    const events: RunEvent[] = testScheduler().run(() => {
      // every call answers 4,000 output tokens on Haiku: $0.02 each; the estimate assumed 10
      const model = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5', respond: () => 'y'.repeat(16_000) });
      const optimistic = { model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: 10 }; // a node's own estimate wins over llm()'s
      const cheap = (i: number) => ({ id: `n${i}`, run: llm({ prompt: () => `${i}`, maxTokens: 4_000 }), costEstimate: optimistic });
      const slowModel = simulatedModel({ latency: { medianMs: 5_000, p95Ms: 5_000 }, model: 'claude-haiku-4-5' });
      const slow = { id: 'slow', run: llm({ prompt: () => 's', maxTokens: 4_000, provider: slowModel }), costEstimate: optimistic };
      const g = graphFromNodes([cheap(0), cheap(1), slow, { ...cheap(2), deps: ['n0', 'n1'] }, { ...cheap(3), deps: ['n2'] }]);
      return record(execute(g, { model, concurrency: 3, budget: { maxUsd: 0.03 } }));
    });
    expect(eventTimeline(events, { only: ['node.succeeded', 'node.skipped', 'budget.exceeded', 'run.completed'] })).toEqual([
      't=1000 node.succeeded n0',
      't=1000 budget.exceeded n1', // n1's call takes the spend to $0.04
      't=1000 node.succeeded n1', // the call that crossed the budget keeps its result
      't=1000 node.skipped slow (budget $0.0400 of $0.0300)',
      't=1000 node.skipped n2 (budget $0.0400 of $0.0300)',
      't=1000 node.skipped n3 (budget $0.0400 of $0.0300)',
      't=1000 run.completed failed',
    ]);
    expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'slow')).toMatchObject({ cause: { kind: 'budget', wasRunning: true } });
    expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'n3')).toMatchObject({ cause: { kind: 'budget', wasRunning: false } });
    expect(events.at(-1)).toMatchObject({ summary: { status: 'failed', stoppedBy: 'budget', usage: { total: { calls: 2 } } } });
  });
});
