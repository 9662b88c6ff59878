import { Redis, type RedisOptions } from 'ioredis';
import type { CachedResponse, DurableStore, NodeCheckpoint, RunCheckpoint, RunHeader } from './run-store.js';
import { StoreError } from './errors.js';
import type { GraphFingerprint } from './fingerprint.js';

/**
 * Settings of {@link redisStore}: a URL or a client of your own, and a key prefix.
 *
 * ## Example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'rx-orchestra';
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'reports:' });
 * ```
 */
export interface RedisStoreOptions {
  /** Where Redis is, e.g. `redis://127.0.0.1:6379/0`. @default process.env.REDIS_URL, else redis://127.0.0.1:6379 */
  url?: string;
  /** An ioredis client of your own (e.g. shared with BullMQ); `close()` leaves it open. */
  client?: Redis;
  /** Prepended to every key, so several apps or test runs can share one Redis. @default 'rxo:' */
  prefix?: string;
  /**
   * Options for the client this store creates (not used with `client`).
   * @default { maxRetriesPerRequest: 3 } (a command fails after 3 reconnection attempts instead of waiting forever)
   */
  redisOptions?: RedisOptions;
}

/**
 * A {@link DurableStore} in Redis.
 *
 * ## Example
 * ```ts
 * import { redisStore, type RedisStore } from 'rx-orchestra';
 * const store: RedisStore = redisStore({ url: 'redis://127.0.0.1:6379' });
 * await store.client.ping();
 * ```
 */
export interface RedisStore extends DurableStore {
  /** The client in use. */
  readonly client: Redis;
  readonly prefix: string;
}

/** Creates the run's header unless it exists, and returns the header stored now. */
const OPEN_RUN = `
local created = redis.call('HSETNX', KEYS[1], 'fingerprint', ARGV[1])
if created == 1 then
  redis.call('HSET', KEYS[1], 'status', 'running', 'createdAt', ARGV[2], 'updatedAt', ARGV[2])
end
local h = redis.call('HMGET', KEYS[1], 'fingerprint', 'status', 'createdAt', 'updatedAt')
return {created, h[1], h[2], h[3], h[4]}
`;

/** Stores an entry as the newest, then evicts the oldest beyond the bound (ARGV[3], -1 for none). */
const PUT_CACHED = `
local seq = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
local max = tonumber(ARGV[3])
if max >= 0 then
  local excess = redis.call('ZCARD', KEYS[2]) - max
  if excess > 0 then
    local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
    redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
    for _, key in ipairs(old) do redis.call('HDEL', KEYS[1], key) end
  end
end
return 1
`;

/**
 * Checkpoints and cached answers in Redis (through `ioredis`), for runs whose processes share no
 * disk. A run is a hash `<prefix>run:<id>` (fingerprint, status, times) plus a hash
 * `<prefix>run:<id>:nodes` (node id → its checkpoint as JSON); the cache is a hash of entries and a
 * sorted set by insertion order, so eviction of the oldest is one atomic script. Calls answer with
 * Promises; failures are `StoreError`s with code `STORE_FAILED` (retryable).
 *
 * ## Example
 * ```ts
 * import { redisStore, executeDurable } from 'rx-orchestra';
 * const store = redisStore({ url: 'redis://127.0.0.1:6379', prefix: 'myapp:' });
 * executeDurable(store, g, { runId: 'nightly-2026-06-01' }).subscribe();
 * await store.close();
 * ```
 */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? 'rxo:';
  if (typeof prefix !== 'string') throw new StoreError('INVALID_OPTION', `redisStore: 'prefix' must be a string`, { field: 'prefix' });
  const owned = options.client === undefined;
  const client = options.client ?? new Redis(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3, ...options.redisOptions });
  const runKey = (runId: string) => `${prefix}run:${runId}`;
  const nodesKey = (runId: string) => `${prefix}run:${runId}:nodes`;
  const entries = `${prefix}cache:entries`;
  const order = `${prefix}cache:order`;
  const seq = `${prefix}cache:seq`;

  const guard = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw error instanceof StoreError ? error : new StoreError('STORE_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
    }
  };

  return {
    client,
    prefix,
    openRun: (header) =>
      guard(`cannot open the checkpoint of run '${header.runId}'`, async () => {
        const [created, fingerprint, status, createdAt, updatedAt] = (await client.eval(OPEN_RUN, 1, runKey(header.runId), JSON.stringify(header.fingerprint), String(header.createdAt))) as [
          number,
          string,
          string,
          string,
          string,
        ];
        return {
          created: created === 1,
          header: { runId: header.runId, fingerprint: parse<GraphFingerprint>(fingerprint, `run '${header.runId}'`), status: status as RunHeader['status'], createdAt: Number(createdAt), updatedAt: Number(updatedAt) },
        };
      }),
    saveNode: (runId, node) =>
      guard(`cannot checkpoint node '${node.nodeId}' of run '${runId}'`, async () => {
        await client.multi().hset(nodesKey(runId), node.nodeId, JSON.stringify(node)).hset(runKey(runId), 'updatedAt', String(node.savedAt)).exec().then(throwFirst);
      }),
    setRunStatus: (runId: string, status: RunHeader['status'], at: number) =>
      guard(`cannot set the status of run '${runId}'`, async () => {
        await client.hset(runKey(runId), 'status', status, 'updatedAt', String(at));
      }),
    loadRun: (runId) =>
      guard(`cannot load the checkpoint of run '${runId}'`, async (): Promise<RunCheckpoint | undefined> => {
        const [header, nodes] = (await client.multi().hgetall(runKey(runId)).hgetall(nodesKey(runId)).exec().then(throwFirst)) as [Record<string, string>, Record<string, string>];
        if (header.fingerprint === undefined) return undefined;
        const checkpoints: Record<string, NodeCheckpoint> = {};
        for (const [nodeId, json] of Object.entries(nodes)) checkpoints[nodeId] = parse<NodeCheckpoint>(json, `node '${nodeId}' of run '${runId}'`);
        return {
          runId,
          fingerprint: parse<GraphFingerprint>(header.fingerprint, `run '${runId}'`),
          status: header.status as RunHeader['status'],
          createdAt: Number(header.createdAt),
          updatedAt: Number(header.updatedAt),
          nodes: checkpoints,
        };
      }),
    deleteRun: (runId) =>
      guard(`cannot delete run '${runId}'`, async () => {
        await client.del(runKey(runId), nodesKey(runId));
      }),
    getCached: (key, now) =>
      guard('cannot read the response cache', async () => {
        const json = await client.hget(entries, key);
        if (json === null) return undefined;
        const entry = parse<CachedResponse>(json, `cache entry '${key}'`);
        if (entry.expiresAt !== null && entry.expiresAt <= now) {
          await client.multi().hdel(entries, key).zrem(order, key).exec().then(throwFirst);
          return undefined;
        }
        return entry;
      }),
    putCached: (entry, maxEntries) =>
      guard('cannot write the response cache', async () => {
        await client.eval(PUT_CACHED, 3, entries, order, seq, entry.key, JSON.stringify(entry), String(Number.isFinite(maxEntries) ? maxEntries : -1));
      }),
    cacheSize: () => guard('cannot read the response cache', () => client.hlen(entries)),
    clearCache: () =>
      guard('cannot clear the response cache', async () => {
        await client.del(entries, order, seq);
      }),
    close: async () => {
      if (owned && client.status !== 'end') await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The replies of a MULTI, or the first command error in it. */
function throwFirst(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('the transaction was aborted');
  for (const [error] of results) if (error) throw error;
  return results.map(([, reply]) => reply);
}

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new StoreError('STORE_FAILED', `${what} is corrupt (not JSON)`, {}, { cause: error });
  }
}
