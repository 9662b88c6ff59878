import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunStore } from '../store/run-store.js';
import { DEFAULT_STORE_PATH } from '../store/open-store.js';
import { isStoreError } from '../store/errors.js';
import { CliError, oneLine } from './errors.js';

/**
 * Where the CLI finds a durable store: a `redis://` / `rediss://` URL, or a SQLite file
 * (relative to the working directory). Without one: `RX_ORCHESTRA_STORE`, else
 * `.rx-orchestra/runs.db` (as `openStore()`).
 *
 * ## Example
 * ```ts
 * import { storeLocation } from './store-location.js';
 * storeLocation(undefined, { cwd: '/work/p', env: {} }); // { location: '/work/p/.rx-orchestra/runs.db', shown: '.rx-orchestra/runs.db', redis: false }
 * ```
 */
export function storeLocation(given: string | undefined, io: { cwd: string; env: Readonly<Record<string, string | undefined>> }): { location: string; shown: string; redis: boolean } {
  const shown = given ?? (io.env.RX_ORCHESTRA_STORE || DEFAULT_STORE_PATH);
  const redis = /^rediss?:\/\//.test(shown);
  return { location: redis ? shown : resolve(io.cwd, shown), shown, redis };
}

/**
 * Opens the store at `location` (see {@link storeLocation}) for the CLI. With `mustExist` (inspect,
 * resume) a SQLite file that is not there is a `STORE_NOT_FOUND` {@link CliError} instead of a new,
 * empty store; a store that cannot be opened is `STORE_FAILED`. The store modules (and their peers,
 * better-sqlite3 or ioredis) are loaded only now.
 *
 * ## Example
 * ```ts
 * import { openCliStore, storeLocation } from './store-location.js';
 * const store = await openCliStore(storeLocation('runs.db', io), { mustExist: true });
 * const saved = await store.loadRun('weekly-1');
 * await store.close();
 * ```
 * @throws {CliError} `STORE_NOT_FOUND`, `STORE_FAILED`
 */
export async function openCliStore(where: { location: string; shown: string; redis: boolean }, options: { mustExist?: boolean } = {}): Promise<RunStore> {
  if (!where.redis && options.mustExist && !existsSync(where.location)) {
    throw new CliError('STORE_NOT_FOUND', `no store at '${where.shown}': give the SQLite file a durable run wrote to (run --store <file>), or a redis://host:port URL`);
  }
  try {
    const { openStore } = await import('../store/open-store.js');
    return openStore(where.location);
  } catch (error) {
    throw storeFailure(where.shown, error);
  }
}

/**
 * A store's failure as the CLI reports it: `STORE_FAILED` naming the store, with the store's code.
 *
 * ## Example
 * ```ts
 * import { storeFailure } from './store-location.js';
 * throw storeFailure('runs.db', error);
 * ```
 */
export function storeFailure(shown: string, error: unknown): CliError {
  const code = isStoreError(error) ? `${error.code}: ` : '';
  return new CliError('STORE_FAILED', oneLine(`store '${shown}': ${code}${error instanceof Error ? error.message : String(error)}`), { cause: error });
}
