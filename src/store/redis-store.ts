import type { Redis, RedisOptions } from 'ioredis';
import { loadPeer } from '../peer/load-peer.js';
import type { CachedResponse, DurableStore, LeaseState, NodeCheckpoint, RunCheckpoint, RunHeader, WaitingCheckpoint } from './run-store.js';
import { RunLockedError, StoreError, headerGone } from './errors.js';
import type { GraphFingerprint } from './fingerprint.js';

/**
 * Settings of {@link redisStore}: a URL or a client of your own, and a key prefix.
 *
 * ## Example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'rx-orchestra/store';
 * const store = redisStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'reports:' });
 * ```
 */
export interface RedisStoreOptions {
  /** Where Redis is, e.g. `redis://127.0.0.1:6379/0`. @default process.env.REDIS_URL, else redis://127.0.0.1:6379 */
  url?: string;
  /**
   * An ioredis client of your own (e.g. shared with BullMQ); `close()` leaves it open, and its
   * `error` events are yours to listen to (a client this store creates has a listener of its own).
   */
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
 * import { redisStore, type RedisStore } from 'rx-orchestra/store';
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

/**
 * A Lua write that runs `body` only if the run's header (KEYS[1]) exists (it is gone after a restart
 * of an empty Redis, or a FLUSHALL: checked first, as the lease is then gone too) and, given an owner
 * (ARGV[ownerArg]), that owner holds the run's lease (KEYS[leaseKey]; a missing key is a lease lost:
 * expired, or taken over and released since; LOCKED with holder ''). Answers {'OK'}, {'GONE'} or
 * {'LOCKED', holder, ms left}: one fence for every checkpoint write.
 */
function fencedWrite(leaseKey: number, ownerArg: number, body: string): string {
  return `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'GONE'} end
if ARGV[${ownerArg}] ~= '' then
  local holder = redis.call('GET', KEYS[${leaseKey}])
  if holder ~= ARGV[${ownerArg}] then
    if holder then return {'LOCKED', holder, redis.call('PTTL', KEYS[${leaseKey}])} end
    return {'LOCKED', '', 0}
  end
end
${body}
return {'OK'}
`;
}

/** Writes a node's checkpoint (fenced). KEYS: header, nodes, lease. ARGV: node id, checkpoint JSON, savedAt, owner or ''. */
const SAVE_NODE = fencedWrite(
  3,
  4,
  `redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[3])`,
);

/** Removes a field ARGV[1] of the run's hash KEYS[2] (a wait that ended), fenced. KEYS: header, hash, lease. ARGV: field, unused, unused, owner or ''. */
const REMOVE_FIELD = fencedWrite(3, 4, `redis.call('HDEL', KEYS[2], ARGV[1])`);

/** Sets the run's status (fenced). KEYS: header, lease. ARGV: status, at, owner or ''. */
const SET_STATUS = fencedWrite(2, 3, `redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updatedAt', ARGV[2])`);

/**
 * Takes (SET PX) the lease for ARGV[1] unless another owner holds it, or extends it when ARGV[1]
 * holds it: a SET NX PX that also renews. Answers {1}, or {0, holder, its ms left}.
 */
const ACQUIRE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1}
end
return {0, holder, redis.call('PTTL', KEYS[1])}
`;

/**
 * Extends the lease (PX ARGV[2]) only if ARGV[1] holds it; never takes one. Answers {1}, or
 * {0, holder, its ms left}, or {0, '', 0} when nobody holds it (expired, or released after a
 * takeover), or {-1} when the run's header is gone as well (Redis restarted empty, a FLUSHALL).
 * KEYS: lease, header.
 */
const RENEW_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
if holder == false then
  if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
  return {0, '', 0}
end
return {0, holder, redis.call('PTTL', KEYS[1])}
`;

/** Deletes the lease if ARGV[1] holds it. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
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
 * `<prefix>run:<id>:nodes` (node id → its checkpoint as JSON) and, while a process owns the run, a
 * key `<prefix>run:<id>:lease` (the owner, expiring with `PX`); the cache is a hash of entries and a
 * sorted set by insertion order, so eviction of the oldest is one atomic script. Node and status
 * writes are scripts that check the run's header still exists (Redis restarted empty, FLUSHALL) and
 * fail with `STORE_FAILED` instead of writing rows no resume could find. Calls answer with
 * Promises; failures are `StoreError`s with code `STORE_FAILED` (retryable), naming the last
 * connection error of the store's own client, which never goes unhandled.
 *
 * ## Example
 * ```ts
 * import { redisStore, executeDurable } from 'rx-orchestra/store';
 * const store = redisStore({ url: 'redis://127.0.0.1:6379', prefix: 'myapp:' });
 * executeDurable(store, g, { runId: 'nightly-2026-06-01' }).subscribe();
 * await store.close();
 * ```
 */
export function redisStore(options: RedisStoreOptions = {}): RedisStore {
  const prefix = options.prefix ?? 'rxo:';
  if (typeof prefix !== 'string') throw new StoreError('INVALID_OPTION', `redisStore: 'prefix' must be a string`, { field: 'prefix' });
  const owned = options.client === undefined;
  const client = options.client ?? new (loadPeer<typeof import('ioredis')>('ioredis').Redis)(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3, ...options.redisOptions });
  // ioredis prints "[ioredis] Unhandled error event" for every failed (re)connection of a client
  // without an error listener. Connection errors surface as the failed commands' STORE_FAILED; the
  // latest is kept to say why.
  let connectionError: Error | undefined;
  if (owned) {
    client.on('error', (error: Error) => (connectionError = error));
    client.on('ready', () => (connectionError = undefined));
  }
  const runKey = (runId: string) => `${prefix}run:${runId}`;
  const nodesKey = (runId: string) => `${prefix}run:${runId}:nodes`;
  const leaseKey = (runId: string) => `${prefix}run:${runId}:lease`;
  const waitingKey = (runId: string) => `${prefix}run:${runId}:waiting`;
  const entries = `${prefix}cache:entries`;
  const order = `${prefix}cache:order`;
  const seq = `${prefix}cache:seq`;

  const guard = async <T>(what: string, work: () => Promise<T>, details: StoreError['details'] = {}): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const why = connectionError && connectionError !== error && client.status !== 'ready' ? ` (Redis unreachable: ${connectionError.message})` : '';
      throw new StoreError('STORE_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}${why}`, details, { cause: error });
    }
  };
  /** The answer of SAVE_NODE / SET_STATUS, as an error when the write was refused. */
  const written = (reply: unknown, runId: string, nodeId?: string): void => {
    const [verdict, holder, ttl] = reply as [string, string?, number?];
    if (verdict === 'GONE') throw headerGone(runId, nodeId);
    if (verdict === 'LOCKED') throw new RunLockedError(runId, holder ?? '', Math.max(0, Number(ttl ?? 0)), true);
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
      }, { runId: header.runId }),
    saveNode: (runId, node, owner) =>
      guard(
        `cannot checkpoint node '${node.nodeId}' of run '${runId}'`,
        async () => written(await client.eval(SAVE_NODE, 3, runKey(runId), nodesKey(runId), leaseKey(runId), node.nodeId, JSON.stringify(node), String(node.savedAt), owner ?? ''), runId, node.nodeId),
        { runId, nodeId: node.nodeId },
      ),
    saveWaiting: (runId, nodeId, entry, owner) =>
      guard(
        `cannot checkpoint the wait of node '${nodeId}' of run '${runId}'`,
        async () =>
          written(
            entry
              ? await client.eval(SAVE_NODE, 3, runKey(runId), waitingKey(runId), leaseKey(runId), nodeId, JSON.stringify(entry), String(entry.since), owner ?? '')
              : await client.eval(REMOVE_FIELD, 3, runKey(runId), waitingKey(runId), leaseKey(runId), nodeId, '', '', owner ?? ''),
            runId,
            nodeId,
          ),
        { runId, nodeId },
      ),
    setRunStatus: (runId, status, at, owner) =>
      guard(`cannot set the status of run '${runId}'`, async () => written(await client.eval(SET_STATUS, 2, runKey(runId), leaseKey(runId), status, String(at), owner ?? ''), runId), { runId }),
    loadRun: (runId) =>
      guard(`cannot load the checkpoint of run '${runId}'`, async (): Promise<RunCheckpoint | undefined> => {
        const [header, nodes, waits] = (await client.multi().hgetall(runKey(runId)).hgetall(nodesKey(runId)).hgetall(waitingKey(runId)).exec().then(throwFirst)) as [
          Record<string, string>,
          Record<string, string>,
          Record<string, string>,
        ];
        if (header.fingerprint === undefined) return undefined;
        const checkpoints: Record<string, NodeCheckpoint> = Object.create(null) as Record<string, NodeCheckpoint>; // node ids are data: '__proto__' is a key like any other
        for (const [nodeId, json] of Object.entries(nodes)) checkpoints[nodeId] = parse<NodeCheckpoint>(json, `node '${nodeId}' of run '${runId}'`);
        return {
          runId,
          fingerprint: parse<GraphFingerprint>(header.fingerprint, `run '${runId}'`),
          status: header.status as RunHeader['status'],
          createdAt: Number(header.createdAt),
          updatedAt: Number(header.updatedAt),
          nodes: checkpoints,
          ...waitingOf(waits, runId),
        };
      }, { runId }),
    listRuns: () =>
      guard('cannot list the runs', async (): Promise<RunHeader[]> => {
        // Every key under `<prefix>run:` whose hash has a fingerprint is a run's header (SCAN, so a
        // big store does not block Redis); a run's own `:nodes`/`:lease`/`:waiting` keys are skipped.
        const keys = new Set<string>();
        let cursor = '0';
        do {
          const [next, batch] = await client.scan(cursor, 'MATCH', `${globEscape(prefix)}run:*`, 'COUNT', 1000);
          cursor = next;
          for (const key of batch) keys.add(key);
        } while (cursor !== '0');
        const candidates = [...keys].filter((key) => !/:(nodes|lease|waiting)$/.test(key) || !keys.has(key.replace(/:(nodes|lease|waiting)$/, '')));
        const pipeline = client.pipeline();
        for (const key of candidates) pipeline.hmget(key, 'fingerprint', 'status', 'createdAt', 'updatedAt');
        const replies = (await pipeline.exec()) ?? [];
        const runs: RunHeader[] = [];
        replies.forEach(([error, reply], i) => {
          const [fingerprint, status, createdAt, updatedAt] = (reply ?? []) as (string | null)[];
          if (error || !fingerprint) return; // not a hash (a lease), or not a header
          const runId = candidates[i]!.slice(prefix.length + 'run:'.length);
          runs.push({ runId, fingerprint: parse<GraphFingerprint>(fingerprint, `run '${runId}'`), status: status as RunHeader['status'], createdAt: Number(createdAt), updatedAt: Number(updatedAt) });
        });
        return runs;
      }),
    deleteRun: (runId) =>
      guard(
        `cannot delete run '${runId}'`,
        async () => {
          await client.del(runKey(runId), nodesKey(runId), waitingKey(runId));
        },
        { runId },
      ),
    acquireLease: (runId, owner, ttlMs) =>
      guard(
        `cannot take the lease of run '${runId}'`,
        async (): Promise<LeaseState> => {
          const [acquired, holder, left] = (await client.eval(ACQUIRE_LEASE, 1, leaseKey(runId), owner, String(ttlMs))) as [number, string?, number?];
          return acquired === 1 ? { acquired: true } : { acquired: false, owner: holder!, expiresInMs: Math.max(0, Number(left)) };
        },
        { runId },
      ),
    renewLease: (runId, owner, ttlMs) =>
      guard(
        `cannot renew the lease of run '${runId}'`,
        async (): Promise<LeaseState> => {
          const [renewed, holder, left] = (await client.eval(RENEW_LEASE, 2, leaseKey(runId), runKey(runId), owner, String(ttlMs))) as [number, string?, number?];
          if (renewed === -1) {
            throw new StoreError(
              'STORE_FAILED',
              `cannot renew the lease of run '${runId}': the lease and the checkpoint header are gone (Redis restarted empty, or was flushed, while the run went on); nothing more is written, as no resume could find it`,
              { runId },
            );
          }
          return renewed === 1 ? { acquired: true } : { acquired: false, owner: holder ?? '', expiresInMs: Math.max(0, Number(left ?? 0)) };
        },
        { runId },
      ),
    releaseLease: (runId, owner) =>
      guard(
        `cannot release the lease of run '${runId}'`,
        async () => {
          await client.eval(RELEASE_LEASE, 1, leaseKey(runId), owner);
        },
        { runId },
      ),
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

/** The `waiting` of a checkpoint from the run's waiting hash: absent when no node waits. */
function waitingOf(fields: Record<string, string>, runId: string): { waiting?: Record<string, WaitingCheckpoint> } {
  const entries = Object.entries(fields);
  if (entries.length === 0) return {};
  const waiting = Object.create(null) as Record<string, WaitingCheckpoint>;
  for (const [nodeId, json] of entries) waiting[nodeId] = parse<WaitingCheckpoint>(json, `the wait of node '${nodeId}' of run '${runId}'`);
  return { waiting };
}

/** A literal string in a Redis glob pattern (SCAN MATCH). */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
