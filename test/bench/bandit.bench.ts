/**
 * The learning router's figures, on three simulated workers of known quality (success rates 0.9,
 * 0.7, 0.5; the reward is success):
 * - `bandit_regret_ratio`: cumulative pseudo-regret (the best arm's success rate minus the chosen
 *   arm's, summed) of `banditRouter` with its defaults (Beta(1, 1) prior, explore 0.02) over 1,000
 *   requests, divided by that of uniform random routing on the same outcomes; the sums over 20
 *   seeds. Target <= 0.15.
 * - `bandit_choice_overhead_us`: wall time of one routing decision of the bandit (read the
 *   posteriors from the memory store, Thompson-sample, estimate the propensity with 100 draws,
 *   emit `router.chose`), median over 20,000 decisions after warm-up, in the converged state; the
 *   reward step (score, update, `router.rewarded`) is in the note.
 *
 * `npx tsx test/bench/bandit.bench.ts` runs it alone.
 */
import { pathToFileURL } from 'node:url';
import { from } from 'rxjs';
import { seededRandom } from '../../src/index.js';
import { banditRouter, type Router, type RouterContext, type SupervisorMessage, type SupervisorState } from '../../src/patterns/index.js';
import { ARMS, QUALITY, simulateRouting, uniformRouter } from '../patterns/routing/simulated.js';
import { report, type Figure } from './report.js';

const REQUESTS = 1_000;
const SEEDS = 20;

/** Pseudo-regret of a router over REQUESTS simulated requests. */
function regret(router: Router, seed: number): number {
  const { log } = simulateRouting(router, REQUESTS, { seed, runPrefix: `seed-${seed}` });
  return log.reduce((sum, r) => sum + (QUALITY.premium - r.expected), 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

/** Times each routing decision (turn 1) and each reward step (turn 2) of `requests` loops. */
function timeDecisions(requests: number) {
  const router = banditRouter({ name: 'bench', arms: [...ARMS], random: seededRandom(1) });
  const outcome = seededRandom(2);
  const signal = new AbortController().signal;
  const scheduler = { now: () => 0, schedule: () => { throw new Error('unused'); } };
  const user: SupervisorMessage = { role: 'user', content: 'task' };
  const first: SupervisorState = { messages: [user], turn: 1, workers: [...ARMS] };
  const choose: number[] = [];
  const settle: number[] = [];
  let sink = 0;
  const emit = () => {
    sink += 1;
  };
  for (let i = 0; i < requests; i++) {
    const ctx = (turn: number): RouterContext => ({ signal, scheduler, model: undefined, supervisor: 'team', turn, nodeId: 'answer', runId: `b${i}`, attempt: 1, context: undefined, emit });
    const ctx1 = ctx(1);
    const t0 = performance.now();
    const decision = router(first, ctx1) as { next: string }[];
    const t1 = performance.now();
    const arm = decision[0]!.next as (typeof ARMS)[number];
    const answer: SupervisorMessage = outcome() < QUALITY[arm] ? { role: 'worker', name: arm, turn: 1, content: 'ok' } : { role: 'worker', name: arm, turn: 1, content: 'error', error: { name: 'Error', message: 'bad' } };
    const second: SupervisorState = { messages: [user, answer], turn: 2, workers: [...ARMS] };
    const ctx2 = ctx(2);
    const t2 = performance.now();
    from(router(second, ctx2)).subscribe();
    const t3 = performance.now();
    choose.push((t1 - t0) * 1000);
    settle.push((t3 - t2) * 1000);
  }
  if (sink === 0) throw new Error('no events');
  return { choose, settle };
}

/** `bandit_regret_ratio` and `bandit_choice_overhead_us`. */
export async function banditFigures(): Promise<Figure[]> {
  let bandit = 0;
  let uniform = 0;
  const ratios: number[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const b = regret(banditRouter({ name: `regret-${seed}`, arms: [...ARMS], random: seededRandom(1_000 + seed) }), seed);
    const u = regret(uniformRouter(2_000 + seed), seed);
    bandit += b;
    uniform += u;
    ratios.push(b / u);
  }
  timeDecisions(5_000); // warm-up
  const { choose, settle } = timeDecisions(20_000);
  const round = (x: number, digits = 2) => Number(x.toFixed(digits));
  return [
    {
      name: 'bandit_regret_ratio',
      value: round(bandit / uniform, 3),
      unit: 'ratio',
      note: `target <= 0.15; Thompson sampling (Beta(1,1), explore 0.02) vs uniform, ${REQUESTS} requests x ${SEEDS} seeds, workers 0.9/0.7/0.5: regret ${round(bandit / SEEDS, 1)} vs ${round(uniform / SEEDS, 1)} per run; per seed ${round(Math.min(...ratios), 3)}..${round(Math.max(...ratios), 3)}`,
    },
    {
      name: 'bandit_choice_overhead_us',
      value: round(median(choose)),
      unit: 'us',
      note: `one routing decision (memory store, 3 arms, 100 propensity draws), median of ${choose.length}, p95 ${round(p95(choose))} us; the reward step ${round(median(settle))} us median, p95 ${round(p95(settle))} us`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await banditFigures());
