/**
 * Durable runs: checkpoints per node in SQLite (the default) or Redis, `resume` after a crash, and a
 * response cache for idempotent model calls. (Re-exported from the package root.)
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
export { cacheKeyOf } from './cache-key.js';
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
