/**
 * Redis restarting empty in the middle of a durable run (a restart without persistence, a failover
 * to an empty replica, a FLUSHALL): the checkpoint's header is gone, so every later write must fail
 * the run with STORE_FAILED instead of writing node rows nobody can resume from while the run
 * reports success. And the store's own client never prints ioredis's "Unhandled error event".
 * Against a real redis-server (test/support), once flushed, once killed and restarted empty on the same port.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { Redis } from 'ioredis';
import { executeDurable, isStoreError, redisStore, resume, type RedisStore } from 'rx-orchestra/store';
import { graph, type RunEvent } from 'rx-orchestra';
import { spawnRedis, startRedis, type OwnedRedis, type TestRedis } from '../support/redis-server.js';

const settle = (run$: Observable<RunEvent>) =>
  lastValueFrom(run$.pipe(toArray())).then(
    (events) => ({ events, error: undefined as unknown }),
    (error: unknown) => ({ events: [] as RunEvent[], error }),
  );

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, withinMs = 30_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** a → b → c, where b waits until `open()` is called: the test restarts Redis meanwhile. */
function gatedGraph() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const g = graph()
    .node('a', { run: () => ['A'] })
    .node('b', { deps: ['a'], run: async () => (await gate, 'B') })
    .node('c', { deps: ['b'], run: () => ['C'] })
    .build();
  return { g, open };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
  vi.restoreAllMocks();
});

describe('a Redis that comes back empty in the middle of a run', () => {
  it('fails the run with STORE_FAILED at the next write when the checkpoint header vanished (FLUSHALL)', async () => {
    const redis: TestRedis = await startRedis();
    cleanup.push(() => redis.stop());
    const store: RedisStore = redisStore({ url: redis.url, prefix: redis.prefix() });
    cleanup.push(async () => {
      await store.close();
    });
    const admin = new Redis(redis.url);
    cleanup.push(async () => void admin.disconnect());

    const { g, open } = gatedGraph();
    const done = settle(executeDurable(store, g, { runId: 'flushed' }));
    await waitUntil('a is checkpointed', async () => (await store.loadRun('flushed'))?.nodes.a !== undefined);
    await admin.flushall();
    open();
    const { events, error } = await done;
    expect(events.some((e) => e.type === 'run.completed')).toBe(false);
    expect(isStoreError(error) && [error.code, error.runId, error.nodeId]).toEqual(['STORE_FAILED', 'flushed', 'b']);
    expect((error as Error).message).toMatch(/header .*is gone/);
    // No orphan node rows were written after the header vanished: nothing claims to be resumable.
    expect(await admin.keys('*:run:flushed*')).toEqual([]);
    expect(await settle(resume(store, 'flushed', g))).toMatchObject({ error: { code: 'CHECKPOINT_NOT_FOUND' } });
  }, 60_000);

  it('fails the run with STORE_FAILED after redis-server is killed and restarted empty on the same port, printing nothing', async () => {
    const redis: OwnedRedis = await spawnRedis();
    cleanup.push(() => redis.stop());
    const store: RedisStore = redisStore({ url: redis.url, prefix: 'restart:' });
    cleanup.push(async () => {
      await store.close();
    });
    const printed = vi.spyOn(console, 'error');

    const { g, open } = gatedGraph();
    const done = settle(executeDurable(store, g, { runId: 'restarted' }));
    await waitUntil('a is checkpointed', async () => (await store.loadRun('restarted'))?.nodes.a !== undefined);

    // Kill the server (its data gone), let the store's client fail to reconnect a few times, start it again empty.
    await redis.kill();
    await waitUntil('the store sees the connection drop', () => store.client.status !== 'ready');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few refused reconnections: connection errors
    await redis.start();
    await waitUntil('the store reconnects', () => store.client.status === 'ready');

    open();
    const { events, error } = await done;
    expect(events.some((e) => e.type === 'run.completed')).toBe(false);
    expect(isStoreError(error) && [error.code, error.runId]).toEqual(['STORE_FAILED', 'restarted']);
    expect(printed.mock.calls.flat().join('\n')).not.toMatch(/Unhandled error event/);
  }, 60_000);
});
