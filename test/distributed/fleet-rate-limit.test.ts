import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { Redis } from 'ioredis';
import {
  createDispatcher,
  fleetRateLimiter,
  isDistributedError,
  limitsOfQuota,
  remoteNode,
  type Dispatcher,
  type FleetRateLimiter,
} from 'rx-orchestra/distributed';
import { execute, graph } from 'rx-orchestra';
import { QUOTA_PRESETS } from 'rx-orchestra/operators';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

let redis: TestRedis;
let client: Redis;
const limiters: FleetRateLimiter[] = [];
const unique = (name: string) => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const limiter = (options: Omit<Parameters<typeof fleetRateLimiter>[0], 'connection'>) => {
  const made = fleetRateLimiter({ connection: redis.url, ...options });
  limiters.push(made);
  return made;
};

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
}, 30_000);

afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  client?.disconnect();
  await redis?.stop();
}, 30_000);

describe('the fleet token bucket (Lua, on Redis time)', { timeout: 20_000 }, () => {
  it('admits up to the capacity at once, then one request per refill interval, from any handle', async () => {
    const name = unique('burst');
    const [a, b] = [limiter({ name, limits: { requests: { max: 3, duration: 900 } } }), limiter({ name, limits: { requests: { max: 3, duration: 900 } } })];
    const tries = [await a.tryAcquire(), await b.tryAcquire(), await a.tryAcquire(), await b.tryAcquire()];
    expect(tries.map((t) => t.admitted)).toEqual([true, true, true, false]);
    const refused = tries[3] as { waitMs: number; limitedBy: string };
    expect(refused.limitedBy).toBe('requests');
    expect(refused.waitMs).toBeGreaterThan(0); // one request refills every 300 ms
    expect(refused.waitMs).toBeLessThanOrEqual(300);
    const permit = await firstValueFrom(b.acquire());
    const first = (tries[0] as { permit: { at: number } }).permit.at;
    expect(permit.at - first).toBeGreaterThanOrEqual(299);
  });

  it('charges tokens a call really used, so the next call waits for the debt to refill', async () => {
    const quota = limiter({ name: unique('tokens'), limits: { outputTokens: { max: 100, duration: 1000 } } });
    const first = await quota.tryAcquire({ outputTokens: 10 });
    expect(first.admitted).toBe(true);
    if (first.admitted) await first.permit.settle({ outputTokens: 150 }); // 140 more than estimated: level 100 - 150 = -50
    const next = await quota.tryAcquire({ outputTokens: 10 });
    expect(next).toMatchObject({ admitted: false, limitedBy: 'outputTokens' });
    expect((next as { waitMs: number }).waitMs).toBeGreaterThan(300); // 60 tokens at 0.1 per ms, less what refilled meanwhile
  });

  it("pauses the whole fleet for a retry-after", async () => {
    const name = unique('pause');
    const quota = limiter({ name, limits: { requests: { max: 100 } } });
    await limiter({ name, limits: { requests: { max: 100 } } }).pause(2_000);
    expect(await quota.tryAcquire()).toMatchObject({ admitted: false, limitedBy: 'retryAfter' });
  });

  it('refuses bad settings with a typed error naming the field', () => {
    const fieldOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isDistributedError(error) ? `${error.code} ${error.field}` : String(error);
      }
      return 'no error';
    };
    expect(fieldOf(() => fleetRateLimiter({ connection: redis.url, name: 'x', limits: { requests: { max: 0 } } }))).toBe('INVALID_OPTION limits.requests.max');
    expect(fieldOf(() => fleetRateLimiter({ connection: redis.url, name: 'x', limits: {} }))).toBe('INVALID_OPTION limits');
    expect(fieldOf(() => fleetRateLimiter({ connection: redis.url, name: '', limits: { requests: { max: 1 } } }))).toBe('INVALID_OPTION name');
    expect(limitsOfQuota(QUOTA_PRESETS.tier1)).toEqual({
      requests: { max: 50, duration: 60_000 },
      inputTokens: { max: 30_000, duration: 60_000 },
      outputTokens: { max: 8_000, duration: 60_000 },
    });
  });
});

describe('one quota for the whole fleet', { timeout: 30_000 }, () => {
  const QUEUE = `quota-${process.pid}`;
  const QUOTA = { name: unique('fleet'), limits: { requests: { max: 5, duration: 500 } } };
  let workers: WorkerProcess[];
  let fleet: Dispatcher;

  beforeAll(async () => {
    workers = await Promise.all(['a', 'b', 'c'].map((name) => startWorkerProcess({ id: `worker-${name}`, url: redis.url, queue: QUEUE, concurrency: 2, quota: QUOTA })));
    fleet = createDispatcher({ connection: redis.url, queue: QUEUE });
  }, 60_000);

  afterAll(async () => {
    await fleet?.close();
    await Promise.all((workers ?? []).map((worker) => worker.stop()));
  }, 30_000);

  it('3 workers (6 jobs at a time) together never exceed 5 requests per 500 ms, in any window', async () => {
    const JOBS = 20;
    const builder = Array.from({ length: JOBS }, (_, i) => `n${i}`).reduce((g, id) => g.node(id, { run: remoteNode('echo', { dispatcher: fleet }) }), graph());
    const events = await lastValueFrom(execute(builder.build()).pipe(toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });

    const admitted = (await client.lrange(`${QUEUE}:admitted`, 0, -1)).map(Number).sort((x, y) => x - y);
    expect(admitted).toHaveLength(JOBS);
    // A token bucket of 5 refilled at 10 per second admits at most 5 + 10 * t in any window of t seconds.
    for (let i = 0; i < admitted.length; i++) {
      for (let j = i; j < admitted.length; j++) {
        expect(j - i + 1, `admissions ${i}..${j} within ${admitted[j]! - admitted[i]!} ms`).toBeLessThanOrEqual(5 + Math.floor(((admitted[j]! - admitted[i]!) * 5) / 500 + 1e-9));
      }
    }
    // ... and it was the limit that paced them, not a lack of workers: 15 waited for 1.5 s in all.
    expect(admitted.at(-1)! - admitted[0]!).toBeGreaterThanOrEqual(1_400);
    const ranOn = new Set(workers.flatMap((w) => w.events.filter((e) => e.type === 'job.completed').map(() => w.id)));
    expect(ranOn.size).toBe(3);
    // Waiting for the quota is on the run's stream, reported by the workers.
    expect(events.filter((e) => e.type === 'ratelimit.waiting').length).toBeGreaterThan(0);
    expect(events.find((e) => e.type === 'ratelimit.waiting')).toMatchObject({ limitedBy: 'requests' });
  });
});
