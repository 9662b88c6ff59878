/**
 * A run has one owner at a time. `executeDurable` and `resume` hold a lease on the run (a row with
 * owner and expiry in SQLite, a `SET NX PX` key in Redis), renewed while the run goes on and
 * released when it ends; a second `resume` (or `executeDurable`) of a live run fails with
 * RUN_LOCKED naming the owner, and runs nothing. A crashed owner's lease expires, so a run killed
 * with SIGKILL can still be resumed. Against both real stores; lease timing in virtual time where
 * the SQLite store's clock can be virtual, real processes for the SIGKILL case.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  executeDurable,
  graphFingerprint,
  isRunLockedError,
  isStoreError,
  redisStore,
  resume,
  sqliteStore,
  type DurableStore,
  type MaybePromise,
  type NodeCheckpoint,
  type RunStore,
} from 'rx-orchestra/store';
import { graph, graphFromNodes, type RunEvent } from 'rx-orchestra';
import { startFakeAnthropic, type FakeRequest } from 'rx-orchestra/testing';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { runFixture } from '../support/child-run.js';
import { redisKind, sqliteKind, tempDir } from './stores.js';

const settle = (run$: Observable<RunEvent>) =>
  lastValueFrom(run$.pipe(toArray())).then(
    (events) => ({ events, error: undefined as unknown }),
    (error: unknown) => ({ events: [] as RunEvent[], error }),
  );
/** The SQLite store answers synchronously. */
const sync = <T>(value: MaybePromise<T>): T => value as T;
const started = (events: RunEvent[]) => events.filter((e) => e.type === 'node.started').map((e) => (e as { nodeId: string }).nodeId);

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, withinMs = 60_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `root`, then `w1`..`w6` on it, which fail on the first run and, once `fixed`, wait for `open()`:
 * the test starts a second owner meanwhile. `runs` counts each node's executions.
 */
function workGraph() {
  const runs: Record<string, number> = Object.create(null) as Record<string, number>;
  let fixed = false;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const count = (id: string) => (runs[id] = (runs[id] ?? 0) + 1);
  const workers = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
  const g = graphFromNodes([
    { id: 'root', run: () => (count('root'), ['R']) },
    ...workers.map((id) => ({
      id,
      deps: ['root'],
      run: async () => {
        count(id);
        if (!fixed) throw Object.assign(new Error('not yet'), { retryable: false });
        await gate;
        return id.toUpperCase();
      },
    })),
  ]);
  return { g, runs, workers, fix: () => (fixed = true), open };
}

describe.each([sqliteKind(), redisKind()])('one owner per run on the $name store', (kind) => {
  let stores: DurableStore[] = [];
  const handles = () => {
    const { store, reopen } = kind.open();
    stores.push(store);
    const other = () => {
      const s = reopen();
      stores.push(s);
      return s;
    };
    return { store, other };
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('two resumes of one run at once: one runs each node once, the other fails with RUN_LOCKED and runs nothing', async () => {
    const { store, other } = handles();
    const { g, runs, workers, fix, open } = workGraph();
    await settle(executeDurable(store, g, { runId: 'r1' }));
    fix();
    const first = settle(resume(other(), 'r1', g));
    const second = settle(resume(other(), 'r1', g));
    await waitUntil('one of them runs the workers', () => workers.every((id) => (runs[id] ?? 0) >= 2));
    open();
    const results = await Promise.all([first, second]);
    const locked = results.filter((r) => r.error !== undefined);
    const ran = results.filter((r) => r.error === undefined);
    expect(ran).toHaveLength(1);
    expect(locked).toHaveLength(1);
    const error = locked[0]!.error;
    expect(isRunLockedError(error) && [error.code, error.runId, error.retryable]).toEqual(['RUN_LOCKED', 'r1', true]);
    expect(isRunLockedError(error) && error.owner).toMatch(new RegExp(`:${process.pid}:`));
    expect(started(ran[0]!.events).sort()).toEqual(workers);
    expect({ ...runs }).toEqual({ root: 1, w1: 2, w2: 2, w3: 2, w4: 2, w5: 2, w6: 2 }); // once per run, never twice in one
    expect(ran[0]!.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 1 } });
  });

  it('a resume of a run that executeDurable is running fails with RUN_LOCKED, and so does executeDurable of a run being resumed', async () => {
    const { store, other } = handles();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let failSlow = false;
    let runsOfSlow = 0;
    const g = graph()
      .node('fast', { run: () => ['F'] })
      .node('slow', {
        run: async () => {
          runsOfSlow++;
          if (failSlow) throw Object.assign(new Error('not yet'), { retryable: false });
          await gate;
          return 'S';
        },
      })
      .build();
    const live = settle(executeDurable(store, g, { runId: 'r2' }));
    await waitUntil('fast is checkpointed and slow runs', async () => (await store.loadRun('r2'))?.nodes.fast !== undefined && runsOfSlow === 1);
    const resumed = await settle(resume(other(), 'r2', g));
    expect(resumed.error).toMatchObject({ code: 'RUN_LOCKED', runId: 'r2' });
    expect(resumed.events).toEqual([]);
    expect(runsOfSlow).toBe(1);
    open();
    expect((await live).error).toBeUndefined();

    // A run being resumed: executeDurable of its id is RUN_LOCKED (it would be RUN_EXISTS once released).
    failSlow = true;
    runsOfSlow = 0;
    let reopen!: () => void;
    const regate = new Promise<void>((resolve) => (reopen = resolve));
    const g2 = graph()
      .node('fast', { run: () => ['F'] })
      .node('slow', { run: async () => (runsOfSlow++, failSlow ? Promise.reject(Object.assign(new Error('not yet'), { retryable: false })) : (await regate, 'S')) })
      .build();
    await settle(executeDurable(store, g2, { runId: 'r3' }));
    failSlow = false;
    const resuming = settle(resume(other(), 'r3', g2));
    await waitUntil('the resume runs slow', () => runsOfSlow === 2);
    expect(await settle(executeDurable(other(), g2, { runId: 'r3' }))).toMatchObject({ error: { code: 'RUN_LOCKED', runId: 'r3' } });
    reopen();
    expect((await resuming).error).toBeUndefined();
    expect(await settle(executeDurable(other(), g2, { runId: 'r3' }))).toMatchObject({ error: { code: 'RUN_EXISTS' } }); // released at the end
    expect(runsOfSlow).toBe(2);
  });

  it('refuses writes of an owner whose lease another owner took after it expired, and releases only its own lease', async () => {
    const { store, other } = handles();
    const second = other();
    const node: NodeCheckpoint = {
      nodeId: 'a',
      outcome: { status: 'succeeded', value: 1, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 },
      usage: { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 },
      savedAt: 1,
    };
    await store.openRun({ runId: 'r4', fingerprint: graphFingerprint(graph().node('a', { run: () => [1] }).build()), createdAt: 0 });
    expect(await store.acquireLease('r4', 'owner-A', 1000)).toEqual({ acquired: true });
    expect(await store.acquireLease('r4', 'owner-A', 1000)).toEqual({ acquired: true }); // renewing
    const refused = await second.acquireLease('r4', 'owner-B', 1000);
    expect(refused).toMatchObject({ acquired: false, owner: 'owner-A' });
    expect(refused.acquired === false && refused.expiresInMs).toBeGreaterThan(0);
    await waitUntil("A's lease expires and B takes it", async () => (await second.acquireLease('r4', 'owner-B', 60_000)).acquired);
    const error = await (async () => store.saveNode('r4', node, 'owner-A'))().catch((e: unknown) => e);
    expect(isRunLockedError(error) && [error.code, error.runId, error.owner]).toEqual(['RUN_LOCKED', 'r4', 'owner-B']);
    expect((await store.loadRun('r4'))!.nodes).toEqual({});
    await expect((async () => store.setRunStatus('r4', 'succeeded', 2, 'owner-A'))()).rejects.toMatchObject({ code: 'RUN_LOCKED' });
    expect(await store.acquireLease('r4', 'owner-A', 50)).toMatchObject({ acquired: false, owner: 'owner-B' });
    await store.releaseLease('r4', 'owner-A'); // not A's: nothing happens
    expect(await store.acquireLease('r4', 'owner-C', 50)).toMatchObject({ acquired: false, owner: 'owner-B' });
    await second.saveNode('r4', node, 'owner-B');
    await second.releaseLease('r4', 'owner-B');
    expect(await store.acquireLease('r4', 'owner-C', 50)).toEqual({ acquired: true });
    expect(Object.keys((await store.loadRun('r4'))!.nodes)).toEqual(['a']);
  });
});

describe('the lease in virtual time (SQLite store with a virtual clock)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  const virtual = () => new TestScheduler((a, b) => expect(a).toEqual(b));

  it('is renewed while the run goes on past its TTL, and released when the run ends', () => {
    const scheduler = virtual();
    const file = join(dir.path, 'renew.db');
    const clock = () => scheduler.now();
    const owner = sqliteStore(file, { clock });
    const rival = sqliteStore(file, { clock });
    const seen: string[] = [];
    scheduler.run(({ cold }) => {
      const g = graph()
        .node('a', { run: () => cold('1000ms (x|)', { x: 'A' }) })
        .node('long', { deps: ['a'], run: () => cold('5000ms (y|)', { y: 'L' }) })
        .build();
      // The renewal in virtual time too (by default it runs on real timers, whatever the run's clock).
      executeDurable(owner, g, { runId: 'v1', lease: { ttlMs: 1000, scheduler } }).subscribe({
        next: (e) => e.type === 'run.completed' && seen.push(`t=${scheduler.now()} completed ${e.summary.status}`),
      });
      for (const at of [1500, 3000, 5999, 6001]) {
        scheduler.schedule(() => {
          resume(rival, 'v1', g).subscribe({
            next: (e) => e.type === 'run.completed' && seen.push(`t=${scheduler.now()} rival completed ${e.summary.status} restored ${e.summary.restored}`),
            error: (e: unknown) => seen.push(`t=${scheduler.now()} rival ${isStoreError(e) ? e.code : String(e)}`),
          });
        }, at);
      }
    });
    expect(seen).toEqual(['t=1500 rival RUN_LOCKED', 't=3000 rival RUN_LOCKED', 't=5999 rival RUN_LOCKED', 't=6000 completed succeeded', 't=6001 rival completed succeeded restored 2']);
    owner.close();
    rival.close();
  });

  it("lets a new owner take over a crashed owner's run once its lease expires, not before", () => {
    const scheduler = virtual();
    const file = join(dir.path, 'crashed.db');
    const store = sqliteStore(file, { clock: () => scheduler.now() });
    const seen: string[] = [];
    scheduler.run(({ cold }) => {
      let fail = true;
      const g = graph()
        .node('a', { run: () => cold('10ms (x|)', { x: 'A' }) })
        .node('b', { deps: ['a'], run: () => (fail ? cold('10ms #') : cold('10ms (y|)', { y: 'B' })) })
        .build();
      executeDurable(store, g, { runId: 'v2' }).subscribe();
      scheduler.schedule(() => {
        fail = false;
        store.acquireLease('v2', 'crashed-process', 30_000); // the owner that died without releasing
      }, 100);
      for (const at of [100, 30_099, 30_100]) {
        scheduler.schedule(() => {
          resume(store, 'v2', g).subscribe({
            next: (e) => e.type === 'run.completed' && seen.push(`t=${scheduler.now()} completed ${e.summary.status} restored ${e.summary.restored}`),
            error: (e: unknown) => seen.push(`t=${scheduler.now()} ${isRunLockedError(e) ? `${e.code} by ${e.owner} for ${e.expiresInMs} ms` : String(e)}`),
          });
        }, at);
      }
    });
    expect(seen).toEqual(['t=100 RUN_LOCKED by crashed-process for 30000 ms', 't=30099 RUN_LOCKED by crashed-process for 1 ms', 't=30110 completed succeeded restored 1']);
    store.close();
  });

  it('fails a run with RUN_LOCKED, writing nothing more, when its lease was taken while it was frozen past the TTL', () => {
    const scheduler = virtual();
    const file = join(dir.path, 'frozen.db');
    let frozenFor = 0; // the wall clock jumps, as after a stopped process or a suspended machine
    const clock = () => scheduler.now() + frozenFor;
    const store = sqliteStore(file, { clock });
    const usurper = sqliteStore(file, { clock });
    const seen: string[] = [];
    scheduler.run(({ cold }) => {
      const g = graph()
        .node('a', { run: () => cold('100ms (x|)', { x: 'A' }) })
        .node('b', { deps: ['a'], run: () => cold('5000ms (y|)', { y: 'B' }) })
        .build();
      executeDurable(store, g, { runId: 'v3', lease: { ttlMs: 1000, scheduler } }).subscribe({
        next: (e) => (e.type === 'node.succeeded' || e.type === 'run.completed') && seen.push(`t=${scheduler.now()} ${e.type}`),
        error: (e: unknown) => seen.push(`t=${scheduler.now()} ${isRunLockedError(e) ? `${e.code} by ${e.owner}` : String(e)}`),
      });
      scheduler.schedule(() => {
        frozenFor = 10_000;
        seen.push(`t=${scheduler.now()} usurper ${sync(usurper.acquireLease('v3', 'usurper', 60_000)).acquired ? 'took the lease' : 'was refused'}`);
      }, 2000);
    });
    expect(seen).toEqual(['t=100 node.succeeded', 't=2000 usurper took the lease', 't=2331 RUN_LOCKED by usurper']);
    expect(Object.keys(sync(store.loadRun('v3'))!.nodes)).toEqual(['a']);
    store.close();
    usurper.close();
  });
});

describe('a run killed with SIGKILL keeps its lease until it expires, then is resumed in a new process', () => {
  const fixture = fileURLToPath(new URL('./fixtures/durable-pipeline.ts', import.meta.url));
  const nodeOf = (request: FakeRequest) => /^prompt:(\w+)/.exec(((request.body?.messages ?? []) as { content: string }[]).at(-1)?.content ?? '')?.[1];
  let redis: TestRedis;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    dir = tempDir();
    redis = await startRedis();
  }, 20_000);
  afterAll(async () => {
    dir.remove();
    await redis.stop();
  });

  const runPipeline = (mode: 'start' | 'resume', env: Record<string, string>) => runFixture(fixture, { ...env, MODE: mode });

  it.each([
    { name: 'sqlite', location: () => join(dir.path, 'killed.db'), reader: (location: string): RunStore => sqliteStore(location) },
    { name: 'redis', location: () => redis.url, reader: (location: string): RunStore => redisStore({ url: location }) },
  ])(
    '$name store',
    async ({ location, reader }) => {
      let stallD = true;
      const server = await startFakeAnthropic({
        respond: (request) => {
          const id = nodeOf(request);
          if (id === 'd' && stallD) return { text: 'never sent', firstByteDelayMs: 600_000 };
          return { text: `answer-${id}`, usage: { input_tokens: 50, output_tokens: 5 } };
        },
      });
      const store = location();
      const runId = `lease-kill-${Date.now()}`;
      const env = { FAKE_ANTHROPIC_URL: server.baseURL, STORE: store, RUN_ID: runId, LEASE_TTL_MS: '5000' };
      const checkpoints = reader(store);
      const dummy = graph().node('x', { run: () => ['x'] }).build(); // refused before any graph matters
      try {
        const first = runPipeline('start', env);
        await waitUntil('d is in flight', async () => Object.keys((await checkpoints.loadRun(runId))?.nodes ?? {}).length === 4 && server.requests.some((r) => nodeOf(r) === 'd'));
        first.kill();
        expect((await first.closed).signal).toBe('SIGKILL');

        // The dead owner's lease still holds: a resume now is refused, naming the killed process.
        const refused = await settle(resume(checkpoints, runId, dummy));
        expect(isRunLockedError(refused.error) && refused.error.owner).toMatch(new RegExp(`:${first.pid}:`));

        // Once it expires (at most LEASE_TTL_MS after the last renewal), a new process takes over.
        await waitUntil('the lease expires', async () => {
          const probe = await checkpoints.acquireLease(runId, 'probe', 1);
          if (probe.acquired) await checkpoints.releaseLease(runId, 'probe');
          return probe.acquired;
        });
        stallD = false;
        const second = await runPipeline('resume', env).closed;
        expect(second.stderr).toBe('');
        expect(second.code).toBe(0);
        expect(started(second.events).sort()).toEqual(['d', 'f']);
        expect(second.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 4 } });
      } finally {
        await checkpoints.close();
        await server.close();
      }
    },
    150_000,
  );
});
