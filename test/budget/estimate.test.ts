import { describe, expect, it } from 'vitest';
import { CLAUDE_PRICES, UnknownModelPriceError, graph, isOptionsError } from 'rx-orchestra';
import {
  estimateRunCost,
  estimateTokens,
  isCostEstimateError,
  type CostEstimateContext,
  type CostEstimator,
  type CostedNode,
} from '../../src/budget/index.js';

/** Catches what `fn` throws (and fails if it returns). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// Prices per million tokens (input / output): claude-opus-4-6 5 / 25, claude-sonnet-4-6 3 / 15,
// claude-haiku-4-5 1 / 5, claude-3-haiku 0.25 / 1.25.
const pipeline: CostedNode[] = [
  { id: 'research', costEstimate: { model: 'claude-3-haiku', inputTokens: 40_000, outputTokens: 80_000 } }, // 0.01 + 0.1 = 0.11
  { id: 'outline', deps: ['research'], costEstimate: { model: 'claude-haiku-4-5', inputTokens: 20_000, outputTokens: 40_000 } }, // 0.02 + 0.2 = 0.22
  { id: 'draft', deps: ['outline'], costEstimate: { model: 'claude-haiku-4-5', inputTokens: 25_000, outputTokens: 5_000, calls: 2 } }, // 2 x (0.025 + 0.025) = 0.10
  { id: 'synthesize', deps: ['draft'], costEstimate: { model: 'claude-opus-4-6', inputTokens: 12_000, outputTokens: 14_000 } }, // 0.06 + 0.35 = 0.41
  { id: 'format', deps: ['synthesize'] },
];

describe('estimateRunCost', () => {
  it('prices every node from the table: calls x (input x input price + output x output price)', () => {
    const estimate = estimateRunCost(pipeline);
    expect(estimate.byNode).toEqual([
      { nodeId: 'synthesize', model: 'claude-opus-4-6', calls: 1, inputTokens: 12_000, outputTokens: 14_000, usd: 0.41 },
      { nodeId: 'outline', model: 'claude-haiku-4-5', calls: 1, inputTokens: 20_000, outputTokens: 40_000, usd: 0.22 },
      { nodeId: 'research', model: 'claude-3-haiku', calls: 1, inputTokens: 40_000, outputTokens: 80_000, usd: 0.11 },
      { nodeId: 'draft', model: 'claude-haiku-4-5', calls: 2, inputTokens: 50_000, outputTokens: 10_000, usd: 0.1 },
    ]);
    expect(estimate.totalUsd).toBeCloseTo(0.84, 12);
    expect(estimate.top.map((n) => n.nodeId)).toEqual(['synthesize', 'outline', 'research']);
    expect(estimate.unestimated).toEqual(['format']);
  });

  it('computes the seed-sized figures exactly: one Sonnet call of 2,000 in / 1,024 out is $0.02136', () => {
    const { totalUsd, byNode } = estimateRunCost([{ id: 'a', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 2_000, outputTokens: 1_024 } }]);
    expect(byNode[0]!.usd).toBe(0.02136); // (2,000 x 3 + 1,024 x 15) / 1e6 = 21,360 / 1e6
    expect(totalUsd).toBe(0.02136);
  });

  it('lists `top` nodes (default 3), keeps the nodes order on ties, and accepts top 0', () => {
    const same = { model: 'claude-haiku-4-5', inputTokens: 1_000, outputTokens: 0 } as const;
    const nodes: CostedNode[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, costEstimate: same }));
    expect(estimateRunCost(nodes).top.map((n) => n.nodeId)).toEqual(['a', 'b', 'c']);
    expect(estimateRunCost(nodes, { top: 10 }).top).toHaveLength(4);
    expect(estimateRunCost(nodes, { top: 0 }).top).toEqual([]);
    expect(estimateRunCost(nodes).totalUsd).toBe(0.004);
  });

  it('rejects a bad `top`, naming the field', () => {
    for (const top of [-1, 1.5, NaN]) {
      const error = thrownBy(() => estimateRunCost(pipeline, { top }));
      expect(isOptionsError(error, 'budget') && error.field).toBe('top');
    }
  });

  it('matches dated model ids to their family and takes the node\'s own prices first', () => {
    const prices = { ...CLAUDE_PRICES, 'my-model': { inputPerMTok: 2, outputPerMTok: 8 } };
    const estimate = estimateRunCost(
      [
        { id: 'dated', costEstimate: { model: 'claude-haiku-4-5-20251001', inputTokens: 1_000_000, outputTokens: 0 } }, // $1
        { id: 'own', costEstimate: { model: 'my-model', inputTokens: 1_000_000, outputTokens: 500_000, prices } }, // 2 + 4 = $6
        { id: 'run-wide', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 0, outputTokens: 1_000_000 } }, // $10 in the run's table
      ],
      { prices: { 'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 }, 'claude-sonnet-4-6': { inputPerMTok: 4, outputPerMTok: 10 } } },
    );
    expect(estimate.byNode.map((n) => [n.nodeId, n.usd])).toEqual([
      ['run-wide', 10],
      ['own', 6],
      ['dated', 1],
    ]);
    expect(estimate.totalUsd).toBe(17);
  });

  it('throws the typed UnknownModelPriceError naming the node for an unpriced model', () => {
    const error = thrownBy(() => estimateRunCost([{ id: 'writer', costEstimate: { model: 'claude-future-9', inputTokens: 1, outputTokens: 1 } }]));
    expect(error).toBeInstanceOf(UnknownModelPriceError);
    expect(error).toMatchObject({ code: 'UNKNOWN_MODEL_PRICE', model: 'claude-future-9', nodeId: 'writer' });
    expect((error as Error).message).toMatch(/^node 'writer': no price for model 'claude-future-9'/);
  });

  it('rejects an invalid estimate with a CostEstimateError naming the node and field', () => {
    const cases: [unknown, string][] = [
      [{ model: '', inputTokens: 1, outputTokens: 1 }, 'model'],
      [{ model: 'claude-haiku-4-5', inputTokens: -1, outputTokens: 1 }, 'inputTokens'],
      [{ model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: Infinity }, 'outputTokens'],
      [{ model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: '5' }, 'outputTokens'],
      [{ model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: 1, calls: 1.5 }, 'calls'],
      [{ model: 'claude-haiku-4-5', inputTokens: 1, outputTokens: 1, prices: null }, 'prices'],
      [42, 'costEstimate'],
      [null, 'costEstimate'],
    ];
    for (const [costEstimate, field] of cases) {
      const error = thrownBy(() => estimateRunCost([{ id: 'n1', costEstimate: costEstimate as never }]));
      expect(isCostEstimateError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'INVALID_COST_ESTIMATE', nodeId: 'n1', field, retryable: false });
      expect((error as Error).message).toMatch(/^node 'n1': /);
    }
  });

  it('counts calls: 0 calls cost nothing', () => {
    const { byNode, totalUsd } = estimateRunCost([{ id: 'cached', costEstimate: { model: 'claude-opus-4-6', inputTokens: 9_000, outputTokens: 9_000, calls: 0 } }]);
    expect(byNode[0]).toMatchObject({ calls: 0, inputTokens: 0, outputTokens: 0, usd: 0 });
    expect(totalUsd).toBe(0);
  });

  it('takes graph nodes as they are (none estimated yet) and an empty list', () => {
    const g = graph()
      .node('a', { run: () => [1] })
      .node('b', { deps: ['a'], run: () => [2] })
      .build();
    expect(estimateRunCost(g.nodes)).toEqual({ totalUsd: 0, byNode: [], top: [], unestimated: ['a', 'b'] });
    expect(estimateRunCost([])).toEqual({ totalUsd: 0, byNode: [], top: [], unestimated: [] });
  });
});

describe('estimator functions', () => {
  it('are called in dependency order with the run model and their dependencies\' estimates', () => {
    const seen: CostEstimateContext[] = [];
    const spy =
      (outputTokens: number): CostEstimator =>
      (ctx) => {
        seen.push(ctx);
        return { model: ctx.model ?? 'claude-haiku-4-5', inputTokens: 100 + ctx.upstreamOutputTokens, outputTokens };
      };
    // Listed out of dependency order on purpose.
    const estimate = estimateRunCost(
      [
        { id: 'join', deps: ['left', 'right', 'free'], costEstimate: spy(10) },
        { id: 'left', deps: ['root'], costEstimate: spy(300) },
        { id: 'root', costEstimate: spy(1_000) },
        { id: 'right', deps: ['root'], costEstimate: spy(200) },
        { id: 'free' },
      ],
      { model: 'claude-sonnet-4-6' },
    );
    expect(seen.map((c) => c.nodeId)).toEqual(['root', 'left', 'right', 'join']);
    const join = seen[3]!;
    expect(join).toMatchObject({ deps: ['left', 'right', 'free'], model: 'claude-sonnet-4-6', upstreamOutputTokens: 500 });
    expect(join.upstream).toEqual({
      left: { model: 'claude-sonnet-4-6', inputTokens: 1_100, outputTokens: 300 },
      right: { model: 'claude-sonnet-4-6', inputTokens: 1_100, outputTokens: 200 },
      free: undefined,
    });
    // Sonnet 3 / 15: root 100 in, 1,000 out = 0.0153; left and right 1,100 in each = 0.0078 and 0.0063; join 600 in, 10 out = 0.00195
    expect(estimate.byNode.map((n) => [n.nodeId, n.usd])).toEqual([
      ['root', 0.0153],
      ['left', 0.0078],
      ['right', 0.0063],
      ['join', 0.00195],
    ]);
    expect(estimate.totalUsd).toBeCloseTo(0.03135, 12);
    expect(estimate.unestimated).toEqual(['free']);
  });

  it('may return undefined (the node is unestimated); one that throws is a CostEstimateError keeping the cause', () => {
    expect(estimateRunCost([{ id: 'a', costEstimate: () => undefined }]).unestimated).toEqual(['a']);
    const boom = new Error('no model known');
    const error = thrownBy(() =>
      estimateRunCost([
        {
          id: 'a',
          costEstimate: () => {
            throw boom;
          },
        },
      ]),
    );
    expect(error).toMatchObject({ code: 'INVALID_COST_ESTIMATE', nodeId: 'a', field: 'costEstimate', cause: boom });
    expect((error as Error).message).toBe("node 'a': its cost estimator threw: no model known");
  });

  it('validate what an estimator returns', () => {
    const error = thrownBy(() => estimateRunCost([{ id: 'a', costEstimate: () => ({ model: 'claude-haiku-4-5', inputTokens: NaN, outputTokens: 1 }) }]));
    expect(error).toMatchObject({ nodeId: 'a', field: 'inputTokens' });
  });

  it('model the llm() design: a 200-token summary makes a fan-out cheaper', () => {
    // What llm() is meant to provide: its model (or the run's), maxTokens as the output bound, and
    // as input its own text plus what its dependencies hand it.
    const llmEstimate =
      (options: { prompt: string; model?: string; maxTokens?: number }): CostEstimator =>
      (ctx) => ({
        model: options.model ?? ctx.model ?? 'claude-sonnet-4-6',
        inputTokens: estimateTokens(options.prompt) + ctx.upstreamOutputTokens,
        outputTokens: options.maxTokens ?? 1_024,
      });
    const children = (dep: string): CostedNode[] =>
      ['a', 'b', 'c'].map((id) => ({ id, deps: [dep], costEstimate: llmEstimate({ prompt: 'x'.repeat(400), maxTokens: 500 }) })); // 100 tokens of prompt
    const research: CostedNode = { id: 'research', costEstimate: llmEstimate({ prompt: 'x'.repeat(200), maxTokens: 4_000 }) }; // 50 tokens of prompt

    const full = estimateRunCost([research, ...children('research')]);
    // Sonnet: research 50 in + 4,000 out = 0.06015; each child 4,100 in + 500 out = 0.0198
    expect(full.byNode.map((n) => n.usd)).toEqual([0.06015, 0.0198, 0.0198, 0.0198]);
    expect(full.totalUsd).toBeCloseTo(0.11955, 12);

    const summary: CostedNode = { id: 'summary', deps: ['research'], costEstimate: llmEstimate({ prompt: 'x'.repeat(40), model: 'claude-haiku-4-5', maxTokens: 200 }) };
    const capped = estimateRunCost([research, summary, ...children('summary')]);
    // Haiku summary: 4,010 in + 200 out = 0.00501; each child 300 in + 500 out = 0.0084
    expect(capped.byNode.map((n) => [n.nodeId, n.usd])).toEqual([
      ['research', 0.06015],
      ['a', 0.0084],
      ['b', 0.0084],
      ['c', 0.0084],
      ['summary', 0.00501],
    ]);
    expect(capped.totalUsd).toBeCloseTo(0.09036, 12);
  });
});
