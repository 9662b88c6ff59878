/** `rx-orchestra run --batch` and `--dry-run --batch`: the flag, and the plan's cost with and without batching. */
import { describe, expect, it } from 'vitest';
import { graph, llm } from 'rx-orchestra';
import { parseCommandLine } from '../../../src/cli/args.js';
import { formatPlan, planRun } from '../../../src/cli/plan.js';

const g = graph()
  .node('a', { run: llm({ prompt: () => 'q', model: 'claude-sonnet-4-6', estimatedInputTokens: 10_000, maxTokens: 1_000 }) })
  .node('b', { deps: ['a'], run: llm({ prompt: () => 'q', model: 'claude-sonnet-4-6', estimatedInputTokens: 10_000, maxTokens: 1_000 }) })
  .build();

describe('--batch', () => {
  it('is parsed as a flag of run', () => {
    expect(parseCommandLine(['run', 'pipeline.ts', '--batch'])).toMatchObject({ kind: 'run', options: { batch: true } });
    expect(parseCommandLine(['run', 'pipeline.ts'])).not.toMatchObject({ options: { batch: true } });
  });

  it('--dry-run --batch prices the run batched and says what it would cost direct', () => {
    const direct = planRun(g);
    const batched = planRun(g, { batch: true });
    expect(direct.batching).toBeUndefined();
    expect(batched.cost.totalUsd).toBeCloseTo(direct.cost.totalUsd / 2, 12);
    expect(batched.batching).toEqual({ directUsd: direct.cost.totalUsd, batchedUsd: batched.cost.totalUsd });
    const lines = formatPlan(batched);
    expect(lines[0]).toContain('$0.0450'); // 2 x (10,000 x $3 + 1,000 x $15) / 1M / 2
    expect(lines[1]).toBe('Batched (--batch, Message Batches API): $0.0450; direct: $0.0900. Each wave of ready nodes waits for its batch (minutes, at most 24 h)');
  });
});
