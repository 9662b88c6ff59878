import { sqliteStore, type SqliteStore } from './sqlite-store.js';
import { redisStore, type RedisStore } from './redis-store.js';

/**
 * Where {@link openStore} keeps runs when told nothing.
 *
 * ## Example
 * ```ts
 * import { DEFAULT_STORE_PATH, sqliteStore } from 'rx-orchestra/store';
 * const store = sqliteStore(DEFAULT_STORE_PATH); // what openStore() opens
 * ```
 */
export const DEFAULT_STORE_PATH = '.rx-orchestra/runs.db';

/**
 * Opens a store by location: a `redis://` or `rediss://` URL gives a {@link redisStore}, anything
 * else is a SQLite file ({@link sqliteStore}, the default). Without an argument:
 * `RX_ORCHESTRA_STORE` from the environment, else `.rx-orchestra/runs.db` in the working directory.
 *
 * ## Example
 * ```ts
 * import { openStore, resume } from 'rx-orchestra/store';
 * const store = openStore();                          // .rx-orchestra/runs.db
 * const shared = openStore('redis://10.0.0.5:6379');  // Redis
 * ```
 */
export function openStore(location: string = process.env.RX_ORCHESTRA_STORE ?? DEFAULT_STORE_PATH): SqliteStore | RedisStore {
  return /^rediss?:\/\//.test(location) ? redisStore({ url: location }) : sqliteStore(location);
}
