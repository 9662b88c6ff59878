import { describe, expect, it, vi } from 'vitest';
import { JSON_roundTrip } from './json.js';
import { execute, graph, OptionsError, RunEventSchema, run, shareRun, type RunEvent } from 'rx-orchestra';
import { eventTimeline, scriptedAgent } from 'rx-orchestra/testing';
import { failAfter, record, testScheduler, work } from './virtual-run.js';

describe('a run is a cold Observable', () => {
  it('does nothing until subscribed, and each subscription is a separate run', async () => {
    const calls = vi.fn(() => Promise.resolve(1));
    const run$ = execute(graph().node('a', { run: calls }).build());
    expect(calls).not.toHaveBeenCalled();
    await run(graph().node('a', { run: calls }).build());
    const { lastValueFrom } = await import('rxjs');
    await lastValueFrom(run$);
    await lastValueFrom(run$);
    expect(calls).toHaveBeenCalledTimes(3);
  });

  it('cancels on unsubscribe: in-flight nodes are unsubscribed and aborted, nothing starts afterwards', () => {
    const agent = scriptedAgent<string, string>([{ reply: 'a', after: 10 }, { reply: 'b', after: 40 }, { reply: 'c', after: 10 }], {
      whenExhausted: 'repeatLast',
    });
    const events = testScheduler().run(({ cold, expectSubscriptions, flush }) => {
      const tracked = cold<string>('---------------------------------------x|'); // 40 frames
      const g = graph()
        .node('first', { run: ({ signal }) => agent.call('first', signal) })
        .node('second', { run: ({ signal }) => agent.call('second', signal) })
        .node('watched', { run: () => tracked })
        .node('after', { deps: ['first'], run: ({ signal }) => agent.call('after', signal) })
        .node('afterAll', { deps: ['second', 'after'], run: ({ signal }) => agent.call('afterAll', signal) })
        .build();
      const recorded: RunEvent[] = [];
      const subscription = execute(g, { concurrency: 3 }).subscribe((e) => recorded.push(e));
      // the user unsubscribes at t=15
      cold('15ms x').subscribe(() => subscription.unsubscribe());
      expectSubscriptions(tracked.subscriptions).toBe('^ 14ms !');
      flush();
      return recorded;
    });
    expect(eventTimeline(events, { only: ['node.started', 'node.succeeded'] })).toEqual([
      't=0 node.started first #1',
      't=0 node.started second #1',
      't=0 node.started watched #1',
      't=10 node.succeeded first',
      't=10 node.started after #1',
    ]);
    expect(events.some((e) => e.type === 'run.completed')).toBe(false);
    expect(agent.calls.map((c) => [c.input, c.result, c.endedAt, c.signalAborted])).toEqual([
      ['first', 'replied', 10, false],
      ['second', 'cancelled', 15, true],
      ['after', 'cancelled', 15, true],
    ]);
  });

  it('rejects invalid options at call time, naming the field', () => {
    const g = graph().node('a', { run: () => [1] }).build();
    expect(() => execute(g, { concurrency: 0 })).toThrow(OptionsError);
    expect(() => execute(g, { concurrency: 2.5 })).toThrow(/'concurrency' must be an integer >= 1/);
    expect(() => execute(g, { runId: '' })).toThrow(expect.objectContaining({ field: 'runId', code: 'INVALID_OPTION' }));
  });
});

describe('events', () => {
  it('carry scheduler timestamps, the run id, and validate against the published zod schema after JSON', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('a', { run: () => work(5, { text: 'hi' }), meta: { agent: 'writer' } })
        .node('b', { deps: ['a'], run: () => failAfter(2), retry: { count: 1, initialDelay: 3, jitter: 0 } })
        .node('c', { deps: ['b'], run: () => work(1, 1) })
        .node('d', { run: () => failAfter(1), fallback: { value: 0 } })
        .build();
      return record(execute(g, { runId: 'trace-1', concurrency: 2 }));
    });
    expect(events.every((e) => e.runId === 'trace-1')).toBe(true);
    expect(events[0]).toMatchObject({ type: 'run.started', at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [], meta: { agent: 'writer' } }, { id: 'b', deps: ['a'] }, { id: 'c', deps: ['b'] }, { id: 'd', deps: [] }] });
    expect(eventTimeline(events)).toEqual([
      't=0 run.started',
      't=0 node.queued a',
      't=0 node.queued d',
      't=0 node.started a #1',
      't=0 node.started d #1',
      't=1 node.fellBack d',
      't=5 node.succeeded a',
      't=5 node.queued b',
      't=5 node.started b #1',
      't=7 node.retrying b #1 wait=3',
      't=10 node.started b #2',
      't=12 node.failed b',
      't=12 node.skipped c (upstream b)',
      't=12 run.completed partial',
    ]);
    for (const event of events) expect(RunEventSchema.parse(JSON_roundTrip(event))).toEqual(JSON_roundTrip(event));
    expect(events.at(-1)).toMatchObject({ summary: { makespanMs: 12, attempts: 4, retries: 1 } });
  });

  it('the schema rejects a malformed event, naming the field', () => {
    const result = RunEventSchema.safeParse({ type: 'node.started', runId: 'r', nodeId: 'a', at: 'soon', attempt: 1 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['at']);
  });
});

describe('shareRun: several subscribers, one run', () => {
  it('runs once for all subscribers; a late subscriber gets a snapshot, then live events', () => {
    const runs = vi.fn();
    const { early, late, result } = testScheduler().run(({ cold, flush }) => {
      const g = graph()
        .node('a', { run: () => (runs('a'), work(10, 'a')) })
        .node('b', { deps: ['a'], run: () => (runs('b'), work(10, 'b')) })
        .build();
      const shared = shareRun(execute(g, { runId: 'shared' }));
      const early = record(shared.events$);
      const logger = record(shared.events$);
      const late: RunEvent[] = [];
      cold('15ms x').subscribe(() => shared.events$.subscribe((e) => late.push(e)));
      shared.connect();
      shared.connect(); // idempotent
      flush();
      expect(logger).toEqual(early);
      return { early, late, result: shared.snapshot() };
    });
    expect(runs.mock.calls).toEqual([['a'], ['b']]);
    expect(early.at(-1)?.type).toBe('run.completed');
    expect(late[0]).toMatchObject({
      type: 'run.snapshot',
      at: 10,
      states: { a: { state: 'succeeded', attempts: 1, startedAt: 0, endedAt: 10 }, b: { state: 'running', attempts: 1, startedAt: 10 } },
    });
    expect(eventTimeline(late.slice(1))).toEqual(['t=20 node.succeeded b', 't=20 run.completed succeeded']);
    expect(result).toMatchObject({ summary: { status: 'succeeded' }, states: { b: { state: 'succeeded' } } });
  });

  it('resolves the shared result, and a subscriber after completion gets the final snapshot and completes', async () => {
    const shared = shareRun(execute(graph().node('a', { run: () => Promise.resolve(42) }).build()));
    shared.connect();
    const result = await shared.result;
    expect(result.outcomes.a).toMatchObject({ status: 'succeeded', value: 42 });
    const after: RunEvent[] = [];
    await new Promise<void>((resolve) => shared.events$.subscribe({ next: (e) => after.push(e), complete: resolve }));
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ type: 'run.snapshot', summary: { status: 'succeeded' } });
  });
});
