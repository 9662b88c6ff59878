/**
 * Posterior persistence, one contract for the three stores: memory, SQLite on a temp file (real
 * better-sqlite3) and Redis (a real redis-server). Rewards add up across handles (processes),
 * survive reopening, and a choice waiting for feedback is taken exactly once. Then a bandit's
 * learning survives a restart, feedback arrives through another process's handle, and a bandit on
 * the asynchronous Redis store routes a real supervisor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { execute, graph, seededRandom } from 'rx-orchestra';
import { banditRouter, feedback, supervisor, worker, type SupervisorResult } from 'rx-orchestra/patterns';
import { memoryPosteriorStore, redisPosteriorStore, sqlitePosteriorStore, type PendingChoice, type PosteriorStore } from 'rx-orchestra/store';
import { startRedis, type TestRedis } from '../../support/redis-server.js';
import { ARMS, simulateRouting } from './simulated.js';

let redis: TestRedis;
const dir = mkdtempSync(join(tmpdir(), 'rxo-posteriors-'));
const opened: PosteriorStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const store of opened) await store.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const track = <S extends PosteriorStore>(store: S): S => (opened.push(store), store);

/** Each kind: a fresh store, and a second handle on the same data (another process). */
const kinds: { name: string; open: () => { store: PosteriorStore; reopen: () => PosteriorStore } }[] = [
  {
    name: 'memory',
    open: () => {
      const store = memoryPosteriorStore();
      return { store, reopen: () => store };
    },
  },
  {
    name: 'sqlite',
    open: () => {
      const file = join(dir, `posteriors-${opened.length}-${Math.floor(Math.random() * 1e9)}.db`);
      return { store: track(sqlitePosteriorStore(file)), reopen: () => track(sqlitePosteriorStore(file)) };
    },
  },
  {
    name: 'redis',
    open: () => {
      const prefix = redis.prefix();
      return { store: track(redisPosteriorStore({ url: redis.url, prefix })), reopen: () => track(redisPosteriorStore({ url: redis.url, prefix })) };
    },
  },
];

const choice = (arm: string): PendingChoice => ({ choice: `r1/n/1/s#1`, runId: 'r1', nodeId: 'n', attempt: 1, context: 'default', arm, propensity: 0.5, kind: 'beta', at: 1_000 });

describe.each(kinds)('$name posterior store', ({ open }) => {
  it('adds rewards as increments, from two handles, and reads them per bandit and context', async () => {
    const { store, reopen } = open();
    const other = reopen();
    expect(await store.read('pick', 'default')).toEqual({});
    await Promise.all([store.add('pick', 'default', 'a', 1), other.add('pick', 'default', 'a', 0.5), store.add('pick', 'default', 'b', 0), other.add('pick', 'tables', 'a', 1)]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).add('pick', 'default', 'a', 1)));
    expect(await reopen().read('pick', 'default')).toEqual({ a: { n: 22, sum: 21.5, sumSq: 21.25 }, b: { n: 1, sum: 0, sumSq: 0 } });
    expect(await store.read('pick', 'tables')).toEqual({ a: { n: 1, sum: 1, sumSq: 1 } });
    expect(await store.read('other', 'default')).toEqual({});
  });

  it('keeps a choice for feedback and hands it out once, also to racing handles', async () => {
    const { store, reopen } = open();
    await store.putChoice('pick', 'r1\u0000n', choice('a'));
    await store.putChoice('pick', 'r1\u0000n', choice('b')); // replaced
    const other = reopen();
    const taken = await Promise.all([store.takeChoice('pick', 'r1\u0000n'), other.takeChoice('pick', 'r1\u0000n')]);
    expect(taken.filter(Boolean)).toEqual([choice('b')]);
    expect(await store.takeChoice('pick', 'r1\u0000n')).toBeUndefined();
  });
});

describe('learning that survives restarts and is shared', () => {
  it('SQLite: a bandit reopened on the same file carries on from what it learned', () => {
    const file = join(dir, 'restart.db');
    const first = track(sqlitePosteriorStore(file));
    const before = banditRouter({ name: 'pick', arms: [...ARMS], store: first, random: seededRandom(1) });
    simulateRouting(before, 300, { seed: 3 });
    const learned = before.posteriors();
    first.close();
    const after = banditRouter({ name: 'pick', arms: [...ARMS], store: track(sqlitePosteriorStore(file)), random: seededRandom(2) });
    expect(after.posteriors()).toEqual(learned);
    const { log } = simulateRouting(after, 100, { seed: 4, runPrefix: 'after' });
    expect(log.filter((r) => r.arm === 'premium').length).toBeGreaterThan(80); // no relearning from scratch
  });

  it('Redis: feedback given through another handle reaches the posterior the bandit reads', async () => {
    const prefix = redis.prefix();
    const store = track(redisPosteriorStore({ url: redis.url, prefix }));
    const router = banditRouter({ name: 'rated', arms: ['budget', 'premium'], store, reward: () => undefined, random: seededRandom(3) });
    const team = supervisor({ name: 'team', workers: { budget: worker({ run: (q: string) => [`cheap ${q}`] }), premium: worker({ run: (q: string) => [`good ${q}`] }) }, router });
    const g = graph()
      .node('question', { run: () => ['standardize PT_ID'] })
      .node('answer', { deps: ['question'], run: team })
      .build();
    const events = await lastValueFrom(execute(g, { runId: 'rated-1' }).pipe(toArray()));
    const end = events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'answer');
    expect(end?.type === 'node.succeeded' && (end.value as SupervisorResult).reason).toBe('FINISH');
    const chose = events.find((e) => (e.type as string) === 'router.chose') as unknown as { arm: string };
    // a web handler in another process: its own handle on the same Redis
    const elsewhere = track(redisPosteriorStore({ url: redis.url, prefix }));
    const rewarded = await feedback({ name: 'rated', store: elsewhere }, 'rated-1', 'answer', 1);
    expect(rewarded).toMatchObject({ arm: chose.arm, reward: 1, source: 'feedback', choice: 'rated-1/answer/1/team#1' });
    expect(await router.posteriors()).toMatchObject({ [chose.arm]: { n: 1, sum: 1 } });
    await expect(feedback({ name: 'rated', store: elsewhere }, 'rated-1', 'answer', 1)).rejects.toMatchObject({ code: 'UNKNOWN_CHOICE' });
  });

  it('Redis: a store that cannot reach Redis fails the routing call with STORE_FAILED', async () => {
    const store = track(redisPosteriorStore({ url: 'redis://127.0.0.1:1', redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true } }));
    await expect(Promise.resolve(store.read('pick', 'default'))).rejects.toMatchObject({ code: 'STORE_FAILED' });
  });
});
