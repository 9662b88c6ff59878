/**
 * A/B experiments: the split holds over many keys, assignment is stable and independent across
 * experiments, every request's routing events carry its arm, and `experimentReport` gives per-arm
 * requests, success rate with a Wilson interval, cost, latency percentiles and routing calls,
 * from events and from a run log file alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom, type RunEvent } from 'rx-orchestra';
import { writeRunLog } from 'rx-orchestra/observe';
import { banditRouter, experiment, experimentReport, isRoutingError } from 'rx-orchestra/patterns';
import { COST, LATENCY } from './simulated.js';
import { runRequests, team } from './simulated-team.js';

const dir = mkdtempSync(join(tmpdir(), 'rxo-experiment-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('experiment: assignment', () => {
  it('splits 4,000 keys 80/20 within 2 points, and keeps each key in its arm', () => {
    const ab = experiment({ name: 'router-ab', arms: { a: () => [{ next: 'FINISH' }], b: () => [{ next: 'FINISH' }] }, split: { a: 0.8, b: 0.2 } });
    const keys = Array.from({ length: 4_000 }, (_, i) => `user-${i}`);
    const a = keys.filter((k) => ab.assign(k).arm === 'a').length / keys.length;
    expect(a).toBeGreaterThan(0.78);
    expect(a).toBeLessThan(0.82);
    const again = experiment({ name: 'router-ab', arms: { a: () => [], b: () => [] }, split: { a: 4, b: 1 } }); // same shares, another instance
    expect(keys.every((k) => again.assign(k).arm === ab.assign(k).arm)).toBe(true);
    expect(ab.split).toEqual({ a: 0.8, b: 0.2 });
  });

  it('salts the hash with the name: two 50/50 experiments split independently', () => {
    const arms = { a: () => [], b: () => [] };
    const one = experiment({ name: 'one', arms });
    const two = experiment({ name: 'two', arms });
    const keys = Array.from({ length: 4_000 }, (_, i) => `run-${i}`);
    const both = keys.filter((k) => one.assign(k).arm === 'a' && two.assign(k).arm === 'a').length / keys.length;
    expect(both).toBeGreaterThan(0.22);
    expect(both).toBeLessThan(0.28);
  });

  it('rejects bad splits and arms', () => {
    const option = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isRoutingError(e) ? e.option : String(e);
      }
    };
    expect(option(() => experiment({ name: 'x', arms: {} }))).toBe('arms');
    expect(option(() => experiment({ name: 'x', arms: { a: () => [] }, split: { b: 1 } }))).toBe('split');
    expect(option(() => experiment({ name: 'x', arms: { a: () => [] }, split: { a: 0 } }))).toBe('split');
    expect(option(() => experiment({ name: 'x', arms: { a: () => [] }, split: { a: -1 } }))).toBe('split');
  });
});

describe('experiment in a supervisor, and its report', () => {
  // arm 'learned': a bandit over the three workers; arm 'cheap': always the budget worker (50% good, cost 0.2)
  const run = () => {
    const learned = banditRouter({ name: 'learned', arms: { premium: { cost: COST.premium }, standard: { cost: COST.standard }, budget: { cost: COST.budget } }, random: seededRandom(5) });
    const cheap = banditRouter({ name: 'cheap', arms: { budget: { cost: COST.budget } }, random: seededRandom(6) });
    const router = experiment({ name: 'learned-vs-cheap', arms: { learned, cheap }, split: { learned: 0.5, cheap: 0.5 } });
    return runRequests(() => team(router, { seed: 12, onWorkerError: 'report' }), 400);
  };
  const events = run();
  const log = join(dir, 'runs.jsonl');

  it('assigns every request once and tags its bandit events with the arm', () => {
    const assigned = events.filter((e) => (e.type as string) === 'experiment.assigned') as unknown as { runId: string; arm: string; supervisor: string }[];
    expect(assigned).toHaveLength(400);
    expect(new Set(assigned.map((e) => e.runId)).size).toBe(400);
    const armOf = new Map(assigned.map((e) => [e.runId, e.arm]));
    const chose = events.filter((e) => (e.type as string) === 'router.chose') as unknown as { runId: string; router: string; experiment?: { name: string; arm: string } }[];
    expect(chose).toHaveLength(400);
    for (const e of chose) {
      expect(e.experiment).toEqual({ name: 'learned-vs-cheap', arm: armOf.get(e.runId) });
      expect(e.router).toBe(armOf.get(e.runId));
    }
    const share = assigned.filter((e) => e.arm === 'learned').length / 400;
    expect(share).toBeGreaterThan(0.42);
    expect(share).toBeLessThan(0.58);
  });

  it('reports per arm: requests, success rate with a 95% interval, cost, p50/p95 latency, routing calls', () => {
    const report = experimentReport(events);
    expect(report.experiment).toBe('learned-vs-cheap');
    const cheap = report.arms.find((a) => a.arm === 'cheap')!;
    const learned = report.arms.find((a) => a.arm === 'learned')!;
    expect(cheap.requests + learned.requests).toBe(400);
    // the budget worker is good half the time: the interval holds 0.5, and the rate is its mean reward
    expect(Math.abs(cheap.successRate - 0.5)).toBeLessThan(0.1); // ~200 requests: sd 0.035
    expect(cheap.successInterval[0]).toBeLessThan(cheap.successRate);
    expect(cheap.successInterval[1]).toBeGreaterThan(cheap.successRate);
    expect(cheap.successRate).toBeCloseTo(cheap.meanReward, 10);
    expect(cheap.costPerRequest).toBeCloseTo(COST.budget, 10);
    expect(cheap.latencyP50Ms).toBe(LATENCY.budget);
    expect(cheap.latencyP95Ms).toBe(LATENCY.budget);
    expect(cheap.routingCallsPerRequest).toBe(2);
    // the bandit learns premium (0.9): better, dearer and slower than always-budget
    expect(learned.successRate).toBeGreaterThan(cheap.successInterval[1]);
    expect(learned.costPerRequest).toBeGreaterThan(cheap.costPerRequest);
    expect(learned.latencyP95Ms).toBe(LATENCY.premium);
    const [lo, hi] = learned.successInterval;
    expect(lo).toBeLessThan(learned.successRate);
    expect(hi).toBeGreaterThan(learned.successRate);
    expect(report.requests.filter((r) => r.arm === 'cheap' && r.success).length).toBe(cheap.successes);
  });

  it('gives the same report from the run log file', async () => {
    // one writer per run, as an application logs each run (a writer closes on its run.completed)
    for (const runId of new Set(events.map((e) => e.runId))) {
      const write = writeRunLog(log);
      for (const event of events) if (event.runId === runId) write(event);
      await write.close();
    }
    expect(experimentReport(log)).toEqual(experimentReport(events));
  });

  it("gives 95% intervals that hold the true rate about 95% of the time (300 simulated experiments)", () => {
    const outcome = seededRandom(77);
    let covered = 0;
    for (let trial = 0; trial < 300; trial++) {
      const synthetic: unknown[] = [];
      for (let i = 0; i < 120; i++) {
        const ids = { runId: `t${trial}-${i}`, nodeId: 'n', attempt: 1 };
        synthetic.push({ type: 'experiment.assigned', ...ids, at: 0, experiment: 'coverage', arm: 'a', bucket: 0.1, supervisor: 's', turn: 1 });
        if (outcome() >= 0.7) synthetic.push({ type: 'supervisor.worker', ...ids, at: 1, supervisor: 's', turn: 1, worker: 'w', status: 'failed', durationMs: 1, error: { name: 'Error', message: 'bad' } });
        synthetic.push({ type: 'supervisor.finished', ...ids, at: 2, supervisor: 's', turns: 1, routingCalls: 2, reason: 'FINISH' });
      }
      const [lo, hi] = experimentReport(synthetic as RunEvent[]).arms[0]!.successInterval;
      if (lo <= 0.7 && 0.7 <= hi) covered += 1;
    }
    expect(covered / 300).toBeGreaterThan(0.91);
    expect(covered / 300).toBeLessThan(0.99);
  });

  it('says why it cannot report', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isRoutingError(e) ? e.code : String(e);
      }
    };
    expect(code(() => experimentReport([] as RunEvent[]))).toBe('INVALID_LOG');
    expect(code(() => experimentReport(events, { experiment: 'other' }))).toBe('INVALID_LOG');
  });
});
