/** The two real stores, opened fresh per test: SQLite on a temp file, Redis on a test server with a unique prefix. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisStore, sqliteStore, type DurableStore } from 'rx-orchestra/store';
import { startRedis, type TestRedis } from '../support/redis-server.js';

export interface StoreKind {
  name: 'sqlite' | 'redis';
  /** Called in beforeAll. */
  setup(): Promise<void>;
  /** Called in afterAll. */
  teardown(): Promise<void>;
  /** A new, empty store; `reopen` opens a second handle on the same data (as another process would). */
  open(): { store: DurableStore; reopen: () => DurableStore };
}

export function tempDir(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'rxo-store-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function sqliteKind(): StoreKind {
  let dir: ReturnType<typeof tempDir>;
  let n = 0;
  return {
    name: 'sqlite',
    setup: async () => {
      dir = tempDir();
    },
    teardown: async () => dir.remove(),
    open: () => {
      const file = join(dir.path, `store-${++n}.db`);
      return { store: sqliteStore(file), reopen: () => sqliteStore(file) };
    },
  };
}

export function redisKind(): StoreKind {
  let redis: TestRedis;
  return {
    name: 'redis',
    setup: async () => {
      redis = await startRedis();
    },
    teardown: () => redis.stop(),
    open: () => {
      const prefix = redis.prefix();
      return { store: redisStore({ url: redis.url, prefix }), reopen: () => redisStore({ url: redis.url, prefix }) };
    },
  };
}
