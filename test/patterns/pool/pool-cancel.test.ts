/**
 * Issue 10, item 1, for the agent pool: cancelling several submitters at once (a run's nodes) starts
 * none of the tasks queued behind them, and a queued task whose `signal` aborted never starts.
 * Virtual time.
 */
import { describe, expect, it } from 'vitest';
import { asyncScheduler, map, timer, type Subscription } from 'rxjs';
import { execute, graphFromNodes } from 'rx-orchestra';
import { createAgentPool, type AgentService } from 'rx-orchestra/patterns';
import { testScheduler } from '../../run/virtual-run.js';

function worker(spy: { started: string[]; cancelling: boolean; startedAfterCancel: number }): AgentService<unknown, string> {
  return {
    name: 'w',
    version: '1',
    capabilities: ['t'],
    model: 'none',
    execute: (task, { scheduler }) => {
      spy.started.push(task.id);
      if (spy.cancelling) spy.startedAfterCancel += 1;
      return timer(1_000, scheduler).pipe(map(() => ({ output: 'x' })));
    },
  };
}

describe('agent pool: cancellation', () => {
  it('nodes sharing a pool of size 1: cancelling the run starts none of the queued tasks', () => {
    const spy = testScheduler().run(({ flush }) => {
      const spy = { started: [] as string[], startedAfterCancel: 0, cancelling: false };
      const pool = createAgentPool({ size: 1, create: () => worker(spy) });
      const g = graphFromNodes(Array.from({ length: 3 }, (_, i) => ({ id: `n${i}`, run: () => pool.submit({ id: `t${i}`, type: 't', payload: {} }), retry: 0, timeout: false as const })));
      const subscription: Subscription = execute(g, { concurrency: Infinity }).subscribe();
      asyncScheduler.schedule(() => {
        spy.cancelling = true;
        subscription.unsubscribe();
      }, 500);
      flush();
      expect([pool.busy, pool.depth]).toEqual([0, 0]);
      return spy;
    });
    expect(spy.started).toEqual(['t0']);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('a running task cancelled: the next queued task starts after the teardown, at the same virtual time', () => {
    const log = testScheduler().run(({ flush }) => {
      const spy = { started: [] as string[], startedAfterCancel: 0, cancelling: false };
      const pool = createAgentPool({ size: 1, create: () => worker(spy) });
      const at: string[] = [];
      pool.events$.subscribe((e) => e.type === 'started' && at.push(`t=${e.at} ${e.taskId}`));
      const first = pool.submit({ id: 'a', type: 't', payload: {} }).subscribe();
      pool.submit({ id: 'b', type: 't', payload: {} }).subscribe();
      asyncScheduler.schedule(() => {
        first.unsubscribe();
        expect(spy.started).toEqual(['a']); // not inside the teardown
      }, 300);
      flush();
      return at;
    });
    expect(log).toEqual(['t=0 a', 't=300 b']);
  });

  it('a queued task whose signal aborted is withdrawn with its reason and never starts, even if freed in the same abort', () => {
    const result = testScheduler().run(({ flush }) => {
      const spy = { started: [] as string[], startedAfterCancel: 0, cancelling: false };
      const pool = createAgentPool({ size: 1, create: () => worker(spy) });
      const controller = new AbortController();
      const errors: unknown[] = [];
      // The running task ends (fails) on the same abort; the queued one must not take its place.
      const running = pool.submit({ id: 'running', type: 't', payload: {} }, { signal: controller.signal }).subscribe({ error: (e: unknown) => errors.push(e) });
      pool.submit({ id: 'queued', type: 't', payload: {} }, { signal: controller.signal }).subscribe({ error: (e: unknown) => errors.push(e) });
      pool.submit({ id: 'live', type: 't', payload: {} }).subscribe();
      asyncScheduler.schedule(() => {
        controller.abort(new Error('stop'));
        running.unsubscribe();
      }, 100);
      flush();
      return { started: spy.started, errors, busy: pool.busy, depth: pool.depth };
    });
    expect(result.started).toEqual(['running', 'live']);
    expect(result.errors).toEqual([new Error('stop')]);
    expect([result.busy, result.depth]).toEqual([0, 0]);
  });
});
