import type Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CachedResponse, DurableStore, LeaseState, NodeCheckpoint, RunCheckpoint, RunHeader, WaitingCheckpoint } from './run-store.js';
import { RunLockedError, StoreError, headerGone } from './errors.js';
import type { GraphFingerprint } from './fingerprint.js';
import { loadPeer } from '../peer/load-peer.js';

/**
 * Settings of {@link sqliteStore}.
 *
 * ## Example
 * ```ts
 * import { sqliteStore } from 'rx-orchestra/store';
 * const store = sqliteStore('runs.db', { busyTimeoutMs: 10_000 });
 * ```
 */
export interface SqliteStoreOptions {
  /**
   * How long a write waits for another process holding the file's lock, in ms (several processes
   * may share one file: a run, its resume, a dashboard reading it). @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * The clock run leases expire by, in ms. Every process sharing the file must use the same clock:
   * change it only for tests (e.g. `() => scheduler.now()` to run leases in virtual time).
   * @default Date.now
   */
  clock?: () => number;
}

/**
 * A {@link DurableStore} in one SQLite file.
 *
 * ## Example
 * ```ts
 * import { sqliteStore, type SqliteStore } from 'rx-orchestra/store';
 * const store: SqliteStore = sqliteStore(':memory:');
 * store.path; // ':memory:'
 * ```
 */
export interface SqliteStore extends DurableStore {
  /** The database file (or `:memory:`). */
  readonly path: string;
}

/** Schema version, kept in `PRAGMA user_version`. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rxo_runs (
  run_id      TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  REAL NOT NULL,
  updated_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rxo_nodes (
  run_id   TEXT NOT NULL REFERENCES rxo_runs(run_id) ON DELETE CASCADE,
  node_id  TEXT NOT NULL,
  status   TEXT NOT NULL,
  attempts INTEGER,
  cost_usd REAL NOT NULL,
  value    TEXT,
  record   TEXT NOT NULL,
  saved_at REAL NOT NULL,
  PRIMARY KEY (run_id, node_id)
);
CREATE TABLE IF NOT EXISTS rxo_waiting (
  run_id   TEXT NOT NULL REFERENCES rxo_runs(run_id) ON DELETE CASCADE,
  node_id  TEXT NOT NULL,
  record   TEXT NOT NULL,
  PRIMARY KEY (run_id, node_id)
);
CREATE TABLE IF NOT EXISTS rxo_cache (
  key        TEXT PRIMARY KEY,
  seq        INTEGER NOT NULL,
  model      TEXT NOT NULL,
  entry      TEXT NOT NULL,
  stored_at  REAL NOT NULL,
  expires_at REAL
);
CREATE INDEX IF NOT EXISTS rxo_cache_by_seq ON rxo_cache(seq);
CREATE TABLE IF NOT EXISTS rxo_leases (
  run_id     TEXT PRIMARY KEY,
  owner      TEXT NOT NULL,
  expires_at REAL NOT NULL
);
`;

interface RunRow {
  run_id: string;
  fingerprint: string;
  status: string;
  created_at: number;
  updated_at: number;
}
interface NodeRow {
  node_id: string;
  value: string | null;
  record: string;
}
interface LeaseRow {
  owner: string;
  expires_at: number;
}
interface CacheRow {
  entry: string;
  expires_at: number | null;
}

/**
 * The default store: checkpoints and cached answers in one SQLite file (created with its folder if
 * missing), through `better-sqlite3`. Every call is synchronous, so checkpointing adds no
 * asynchrony to a run's stream. The file is in WAL mode: a checkpoint written when a node ended
 * survives the process being killed, and other processes can read while a run writes. Tables:
 * `rxo_runs`, `rxo_nodes` (one row per node: status, attempts, cost, the value as JSON),
 * `rxo_leases` (the owner of a live run and when its lease expires, by the wall clock) and
 * `rxo_cache`, readable with the `sqlite3` shell. Checkpoint writes check that the file is still
 * the one opened (same device and inode): a file deleted or replaced while a run writes fails the
 * run with `STORE_FAILED` instead of writing where no resume will look.
 *
 * ## Example
 * ```ts
 * import { sqliteStore, executeDurable, resume } from 'rx-orchestra/store';
 * const store = sqliteStore('.rx-orchestra/runs.db');
 * executeDurable(store, g, { runId: 'report-2026-06-01' }).subscribe();
 * // ... after a crash, in a new process:
 * resume(store, 'report-2026-06-01', g).subscribe();
 * ```
 * @param path the database file, or `':memory:'`
 * @throws {StoreError} `STORE_FAILED` when the file cannot be opened or is not a database
 * @throws {MissingPeerError} `MISSING_PEER` when better-sqlite3 is not installed
 */
export function sqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const { busyTimeoutMs = 5000, clock = Date.now } = options;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new StoreError('INVALID_OPTION', `sqliteStore: 'busyTimeoutMs' must be an integer >= 0, got ${String(busyTimeoutMs)}`, { field: 'busyTimeoutMs' });
  }
  if (typeof clock !== 'function') throw new StoreError('INVALID_OPTION', `sqliteStore: 'clock' must be a function returning ms`, { field: 'clock' });
  const open = loadPeer<typeof Database>('better-sqlite3'); // throws MISSING_PEER naming the fix
  let db: Database.Database;
  try {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    db = new open(path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // with WAL: a commit survives a killed process
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new Error(`the file has schema version ${version}; this version of rx-orchestra reads up to ${SCHEMA_VERSION}`);
    db.exec(SCHEMA);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  } catch (error) {
    throw failed(`cannot open SQLite store '${path}'`, error);
  }
  // The file this handle writes to. Deleted or replaced (rm, a restore, a cleanup job), the handle
  // keeps writing to the unlinked inode, which no other process and no resume will ever open.
  const opened = path === ':memory:' || path === '' ? undefined : statSync(path, { throwIfNoEntry: false });
  /** Throws STORE_FAILED when the database file is no longer the one opened (checked on checkpoint writes). */
  const checkFile = (runId: string, nodeId?: string): void => {
    if (!opened) return;
    const now = statSync(path, { throwIfNoEntry: false });
    if (now && now.ino === opened.ino && now.dev === opened.dev) return;
    throw new StoreError(
      'STORE_FAILED',
      `the SQLite file '${path}' was deleted or replaced (${now ? 'another file is there now' : 'it is gone'}) while run '${runId}' was writing to it: what this store wrote now, no resume could find, so nothing more is written (open the store again)`,
      { runId, ...(nodeId !== undefined ? { nodeId } : {}) },
    );
  };

  const getRun = db.prepare<[string], RunRow>('SELECT * FROM rxo_runs WHERE run_id = ?');
  const allRuns = db.prepare<[], RunRow>('SELECT * FROM rxo_runs');
  const insertRun = db.prepare('INSERT INTO rxo_runs (run_id, fingerprint, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(run_id) DO NOTHING');
  const setRunStatus = db.prepare('UPDATE rxo_runs SET status = ?, updated_at = ? WHERE run_id = ?');
  const upsertNode = db.prepare(
    `INSERT INTO rxo_nodes (run_id, node_id, status, attempts, cost_usd, value, record, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(run_id, node_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, cost_usd = excluded.cost_usd,
       value = excluded.value, record = excluded.record, saved_at = excluded.saved_at`,
  );
  const touchRun = db.prepare('UPDATE rxo_runs SET updated_at = ? WHERE run_id = ?');
  const nodesOf = db.prepare<[string], NodeRow>('SELECT node_id, value, record FROM rxo_nodes WHERE run_id = ? ORDER BY rowid');
  const removeRun = db.prepare('DELETE FROM rxo_runs WHERE run_id = ?');
  const upsertWaiting = db.prepare('INSERT INTO rxo_waiting (run_id, node_id, record) VALUES (?, ?, ?) ON CONFLICT(run_id, node_id) DO UPDATE SET record = excluded.record');
  const removeWaiting = db.prepare('DELETE FROM rxo_waiting WHERE run_id = ? AND node_id = ?');
  const waitingOf = db.prepare<[string], { node_id: string; record: string }>('SELECT node_id, record FROM rxo_waiting WHERE run_id = ? ORDER BY rowid');
  const getLease = db.prepare<[string], LeaseRow>('SELECT owner, expires_at FROM rxo_leases WHERE run_id = ?');
  const putLease = db.prepare('INSERT INTO rxo_leases (run_id, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at');
  const removeLease = db.prepare('DELETE FROM rxo_leases WHERE run_id = ? AND owner = ?');
  const getEntry = db.prepare<[string], CacheRow>('SELECT entry, expires_at FROM rxo_cache WHERE key = ?');
  const removeEntry = db.prepare('DELETE FROM rxo_cache WHERE key = ?');
  const putEntry = db.prepare(
    `INSERT INTO rxo_cache (key, seq, model, entry, stored_at, expires_at) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM rxo_cache), ?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET seq = excluded.seq, model = excluded.model, entry = excluded.entry, stored_at = excluded.stored_at, expires_at = excluded.expires_at`,
  );
  const countEntries = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM rxo_cache');
  const evictOldest = db.prepare('DELETE FROM rxo_cache WHERE key IN (SELECT key FROM rxo_cache ORDER BY seq LIMIT ?)');
  const clearEntries = db.prepare('DELETE FROM rxo_cache');

  const headerOf = (row: RunRow): RunHeader => ({
    runId: row.run_id,
    fingerprint: parse<GraphFingerprint>(row.fingerprint, `run '${row.run_id}'`),
    status: row.status as RunHeader['status'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const guard = <T>(what: string, work: () => T, details: StoreError['details'] = {}): T => {
    try {
      return work();
    } catch (error) {
      throw error instanceof StoreError ? error : failed(what, error, details);
    }
  };
  /**
   * Throws a lost RUN_LOCKED unless `owner` holds the run's lease (inside a write transaction). Its
   * own row counts even past its expiry: nobody has taken the run over (a takeover replaces the row,
   * and only the new owner deletes it). No row means the lease was taken over and released since.
   */
  const fence = (runId: string, owner: string | undefined): void => {
    if (owner === undefined) return;
    const lease = getLease.get(runId);
    if (lease?.owner === owner) return;
    throw new RunLockedError(runId, lease?.owner ?? '', lease ? Math.max(0, lease.expires_at - clock()) : 0, true);
  };

  const openRun = db.transaction((header: Omit<RunHeader, 'status' | 'updatedAt'>) => {
    const { changes } = insertRun.run(header.runId, JSON.stringify(header.fingerprint), 'running', header.createdAt, header.createdAt);
    return { header: headerOf(getRun.get(header.runId)!), created: changes > 0 };
  });
  const saveNode = db.transaction((runId: string, node: NodeCheckpoint, owner: string | undefined) => {
    fence(runId, owner);
    if (!getRun.get(runId)) throw headerGone(runId, node.nodeId);
    const { outcome } = node;
    const value = 'value' in outcome && outcome.value !== undefined ? JSON.stringify(outcome.value) : null;
    const { value: _value, ...rest } = outcome as { value?: unknown };
    const attempts = 'attempts' in outcome ? outcome.attempts : null;
    upsertNode.run(runId, node.nodeId, outcome.status, attempts, node.usage.costUsd, value, JSON.stringify({ ...node, outcome: rest }), node.savedAt);
    touchRun.run(node.savedAt, runId);
  });
  const saveWaiting = db.transaction((runId: string, nodeId: string, entry: WaitingCheckpoint | undefined, owner: string | undefined) => {
    fence(runId, owner);
    if (!getRun.get(runId)) throw headerGone(runId, nodeId);
    if (entry) upsertWaiting.run(runId, nodeId, JSON.stringify(entry));
    else removeWaiting.run(runId, nodeId);
  });
  const setStatus = db.transaction((runId: string, status: RunHeader['status'], at: number, owner: string | undefined) => {
    fence(runId, owner);
    if (setRunStatus.run(status, at, runId).changes === 0) throw headerGone(runId);
  });
  const acquireLease = db.transaction((runId: string, owner: string, ttlMs: number): LeaseState => {
    const lease = getLease.get(runId);
    const now = clock();
    if (lease && lease.owner !== owner && lease.expires_at > now) return { acquired: false, owner: lease.owner, expiresInMs: lease.expires_at - now };
    putLease.run(runId, owner, now + ttlMs);
    return { acquired: true };
  });
  const renewLease = db.transaction((runId: string, owner: string, ttlMs: number): LeaseState => {
    const lease = getLease.get(runId);
    const now = clock();
    if (!lease) return { acquired: false, owner: '', expiresInMs: 0 }; // taken over and released since
    if (lease.owner !== owner) return { acquired: false, owner: lease.owner, expiresInMs: Math.max(0, lease.expires_at - now) };
    putLease.run(runId, owner, now + ttlMs);
    return { acquired: true };
  });
  const putCached = db.transaction((entry: CachedResponse, maxEntries: number) => {
    putEntry.run(entry.key, entry.model, JSON.stringify(entry), entry.storedAt, entry.expiresAt);
    const excess = countEntries.get()!.n - maxEntries;
    if (excess > 0) evictOldest.run(excess);
  });

  return {
    path,
    openRun: (header) => guard(`cannot open the checkpoint of run '${header.runId}'`, () => (checkFile(header.runId), openRun(header)), { runId: header.runId }),
    // Writes take the file's write lock before reading the lease and the header (IMMEDIATE), so a
    // lease taken by another process in between cannot slip past the check.
    saveNode: (runId, node, owner) =>
      guard(`cannot checkpoint node '${node.nodeId}' of run '${runId}'`, () => (checkFile(runId, node.nodeId), saveNode.immediate(runId, node, owner)), { runId, nodeId: node.nodeId }),
    saveWaiting: (runId, nodeId, entry, owner) =>
      guard(`cannot checkpoint the wait of node '${nodeId}' of run '${runId}'`, () => (checkFile(runId, nodeId), saveWaiting.immediate(runId, nodeId, entry, owner)), { runId, nodeId }),
    setRunStatus: (runId, status, at, owner) => guard(`cannot set the status of run '${runId}'`, () => (checkFile(runId), setStatus.immediate(runId, status, at, owner)), { runId }),
    loadRun: (runId) =>
      guard(`cannot load the checkpoint of run '${runId}'`, (): RunCheckpoint | undefined => {
        const row = getRun.get(runId);
        if (!row) return undefined;
        const nodes: Record<string, NodeCheckpoint> = Object.create(null) as Record<string, NodeCheckpoint>; // node ids are data: '__proto__' is a key like any other
        for (const { node_id, value, record } of nodesOf.all(runId)) {
          const node = parse<NodeCheckpoint>(record, `node '${node_id}' of run '${runId}'`);
          if (value !== null) (node.outcome as { value?: unknown }).value = parse(value, `the value of node '${node_id}' of run '${runId}'`);
          nodes[node_id] = node;
        }
        const rows = waitingOf.all(runId);
        if (rows.length === 0) return { ...headerOf(row), nodes };
        const waiting = Object.create(null) as Record<string, WaitingCheckpoint>;
        for (const { node_id, record } of rows) waiting[node_id] = parse<WaitingCheckpoint>(record, `the wait of node '${node_id}' of run '${runId}'`);
        return { ...headerOf(row), nodes, waiting };
      }, { runId }),
    listRuns: () => guard('cannot list the runs', () => allRuns.all().map(headerOf), {}),
    deleteRun: (runId) => guard(`cannot delete run '${runId}'`, () => void removeRun.run(runId), { runId }),
    acquireLease: (runId, owner, ttlMs) => guard(`cannot take the lease of run '${runId}'`, () => acquireLease.immediate(runId, owner, ttlMs), { runId }),
    renewLease: (runId, owner, ttlMs) => guard(`cannot renew the lease of run '${runId}'`, () => renewLease.immediate(runId, owner, ttlMs), { runId }),
    releaseLease: (runId, owner) => guard(`cannot release the lease of run '${runId}'`, () => void removeLease.run(runId, owner), { runId }),
    getCached: (key, now) =>
      guard('cannot read the response cache', () => {
        const row = getEntry.get(key);
        if (!row) return undefined;
        if (row.expires_at !== null && row.expires_at <= now) {
          removeEntry.run(key);
          return undefined;
        }
        return parse<CachedResponse>(row.entry, `cache entry '${key}'`);
      }),
    putCached: (entry, maxEntries) => guard('cannot write the response cache', () => putCached(entry, maxEntries)),
    cacheSize: () => guard('cannot read the response cache', () => countEntries.get()!.n),
    clearCache: () => guard('cannot clear the response cache', () => void clearEntries.run()),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw failed(`${what} is corrupt (not JSON)`, error);
  }
}

function failed(what: string, error: unknown, details: StoreError['details'] = {}): StoreError {
  return new StoreError('STORE_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}`, details, { cause: error });
}
