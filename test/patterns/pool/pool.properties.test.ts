/**
 * Property tests of the agent pool, in virtual time. Each sample is a pool of 1-5 instances and up
 * to 30 tasks with random arrival times, durations, priorities, deadlines and endings (success,
 * failure, or hanging past the agent's timeout); some submitters give up and unsubscribe. The run's
 * events and the agents' own bookkeeping are then checked against the pool's promises.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NEVER, VirtualTimeScheduler, finalize, map, timer, type Subscription } from 'rxjs';
import { createAgentPool, PoolEventSchema, TASK_PRIORITIES, type AgentError, type AgentService, type PoolEvent, type TaskPriority } from 'rx-orchestra/patterns';

const NUM_RUNS = 300;
const TIMEOUT_MS = 80;

interface TaskModel {
  readonly id: string;
  readonly arrival: number;
  readonly duration: number;
  readonly priority: TaskPriority;
  /** Deadline relative to arrival (0: already due), or none. */
  readonly deadlineAfter: number | undefined;
  readonly ending: 'ok' | 'fail' | 'hang';
  /** The submitter unsubscribes this long after arrival, unless the task has ended. */
  readonly cancelAfter: number | undefined;
}

interface Sample {
  readonly size: number;
  readonly tasks: readonly TaskModel[];
}

const taskArb = fc.record({
  arrival: fc.integer({ min: 0, max: 200 }),
  duration: fc.integer({ min: 1, max: 60 }),
  priority: fc.constantFrom<TaskPriority>('high', 'normal', 'low'),
  deadlineAfter: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined, freq: 2 }),
  ending: fc.constantFrom<TaskModel['ending']>('ok', 'ok', 'ok', 'fail', 'hang'),
  cancelAfter: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined, freq: 5 }),
});

const sampleArb: fc.Arbitrary<Sample> = fc.record({
  size: fc.integer({ min: 1, max: 5 }),
  tasks: fc.array(taskArb, { minLength: 1, maxLength: 30 }).map((tasks) => tasks.map((t, i) => ({ ...t, id: `t${i}` }))),
});

interface Observed {
  events: PoolEvent[];
  /** execute calls per task id. */
  calls: Map<string, number>;
  /** What each submitter saw: `result`, `error <code>`, or `cancelled`. */
  ends: Map<string, string[]>;
  peakRunning: number;
  /** An instance was asked to run two tasks at once. */
  instanceOverlap: boolean;
  /** For each task: was the pool idle with an empty queue when it arrived? */
  arrivedToIdle: Map<string, boolean>;
  final: { busy: number; depth: number };
}

function simulate({ size, tasks }: Sample): Observed {
  const scheduler = new VirtualTimeScheduler();
  const calls = new Map<string, number>();
  const ends = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  const arrivedToIdle = new Map<string, boolean>();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const runningOn = new Array<number>(size).fill(0);
  let running = 0;
  let peakRunning = 0;
  let instanceOverlap = false;
  const service = (index: number): AgentService<null, string> => ({
    name: 'worker',
    version: '1',
    capabilities: ['work'],
    model: 'm',
    timeoutMs: TIMEOUT_MS,
    execute: (task) => {
      calls.set(task.id, (calls.get(task.id) ?? 0) + 1);
      peakRunning = Math.max(peakRunning, ++running);
      if (++runningOn[index]! > 1) instanceOverlap = true;
      const model = byId.get(task.id)!;
      const work =
        model.ending === 'hang'
          ? NEVER
          : timer(model.duration, scheduler).pipe(
              map(() => {
                if (model.ending === 'fail') throw new Error('failed');
                return { output: task.id };
              }),
            );
      return work.pipe(
        finalize(() => {
          running--;
          runningOn[index]!--;
        }),
      );
    },
  });
  const pool = createAgentPool({ size, scheduler, create: service });
  const events: PoolEvent[] = [];
  pool.events$.subscribe((e) => events.push(e));
  for (const model of tasks) {
    scheduler.schedule(() => {
      arrivedToIdle.set(model.id, pool.busy < size && pool.depth === 0);
      const end = (what: string) => ends.get(model.id)!.push(what);
      const deadline = model.deadlineAfter === undefined ? {} : { deadline: scheduler.now() + model.deadlineAfter };
      const subscription: Subscription = pool.submit({ id: model.id, type: 'work', payload: null, priority: model.priority, ...deadline }).subscribe({
        next: () => end('result'),
        error: (e: AgentError) => end(`error ${e.code}`),
      });
      if (model.cancelAfter !== undefined) {
        scheduler.schedule(() => {
          if (ends.get(model.id)!.length === 0) {
            subscription.unsubscribe();
            end('cancelled');
          }
        }, model.cancelAfter);
      }
    }, model.arrival);
  }
  scheduler.flush();
  return { events, calls, ends, peakRunning, instanceOverlap, arrivedToIdle, final: { busy: pool.busy, depth: pool.depth } };
}

const rank = (p: TaskPriority) => TASK_PRIORITIES.indexOf(p);

describe('agent pool properties (random arrivals, durations, priorities, deadlines, cancellations)', () => {
  it('never runs more than N tasks at once, nor two on one instance', () => {
    fc.assert(
      fc.property(sampleArb, (sample) => {
        const seen = simulate(sample);
        expect(seen.peakRunning).toBeLessThanOrEqual(sample.size);
        expect(seen.instanceOverlap).toBe(false);
        for (const event of seen.events) expect(event.busy).toBeLessThanOrEqual(sample.size);
        expect(seen.final).toEqual({ busy: 0, depth: 0 });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('loses no task: each ends exactly once, for its submitter and on the event stream', () => {
    fc.assert(
      fc.property(sampleArb, (sample) => {
        const seen = simulate(sample);
        for (const task of sample.tasks) {
          expect(seen.ends.get(task.id), task.id).toHaveLength(1);
          const terminal = seen.events.filter((e) => e.taskId === task.id && (e.type === 'completed' || e.type === 'rejected' || e.type === 'cancelled'));
          expect(terminal, task.id).toHaveLength(1);
          const ended = seen.ends.get(task.id)![0]!;
          const expected = { result: 'completed', 'error DEADLINE_EXCEEDED': 'rejected', cancelled: 'cancelled' }[ended];
          expect(terminal[0]!.type, `${task.id}: ${ended}`).toBe(expected);
        }
        for (const event of seen.events) PoolEventSchema.parse(event);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('runs no task twice, and never runs a rejected one', () => {
    fc.assert(
      fc.property(sampleArb, (sample) => {
        const seen = simulate(sample);
        for (const task of sample.tasks) {
          const calls = seen.calls.get(task.id) ?? 0;
          const started = seen.events.filter((e) => e.type === 'started' && e.taskId === task.id).length;
          expect(calls, task.id).toBeLessThanOrEqual(1);
          expect(calls, task.id).toBe(started);
          const ended = seen.ends.get(task.id)![0];
          if (ended === 'result') expect(calls, task.id).toBe(1);
          if (ended === 'error DEADLINE_EXCEEDED') expect(calls, task.id).toBe(0);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('starts tasks only before their deadline and rejects them only once it has passed', () => {
    fc.assert(
      fc.property(sampleArb, (sample) => {
        const seen = simulate(sample);
        const byId = new Map(sample.tasks.map((t) => [t.id, t]));
        const queuedAt = new Map<string, number>();
        for (const event of seen.events) {
          const task = byId.get(event.taskId)!;
          if (event.type === 'queued') queuedAt.set(task.id, event.at);
          const arrivedAt = queuedAt.get(task.id) ?? event.at;
          const deadline = task.deadlineAfter === undefined ? Infinity : task.arrival + task.deadlineAfter;
          if (event.type === 'started') expect(event.at, task.id).toBeLessThan(deadline);
          if (event.type === 'rejected') {
            expect(event.at, task.id).toBeGreaterThanOrEqual(deadline);
            expect(event.at, `${task.id} rejected as soon as due`).toBe(Math.max(deadline, arrivedAt));
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('starts the most urgent waiting task (priority, then arrival), and never leaves an instance idle while tasks wait', () => {
    fc.assert(
      fc.property(sampleArb, (sample) => {
        const seen = simulate(sample);
        const byId = new Map(sample.tasks.map((t) => [t.id, t]));
        const waiting = new Map<string, number>(); // task id -> arrival order
        let arrivals = 0;
        seen.events.forEach((event, i) => {
          if (event.type === 'queued') waiting.set(event.taskId, arrivals++);
          if (event.type === 'started') {
            const key = (id: string) => [rank(byId.get(id)!.priority), waiting.get(id)!] as const;
            const [p, order] = key(event.taskId);
            for (const other of waiting.keys()) {
              const [q, otherOrder] = key(other);
              expect(q > p || (q === p && otherOrder >= order), `${event.taskId} started before ${other}`).toBe(true);
            }
          }
          if (event.type !== 'queued') waiting.delete(event.taskId);
          const next = seen.events[i + 1];
          if (!next || next.at > event.at) {
            // end of an instant: no task waits while an instance is idle
            expect(event.depth > 0 && event.busy < sample.size, `t=${event.at}`).toBe(false);
          }
        });
        for (const task of sample.tasks) {
          if (!seen.arrivedToIdle.get(task.id)) continue;
          const started = seen.events.find((e) => e.type === 'started' && e.taskId === task.id);
          if (started && started.type === 'started') expect(started.waitMs, task.id).toBe(0);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
