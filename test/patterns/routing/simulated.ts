/**
 * Simulated workers of known quality for the routing tests and the bandit bench: `premium` answers
 * well 90% of the time at cost 1, `standard` 70% at 0.5, `budget` 50% at 0.2. `simulateRouting`
 * drives a router through whole supervisor loops without an executor (route, answer, route again),
 * so thousands of requests take milliseconds; the supervisor tests run the same workers for real.
 */
import { from, type ObservableInput } from 'rxjs';
import { seededRandom } from 'rx-orchestra';
import type { Router, RouterContext, RouterDecision, SupervisorMessage, SupervisorState } from 'rx-orchestra/patterns';
import type { RunEvent } from 'rx-orchestra';

export const ARMS = ['premium', 'standard', 'budget'] as const;
export type Arm = (typeof ARMS)[number];
export const QUALITY: Record<Arm, number> = { premium: 0.9, standard: 0.7, budget: 0.5 };
export const COST: Record<Arm, number> = { premium: 1, standard: 0.5, budget: 0.2 };
/** Latency of each worker, in virtual ms. */
export const LATENCY: Record<Arm, number> = { premium: 30, standard: 20, budget: 10 };

/** The last value a router's answer emits, synchronously (the memory store is synchronous). */
export function decide(answer: ObservableInput<RouterDecision>): RouterDecision {
  let decision: RouterDecision | undefined;
  let failure: unknown;
  from(answer).subscribe({ next: (d) => (decision = d), error: (e: unknown) => (failure = e) });
  if (failure) throw failure;
  if (!decision) throw new Error('the router did not answer synchronously');
  return decision;
}

/** One simulated request's record. */
export interface SimulatedRequest {
  arm: string;
  success: boolean;
  /** Expected reward of the arm chosen, for pseudo-regret. */
  expected: number;
}

/**
 * Drives `router` through `requests` supervisor loops: turn 1 it picks an arm, the arm succeeds
 * with its quality (drawn from `seed`), turn 2 it must say FINISH. Events reported by the router
 * are collected with ids and time stamped.
 */
export function simulateRouting(router: Router, requests: number, options: { seed?: number; runPrefix?: string; context?: (i: number) => string; quality?: (arm: Arm, context: string) => number } = {}) {
  const { seed = 1, runPrefix = 'run', context = () => 'task', quality = (arm: Arm) => QUALITY[arm] } = options;
  const outcome = seededRandom(seed);
  const events: RunEvent[] = [];
  const log: SimulatedRequest[] = [];
  let now = 0;
  const signal = new AbortController().signal;
  for (let i = 0; i < requests; i++) {
    const runId = `${runPrefix}-${i}`;
    const ctxAt = (turn: number): RouterContext => ({
      signal,
      scheduler: { now: () => now, schedule: () => { throw new Error('no scheduling in the simulation'); } },
      model: undefined,
      supervisor: 'team',
      turn,
      nodeId: 'answer',
      runId,
      attempt: 1,
      context: undefined,
      emit: (report) => events.push({ ...report, runId, nodeId: 'answer', attempt: 1, at: now } as RunEvent),
    });
    const user: SupervisorMessage = { role: 'user', content: context(i) };
    const first = decide(router({ messages: [user], turn: 1, workers: [...ARMS] }, ctxAt(1)));
    const arm = first.next as Arm;
    const q = quality(arm, context(i));
    const success = outcome() < q;
    now += LATENCY[arm];
    const answer: SupervisorMessage = success
      ? { role: 'worker', name: arm, turn: 1, content: 'ok' }
      : { role: 'worker', name: arm, turn: 1, content: 'error: bad answer', error: { name: 'Error', message: 'bad answer' } };
    const state: SupervisorState = { messages: [user, answer], turn: 2, workers: [...ARMS] };
    const second = decide(router(state, ctxAt(2)));
    if (second.next !== 'FINISH') throw new Error(`expected FINISH at turn 2, got ${second.next}`);
    log.push({ arm, success, expected: q });
    now += 1;
  }
  return { events, log };
}

/** A router choosing uniformly at random: the regret baseline. */
export function uniformRouter(seed: number): Router {
  const random = seededRandom(seed);
  const chosen = new Set<string>();
  return (state, ctx) => {
    if (chosen.has(ctx.runId)) return [{ next: 'FINISH' }];
    chosen.add(ctx.runId);
    return [{ next: ARMS[Math.floor(random() * ARMS.length)]! }];
  };
}
