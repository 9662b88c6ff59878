import { describe, expect, it } from 'vitest';
import { runBanditStandardizer } from '../../examples/data-standardizer-bandit.js';

/** The example's run: 200 requests through the A/B experiment, in virtual time. */
const run = runBanditStandardizer({ requests: 200 });

describe('examples/data-standardizer-bandit (seed 004 with a learning router)', () => {
  it('splits the requests between the bandit and always-Sonnet, and every request finishes', async () => {
    const { report, events } = await run;
    const arm = (name: string) => report.arms.find((a) => a.arm === name)!;
    expect(arm('bandit').requests + arm('always_sonnet').requests).toBe(200);
    expect(arm('bandit').requests).toBeGreaterThan(80);
    expect(arm('bandit').requests).toBeLessThan(120);
    expect(report.requests.every((r) => r.reason === 'FINISH')).toBe(true);
    expect(events.filter((e) => e.type === 'run.completed').every((e) => e.type === 'run.completed' && e.summary.status === 'succeeded')).toBe(true);
    // recommender, post-processor, FINISH
    expect(arm('always_sonnet').routingCallsPerRequest).toBe(3);
  });

  it('learns Haiku for lookups and Sonnet for tables: cheaper than always-Sonnet at nearly its success rate', async () => {
    const { report, bandit } = await run;
    const banditArm = report.arms.find((a) => a.arm === 'bandit')!;
    const sonnetArm = report.arms.find((a) => a.arm === 'always_sonnet')!;
    expect(banditArm.costPerRequest).toBeLessThan(0.8 * sonnetArm.costPerRequest);
    expect(banditArm.successRate).toBeGreaterThan(0.9);
    expect(sonnetArm.successRate).toBe(1);
    const lookup = (await bandit.posteriors('lookup')) as Record<string, { n: number; mean: number }>;
    const table = (await bandit.posteriors('table')) as Record<string, { n: number; mean: number }>;
    expect(lookup.recommender_haiku!.n).toBeGreaterThan(lookup.recommender_sonnet!.n);
    expect(table.recommender_sonnet!.n).toBeGreaterThan(table.recommender_haiku!.n);
    expect(table.recommender_sonnet!.mean).toBeGreaterThan(table.recommender_haiku!.mean);
  });

  it('finds the per-type policy best offline, from the same log', async () => {
    const { evaluation, report } = await run;
    const best = [...evaluation.candidates].sort((a, b) => b.estimatedReward - a.estimatedReward)[0]!;
    expect(best.name).toBe('haiku_for_lookups');
    expect(evaluation.decisions).toBe(report.arms.find((a) => a.arm === 'bandit')!.requests); // every bandit decision was rewarded
    expect(evaluation.candidates.find((c) => c.name === 'always_sonnet')!.regret).toBeGreaterThan(0);
  });

  it('replays exactly with the same seed', async () => {
    const a = await runBanditStandardizer({ requests: 30, seed: 9 });
    const b = await runBanditStandardizer({ requests: 30, seed: 9 });
    expect(b.report).toEqual(a.report);
    expect(b.events.map((e) => `${e.type}@${e.at}`)).toEqual(a.events.map((e) => `${e.type}@${e.at}`));
  });
});
