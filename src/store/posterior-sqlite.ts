import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadPeer } from '../peer/load-peer.js';
import { StoreError } from './errors.js';
import type { ArmStats, PendingChoice, PosteriorStore } from './posterior-store.js';

/**
 * Settings of {@link sqlitePosteriorStore}.
 *
 * ## Example
 * ```ts
 * import { sqlitePosteriorStore } from 'rx-orchestra/store';
 * const store = sqlitePosteriorStore('.rx-orchestra/routing.db', { busyTimeoutMs: 10_000 });
 * ```
 */
export interface SqlitePosteriorStoreOptions {
  /** How long a write waits for another process holding the file's lock, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * How long a choice waits for feedback, in the choices' own clock (their `at`): older ones are
   * dropped when a new one is kept. @default 7 days
   */
  choiceTtlMs?: number;
}

/**
 * A {@link PosteriorStore} in SQLite, with its path.
 *
 * ## Example
 * ```ts
 * import { sqlitePosteriorStore, type SqlitePosteriorStore } from 'rx-orchestra/store';
 * const store: SqlitePosteriorStore = sqlitePosteriorStore(':memory:');
 * store.path; // ':memory:'
 * ```
 */
export interface SqlitePosteriorStore extends PosteriorStore {
  readonly path: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rxo_bandit_arms (
  bandit  TEXT NOT NULL,
  context TEXT NOT NULL,
  arm     TEXT NOT NULL,
  n       REAL NOT NULL,
  sum     REAL NOT NULL,
  sum_sq  REAL NOT NULL,
  PRIMARY KEY (bandit, context, arm)
);
CREATE TABLE IF NOT EXISTS rxo_bandit_choices (
  bandit TEXT NOT NULL,
  id     TEXT NOT NULL,
  record TEXT NOT NULL,
  at     REAL NOT NULL,
  PRIMARY KEY (bandit, id)
);
`;

interface ArmRow {
  arm: string;
  n: number;
  sum: number;
  sum_sq: number;
}

/**
 * Bandit posteriors in a SQLite file (through `better-sqlite3`; synchronous, so a bandit's choice
 * stays synchronous): tables `rxo_bandit_arms` (reward count, sum and sum of squares per bandit,
 * context and arm: a reward is one `INSERT ... ON CONFLICT DO UPDATE` increment, so processes
 * sharing the file never lose one another's updates) and `rxo_bandit_choices` (choices waiting for
 * feedback). It can be the file of `sqliteStore` too: the tables do not overlap. WAL mode.
 *
 * ## Example
 * ```ts
 * import { sqlitePosteriorStore } from 'rx-orchestra/store';
 * import { banditRouter } from 'rx-orchestra/patterns';
 * const router = banditRouter({ name: 'model-choice', arms: ['haiku', 'sonnet'], store: sqlitePosteriorStore('.rx-orchestra/runs.db') });
 * ```
 * @param path the database file (created with its folder if missing), or `':memory:'`
 * @throws {StoreError} `STORE_FAILED` when the file cannot be opened; `INVALID_OPTION` for bad options
 * @throws {MissingPeerError} `MISSING_PEER` when better-sqlite3 is not installed
 */
export function sqlitePosteriorStore(path: string, options: SqlitePosteriorStoreOptions = {}): SqlitePosteriorStore {
  const { busyTimeoutMs = 5000, choiceTtlMs = 7 * 24 * 3_600_000 } = options;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreError('INVALID_OPTION', `sqlitePosteriorStore: 'busyTimeoutMs' must be an integer >= 0, got ${String(busyTimeoutMs)}`, { field: 'busyTimeoutMs' });
  if (!(typeof choiceTtlMs === 'number' && choiceTtlMs > 0)) throw new StoreError('INVALID_OPTION', `sqlitePosteriorStore: 'choiceTtlMs' must be a number > 0, got ${String(choiceTtlMs)}`, { field: 'choiceTtlMs' });
  const open = loadPeer<typeof Database>('better-sqlite3');
  let db: Database.Database;
  try {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    db = new open(path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (error) {
    throw failed(`cannot open SQLite posterior store '${path}'`, error);
  }
  const readArms = db.prepare<[string, string], ArmRow>('SELECT arm, n, sum, sum_sq FROM rxo_bandit_arms WHERE bandit = ? AND context = ?');
  const addReward = db.prepare(
    `INSERT INTO rxo_bandit_arms (bandit, context, arm, n, sum, sum_sq) VALUES (?, ?, ?, 1, ?, ?)
     ON CONFLICT(bandit, context, arm) DO UPDATE SET n = n + 1, sum = sum + excluded.sum, sum_sq = sum_sq + excluded.sum_sq`,
  );
  const putChoice = db.prepare('INSERT INTO rxo_bandit_choices (bandit, id, record, at) VALUES (?, ?, ?, ?) ON CONFLICT(bandit, id) DO UPDATE SET record = excluded.record, at = excluded.at');
  const pruneChoices = db.prepare('DELETE FROM rxo_bandit_choices WHERE bandit = ? AND at < ?');
  const takeChoice = db.prepare<[string, string], { record: string }>('DELETE FROM rxo_bandit_choices WHERE bandit = ? AND id = ? RETURNING record');
  const guard = <T>(what: string, work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw error instanceof StoreError ? error : failed(what, error);
    }
  };
  return {
    path,
    read: (bandit, context) =>
      guard(`cannot read the posteriors of bandit '${bandit}'`, () => {
        const stats: Record<string, ArmStats> = {};
        for (const row of readArms.all(bandit, context)) stats[row.arm] = { n: row.n, sum: row.sum, sumSq: row.sum_sq };
        return stats;
      }),
    add: (bandit, context, arm, reward) =>
      guard(`cannot add a reward to arm '${arm}' of bandit '${bandit}'`, () => {
        addReward.run(bandit, context, arm, reward, reward * reward);
      }),
    putChoice: (bandit, id, choice) =>
      guard(`cannot keep a choice of bandit '${bandit}'`, () => {
        db.transaction(() => {
          pruneChoices.run(bandit, choice.at - choiceTtlMs);
          putChoice.run(bandit, id, JSON.stringify(choice), choice.at);
        })();
      }),
    takeChoice: (bandit, id) =>
      guard(`cannot take a choice of bandit '${bandit}'`, () => {
        const row = takeChoice.get(bandit, id);
        return row ? (JSON.parse(row.record) as PendingChoice) : undefined;
      }),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function failed(what: string, error: unknown): StoreError {
  return new StoreError('STORE_FAILED', `${what}: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
}
