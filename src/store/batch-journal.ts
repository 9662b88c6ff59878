import type Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import type { BatchJournal, BatchJournalEntry } from '../models/batch/journal.js';
import type { RunStore } from './run-store.js';
import { StoreError } from './errors.js';
import { loadPeer } from '../peer/load-peer.js';

/** Where a SQLite store keeps the batches of its runs (beside its own tables, in the same file). */
const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS rxo_batches (
  run_id     TEXT NOT NULL,
  batch_id   TEXT NOT NULL,
  custom_id  TEXT NOT NULL,
  call_key   TEXT NOT NULL,
  created_at REAL NOT NULL,
  PRIMARY KEY (run_id, batch_id, custom_id)
);
`;

/** Journals of stores that live in this process only (`:memory:` SQLite, custom stores), by store and run. */
const inProcess = new WeakMap<RunStore, Map<string, BatchJournalEntry[]>>();

const failed = (what: string, runId: string, error: unknown) =>
  new StoreError('STORE_FAILED', `batch journal of run '${runId}': ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { runId }, { cause: error });

/**
 * The {@link BatchJournal} of one run, kept in the run's store, so a resumed run (a new process,
 * hours later) finds the batches it created and polls them instead of paying twice:
 * - a SQLite file store: a `rxo_batches` table in the same file, written through its own short-lived
 *   connection (WAL: a row written before a SIGKILL is there for the resume);
 * - a Redis store: a list `<prefix>batches:<runId>`;
 * - any other store (or `:memory:` SQLite): process memory, which survives nothing.
 * Used by `executeDurable` and `resume`; rows stay when the run is deleted (a batch's results are
 * kept by the API for 29 days).
 *
 * ## Example
 * ```ts
 * import { sqliteStore, storeBatchJournal } from 'rx-orchestra/store';
 * import { batchingModel } from 'rx-orchestra';
 * const journal = storeBatchJournal(sqliteStore('runs.db'), 'nightly-42');
 * batchingModel(model, { journal });
 * ```
 */
export function storeBatchJournal(store: RunStore, runId: string): BatchJournal {
  const path = (store as { path?: unknown }).path;
  if (typeof path === 'string' && path !== ':memory:' && path !== '') return sqliteJournal(path, runId);
  const redis = store as { client?: Redis; prefix?: unknown };
  if (redis.client && typeof redis.prefix === 'string') return redisJournal(redis.client, `${redis.prefix}batches:${runId}`, runId);
  let runs = inProcess.get(store);
  if (!runs) inProcess.set(store, (runs = new Map()));
  let entries = runs.get(runId);
  if (!entries) runs.set(runId, (entries = []));
  const kept = entries;
  return {
    load: () => [...kept],
    record: (added) => {
      kept.push(...added);
    },
  };
}

function sqliteJournal(path: string, runId: string): BatchJournal {
  const open = loadPeer<typeof Database>('better-sqlite3');
  const withDb = <T>(what: string, work: (db: Database.Database) => T): T => {
    let db: Database.Database | undefined;
    try {
      db = new open(path, { timeout: 5_000 });
      db.pragma('journal_mode = WAL');
      db.exec(SQLITE_SCHEMA);
      return work(db);
    } catch (error) {
      throw failed(what, runId, error);
    } finally {
      db?.close();
    }
  };
  return {
    load: () =>
      withDb('load', (db) =>
        (db.prepare('SELECT batch_id, custom_id, call_key, created_at FROM rxo_batches WHERE run_id = ? ORDER BY rowid').all(runId) as { batch_id: string; custom_id: string; call_key: string; created_at: number }[]).map(
          (row): BatchJournalEntry => ({ batchId: row.batch_id, customId: row.custom_id, key: row.call_key, createdAt: row.created_at }),
        ),
      ),
    record: (entries) =>
      withDb('record', (db) => {
        const insert = db.prepare('INSERT OR IGNORE INTO rxo_batches (run_id, batch_id, custom_id, call_key, created_at) VALUES (?, ?, ?, ?, ?)');
        db.transaction(() => {
          for (const entry of entries) insert.run(runId, entry.batchId, entry.customId, entry.key, entry.createdAt);
        })();
      }),
  };
}

function redisJournal(client: Redis, key: string, runId: string): BatchJournal {
  return {
    load: () =>
      client.lrange(key, 0, -1).then(
        (lines) => lines.map((line) => JSON.parse(line) as BatchJournalEntry),
        (error: unknown) => Promise.reject(failed('load', runId, error)),
      ),
    record: (entries) =>
      entries.length === 0
        ? undefined
        : client.rpush(key, ...entries.map((entry) => JSON.stringify(entry))).then(
            () => undefined,
            (error: unknown) => Promise.reject(failed('record', runId, error)),
          ),
  };
}
