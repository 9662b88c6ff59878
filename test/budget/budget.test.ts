import { describe, expect, it } from 'vitest';
import { errorInfo } from '../../src/run/outcome.js';
import { anotherCopy } from '../errors/another-copy.js';
import { assertWithinBudget } from '../../src/budget/preflight.js';
import { checkBudgetConfig } from '../../src/budget/budget-config.js';
import { OptionsError, isOptionsError } from 'rx-orchestra';
import {
  BudgetExceededError,
  estimateRunCost,
  isBudgetExceededError,
  type CostedNode,
  type NodeCost,
  type RunCostEstimate,
} from '../../src/budget/index.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

// The README's article pipeline: 0.11 + 0.22 + 0.10 + 0.41 = $0.84 (see estimate.test.ts for the arithmetic).
const pipeline: CostedNode[] = [
  { id: 'research', costEstimate: { model: 'claude-3-haiku', inputTokens: 40_000, outputTokens: 80_000 } },
  { id: 'outline', deps: ['research'], costEstimate: { model: 'claude-haiku-4-5', inputTokens: 20_000, outputTokens: 40_000 } },
  { id: 'draft', deps: ['outline'], costEstimate: { model: 'claude-haiku-4-5', inputTokens: 25_000, outputTokens: 5_000, calls: 2 } },
  { id: 'synthesize', deps: ['draft'], costEstimate: { model: 'claude-opus-4-6', inputTokens: 12_000, outputTokens: 14_000 } },
];

const node = (nodeId: string, usd: number): NodeCost => ({ nodeId, model: 'claude-haiku-4-5', calls: 1, inputTokens: 0, outputTokens: 0, usd });
const estimateOf = (totalUsd: number, byNode: NodeCost[] = [], unestimated: string[] = []): RunCostEstimate => ({ totalUsd, byNode, top: byNode, unestimated });

describe('assertWithinBudget', () => {
  it('refuses a run over budget, listing the most expensive nodes', () => {
    const error = thrownBy(() => assertWithinBudget(estimateRunCost(pipeline), { maxUsd: 0.5 }));
    expect(error).toBeInstanceOf(BudgetExceededError);
    const refusal = error as BudgetExceededError;
    expect(refusal.message).toBe('estimated $0.84 exceeds the budget of $0.50; most expensive: synthesize $0.41, outline $0.22, research $0.11');
    expect(refusal).toMatchObject({ name: 'BudgetExceededError', code: 'BUDGET_EXCEEDED', retryable: false, maxUsd: 0.5, unestimated: [] });
    expect(refusal.estimateUsd).toBeCloseTo(0.84, 12);
    expect(refusal.topNodes.map((n) => [n.nodeId, n.usd])).toEqual([
      ['synthesize', 0.41],
      ['outline', 0.22],
      ['research', 0.11],
    ]);
  });

  it('lists `top` nodes from the budget and names the nodes left uncounted', () => {
    const estimate = estimateRunCost([...pipeline, { id: 'format', deps: ['synthesize'] }, { id: 'publish', deps: ['format'] }]);
    const error = thrownBy(() => assertWithinBudget(estimate, { maxUsd: 0.5, top: 1 })) as BudgetExceededError;
    expect(error.message).toBe('estimated $0.84 exceeds the budget of $0.50; most expensive: synthesize $0.41; without an estimate (not counted): format, publish');
    expect(error.unestimated).toEqual(['format', 'publish']);
    const none = thrownBy(() => assertWithinBudget(estimate, { maxUsd: 0.5, top: 0 })) as BudgetExceededError;
    expect(none.message).toBe('estimated $0.84 exceeds the budget of $0.50; without an estimate (not counted): format, publish');
    expect(none.topNodes).toEqual([]);
  });

  it('returns the estimate when it is within budget; exactly the budget is within it', () => {
    const estimate = estimateRunCost(pipeline);
    expect(assertWithinBudget(estimate, { maxUsd: 1 })).toBe(estimate);
    expect(assertWithinBudget(estimateOf(0.5), { maxUsd: 0.5 }).totalUsd).toBe(0.5);
    expect(assertWithinBudget(estimateOf(0), { maxUsd: 0 }).totalUsd).toBe(0); // a free (simulated) run under a zero budget
  });

  it('ignores float dust but not a real overrun', () => {
    expect(0.1 + 0.2).toBeGreaterThan(0.3);
    expect(() => assertWithinBudget(estimateOf(0.1 + 0.2), { maxUsd: 0.3 })).not.toThrow();
    expect(() => assertWithinBudget(estimateOf(0.300001), { maxUsd: 0.3 })).toThrow(BudgetExceededError);
  });

  it('shows enough decimals to tell the estimate from the budget, and sub-cent amounts', () => {
    const close = thrownBy(() => assertWithinBudget(estimateOf(0.504, [node('a', 0.5), node('b', 0.004)]), { maxUsd: 0.5 })) as Error;
    expect(close.message).toBe('estimated $0.504 exceeds the budget of $0.500; most expensive: a $0.500, b $0.004');
    const tiny = thrownBy(() => assertWithinBudget(estimateOf(0.00195, [node('join', 0.00195)]), { maxUsd: 0.001 })) as Error;
    expect(tiny.message).toBe('estimated $0.0019 exceeds the budget of $0.001; most expensive: join $0.0019'); // two significant digits under a cent
    const big = thrownBy(() => assertWithinBudget(estimateOf(1234.5, [node('batch', 1234.5), node('probe', 0.0000123)]), { maxUsd: 100 })) as Error;
    expect(big.message).toBe('estimated $1234.50 exceeds the budget of $100.00; most expensive: batch $1234.50, probe $0.000012');
  });

  it('validates the budget before comparing', () => {
    const error = thrownBy(() => assertWithinBudget(estimateOf(0), { maxUsd: -1 }));
    expect(isOptionsError(error, 'budget') && error.field).toBe('maxUsd');
  });
});

describe('BudgetExceededError', () => {
  it('is recognised across package copies by its brand, and nothing else is', async () => {
    const error = new BudgetExceededError({ estimateUsd: 1, maxUsd: 0.5, topNodes: [] });
    expect(isBudgetExceededError(error)).toBe(true);
    const copy = await anotherCopy(() => import('../../src/budget/errors.js'));
    const foreign = new copy.BudgetExceededError({ estimateUsd: 1, maxUsd: 0.5, topNodes: [] });
    expect(foreign).not.toBeInstanceOf(BudgetExceededError);
    expect(isBudgetExceededError(foreign)).toBe(true);
    expect(isBudgetExceededError(Object.assign(new Error('x'), { name: 'BudgetExceededError', code: 'BUDGET_EXCEEDED' }))).toBe(false); // a lookalike, without the brand
    expect(isBudgetExceededError(Object.assign(new Error('x'), { name: 'BudgetExceededError' }))).toBe(false);
    expect(isBudgetExceededError({ name: 'BudgetExceededError', code: 'BUDGET_EXCEEDED' })).toBe(false);
    expect(isBudgetExceededError(new OptionsError('maxUsd', 'x', 'budget'))).toBe(false);
  });

  it('serialises into run events with its code and retryable flag', () => {
    const error = new BudgetExceededError({ estimateUsd: 0.84, maxUsd: 0.5, topNodes: [node('synthesize', 0.41)] });
    expect(errorInfo(error)).toEqual({
      name: 'BudgetExceededError',
      message: 'estimated $0.84 exceeds the budget of $0.50; most expensive: synthesize $0.41',
      code: 'BUDGET_EXCEEDED',
      retryable: false,
    });
  });
});

describe('checkBudgetConfig', () => {
  it('fills in the default top', () => {
    expect(checkBudgetConfig({ maxUsd: 0.5 })).toEqual({ maxUsd: 0.5, top: 3 });
    expect(checkBudgetConfig({ maxUsd: 0, top: 0 })).toEqual({ maxUsd: 0, top: 0 });
  });

  it('rejects bad settings with a budget OptionsError naming the field', () => {
    const cases: [unknown, string, string][] = [
      [{ maxUsd: -0.01 }, 'maxUsd', "'maxUsd' must be a finite number of USD >= 0, got -0.01"],
      [{ maxUsd: NaN }, 'maxUsd', "'maxUsd' must be a finite number of USD >= 0, got NaN"],
      [{ maxUsd: Infinity }, 'maxUsd', "'maxUsd' must be a finite number of USD >= 0, got Infinity"],
      [{ maxUsd: '0.5' }, 'maxUsd', '\'maxUsd\' must be a finite number of USD >= 0, got "0.5"'],
      [{}, 'maxUsd', "'maxUsd' must be a finite number of USD >= 0, got undefined"],
      [null, 'maxUsd', 'a budget must be an object { maxUsd }, got null'],
      [0.5, 'maxUsd', 'a budget must be an object { maxUsd }, got number'],
      [{ maxUsd: 1, top: 2.5 }, 'top', "'top' must be an integer >= 0, got 2.5"],
      [{ maxUsd: 1, top: -1 }, 'top', "'top' must be an integer >= 0, got -1"],
    ];
    for (const [config, field, message] of cases) {
      const error = thrownBy(() => checkBudgetConfig(config as never));
      expect(isOptionsError(error, 'budget')).toBe(true);
      expect(error).toMatchObject({ name: 'BudgetConfigError', code: 'INVALID_BUDGET_CONFIG', retryable: false, field, message });
    }
  });
});
