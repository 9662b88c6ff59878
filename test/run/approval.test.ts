import { describe, expect, it } from 'vitest';
import { NEVER, timer } from 'rxjs';
import { approval, collect, execute, graph, isApprovalError, shareRun, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

/** draft -> approve (human) -> send, beside a research branch that keeps running. */
const emailFlow = (timeout: number | false = false) =>
  graph()
    .node('draft', { run: () => work(5, { to: 'team', body: 'v1' }) })
    .node('approve', { deps: ['draft'], run: approval({ request: ({ draft }) => ({ subject: 'send?', ...draft }), timeout }) })
    .node('send', { deps: ['approve'], run: ({ inputs }) => work(2, `sent ${inputs.approve.body}`) })
    .node('research', { run: () => work(30, 'findings') })
    .node('summary', { deps: ['research'], run: () => work(10, 'summary') })
    .build();

describe('approval: a node waits for a person while other branches run', () => {
  it('waits (holding no slot) while other branches finish, then resumes on the decision', () => {
    testScheduler().run(({ flush }) => {
      const run$ = execute(emailFlow(), { concurrency: 1 });
      const events = record(run$);
      timer(60).subscribe(() => run$.decide('approve', { approve: true, by: 'ana' }));
      flush();
      expect(eventTimeline(events, { only: ['node.started', 'node.succeeded', 'node.waiting', 'node.decided', 'run.completed'] })).toEqual([
        't=0 node.started draft #1', // longest path first (draft, approve, send); one slot
        't=5 node.succeeded draft',
        't=5 node.waiting approve', // holds no slot: research runs meanwhile
        't=5 node.started research #1',
        't=35 node.succeeded research',
        't=35 node.started summary #1',
        't=45 node.succeeded summary',
        't=60 node.decided approve',
        't=60 node.started approve #1',
        't=60 node.succeeded approve',
        't=60 node.started send #1',
        't=62 node.succeeded send',
        't=62 run.completed succeeded',
      ]);
      expect(events.find((e) => e.type === 'node.waiting')).toMatchObject({ payload: { subject: 'send?', to: 'team', body: 'v1' }, timeoutMs: null });
      expect(events.find((e) => e.type === 'node.decided')).toMatchObject({ approve: true, by: 'ana' });
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'send')).toMatchObject({ value: 'sent v1' });
    });
  });

  it('a waiting node does not take a slot: with concurrency 1 the other branch runs while it waits', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('gate', { run: approval() })
        .node('busy', { run: () => work(10, 'x') })
        .build();
      const run$ = execute(g, { concurrency: 1 });
      const events = record(run$);
      timer(20).subscribe(() => run$.decide('gate', { approve: true, value: 'edited' }));
      flush();
      expect(eventTimeline(events, { only: ['node.waiting', 'node.started', 'node.succeeded'] })).toEqual([
        't=0 node.waiting gate',
        't=0 node.started busy #1',
        't=10 node.succeeded busy',
        't=20 node.started gate #1',
        't=20 node.succeeded gate',
      ]);
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'gate')).toMatchObject({ value: 'edited' }); // the decision's value replaces the payload
    });
  });

  it('rejection fails the node with APPROVAL_REJECTED (reason kept) and skips its dependents', () => {
    testScheduler().run(({ flush }) => {
      const run$ = execute(emailFlow());
      const events = record(run$);
      timer(50).subscribe(() => run$.decide('approve', { approve: false, reason: 'wrong tone', by: 'ana' }));
      flush();
      expect(events.find((e) => e.type === 'node.failed')).toMatchObject({
        nodeId: 'approve',
        error: { name: 'ApprovalError', code: 'APPROVAL_REJECTED', message: "node 'approve' was rejected by ana: wrong tone" },
      });
      expect(events.find((e) => e.type === 'node.skipped')).toMatchObject({ nodeId: 'send', cause: { kind: 'upstream', upstream: 'approve' } });
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', at: 50, summary: { status: 'partial' } });
    });
  });

  it('waiting past the timeout ends the node timedOut with APPROVAL_TIMEOUT', () => {
    testScheduler().run(({ flush }) => {
      const events = record(execute(emailFlow(100)));
      flush();
      expect(eventTimeline(events, { only: ['node.waiting', 'node.timedOut', 'node.skipped', 'run.completed'] })).toEqual([
        't=5 node.waiting approve',
        't=105 node.timedOut approve',
        't=105 node.skipped send (upstream approve)',
        't=105 run.completed partial',
      ]);
      expect(events.find((e) => e.type === 'node.timedOut')).toMatchObject({ timeoutMs: 100, error: { code: 'APPROVAL_TIMEOUT' } });
    });
  });

  it('a decision given before the node asks (or to execute as `decisions`) applies the moment it waits', async () => {
    const viaOption = await collect(execute(emailFlow(), { decisions: { approve: { approve: true } } }));
    expect(viaOption.outcomes.send).toMatchObject({ status: 'succeeded', value: 'sent v1' });
    testScheduler().run(({ flush }) => {
      const run$ = execute(emailFlow());
      const events = record(run$);
      run$.decide('approve', { approve: true }); // at t=0, before draft ended
      flush();
      expect(eventTimeline(events, { only: ['node.waiting', 'node.decided'] })).toEqual(['t=5 node.waiting approve', 't=5 node.decided approve']);
    });
  });

  it('`approve` on any node: it asks before it runs and reads the decision as ctx.approval', async () => {
    const seen: unknown[] = [];
    const g = graph()
      .node('plan', { run: () => [['rm -rf build']] })
      .node('exec', {
        deps: ['plan'],
        approve: { request: ({ plan }) => ({ commands: plan }) },
        run: ({ inputs, approval: granted }) => {
          seen.push(granted);
          return [inputs.plan.length];
        },
      })
      .build();
    const run$ = execute(g);
    const events: RunEvent[] = [];
    await new Promise<void>((done) =>
      run$.subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'node.waiting') run$.decide(e.nodeId, { approve: true, by: 'ops' });
        },
        complete: done,
      }),
    );
    expect(seen).toEqual([{ payload: { commands: ['rm -rf build'] }, by: 'ops' }]);
    expect(events.at(-1)).toMatchObject({ summary: { status: 'succeeded' } });
  });

  it('bad decisions are refused at once with a typed error naming the node', async () => {
    const run$ = execute(emailFlow());
    expect(() => run$.decide('approve', { approve: true })).toThrow(expect.objectContaining({ code: 'NO_LIVE_RUN' }));
    const sub = run$.subscribe();
    expect(() => run$.decide('aprove', { approve: true })).toThrow(expect.objectContaining({ code: 'UNKNOWN_NODE', nodeId: 'aprove' }));
    expect(() => run$.decide('approve', { ok: true } as never)).toThrow(expect.objectContaining({ code: 'INVALID_DECISION' }));
    sub.unsubscribe();
    expect(() => execute(emailFlow(), { decisions: { nope: { approve: true } } })).toThrow(expect.objectContaining({ code: 'UNKNOWN_NODE' }));
    expect(() => execute(emailFlow(), { decisions: 'approve' as never })).toThrow(expect.objectContaining({ name: 'ExecuteOptionsError', field: 'decisions' }));
    const done = graph().node('a', { run: () => [1] }).node('b', { deps: ['a'], run: () => NEVER, timeout: false }).build();
    const live$ = execute(done);
    const s = live$.subscribe();
    await new Promise((r) => setTimeout(r, 5));
    let error: unknown;
    try {
      live$.decide('a', { approve: true });
    } catch (e) {
      error = e;
    }
    expect(isApprovalError(error) && error.code).toBe('NOT_WAITING');
    s.unsubscribe();
    expect(() => graph().node('a', { run: () => [1], approve: { timeout: -1 } }).build()).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'approve.timeout' }) }));
  });

  it('shareRun passes decisions to the run; a late subscriber sees the node waiting in the snapshot', () => {
    testScheduler().run(({ flush }) => {
      const shared = shareRun(execute(emailFlow()));
      shared.connect();
      timer(10).subscribe(() => {
        expect(shared.snapshot()?.states.approve).toMatchObject({ state: 'waiting', waiting: { payload: { subject: 'send?', to: 'team', body: 'v1' }, timeoutMs: null } });
        shared.decide('approve', { approve: true });
      });
      flush();
      expect(shared.snapshot()?.summary?.status).toBe('succeeded');
    });
  });

  it('cancelling a run with a node waiting clears its deadline (nothing fires later)', () => {
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const events: RunEvent[] = [];
      const sub = execute(emailFlow(1_000)).subscribe((e) => events.push(e));
      timer(50).subscribe(() => sub.unsubscribe());
      flush();
      expect(events.some((e) => e.type === 'node.timedOut')).toBe(false);
      expect(events.some((e) => e.type === 'run.completed')).toBe(false);
      expect(eventTimeline(events).at(-1)).toBe('t=40 node.succeeded summary');
      expect(scheduler.frame).toBe(50); // virtual time stopped at the cancel: no deadline left at t=1005
    });
  });
});
