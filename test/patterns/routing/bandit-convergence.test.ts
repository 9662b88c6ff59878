/**
 * The bandit learns which simulated worker is best for the reward: with success rewards it
 * converges to `premium` (0.9); with a reward that charges for cost it moves to `budget`; with a
 * context key it learns a different best arm per task type. Regret is compared with uniform
 * routing on the same outcomes.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from 'rx-orchestra';
import { banditRouter, costAwareReward } from 'rx-orchestra/patterns';
import { ARMS, COST, QUALITY, simulateRouting, uniformRouter, type Arm } from './simulated.js';

const regretOf = (log: { expected: number }[], best: number) => log.reduce((sum, r) => sum + (best - r.expected), 0);

describe('banditRouter: convergence on simulated workers (0.9 / 0.7 / 0.5, costs 1 / 0.5 / 0.2)', () => {
  it('converges to the best arm for success rewards, with a fraction of uniform routing\'s regret', () => {
    const router = banditRouter({ name: 'quality', arms: [...ARMS], random: seededRandom(11) });
    const { log } = simulateRouting(router, 1_000, { seed: 5 });
    const lastHalf = log.slice(500);
    expect(lastHalf.filter((r) => r.arm === 'premium').length / lastHalf.length).toBeGreaterThan(0.9);
    const uniform = simulateRouting(uniformRouter(11), 1_000, { seed: 5 }).log;
    expect(regretOf(log, QUALITY.premium) / regretOf(uniform, QUALITY.premium)).toBeLessThan(0.25);
    const posteriors = router.posteriors() as unknown as Record<Arm, { n: number; mean: number }>;
    expect(posteriors.premium.mean).toBeCloseTo(0.9, 1);
    expect(posteriors.premium.n + posteriors.standard.n + posteriors.budget.n).toBe(1_000);
  });

  it('trades quality against cost with a Gaussian prior: quality - cost makes budget the best arm', () => {
    // expected rewards: premium 0.9 - 1 = -0.1, standard 0.7 - 0.5 = 0.2, budget 0.5 - 0.2 = 0.3
    const router = banditRouter({
      name: 'value',
      arms: { premium: { cost: COST.premium }, standard: { cost: COST.standard }, budget: { cost: COST.budget } },
      prior: { kind: 'gaussian', mean: 0, variance: 1 },
      reward: costAwareReward({ costWeight: 1 }),
      random: seededRandom(3),
    });
    const { log } = simulateRouting(router, 1_500, { seed: 9 });
    const lastThird = log.slice(1_000);
    expect(lastThird.filter((r) => r.arm === 'budget').length / lastThird.length).toBeGreaterThan(0.7);
    expect(lastThird.filter((r) => r.arm === 'premium').length / lastThird.length).toBeLessThan(0.05);
  });

  it('keeps posteriors per context: a different best arm per task type', () => {
    // for 'tables' premium is best; for 'lookups' every arm is as good, and budget is good enough
    const quality = (arm: Arm, context: string) => (context === 'tables' ? QUALITY[arm] : ({ premium: 0.6, standard: 0.6, budget: 0.95 } as const)[arm]);
    const router = banditRouter({ name: 'per-task', arms: [...ARMS], context: (state) => state.messages[0]!.content, random: seededRandom(8) });
    const { log, events } = simulateRouting(router, 1_200, { seed: 2, context: (i) => (i % 2 ? 'tables' : 'lookups'), quality });
    const late = log.slice(800);
    const share = (parity: number, arm: Arm) => late.filter((r, i) => (i + 800) % 2 === parity && r.arm === arm).length / (late.length / 2);
    expect(share(1, 'premium')).toBeGreaterThan(0.8);
    expect(share(0, 'budget')).toBeGreaterThan(0.8);
    const contexts = new Set(events.flatMap((e) => ((e as { type: string }).type === 'router.chose' ? [(e as unknown as { context: string }).context] : [])));
    expect([...contexts].sort()).toEqual(['lookups', 'tables']);
  });

  it('keeps exploring at the floor: every arm is still chosen, and no propensity falls below explore / arms', () => {
    const router = banditRouter({ name: 'floor', arms: [...ARMS], explore: 0.09, random: seededRandom(4) });
    const { events, log } = simulateRouting(router, 1_000, { seed: 4 });
    const chose = events.filter((e) => (e as { type: string }).type === 'router.chose') as unknown as { propensity: number; explored: boolean }[];
    expect(Math.min(...chose.map((e) => e.propensity))).toBeGreaterThanOrEqual(0.03 - 1e-12);
    const explored = chose.filter((e) => e.explored).length;
    expect(explored).toBeGreaterThan(60); // ~90 expected
    expect(explored).toBeLessThan(125);
    for (const arm of ARMS) expect(log.slice(500).some((r) => r.arm === arm)).toBe(true);
  });
});
