/**
 * The contract of a durable-run store: checkpoints of runs (one record per node, written as each
 * node ends) and the response cache. Implemented by `sqliteStore` (the default) and `redisStore`.
 * @module
 */
import type { NodeOutcome } from '../run/outcome.js';
import type { RunStatus, UsageTotals } from '../run/events.js';
import type { ContentBlock, TokenUsage } from '../models/model.js';
import type { GraphFingerprint } from './fingerprint.js';

/**
 * A result now, or later: the SQLite store answers synchronously (so checkpointing keeps a run's
 * stream synchronous, and marble tests in virtual time work), the Redis store with Promises.
 *
 * ## Example
 * ```ts
 * import type { MaybePromise, RunCheckpoint } from 'rx-orchestra/store';
 * const loaded: MaybePromise<RunCheckpoint | undefined> = store.loadRun('r1');
 * const checkpoint = await loaded; // works for both
 * ```
 */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A run's checkpoint header.
 *
 * ## Example
 * ```ts
 * const saved = await store.loadRun('r1');
 * if (saved?.status === 'running') console.log('r1 did not finish: resume it');
 * ```
 */
export interface RunHeader {
  runId: string;
  /** The shape of the graph that wrote it; a resume with another shape is refused. */
  fingerprint: GraphFingerprint;
  /** `running` until `run.completed`, then the run's status. A killed run stays `running`. */
  status: 'running' | RunStatus;
  /** When the checkpoint was created and last written, in the checkpointing scheduler's ms. */
  createdAt: number;
  updatedAt: number;
}

/**
 * One node's checkpoint: its outcome (status, value or error, attempts, times) as the run ended
 * it, and what its model calls cost in the run that ended it.
 *
 * ## Example
 * ```ts
 * const saved = await store.loadRun('r1');
 * for (const node of Object.values(saved?.nodes ?? {})) console.log(node.nodeId, node.outcome.status, node.usage.costUsd);
 * ```
 */
export interface NodeCheckpoint {
  nodeId: string;
  outcome: NodeOutcome;
  /** Calls, tokens and USD of the node's `node.usage` reports, all attempts included. */
  usage: UsageTotals;
  savedAt: number;
}

/**
 * A run's whole checkpoint: the header and every node that has ended, by id.
 *
 * ## Example
 * ```ts
 * import type { RunCheckpoint } from 'rx-orchestra/store';
 * const saved: RunCheckpoint | undefined = await store.loadRun('r1');
 * const spent = Object.values(saved?.nodes ?? {}).reduce((sum, node) => sum + node.usage.costUsd, 0);
 * ```
 */
export interface RunCheckpoint extends RunHeader {
  nodes: Record<string, NodeCheckpoint>;
  /**
   * The nodes waiting for a person's decision when the checkpoint was last written (`node.waiting`),
   * by id: what each asks and since when. Present when some node waits. Resume the run with
   * `resume(store, runId, g, { decisions })` to decide them (they ask again, and the decision applies).
   */
  waiting?: Record<string, WaitingCheckpoint>;
}

/**
 * A node waiting for a person's decision, as checkpointed: its payload (`'[not serializable]'` when
 * it could not be stored), how long it waits (null: for ever) and since when (the run's clock).
 *
 * ## Example
 * ```ts
 * const saved = await store.loadRun('r1');
 * for (const w of Object.values(saved?.waiting ?? {})) console.log(`${w.nodeId} asks`, w.payload);
 * ```
 */
export interface WaitingCheckpoint {
  nodeId: string;
  payload: unknown;
  timeoutMs: number | null;
  since: number;
}

/**
 * One cached model answer (see `cachedModel`).
 *
 * ## Example
 * ```ts
 * import { cacheKeyOf } from './cache-key.js';
 * const entry = await store.getCached(cacheKeyOf({ prompt: 'hi' }, 'claude-haiku-4-5'), Date.now());
 * entry?.text;
 * ```
 */
export interface CachedResponse {
  /** The request's hash (see `cacheKeyOf`). */
  key: string;
  /** The model that answered. */
  model: string;
  text: string;
  /**
   * The answer's content blocks (thinking with its signature, text, tool_use) when the completion
   * carried them (`Completion.content`); replayed on a hit. Absent for plain-text answers and in
   * entries stored before blocks were kept (served as their text).
   */
  content?: ContentBlock[];
  /** What the original call was billed (a hit reports what it saved from this). */
  usage: TokenUsage;
  stopReason?: string;
  /** When it was stored, in the caching scheduler's ms. */
  storedAt: number;
  /** When it stops being served; null for never. */
  expiresAt: number | null;
}

/**
 * Where checkpoints live. Every method may answer synchronously or with a Promise
 * ({@link MaybePromise}); failures are {@link StoreError}s with code `STORE_FAILED` (or
 * `RUN_LOCKED` for a write fenced off by another owner's lease). Implementations store what they
 * are given; fingerprints are compared, and values checked for serializability, by `checkpoint` and
 * `resume` before they call the store. Node ids are data: a checkpoint's `nodes` is a
 * null-prototype record, so a node called `__proto__` is an entry like any other. Run leases
 * (`acquireLease`, `renewLease`, `releaseLease`) make one process at a time the owner of a run.
 *
 * ## Example
 * ```ts
 * import { sqliteStore, type RunStore } from 'rx-orchestra/store';
 * const store: RunStore = sqliteStore('runs.db');
 * const saved = store.loadRun('run-42'); // RunCheckpoint | undefined (synchronously, for SQLite)
 * ```
 */
export interface RunStore {
  /**
   * Creates the run's header (status `running`) if there is none, atomically, and returns the
   * header stored now: the new one (`created: true`), or the existing one, unchanged.
   */
  openRun(header: Omit<RunHeader, 'status' | 'updatedAt'>): MaybePromise<{ header: RunHeader; created: boolean }>;
  /**
   * Writes (or overwrites) one node's checkpoint. Fails with `STORE_FAILED` when the run's header
   * is gone (nothing is written), and, given the writer's lease `owner`, with a `lost`
   * `RUN_LOCKED` unless that owner holds the run's lease (another owner holds it, or nobody does:
   * it expired, or another owner took the run over and released it since).
   */
  saveNode(runId: string, node: NodeCheckpoint, owner?: string): MaybePromise<void>;
  /**
   * Records that a node waits for a decision (`entry`), or that it no longer does (`undefined`).
   * Fails as `saveNode` does. Optional for stores of your own: without it, waiting nodes are not
   * checkpointed (they still ask again when the run is resumed).
   */
  saveWaiting?(runId: string, nodeId: string, entry: WaitingCheckpoint | undefined, owner?: string): MaybePromise<void>;
  /** Records the run's status: `running` when it is resumed, then how it ended. Fails as `saveNode` does. */
  setRunStatus(runId: string, status: RunHeader['status'], at: number, owner?: string): MaybePromise<void>;
  /** The run's checkpoint, or undefined when there is none. */
  loadRun(runId: string): MaybePromise<RunCheckpoint | undefined>;
  /**
   * The headers of every run the store holds, in no particular order (`rx-orchestra inspect <store>`
   * lists them). Optional for stores of your own.
   */
  listRuns?(): MaybePromise<RunHeader[]>;
  /** Forgets a run and its node checkpoints. */
  deleteRun(runId: string): MaybePromise<void>;
  /**
   * Takes the run's lease for `owner` for `ttlMs`, atomically, unless another owner holds one that
   * has not expired; when `owner` holds it already, extends it (this is also how a lease is
   * renewed). The run need not have a checkpoint yet. Expiry is measured by the store's clock
   * (the SQLite store's `clock`, the Redis server's).
   */
  acquireLease(runId: string, owner: string, ttlMs: number): MaybePromise<LeaseState>;
  /**
   * Extends the run's lease to `ttlMs` from now only if `owner` still holds it, atomically: how a
   * running owner renews it. Never takes a lease: when another owner holds it, or nobody does (it
   * expired and was removed, or another owner took the run over and has released it since), the
   * lease is lost (`acquired: false`, `owner` the holder, or `''` for nobody) and the owner must
   * stop. (Renewing with `acquireLease` would let an owner that stalled past its TTL take the run
   * back from under the owner that took it over.)
   */
  renewLease(runId: string, owner: string, ttlMs: number): MaybePromise<LeaseState>;
  /** Gives the lease up if `owner` holds it (another owner's lease is left alone). */
  releaseLease(runId: string, owner: string): MaybePromise<void>;
  /** Releases the connection or file handle. */
  close(): MaybePromise<void>;
}

/**
 * What {@link RunStore.acquireLease} and {@link RunStore.renewLease} answer: taken (or renewed), or
 * held by another owner (`owner`, for `expiresInMs` more). From `renewLease` only, `owner` may be
 * `''`: nobody holds the lease any more.
 *
 * ## Example
 * ```ts
 * import type { LeaseState } from 'rx-orchestra/store';
 * const state: LeaseState = await store.acquireLease('run-42', 'me', 30_000);
 * if (!state.acquired) console.log(`${state.owner} holds it for ${state.expiresInMs} ms more`);
 * ```
 */
export type LeaseState = { acquired: true } | { acquired: false; owner: string; expiresInMs: number };

/**
 * Where cached model answers live (the same stores as checkpoints).
 *
 * ## Example
 * ```ts
 * import { cachedModel, type ResponseCacheStore } from 'rx-orchestra/store';
 * const cache: ResponseCacheStore = sqliteStore('cache.db');
 * cachedModel(claude, cache);
 * ```
 */
export interface ResponseCacheStore {
  /** The entry under `key` unless it expired by `now` (an expired one is deleted). */
  getCached(key: string, now: number): MaybePromise<CachedResponse | undefined>;
  /** Stores (or replaces) an entry, then evicts the oldest-stored entries beyond `maxEntries`. */
  putCached(entry: CachedResponse, maxEntries: number): MaybePromise<void>;
  /** Entries stored now (expired ones not yet removed included). */
  cacheSize(): MaybePromise<number>;
  /** Removes every cached answer. */
  clearCache(): MaybePromise<void>;
}

/**
 * A store of both checkpoints and cached answers, as `sqliteStore` and `redisStore` return.
 *
 * ## Example
 * ```ts
 * import { openStore, type DurableStore } from 'rx-orchestra/store';
 * const store: DurableStore = openStore(); // checkpoints and the response cache in one place
 * ```
 */
export interface DurableStore extends RunStore, ResponseCacheStore {}
