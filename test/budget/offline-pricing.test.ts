/**
 * Budgets offline (issue 10, item 10): without ANTHROPIC_API_KEY the simulated provider answers
 * `llm()` nodes that name no provider, and it stands in for the model that would answer with a
 * key (RX_ORCHESTRA_MODEL, else claude-sonnet-4-6). The pre-run estimate and the in-run spend both
 * price its calls as that model, so a budget refuses and stops a run offline as it would online.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLAUDE_PRICES,
  costUsd,
  defaultModel,
  estimateRunCost,
  execute,
  graph,
  isBudgetExceededError,
  llm,
  simulatedModel,
  type RunEvent,
} from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

const SONNET = CLAUDE_PRICES['claude-sonnet-4-6']!;
const HAIKU = CLAUDE_PRICES['claude-haiku-4-5']!;

beforeAll(() => {
  // Offline, as a new user without a key: the default provider is created on first use, below.
  delete process.env.ANTHROPIC_API_KEY;
  delete process.env.RX_ORCHESTRA_MODEL;
});

describe('offline pricing of the default provider', () => {
  it('the offline default provider stands in for claude-sonnet-4-6, the model that answers with a key', () => {
    expect(defaultModel().model).toBe('claude-sonnet-4-6');
  });

  it('estimates an llm() node without a model at the price of the model that answers with a key', () => {
    const g = graph()
      .node('research', { run: llm({ prompt: () => 'Research X', maxTokens: 1_000, estimatedInputTokens: 2_000 }) })
      .node('short', { run: llm({ prompt: () => 'Say hi', maxTokens: 100, estimatedInputTokens: 100, model: 'claude-haiku-4-5' }) })
      .build();
    const estimate = estimateRunCost(g.nodes);
    expect(estimate.byNode.map((n) => [n.nodeId, n.model])).toEqual([
      ['research', 'claude-sonnet-4-6'],
      ['short', 'claude-haiku-4-5'],
    ]);
    expect(estimate.byNode[0]!.usd).toBeCloseTo(costUsd({ inputTokens: 2_000, outputTokens: 1_000 }, SONNET), 12); // $0.021
    expect(estimate.byNode[1]!.usd).toBeCloseTo(costUsd({ inputTokens: 100, outputTokens: 100 }, HAIKU), 12);
  });

  it('execute(g, { budget }) refuses offline what it would refuse online, naming the model', () => {
    const g = graph().node('research', { run: llm({ prompt: () => 'Research X', maxTokens: 1_000, estimatedInputTokens: 2_000 }) }).build();
    let error: unknown;
    try {
      execute(g, { budget: { maxUsd: 0.01 } });
    } catch (e) {
      error = e;
    }
    expect(isBudgetExceededError(error)).toBe(true);
    expect(error).toMatchObject({ topNodes: [{ nodeId: 'research', model: 'claude-sonnet-4-6' }] });
    expect((error as Error).message).toBe('estimated $0.02 exceeds the budget of $0.01; most expensive: research $0.02');
  });

  it('bills simulated calls at the price of the model they stand in for, so the in-run budget stops an offline run', () => {
    const events: RunEvent[] = testScheduler().run(() => {
      // 40,000 characters: 10,000 input tokens per call, $0.03 on Sonnet; the estimate assumed 0
      const expensive = () => llm({ prompt: () => 'x'.repeat(40_000), maxTokens: 10, estimatedInputTokens: 0 });
      const g = graph()
        .node('first', { run: expensive() })
        .node('second', { deps: ['first'], run: expensive() })
        .node('third', { deps: ['second'], run: expensive() })
        .build();
      return record(execute(g, { budget: { maxUsd: 0.05 } }));
    });
    const usage = events.filter((e): e is Extract<RunEvent, { type: 'node.usage' }> => e.type === 'node.usage');
    expect(usage.map((e) => e.model)).toEqual(['claude-sonnet-4-6', 'claude-sonnet-4-6']);
    expect(usage[0]!.costUsd).toBeCloseTo(costUsd(usage[0]!.usage, SONNET), 12);
    expect(usage[0]!.costUsd).toBeGreaterThan(0.03);
    expect(eventTimeline(events, { only: ['budget.exceeded', 'node.skipped'] }).map((line) => line.replace(/^t=\d+ /, ''))).toEqual([
      'budget.exceeded second',
      expect.stringMatching(/^node\.skipped third \(budget \$0\.06\d+ of \$0\.0500\)$/),
    ]);
    expect(events.at(-1)).toMatchObject({ summary: { status: 'failed', stoppedBy: 'budget' } });
  });

  it('a simulatedModel() the run names itself stays free: an explicit choice, not the offline default', () => {
    const g = graph().node('a', { run: llm({ prompt: () => 'a', maxTokens: 1_000 }) }).build();
    expect(estimateRunCost(g.nodes, { model: simulatedModel().model }).totalUsd).toBe(0);
    expect(() => execute(g, { model: simulatedModel(), budget: { maxUsd: 0 } })).not.toThrow();
  });
});
