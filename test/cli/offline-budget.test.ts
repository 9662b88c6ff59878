/**
 * Budgets mean the same without a key (issue 10, item 10): offline, `--dry-run` and `--budget`
 * price `llm()` nodes without a model of their own as the model that answers with
 * ANTHROPIC_API_KEY set, say so, and the in-run stop bills the simulated calls the same way.
 */
import { describe, expect, it } from 'vitest';
import { graph } from 'rx-orchestra';
import { formatPlan, planRun } from '../../src/cli/plan.js';
import { runCli } from './helpers.js';

const TIMEOUT = 120_000; // a child process loads the library through tsx: seconds on a busy machine
const OFFLINE = 'test/cli/fixtures/offline.ts';
/** No key (an empty value counts as none), no model override: as a new user runs it. */
const NO_KEY = { ANTHROPIC_API_KEY: '', RX_ORCHESTRA_MODEL: '' };
const NOTE = 'priced as claude-sonnet-4-6 (the model that answers with ANTHROPIC_API_KEY set; offline the simulated provider answers for $0)';
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe.concurrent('rx-orchestra run without ANTHROPIC_API_KEY: budgets price the model that answers with a key', () => {
  it('--dry-run prices the default model as claude-sonnet-4-6, says so, and --budget refuses what it would refuse online', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', OFFLINE, '--dry-run', '--budget', '0.01'], { env: NO_KEY });
    expect(code).toBe(3);
    const out = lines(stdout);
    expect(out[0]).toBe('Estimated cost: $0.0231 for 2 nodes; most expensive: research $0.0210, summary $0.0021');
    expect(out[1]).toBe(`Offline, ${NOTE}: research`);
    expect(out[2]).toBe('✗ Budget: $0.0100, the estimate is over it: the run would be refused');
    expect(out.find((row) => row.startsWith('1 '))).toMatch(/^1\s+research\s+—\s+1\s+2\s+claude-sonnet-4-6\s+2,000\s+1,000\s+\$0\.0210$/);
    expect(lines(stderr)).toEqual(['✗ run would be refused: estimated $0.02 exceeds the budget of $0.01; most expensive: research $0.02, summary $0.0021']);
  });

  it('--dry-run with a key gives the same estimate, without the offline note', { timeout: TIMEOUT }, async () => {
    const [offline, online] = await Promise.all([
      runCli(['run', OFFLINE, '--dry-run', '--json'], { env: NO_KEY }),
      runCli(['run', OFFLINE, '--dry-run', '--json'], { env: { ANTHROPIC_API_KEY: 'sk-ant-test-not-used', RX_ORCHESTRA_MODEL: '' } }),
    ]);
    expect([offline.code, online.code]).toEqual([0, 0]);
    const [a, b] = [offline, online].map((r) => JSON.parse(r.stdout) as { cost: unknown; offlinePricing?: unknown });
    expect(a!.cost).toEqual(b!.cost);
    expect(a!.offlinePricing).toEqual({ model: 'claude-sonnet-4-6', nodes: ['research'], note: NOTE });
    expect(b!.offlinePricing).toBeUndefined();
  });

  it('RX_ORCHESTRA_MODEL names the model offline nodes are priced as', { timeout: TIMEOUT }, async () => {
    const { code, stdout } = await runCli(['run', OFFLINE, '--dry-run'], { env: { ...NO_KEY, RX_ORCHESTRA_MODEL: 'claude-haiku-4-5' } });
    expect(code).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toBe('Estimated cost: $0.0091 for 2 nodes; most expensive: research $0.0070, summary $0.0021');
    expect(out[1]).toBe('Offline, priced as claude-haiku-4-5 (the model that answers with ANTHROPIC_API_KEY set; offline the simulated provider answers for $0): every estimated node');
  });

  it('--budget refuses the offline run before it starts, after a line saying how it was priced', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', OFFLINE, '--budget', '0.01'], { env: NO_KEY });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(lines(stderr)).toEqual([
      `◆ offline: 1 node ${NOTE}; costs and --budget count their calls at that price`,
      '✗ run refused: estimated $0.02 exceeds the budget of $0.01; most expensive: research $0.02, summary $0.0021',
    ]);
  });

  it('--budget stops an offline run whose spend crosses it: simulated calls are billed as the model they stand in for', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', OFFLINE, '--export', 'spender', '--budget', '0.05', '--plain'], { env: NO_KEY });
    expect(code).toBe(1);
    expect(stdout).toMatch(/\$ budget exceeded at second: spent \$0\.06\d* of \$0\.0500; stopping/);
    expect(lines(stderr)).toEqual([
      `◆ offline: 3 nodes ${NOTE}; costs and --budget count their calls at that price`,
      expect.stringMatching(/^✗ run stopped by its budget: spent \$0\.06\d* of \$0\.0500 \(crossed at node 'second'\); 1 node skipped$/),
    ]);
  });
});

describe('planRun with an offline model: which nodes are priced as it', () => {
  const sonnet = { model: 'claude-sonnet-4-6', inputTokens: 1_000, outputTokens: 1_000 };
  const g = graph()
    .node('a', { run: () => [1], costEstimate: sonnet })
    .node('b', { deps: ['a'], run: () => [2], costEstimate: { ...sonnet, model: 'claude-haiku-4-5' } })
    .node('c', { deps: ['a'], run: () => [3], costEstimate: sonnet, estimate: 5 })
    .node('d', { run: () => [4] })
    .build();

  it('lists them in plan order, and says so under the cost line', () => {
    const plan = planRun(g, { offlineModel: 'claude-sonnet-4-6' });
    expect(plan.offlinePricing).toEqual({ model: 'claude-sonnet-4-6', nodes: ['a', 'c'], note: NOTE });
    expect(formatPlan(plan).slice(0, 3)).toEqual([
      'Estimated cost: $0.0420 for 4 nodes; most expensive: a $0.0180, c $0.0180, b $0.0060',
      `Offline, ${NOTE}: a, c`,
      'Without a cost estimate (not counted): d',
    ]);
  });

  it('is absent online, or when no node is priced as that model', () => {
    expect(planRun(g).offlinePricing).toBeUndefined();
    expect(planRun(g, { offlineModel: 'claude-opus-4-6' }).offlinePricing).toBeUndefined();
  });
});
