/**
 * Issue 10, item 6, for the fleet's quota: a long pause neither makes waiting processes poll Redis
 * in a hot loop (waits longer than a timer can hold are armed in chunks), nor lasts longer than
 * `maxRetryAfterMs`; a job refused with a longer retry-after fails with RETRY_AFTER_TOO_LONG instead
 * of pausing the whole fleet. A real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { fleetRateLimiter, type FleetRateLimiter } from 'rx-orchestra/distributed';
import { processAgentJob, type JobDeps } from '../../src/distributed/agent-job.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const DAY = 24 * 3_600_000;
let redis: TestRedis;
let monitor: Redis;
const limiters: FleetRateLimiter[] = [];
const limiter = (options: Omit<Parameters<typeof fleetRateLimiter>[0], 'connection' | 'name' | 'limits'> = {}) => {
  const made = fleetRateLimiter({ connection: redis.url, name: `${redis.prefix()}quota`, limits: { requests: { max: 50 } }, ...options });
  limiters.push(made);
  return made;
};
const commandsProcessed = async () => Number(/total_commands_processed:(\d+)/.exec(await monitor.info('stats'))![1]);

beforeAll(async () => {
  redis = await startRedis();
  monitor = new Redis(redis.url);
}, 30_000);
afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
  monitor?.disconnect();
  await redis?.stop();
}, 30_000);

describe('long fleet pauses', { timeout: 20_000 }, () => {
  it('a 30-day pause (allowed by maxRetryAfterMs) does not make a waiting acquire poll Redis in a hot loop', async () => {
    const quota = limiter({ maxRetryAfterMs: 60 * DAY });
    await quota.pause(30 * DAY);
    expect(await quota.tryAcquire()).toMatchObject({ admitted: false, limitedBy: 'retryAfter' });
    const before = await commandsProcessed();
    const waiting = quota.acquire().subscribe();
    await new Promise((resolve) => setTimeout(resolve, 500));
    waiting.unsubscribe();
    const polls = (await commandsProcessed()) - before - 1; // the INFO of `before` itself
    expect(polls).toBeLessThan(5); // one try, then one timer armed for 24.8 days (not 1 ms)
  });

  it('pause() holds the fleet for at most maxRetryAfterMs (default 10 minutes)', async () => {
    const quota = limiter();
    expect(quota.maxRetryAfterMs).toBe(600_000);
    await quota.pause(30 * DAY);
    const attempt = await quota.tryAcquire();
    expect(attempt).toMatchObject({ admitted: false, limitedBy: 'retryAfter' });
    expect(attempt.admitted === false && attempt.waitMs).toBeLessThanOrEqual(600_000);
    expect(() => limiter({ maxRetryAfterMs: -1 })).toThrow(/maxRetryAfterMs/);
  });

  it('a job refused with a retry-after beyond maxRetryAfterMs fails with RETRY_AFTER_TOO_LONG and does not pause the fleet', async () => {
    const quota = limiter({ maxRetryAfterMs: 60_000 });
    const refused = Object.assign(new Error('429: come back in 30 days'), { status: 429, code: 'RATE_LIMITED', retryable: true, retryAfterMs: 30 * DAY });
    const progress: unknown[] = [];
    const job = { id: 'job-1', data: { agent: 'caller', input: {}, runId: 'r', nodeId: 'n', attempt: 1 }, updateProgress: async (message: unknown) => void progress.push(message) } as unknown as Job;
    const deps: JobDeps = {
      workerId: 'w1',
      handlers: { caller: () => Promise.reject(refused) },
      cancels: { watch: async () => () => undefined } as unknown as JobDeps['cancels'],
      model: undefined,
      context: undefined,
      quota,
      jobCost: undefined,
      notify: () => undefined,
    };
    const error = await processAgentJob(job, undefined, deps).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RETRY_AFTER_TOO_LONG', retryable: false, retryAfterMs: 30 * DAY, cause: refused });
    expect(progress.at(-1)).toMatchObject({ error: { code: 'RETRY_AFTER_TOO_LONG', retryable: false } });
    expect(await quota.tryAcquire()).toMatchObject({ admitted: true }); // the fleet was not paused

    // A retry-after within the bound pauses the fleet, as before.
    const brief = Object.assign(new Error('429'), { status: 429, code: 'RATE_LIMITED', retryable: true, retryAfterMs: 2_000 });
    const failed = await processAgentJob(job, undefined, { ...deps, handlers: { caller: () => Promise.reject(brief) } }).catch((e: unknown) => e);
    expect(failed).toBe(brief);
    expect(await quota.tryAcquire()).toMatchObject({ admitted: false, limitedBy: 'retryAfter' });
  });
});
