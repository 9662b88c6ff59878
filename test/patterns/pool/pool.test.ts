/** The agent pool in virtual time: priority then arrival, at most N busy, deadlines, cancellation, its event stream. */
import { describe, expect, it } from 'vitest';
import { asyncScheduler, map, timer, type Subscription } from 'rxjs';
import { createAgentPool, PoolEventSchema, type AgentError, type AgentService, type AgentTask, type PoolEvent, type TaskPriority } from 'rx-orchestra/patterns';
import { testScheduler } from '../../run/virtual-run.js';

interface Log {
  /** `t=<now> <instance> <task>` per execute call. */
  ran: string[];
  /** `t=<now> <task> ok|failed|error <code>` per outcome the submitter sees. */
  outcomes: string[];
  events: PoolEvent[];
  aborted: string[];
}

/** A coder whose tasks take `payload.ms` (default 10) virtual ms; `payload.fail` makes it fail. */
function coder(index: number, log: Log): AgentService<{ ms?: number; fail?: boolean }, string> {
  return {
    name: 'coder',
    version: '1.0.0',
    capabilities: ['code'],
    model: 'claude-haiku-4-5',
    execute: (task, { scheduler, signal }) => {
      log.ran.push(`t=${scheduler.now()} #${index} ${task.id}`);
      signal.addEventListener('abort', () => log.aborted.push(`t=${scheduler.now()} ${task.id}`));
      return timer(task.payload.ms ?? 10, scheduler).pipe(
        map(() => {
          if (task.payload.fail) throw new Error(`${task.id} broke`);
          return { output: `code for ${task.id}`, tokensUsed: 50 };
        }),
      );
    },
  };
}

const task = (id: string, priority: TaskPriority = 'normal', extra: Partial<AgentTask<{ ms?: number; fail?: boolean }>> = {}) => ({ id, type: 'code', payload: {}, priority, ...extra });

/** Runs `script(submit, at)` in virtual time against a pool of `size`; `at(ms, fn)` schedules a step. */
function simulate(size: number, script: (submit: (t: AgentTask<{ ms?: number; fail?: boolean }>) => Subscription, at: (ms: number, fn: () => void) => void) => void): Log {
  return testScheduler().run(() => {
    const log: Log = { ran: [], outcomes: [], events: [], aborted: [] };
    const pool = createAgentPool({ size, create: (i) => coder(i, log) });
    pool.events$.subscribe((e) => log.events.push(e));
    const now = () => asyncScheduler.now();
    const submit = (t: AgentTask<{ ms?: number; fail?: boolean }>) =>
      pool.submit(t).subscribe({
        next: (r) => log.outcomes.push(`t=${now()} ${t.id} ${r.success ? 'ok' : 'failed'}`),
        error: (e: AgentError) => log.outcomes.push(`t=${now()} ${t.id} error ${e.code}`),
      });
    script(submit, (ms, fn) => asyncScheduler.schedule(fn, ms));
    return log;
  });
}

const line = (e: PoolEvent): string => {
  const extra = e.type === 'started' ? ` #${e.instance} waited ${e.waitMs}` : e.type === 'completed' ? ` #${e.instance} ${e.success ? 'ok' : 'failed'} in ${e.durationMs}` : e.type === 'rejected' ? ` waited ${e.waitMs}` : '';
  return `t=${e.at} ${e.type} ${e.taskId}${extra} depth=${e.depth} busy=${e.busy}`;
};

describe('agent pool: queue order', () => {
  it('serves by priority (high, normal, low), then by arrival', () => {
    const log = simulate(1, (submit, at) => {
      submit(task('busy'));
      const arrivals: [string, TaskPriority][] = [['low-1', 'low'], ['normal-1', 'normal'], ['high-1', 'high'], ['normal-2', 'normal'], ['high-2', 'high'], ['low-2', 'low']];
      arrivals.forEach(([id, priority], i) => at(i + 1, () => submit(task(id, priority))));
    });
    expect(log.ran).toEqual(['t=0 #0 busy', 't=10 #0 high-1', 't=20 #0 high-2', 't=30 #0 normal-1', 't=40 #0 normal-2', 't=50 #0 low-1', 't=60 #0 low-2']);
    expect(log.events.filter((e) => e.type === 'started').map(line)).toEqual([
      't=0 started busy #0 waited 0 depth=0 busy=1',
      't=10 started high-1 #0 waited 7 depth=5 busy=1',
      't=20 started high-2 #0 waited 15 depth=4 busy=1',
      't=30 started normal-1 #0 waited 28 depth=3 busy=1',
      't=40 started normal-2 #0 waited 36 depth=2 busy=1',
      't=50 started low-1 #0 waited 49 depth=1 busy=1',
      't=60 started low-2 #0 waited 54 depth=0 busy=1',
    ]);
  });

  it('keeps at most N tasks running, one per instance, and starts the next the moment one frees', () => {
    const log = simulate(3, (submit) => {
      for (let i = 1; i <= 7; i++) submit(task(`t${i}`, 'normal', { payload: { ms: 10 + i } }));
    });
    expect(Math.max(...log.events.map((e) => e.busy))).toBe(3);
    expect(log.ran).toEqual(['t=0 #0 t1', 't=0 #1 t2', 't=0 #2 t3', 't=11 #0 t4', 't=12 #1 t5', 't=13 #2 t6', 't=25 #0 t7']);
    expect(log.events.filter((e) => e.type === 'queued').map((e) => e.depth)).toEqual([1, 1, 1, 1, 2, 3, 4]);
    expect(log.outcomes).toHaveLength(7);
  });

  it('tells the whole story on events$: queued, started, completed, with depth, busy and waits', () => {
    const log = simulate(1, (submit, at) => {
      submit(task('a'));
      at(4, () => submit(task('b', 'normal', { payload: { fail: true } })));
    });
    expect(log.events.map(line)).toEqual([
      't=0 queued a depth=1 busy=0',
      't=0 started a #0 waited 0 depth=0 busy=1',
      't=4 queued b depth=1 busy=1',
      't=10 completed a #0 ok in 10 depth=1 busy=0',
      't=10 started b #0 waited 6 depth=0 busy=1',
      't=20 completed b #0 failed in 10 depth=0 busy=0',
    ]);
    expect(log.events.find((e) => e.type === 'completed' && !e.success)).toMatchObject({ error: { message: 'b broke' } });
    expect(log.outcomes).toEqual(['t=10 a ok', 't=20 b failed']);
    for (const event of log.events) expect(PoolEventSchema.parse(event)).toEqual(event);
  });
});

describe('agent pool: deadlines', () => {
  it('rejects a task submitted after its deadline at once, without queueing or running it', () => {
    const log = simulate(2, (submit, at) => at(5, () => submit(task('late', 'high', { deadline: 5 }))));
    expect(log.ran).toEqual([]);
    expect(log.outcomes).toEqual(['t=5 late error DEADLINE_EXCEEDED']);
    expect(log.events.map(line)).toEqual(['t=5 rejected late waited 0 depth=0 busy=0']);
  });

  it('rejects a waiting task when its deadline passes, and the queue moves on', () => {
    const log = simulate(1, (submit, at) => {
      submit(task('busy', 'normal', { payload: { ms: 30 } }));
      at(1, () => submit(task('urgent', 'high', { deadline: 20 })));
      at(2, () => submit(task('patient', 'low', { deadline: 100 })));
    });
    expect(log.events.map(line)).toEqual([
      't=0 queued busy depth=1 busy=0',
      't=0 started busy #0 waited 0 depth=0 busy=1',
      't=1 queued urgent depth=1 busy=1',
      't=2 queued patient depth=2 busy=1',
      't=20 rejected urgent waited 19 depth=1 busy=1', // at its deadline, not when a slot frees
      't=30 completed busy #0 ok in 30 depth=1 busy=0',
      't=30 started patient #0 waited 28 depth=0 busy=1',
      't=40 completed patient #0 ok in 10 depth=0 busy=0',
    ]);
    expect(log.outcomes).toEqual(['t=20 urgent error DEADLINE_EXCEEDED', 't=30 busy ok', 't=40 patient ok']);
    expect(log.ran.map((r) => r.split(' ').at(-1))).toEqual(['busy', 'patient']);
  });

  it('checks the deadline again at dequeue: a task due exactly when a slot frees does not start', () => {
    const log = simulate(1, (submit, at) => {
      submit(task('busy', 'normal', { payload: { ms: 10 } }));
      at(1, () => submit(task('due-at-10', 'high', { deadline: 10 })));
      at(2, () => submit(task('next', 'normal')));
    });
    expect(log.ran).toEqual(['t=0 #0 busy', 't=10 #0 next']);
    expect(log.outcomes).toEqual(['t=10 busy ok', 't=10 due-at-10 error DEADLINE_EXCEEDED', 't=20 next ok']);
    // the slot freed before the deadline timer fired (same instant): the dequeue check rejected it
    expect(log.events.filter((e) => e.at === 10).map((e) => `${e.type} ${e.taskId}`)).toEqual(['completed busy', 'rejected due-at-10', 'started next']);
  });

  it('the rejection is a typed error naming the task, the deadline and the wait', () => {
    let error: AgentError | undefined;
    testScheduler().run(() => {
      const log: Log = { ran: [], outcomes: [], events: [], aborted: [] };
      const pool = createAgentPool({ size: 1, name: 'coders', create: (i) => coder(i, log) });
      pool.submit(task('busy', 'normal', { payload: { ms: 50 } })).subscribe();
      pool.submit(task('fix', 'high', { deadline: new Date(25) })).subscribe({ error: (e: AgentError) => (error = e) });
    });
    expect(error).toMatchObject({ name: 'AgentError', code: 'DEADLINE_EXCEEDED', taskId: 'fix', agent: 'coders', details: { deadline: 25, waitedMs: 25 } });
    expect(error?.message).toBe("task 'fix' missed its deadline (25) waiting in pool 'coders' (now 25, waited 25 ms)");
  });
});

describe('agent pool: cancellation and validation', () => {
  it('unsubscribing withdraws a waiting task, or cancels a running one (aborting it) and frees its instance', () => {
    const log = simulate(1, (submit, at) => {
      const running = submit(task('a', 'normal', { payload: { ms: 100 } }));
      const waiting = submit(task('b'));
      submit(task('c'));
      at(5, () => waiting.unsubscribe());
      at(7, () => running.unsubscribe());
    });
    expect(log.ran).toEqual(['t=0 #0 a', 't=7 #0 c']);
    expect(log.aborted).toEqual(['t=7 a']);
    expect(log.events.filter((e) => e.type === 'cancelled').map((e) => `t=${e.at} ${e.taskId} running=${e.type === 'cancelled' && e.wasRunning} depth=${e.depth}`)).toEqual([
      't=5 b running=false depth=1',
      't=7 a running=true depth=1',
    ]);
    expect(log.outcomes).toEqual(['t=17 c ok']);
  });

  it('creates instances lazily, up to its size', () => {
    testScheduler().run(() => {
      const log: Log = { ran: [], outcomes: [], events: [], aborted: [] };
      const created: number[] = [];
      const pool = createAgentPool({ size: 4, create: (i) => (created.push(i), coder(i, log)) });
      expect([pool.created, pool.name]).toEqual([1, 'coder']);
      pool.submit(task('a')).subscribe();
      pool.submit(task('b')).subscribe();
      expect([pool.created, pool.busy, pool.depth]).toEqual([2, 2, 0]);
      expect(created).toEqual([0, 1]);
    });
  });

  it('refuses bad options and tasks it cannot take, at call time', () => {
    const log: Log = { ran: [], outcomes: [], events: [], aborted: [] };
    expect(() => createAgentPool({ size: 0, create: (i) => coder(i, log) })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'size' }));
    expect(() => createAgentPool({ size: 2, create: 'coder' as never })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'create' }));
    expect(() => createAgentPool({ size: 2, create: () => ({ ...coder(0, log), maxConcurrency: 0 }) })).toThrowError(expect.objectContaining({ code: 'INVALID_AGENT', field: 'maxConcurrency' }));
    const pool = createAgentPool({ size: 2, create: (i) => coder(i, log) });
    expect(() => pool.submit({ ...task('r'), type: 'review' })).toThrowError(expect.objectContaining({ code: 'CANNOT_HANDLE', taskId: 'r' }));
    expect(() => pool.submit(task('x', 'urgent' as never))).toThrowError(expect.objectContaining({ code: 'INVALID_TASK', field: 'priority' }));
  });
});
