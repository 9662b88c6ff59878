/** The command line parser and the dry-run plan, as pure functions. */
import { describe, expect, it } from 'vitest';
import { graph } from 'rx-orchestra';
import { parseCommandLine } from '../../src/cli/args.js';
import { formatPlan, planRun } from '../../src/cli/plan.js';

describe('parseCommandLine', () => {
  it('reads every option of run', () => {
    const command = parseCommandLine([
      'run', 'p.ts', '--export', 'build', '--concurrency', '4', '--budget', '$0.50', '--json', '--plain', '--dry-run', '--allow-partial',
      '--log-level', 'debug', '--runs-log', 'runs.jsonl', '--run-id', 'r1', '--ui', '--ui-port', '0', '--ui-host', '::1', '--ui-linger', '2.5',
    ]);
    expect(command).toEqual({
      kind: 'run',
      options: {
        file: 'p.ts', exportName: 'build', concurrency: 4, budgetUsd: 0.5, json: true, plain: true, dryRun: true, allowPartial: true,
        logLevel: 'debug', runsLog: 'runs.jsonl', runId: 'r1', ui: true, uiPort: 0, uiHost: '::1', uiLingerSeconds: 2.5,
      },
    });
    expect(parseCommandLine([])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-v'])).toEqual({ kind: 'version' });
  });

  it('names the offending flag', () => {
    expect(() => parseCommandLine(['run'])).toThrow(/missing <pipeline-file>/);
    expect(() => parseCommandLine(['run', 'a.ts', 'b.ts'])).toThrow(/unexpected argument 'b.ts'/);
    expect(() => parseCommandLine(['run', 'a.ts', '--budget', 'lots'])).toThrow("--budget must be a number >= 0, got 'lots'");
    expect(() => parseCommandLine(['run', 'a.ts', '--concurrency', '2.5'])).toThrow("--concurrency must be an integer >= 1, got '2.5'");
    expect(() => parseCommandLine(['run', 'a.ts', '--log-level', 'loud'])).toThrow(/--log-level must be one of trace, debug/);
    expect(() => parseCommandLine(['run', 'a.ts', '--ui-linger', '5'])).toThrow('--ui-linger needs --ui');
  });
});

describe('planRun', () => {
  const g = graph()
    .node('a', { run: () => [1] })
    .node('short', { deps: ['a'], run: () => [1] })
    .node('long', { deps: ['a'], run: () => [1], estimate: 5 })
    .node('solo', { run: () => [1], costEstimate: { model: 'claude-haiku-4-5', inputTokens: 1_000, outputTokens: 1_000 } })
    .node('end', { deps: ['short', 'long'], run: () => [1] })
    .build();

  it('orders nodes dependencies first, the longest remaining path first', () => {
    const plan = planRun(g);
    expect(plan.steps.map((s) => [s.id, s.pathLength])).toEqual([
      ['a', 7],
      ['long', 6],
      ['short', 2],
      ['solo', 1],
      ['end', 1],
    ]);
    expect(plan.criticalPath).toBe(7);
    expect(plan.cost.unestimated).toEqual(['a', 'short', 'long', 'end']);
    expect(plan.budget).toBeUndefined();
  });

  it('formats the estimate, the budget verdict and the table', () => {
    const lines = formatPlan(planRun(g, { maxUsd: 0.001 }));
    expect(lines.slice(0, 4)).toEqual([
      'Estimated cost: $0.0060 for 5 nodes; most expensive: solo $0.0060',
      'Without a cost estimate (not counted): a, short, long, end',
      '✗ Budget: $0.0010, the estimate is over it: the run would be refused',
      'Plan: 5 nodes, critical path 7 (estimate units), in start order (dependencies first, longest remaining path first):',
    ]);
    expect(lines.slice(5)).toEqual([
      '#  node   deps        estimate  path  model             in tok  out tok     cost',
      '1  a      —                  1     7  —                      —        —        —',
      '2  long   a                  5     6  —                      —        —        —',
      '3  short  a                  1     2  —                      —        —        —',
      '4  solo   —                  1     1  claude-haiku-4-5   1,000    1,000  $0.0060',
      '5  end    short,long         1     1  —                      —        —        —',
      '',
      'With --batch (Message Batches API, half price): $0.0030 instead of $0.0060; each wave of ready nodes would wait for its batch (minutes, at most 24 h)',
    ]);
  });
});
