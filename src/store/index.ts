/**
 * `rx-orchestra/store`: durable runs. Checkpoints per node in SQLite (the default) or Redis, `resume`
 * after a crash (one owner per run, by lease), and a response cache for idempotent model calls. The
 * backends are optional peer dependencies: `sqliteStore` needs `better-sqlite3`, `redisStore` needs
 * `ioredis`; without its package a backend throws a `MissingPeerError` naming it.
 *
 * ## Example
 * ```ts
 * import { executeDurable, resume, sqliteStore } from 'rx-orchestra/store';
 * const store = sqliteStore('.rx-orchestra/runs.db');
 * executeDurable(store, g, { runId: 'nightly-42' }).subscribe();
 * ```
 * @module
 */
export type { RunStore, ResponseCacheStore, DurableStore, RunHeader, RunCheckpoint, NodeCheckpoint, CachedResponse, MaybePromise, LeaseState } from './run-store.js';
export { sqliteStore, type SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { redisStore, type RedisStore, type RedisStoreOptions } from './redis-store.js';
export { openStore, DEFAULT_STORE_PATH } from './open-store.js';
export { checkpoint, type CheckpointOptions } from './checkpoint.js';
export { executeDurable, type DurableExecuteOptions } from './execute-durable.js';
export { resume, loadRestore, type ResumeOptions } from './resume.js';
export { DEFAULT_LEASE_TTL_MS, type LeaseOptions } from './run-lease.js';
export { checkedGraph } from './checked-graph.js';
export { graphFingerprint, diffFingerprints, type GraphFingerprint } from './fingerprint.js';
export { findUnserializable, checkSerializable, type SerializationProblem } from './serialize.js';
export { cachedModel, type CachedModel, type CachedModelOptions } from './cached-model.js';
export {
  StoreError,
  CheckpointMismatchError,
  ValueNotSerializableError,
  RunLockedError,
  isStoreError,
  isRunLockedError,
  isCheckpointMismatchError,
  isValueNotSerializableError,
  type StoreErrorCode,
  type GraphChanges,
  type ChangedDeps,
} from './errors.js';
export { memoryPosteriorStore, type PosteriorStore, type ArmStats, type PendingChoice, type MemoryPosteriorStoreOptions } from './posterior-store.js';
export { sqlitePosteriorStore, type SqlitePosteriorStore, type SqlitePosteriorStoreOptions } from './posterior-sqlite.js';
export { redisPosteriorStore, type RedisPosteriorStore, type RedisPosteriorStoreOptions } from './posterior-redis.js';
export { storeBatchJournal } from './batch-journal.js';
