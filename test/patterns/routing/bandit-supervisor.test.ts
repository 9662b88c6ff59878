/**
 * The bandit as a supervisor's router, in virtual time: its choice and reward on the run's stream
 * at exact frames, the same seed replaying the same choices, metered workers (model cost from
 * `node.usage`, failures scored even when they fail the loop), `then`, feedback, `select()` inside
 * a node, and its option errors.
 */
import { describe, expect, it } from 'vitest';
import { filter, map, timer } from 'rxjs';
import { execute, graph, seededRandom, type RunEvent } from 'rx-orchestra';
import { banditRouter, isRoutingError, sequenceRouter, type BanditRouter } from 'rx-orchestra/patterns';
import { memoryPosteriorStore } from 'rx-orchestra/store';
import { record, testScheduler } from '../../run/virtual-run.js';
import { ARMS, LATENCY } from './simulated.js';
import { runRequests, team } from './simulated-team.js';

const routingOnly = (events: readonly RunEvent[]) => events.filter((e) => (e.type as string).startsWith('router.'));

describe('banditRouter in a supervisor (virtual time)', () => {
  it('chooses at frame 0, rewards when the arm answers, then finishes: exact frames', () => {
    testScheduler().run(({ expectObservable }) => {
      const router = banditRouter({ name: 'pick', arms: [...ARMS], random: seededRandom(3), store: memoryPosteriorStore() });
      const run = team(router, { seed: 2 });
      const g = graph().node('answer', { run: (ctx) => run(ctx) }).build();
      const events$ = execute(g, { runId: 'r1' }).pipe(
        filter((e) => ['router.chose', 'router.rewarded', 'supervisor.routed', 'supervisor.finished'].includes(e.type)),
        map((e) => {
          const x = e as { type: string; arm?: string; reward?: number; next?: string };
          return x.type === 'router.chose' ? `chose:${x.arm}` : x.type === 'router.rewarded' ? `rewarded:${x.arm}=${x.reward}` : x.type === 'supervisor.routed' ? `routed:${x.next}` : 'finished';
        }),
      );
      // seed 3's first draws pick 'premium' (30 ms); seed 2's first outcome is a success
      expectObservable(events$).toBe('(ab) 26ms (cde|)', { a: 'chose:premium', b: 'routed:premium', c: 'rewarded:premium=1', d: 'routed:FINISH', e: 'finished' });
    });
  });

  it('replays the exact choices with the same seed, and differs with another', () => {
    const arms = (seed: number) =>
      routingOnly(runRequests(() => team(banditRouter({ name: 'pick', arms: [...ARMS], random: seededRandom(seed) }), { seed: 7 }), 60))
        .filter((e) => e.type === ('router.chose' as string))
        .map((e) => (e as unknown as { arm: string }).arm);
    expect(arms(5)).toEqual(arms(5));
    expect(arms(5)).not.toEqual(arms(6));
    expect(arms(5)).toHaveLength(60);
  });

  it('learns through real supervisor loops: premium dominates after 300 requests', () => {
    const router = banditRouter({ name: 'pick', arms: [...ARMS], random: seededRandom(21) });
    const events = runRequests(() => team(router, { seed: 4 }), 300);
    const chose = events.filter((e) => e.type === ('router.chose' as string)).map((e) => (e as unknown as { arm: string }).arm);
    expect(chose.slice(200).filter((a) => a === 'premium').length).toBeGreaterThan(80);
    const finished = events.filter((e) => e.type === 'supervisor.finished');
    expect(finished).toHaveLength(300);
    expect(finished.every((e) => e.type === 'supervisor.finished' && e.routingCalls === 2 && e.turns === 1)).toBe(true);
  });

  it('meters a worker: its model cost from node.usage, and its failure is scored even when it fails the loop', () => {
    const router = banditRouter({ name: 'metered', arms: ['premium'], random: seededRandom(1) });
    const events = runRequests(() => team(router, { seed: 3, meter: true, onWorkerError: 'fail', usd: { premium: 0.25 } }), 40);
    const rewarded = events.filter((e) => e.type === ('router.rewarded' as string)) as unknown as { reward: number; failed?: boolean; costUsd: number; costSource: string; durationMs: number }[];
    expect(rewarded).toHaveLength(40);
    expect(rewarded.every((e) => e.costUsd === 0.25 && e.costSource === 'metered' && e.durationMs === LATENCY.premium)).toBe(true);
    const failures = rewarded.filter((e) => e.failed);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((e) => e.reward === 0)).toBe(true);
    expect(events.filter((e) => e.type === 'node.failed')).toHaveLength(failures.length); // onWorkerError: 'fail'
    const posterior = router.posteriors() as Record<string, { n: number; sum: number }>;
    expect(posterior.premium).toMatchObject({ n: 40, sum: 40 - failures.length });
  });

  it('declared arm costs reach the reward when nothing is metered', () => {
    const seen: number[] = [];
    const router = banditRouter({ name: 'declared', arms: { budget: { cost: 0.2 } }, reward: (o) => (seen.push(o.costUsd), o.error ? 0 : 1) });
    const events = runRequests(() => team(router, { seed: 1 }), 3);
    expect(seen).toEqual([0.2, 0.2, 0.2]);
    expect(routingOnly(events).filter((e) => e.type === ('router.rewarded' as string)).every((e) => (e as unknown as { costSource: string }).costSource === 'declared')).toBe(true);
  });

  it("routes on with 'then' once the chosen arm answered", () => {
    const router = banditRouter({ name: 'first', arms: ['budget', 'standard'], random: seededRandom(2), then: sequenceRouter(['premium']) });
    const events = runRequests(() => team(router, { seed: 11, onWorkerError: 'report' }), 1);
    const routed = events.filter((e) => e.type === 'supervisor.routed').map((e) => (e.type === 'supervisor.routed' ? e.next : ''));
    expect(routed).toHaveLength(3);
    expect(['budget', 'standard']).toContain(routed[0]);
    expect(routed.slice(1)).toEqual(['premium', 'FINISH']);
  });

  it('leaves a choice for feedback() when the reward says undefined; feedback counts once', async () => {
    const store = memoryPosteriorStore();
    const router = banditRouter({ name: 'rated', arms: ['budget'], store, reward: () => undefined });
    const events = runRequests(() => team(router, { seed: 1 }), 1);
    expect(events.filter((e) => e.type === ('router.rewarded' as string))).toEqual([]);
    expect((router.posteriors() as Record<string, { n: number }>).budget!.n).toBe(0);
    const event = await router.feedback('r0', 'answer', 0.8);
    expect(event).toMatchObject({ type: 'router.rewarded', runId: 'r0', nodeId: 'answer', router: 'rated', arm: 'budget', reward: 0.8, source: 'feedback', choice: 'r0/answer/1/team#1' });
    expect(router.posteriors()).toMatchObject({ budget: { n: 1, sum: 0.8 } });
    await expect(router.feedback('r0', 'answer', 1)).rejects.toMatchObject({ code: 'UNKNOWN_CHOICE', runId: 'r0', nodeId: 'answer' });
  });

  it('keeps a choice waiting when feedback gives an invalid score', async () => {
    const router = banditRouter({ name: 'rated', arms: ['budget'], reward: () => undefined });
    runRequests(() => team(router, { seed: 1 }), 1);
    const bad = await router.feedback('r0', 'answer', 1.5).catch((e: unknown) => e);
    expect(isRoutingError(bad) && bad.code).toBe('INVALID_REWARD');
    await expect(router.feedback('r0', 'answer', 1)).resolves.toMatchObject({ reward: 1 });
  });

  it('fails the loop with ROUTER_FAILED when the scorer returns a reward a Beta prior cannot take', () => {
    const router = banditRouter({ name: 'strict', arms: ['budget'], reward: () => 2 });
    const events = runRequests(() => team(router, { seed: 1 }), 1);
    const failed = events.find((e) => e.type === 'node.failed');
    expect(failed?.type === 'node.failed' && failed.error).toMatchObject({ code: 'ROUTER_FAILED' });
    expect(failed?.type === 'node.failed' && failed.error.message).toMatch(/outside \[0, 1\]/);
  });

  it("uses the run's random source from the router context when it carries one", () => {
    const choose = (seed: number) => {
      const router = banditRouter({ name: 'ctx-random', arms: [...ARMS] });
      const arms: string[] = [];
      const random = seededRandom(seed);
      for (let i = 0; i < 20; i++) {
        const ctx = { signal: new AbortController().signal, scheduler: { now: () => 0 }, model: undefined, supervisor: 's', turn: 1, nodeId: 'n', runId: `r${i}`, attempt: 1, context: undefined, random, emit: () => {} };
        (router({ messages: [], turn: 1, workers: [...ARMS] }, ctx as never) as { next: string }[]).forEach((d) => arms.push(d.next));
      }
      return arms;
    };
    expect(choose(9)).toEqual(choose(9));
    expect(choose(9)).not.toEqual(choose(10));
  });

  it('chooses a model inside one node with select(), and settles it there', () => {
    const router = banditRouter({ name: 'model', arms: ['haiku', 'sonnet'], random: seededRandom(1) });
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('answer', {
              run: (ctx) => {
                const selection = router.select(ctx, { context: 'summaries' }) as Awaited<ReturnType<BanditRouter['select']>>;
                return timer(selection.arm === 'haiku' ? 5 : 9, ctx.scheduler).pipe(
                  map(() => {
                    selection.settle({ output: 'summary', costUsd: 0.01 });
                    return selection.arm;
                  }),
                );
              },
            })
            .build(),
          { runId: 'm1' },
        ),
      ),
    );
    const [chose, rewarded] = routingOnly(events) as unknown as { type: string; arm: string; context: string; choice: string; at: number; durationMs?: number }[];
    expect(chose).toMatchObject({ type: 'router.chose', context: 'summaries', choice: 'm1/answer/1/#s1' });
    expect(rewarded).toMatchObject({ type: 'router.rewarded', arm: chose!.arm, choice: chose!.choice, costUsd: 0.01, durationMs: chose!.arm === 'haiku' ? 5 : 9 });
    expect(router.posteriors('summaries')).toMatchObject({ [chose!.arm]: { n: 1 } });
  });

  it('names the option at fault', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isRoutingError(e) ? `${e.code}:${e.option}` : String(e);
      }
      return 'no error';
    };
    expect(code(() => banditRouter({ name: '', arms: ['a'] }))).toBe('INVALID_OPTIONS:name');
    expect(code(() => banditRouter({ name: 'x', arms: [] }))).toBe('INVALID_OPTIONS:arms');
    expect(code(() => banditRouter({ name: 'x', arms: ['a', 'a'] }))).toBe('INVALID_OPTIONS:arms');
    expect(code(() => banditRouter({ name: 'x', arms: { a: { cost: -1 } } }))).toBe('INVALID_OPTIONS:arms');
    expect(code(() => banditRouter({ name: 'x', arms: ['a'], explore: 1 }))).toBe('INVALID_OPTIONS:explore');
    expect(code(() => banditRouter({ name: 'x', arms: ['a'], prior: { kind: 'beta', alpha: 0 } }))).toBe('INVALID_OPTIONS:prior');
    expect(code(() => banditRouter({ name: 'x', arms: ['a'], prior: { kind: 'poisson' } as never }))).toBe('INVALID_OPTIONS:prior');
    expect(code(() => banditRouter({ name: 'x', arms: ['a'], propensitySamples: -1 }))).toBe('INVALID_OPTIONS:propensitySamples');
  });
});
