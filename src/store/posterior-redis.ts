import type { Redis, RedisOptions } from 'ioredis';
import { loadPeer } from '../peer/load-peer.js';
import { StoreError } from './errors.js';
import type { ArmStats, PendingChoice, PosteriorStore } from './posterior-store.js';

/**
 * Settings of {@link redisPosteriorStore}: a URL or a client of your own, and a key prefix.
 *
 * ## Example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisPosteriorStore } from 'rx-orchestra/store';
 * const store = redisPosteriorStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'myapp:' });
 * ```
 */
export interface RedisPosteriorStoreOptions {
  /** Where Redis is. @default process.env.REDIS_URL, else redis://127.0.0.1:6379 */
  url?: string;
  /** An ioredis client of your own; `close()` leaves it open. */
  client?: Redis;
  /** Prepended to every key. @default 'rxo:' */
  prefix?: string;
  /** How long a choice waits for feedback before Redis expires it, in ms. @default 7 days */
  choiceTtlMs?: number;
  /** Options for the client this store creates (not used with `client`). @default { maxRetriesPerRequest: 3 } */
  redisOptions?: RedisOptions;
}

/**
 * A {@link PosteriorStore} in Redis, with its client and prefix.
 *
 * ## Example
 * ```ts
 * import { redisPosteriorStore, type RedisPosteriorStore } from 'rx-orchestra/store';
 * const store: RedisPosteriorStore = redisPosteriorStore({ url: 'redis://127.0.0.1:6379' });
 * await store.client.ping();
 * ```
 */
export interface RedisPosteriorStore extends PosteriorStore {
  readonly client: Redis;
  readonly prefix: string;
}

/**
 * Bandit posteriors in Redis, shared by every process (and machine) using it: one hash per bandit
 * and context (`<prefix>bandit:<bandit>:<context>`, fields `n:<arm>`, `s:<arm>`, `q:<arm>`), a
 * reward added with `HINCRBYFLOAT`s in one `MULTI` (atomic, so concurrent updates add up); choices
 * waiting for feedback as keys with a TTL, taken with `GETDEL` (Redis 6.2+). Every call is
 * asynchronous.
 *
 * ## Example
 * ```ts
 * import { redisPosteriorStore } from 'rx-orchestra/store';
 * import { banditRouter } from 'rx-orchestra/patterns';
 * const store = redisPosteriorStore({ url: process.env.REDIS_URL });
 * const router = banditRouter({ name: 'model-choice', arms: ['haiku', 'sonnet'], store });
 * // ... at shutdown
 * await store.close();
 * ```
 * @throws {StoreError} `INVALID_OPTION` for bad options; calls fail with `STORE_FAILED` when Redis does
 * @throws {MissingPeerError} `MISSING_PEER` when ioredis is not installed
 */
export function redisPosteriorStore(options: RedisPosteriorStoreOptions = {}): RedisPosteriorStore {
  const { prefix = 'rxo:', choiceTtlMs = 7 * 24 * 3_600_000 } = options;
  if (typeof prefix !== 'string') throw new StoreError('INVALID_OPTION', `redisPosteriorStore: 'prefix' must be a string`, { field: 'prefix' });
  if (!(Number.isInteger(choiceTtlMs) && choiceTtlMs > 0)) throw new StoreError('INVALID_OPTION', `redisPosteriorStore: 'choiceTtlMs' must be an integer > 0, got ${String(choiceTtlMs)}`, { field: 'choiceTtlMs' });
  const owned = options.client === undefined;
  const client = options.client ?? new (loadPeer<typeof import('ioredis')>('ioredis').Redis)(options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3, ...options.redisOptions });
  if (owned) client.on('error', () => {}); // connection errors surface as the failed commands' STORE_FAILED
  const armsKey = (bandit: string, context: string) => `${prefix}bandit:${encodeURIComponent(bandit)}:${encodeURIComponent(context)}`;
  const choiceKey = (bandit: string, id: string) => `${prefix}bandit-choice:${encodeURIComponent(bandit)}:${encodeURIComponent(id)}`;
  const guard = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new StoreError('STORE_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
    }
  };
  return {
    client,
    prefix,
    read: (bandit, context) =>
      guard(`cannot read the posteriors of bandit '${bandit}'`, async () => {
        const fields = await client.hgetall(armsKey(bandit, context));
        const stats: Record<string, ArmStats> = {};
        for (const [field, value] of Object.entries(fields)) {
          const arm = field.slice(2);
          const s = (stats[arm] ??= { n: 0, sum: 0, sumSq: 0 }) as { n: number; sum: number; sumSq: number };
          const number = Number(value);
          if (field.startsWith('n:')) s.n = number;
          else if (field.startsWith('s:')) s.sum = number;
          else if (field.startsWith('q:')) s.sumSq = number;
        }
        return stats;
      }),
    add: (bandit, context, arm, reward) =>
      guard(`cannot add a reward to arm '${arm}' of bandit '${bandit}'`, async () => {
        const key = armsKey(bandit, context);
        const replies = await client.multi().hincrbyfloat(key, `n:${arm}`, 1).hincrbyfloat(key, `s:${arm}`, reward).hincrbyfloat(key, `q:${arm}`, reward * reward).exec();
        const error = replies?.find(([e]) => e)?.[0];
        if (!replies || error) throw error ?? new Error('the transaction was discarded');
      }),
    putChoice: (bandit, id, choice) =>
      guard(`cannot keep a choice of bandit '${bandit}'`, async () => {
        await client.set(choiceKey(bandit, id), JSON.stringify(choice), 'PX', choiceTtlMs);
      }),
    takeChoice: (bandit, id) =>
      guard(`cannot take a choice of bandit '${bandit}'`, async () => {
        const record = await client.getdel(choiceKey(bandit, id));
        return record === null ? undefined : (JSON.parse(record) as PendingChoice);
      }),
    close: async () => {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
}
