/**
 * Offline evaluation from logged bandit decisions: the estimate of each candidate router is
 * within a stated tolerance (0.05 reward per request) of what that router earns online on the same
 * simulated workers (0.9 / 0.7 / 0.5), regret is measured against the best arm, and it reads run
 * log files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom, type RunEvent } from 'rx-orchestra';
import { writeRunLog } from 'rx-orchestra/observe';
import { banditRouter, evaluateRouters, isRoutingError, type Router } from 'rx-orchestra/patterns';
import { ARMS, QUALITY, simulateRouting, type Arm } from './simulated.js';

/** The stated tolerance: offline estimate vs online mean reward, per request. */
const TOLERANCE = 0.05;

const dir = mkdtempSync(join(tmpdir(), 'rxo-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A router following a fixed distribution over arms (one choice per request, then FINISH). */
function policyRouter(distribution: Partial<Record<Arm, number>>, seed: number): Router {
  const random = seededRandom(seed);
  const chosen = new Set<string>();
  return (_state, ctx) => {
    if (chosen.has(ctx.runId)) return [{ next: 'FINISH' }];
    chosen.add(ctx.runId);
    let u = random();
    for (const arm of ARMS) {
      u -= distribution[arm] ?? 0;
      if (u < 0) return [{ next: arm }];
    }
    return [{ next: ARMS.find((arm) => (distribution[arm] ?? 0) > 0)! }];
  };
}

const online = (router: Router, requests: number, seed: number) => {
  const { log } = simulateRouting(router, requests, { seed, runPrefix: `online-${seed}` });
  return log.filter((r) => r.success).length / log.length;
};

describe('evaluateRouters: offline estimates vs online results', () => {
  // the logging policy: a bandit that explores a lot (explore 0.3), 3,000 requests
  const logging = banditRouter({ name: 'logging', arms: [...ARMS], explore: 0.3, random: seededRandom(31) });
  const { events } = simulateRouting(logging, 3_000, { seed: 17 });
  const mix = { premium: 0.2, standard: 0.3, budget: 0.5 };
  const evaluation = evaluateRouters(events, {
    alwaysPremium: () => 'premium',
    alwaysBudget: () => 'budget',
    mix: () => mix,
    fresh: banditRouter({ name: 'candidate', arms: [...ARMS] }),
  }, { seed: 3 });
  const estimate = (name: string) => evaluation.candidates.find((c) => c.name === name)!;

  it('joins every decision with its reward, and finds the best arm', () => {
    expect(evaluation).toMatchObject({ router: 'logging', decisions: 3_000 });
    expect(evaluation.bestArms.default?.arm).toBe('premium');
    expect(Math.abs(evaluation.bestReward - QUALITY.premium)).toBeLessThan(TOLERANCE);
  });

  it('estimates fixed policies within 0.05 of their online reward', () => {
    for (const [name, distribution] of [['alwaysPremium', { premium: 1 }], ['alwaysBudget', { budget: 1 }], ['mix', mix]] as const) {
      const truth = online(policyRouter(distribution, 5), 3_000, 99);
      const { estimatedReward, ipsReward, stdError } = estimate(name);
      expect(Math.abs(estimatedReward - truth), name).toBeLessThan(TOLERANCE);
      expect(Math.abs(ipsReward! - truth), name).toBeLessThan(2 * TOLERANCE); // plain IPS: unbiased, noisier
      expect(stdError).toBeGreaterThan(0);
      expect(stdError).toBeLessThan(TOLERANCE);
    }
    expect(estimate('mix').regret).toBeGreaterThan(0.2); // 0.9 - 0.64
    expect(Math.abs(estimate('alwaysPremium').regret)).toBeLessThan(TOLERANCE);
    expect(estimate('alwaysBudget').cumulativeRegret).toBeCloseTo(estimate('alwaysBudget').regret * 3_000, 6);
  });

  it('replays a learning bandit: its estimate is within 0.05 of the same bandit run online for as many requests', () => {
    const { estimatedReward, samples, kind } = estimate('fresh');
    expect(kind).toBe('bandit');
    expect(samples).toBeGreaterThan(150);
    // online: the same configuration, fresh, for as many requests as the replay matched (mean of 5 seeds)
    const truths = [1, 2, 3, 4, 5].map((seed) => online(banditRouter({ name: `online-${seed}`, arms: [...ARMS], random: seededRandom(seed) }), samples, 100 + seed));
    const truth = truths.reduce((a, b) => a + b, 0) / truths.length;
    expect(Math.abs(estimatedReward - truth)).toBeLessThan(TOLERANCE);
  });

  it('reads a run log file', async () => {
    const path = join(dir, 'runs.jsonl');
    const write = writeRunLog(path, { append: false });
    for (const event of events) write(event);
    await write.close();
    const fromFile = evaluateRouters(path, { alwaysPremium: () => 'premium' });
    expect(fromFile.candidates[0]).toEqual(estimate('alwaysPremium'));
  });

  it('says why it cannot evaluate', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isRoutingError(e) ? e.code : String(e);
      }
    };
    expect(code(() => evaluateRouters([] as RunEvent[], {}))).toBe('INVALID_LOG');
    expect(code(() => evaluateRouters(events, {}, { router: 'other' }))).toBe('INVALID_LOG');
    const two = [...events, ...simulateRouting(banditRouter({ name: 'second', arms: ['budget'] }), 2).events];
    expect(code(() => evaluateRouters(two, {}))).toBe('INVALID_LOG');
    expect(code(() => evaluateRouters(events, { odd: banditRouter({ name: 'odd', arms: ['premium', 'gpt'] }) }))).toBe('INVALID_OPTIONS');
  });
});
