/**
 * Issue 11 (review): a lease is fenced by its owner. An owner that stalled past its TTL (SIGSTOP, a
 * long GC pause, a suspended machine) while another owner took the run over, finished it and
 * released the lease, must neither take the lease back when it wakes (renewal extends only a lease
 * it still holds) nor write (a write given an owner needs that owner to hold the lease). Against
 * both real stores; the stalled owner's renewal timer runs on a scheduler the test advances by hand.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Subject, VirtualTimeScheduler, firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { graph, type RunEvent } from 'rx-orchestra';
import { executeDurable, graphFingerprint, isRunLockedError, resume, type DurableStore, type NodeCheckpoint } from 'rx-orchestra/store';
import { redisKind, sqliteKind } from './stores.js';

const TTL = 300;

const settle = (run$: Observable<RunEvent>) =>
  lastValueFrom(run$.pipe(toArray())).then(
    (events) => ({ events, error: undefined as unknown }),
    (error: unknown) => ({ events: [] as RunEvent[], error }),
  );

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A renewal clock that moves only when told to: `tick()` runs the next renewal. */
function frozenClock(renewEveryMs: number) {
  const scheduler = new VirtualTimeScheduler();
  scheduler.maxFrames = 0;
  return {
    scheduler,
    tick: () => {
      scheduler.maxFrames += renewEveryMs;
      scheduler.flush();
    },
  };
}

const checkpointOf = (nodeId: string, value: unknown): NodeCheckpoint => ({
  nodeId,
  outcome: { status: 'succeeded', value, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 },
  usage: { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 },
  savedAt: 1,
});

describe.each([sqliteKind(), redisKind()])('lease fencing on the $name store', (kind) => {
  let stores: DurableStore[] = [];
  const open = () => {
    const { store, reopen } = kind.open();
    stores.push(store);
    return {
      store,
      other: () => {
        const s = reopen();
        stores.push(s);
        return s;
      },
    };
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  /** Takes the run over once the stalled owner's lease has expired (retrying RUN_LOCKED until then). */
  async function takeOver(store: DurableStore, runId: string, g: Parameters<typeof resume>[2]) {
    let result: Awaited<ReturnType<typeof settle>> | undefined;
    await waitUntil('the stalled lease expires and the takeover runs', async () => {
      result = await settle(resume(store, runId, g, { lease: { ttlMs: TTL } }));
      return !isRunLockedError(result.error);
    });
    return result!;
  }

  it('store: renewLease extends only a lease its owner still holds; writes given an owner need that owner to hold the lease', async () => {
    const { store, other } = open();
    const second = other();
    await store.openRun({ runId: 'f1', fingerprint: graphFingerprint(graph().node('a', { run: () => [1] }).build()), createdAt: 0 });
    expect(await store.acquireLease('f1', 'A', 60_000)).toEqual({ acquired: true });
    expect(await store.renewLease('f1', 'A', 60_000)).toEqual({ acquired: true });
    expect(await second.renewLease('f1', 'B', 60_000)).toMatchObject({ acquired: false, owner: 'A' }); // B never held it
    await store.releaseLease('f1', 'A');
    // Nobody holds it now (released, or taken over and released by another owner): A has lost it.
    expect(await store.renewLease('f1', 'A', 60_000)).toMatchObject({ acquired: false });
    expect(await second.acquireLease('f1', 'B', 60_000)).toEqual({ acquired: true }); // A did not re-take it
    await second.releaseLease('f1', 'B');
    for (const write of [() => store.saveNode('f1', checkpointOf('a', 1), 'A'), () => store.setRunStatus('f1', 'succeeded', 2, 'A')]) {
      const error = await (async () => write())().catch((e: unknown) => e);
      expect(isRunLockedError(error) && [error.code, error.runId, error.lost]).toEqual(['RUN_LOCKED', 'f1', true]);
    }
    expect((await store.loadRun('f1'))!.nodes).toEqual({});
    await store.saveNode('f1', checkpointOf('a', 1), undefined); // no owner given: not fenced (custom pipelines without a lease)
    expect(Object.keys((await store.loadRun('f1'))!.nodes)).toEqual(['a']);
  });

  it('an owner that stalled past its TTL, was taken over and released, writes nothing when it wakes and fails with a lost RUN_LOCKED', async () => {
    const { store, other } = open();
    const release = new Subject<string>();
    const ran: string[] = [];
    let who = 'A';
    const g = graph()
      .node('slow', { run: () => (ran.push(`slow by ${who}`), who === 'A' ? firstValueFrom(release) : Promise.resolve('by B')), timeout: false })
      .node('after', { deps: ['slow'], run: () => (ran.push(`after by ${who}`), ['x']) })
      .build();
    const frozen = frozenClock(100);
    const first = settle(executeDurable(store, g, { runId: 'f2', lease: { ttlMs: TTL, renewEveryMs: 100, scheduler: frozen.scheduler } }));
    await waitUntil('A runs slow', () => ran.length === 1);
    who = 'B';
    const taken = await takeOver(other(), 'f2', g); // A's lease expired unrenewed: B runs the run, then releases the lease
    expect(taken.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    who = 'A';
    release.next('late by A'); // A wakes up
    const { error } = await first;
    expect(isRunLockedError(error) && [error.code, error.lost]).toEqual(['RUN_LOCKED', true]);
    const saved = await store.loadRun('f2');
    expect(saved).toMatchObject({ status: 'succeeded', nodes: { slow: { outcome: { value: 'by B' } }, after: { outcome: { value: 'x' } } } });
    // SQLite writes synchronously: the refused write stops A before 'after' starts. With Redis the
    // write is in flight while the run goes on, so A may start 'after' before the refusal arrives
    // (its own write of it is refused too: nothing of A's is stored, as checked above).
    if (kind.name === 'sqlite') expect(ran.filter((r) => r.startsWith('after'))).toEqual(['after by B']);
  });

  it('a stalled owner whose run was taken over and released does not take the lease back on its next renewal', async () => {
    const { store, other } = open();
    const g = graph().node('slow', { run: () => new Promise<string>(() => undefined), timeout: false }).build();
    const frozen = frozenClock(100);
    const first = settle(executeDurable(store, g, { runId: 'f3', lease: { ttlMs: TTL, renewEveryMs: 100, scheduler: frozen.scheduler } }));
    await waitUntil('A holds the lease', async () => !(await store.acquireLease('f3', 'probe', 1)).acquired);
    // B takes over once A's lease expired; its 'slow' fails at once, and B releases the lease.
    const gB = graph().node('slow', { run: () => Promise.reject(Object.assign(new Error('no'), { retryable: false })), timeout: false }).build();
    const taken = await takeOver(other(), 'f3', gB);
    expect(taken.error).toBeUndefined();
    frozen.tick(); // A's renewal, late
    const stillRunning = new Promise<{ error: unknown }>((resolve) => setTimeout(() => resolve({ error: 'A still runs' }), 5_000));
    const { error } = await Promise.race([first, stillRunning]);
    expect(isRunLockedError(error) && [error.code, error.lost]).toEqual(['RUN_LOCKED', true]);
    const probe = await store.acquireLease('f3', 'C', 60_000);
    expect(probe).toEqual({ acquired: true }); // nobody holds it: A did not re-take it
  });
});

describe('lease renewal on the redis store when Redis lost the run (restarted empty, flushed)', () => {
  const kind = redisKind();
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());

  it('fails the run with STORE_FAILED (the data is gone), not with a lost lease', async () => {
    const { store } = kind.open();
    const g = graph().node('slow', { run: () => new Promise<string>(() => undefined), timeout: false }).build();
    const frozen = frozenClock(100);
    const run = settle(executeDurable(store, g, { runId: 'gone', lease: { ttlMs: 60_000, renewEveryMs: 100, scheduler: frozen.scheduler } }));
    await waitUntil('the run is checkpointed', async () => (await store.loadRun('gone')) !== undefined);
    const { client, prefix } = store as unknown as { client: { del: (...keys: string[]) => Promise<number> }; prefix: string };
    await client.del(`${prefix}run:gone`, `${prefix}run:gone:nodes`, `${prefix}run:gone:lease`); // what an empty restart leaves of it
    frozen.tick();
    const { error } = await run;
    expect(error).toMatchObject({ code: 'STORE_FAILED', runId: 'gone' });
    expect((error as Error).message).toMatch(/restarted empty/);
    await store.close();
  });
});
