/**
 * Typed errors of durable runs and the response cache: each has a `code`, says whether a retry can
 * help (`retryable`), and carries the context that names what went wrong.
 * @module
 */

import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/**
 * What went wrong with a checkpoint, a store or a cached call.
 *
 * ## Example
 * ```ts
 * import { isStoreError, type StoreErrorCode } from 'rx-orchestra/store';
 * const retryLater = (e: unknown) => isStoreError(e) && (e.code satisfies StoreErrorCode) === 'STORE_FAILED';
 * ```
 */
export type StoreErrorCode =
  /** No checkpoint is stored under the run id given to `resume`. */
  | 'CHECKPOINT_NOT_FOUND'
  /** The checkpoint was written by a different graph (node ids, deps or version changed). */
  | 'CHECKPOINT_MISMATCH'
  /** A fresh durable run was asked for, but a checkpoint with that run id exists. */
  | 'RUN_EXISTS'
  /** The run's events carry another run id than the checkpoint was opened for. */
  | 'RUN_ID_MISMATCH'
  /** A node's value would not survive the round trip through the store. */
  | 'UNSERIALIZABLE_VALUE'
  /**
   * The store itself failed (I/O, connection, a corrupt record), or the run's checkpoint header
   * vanished under a running run (deleted, or Redis restarted empty): nothing more is written then.
   */
  | 'STORE_FAILED'
  /**
   * Another owner (process) holds the run's lease: it is being run or resumed right now, or its
   * owner died less than a lease TTL ago. See {@link RunLockedError}.
   */
  | 'RUN_LOCKED'
  /** A store or cache setting is invalid (named by `field`). */
  | 'INVALID_OPTION';

/**
 * An error of the durable-run layer (checkpoints, `resume`, stores, the response cache). Narrow on
 * `code`; the subclasses {@link CheckpointMismatchError} and {@link ValueNotSerializableError} carry
 * more context.
 *
 * ## Example
 * ```ts
 * import { resume, isStoreError } from 'rx-orchestra/store';
 * resume(store, 'run-42', g).subscribe({ error: (e) => isStoreError(e) && console.error(e.code, e.message) });
 * ```
 */
export class StoreError extends RxOrchestraError {
  static {
    brandError(this, 'StoreError');
  }
  override readonly name: string = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    override readonly details: { runId?: string; nodeId?: string; field?: string; owner?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /**
   * Whether trying again may help: for `STORE_FAILED` (a connection can come back) and `RUN_LOCKED`
   * (the owner ends, or its lease expires); a mismatched checkpoint or an unserializable value
   * stays wrong.
   */
  get retryable(): boolean {
    return this.code === 'STORE_FAILED' || this.code === 'RUN_LOCKED';
  }
  /** The run concerned, when there is one. */
  get runId(): string | undefined {
    return this.details.runId;
  }
  /** The node concerned, when there is one. */
  get nodeId(): string | undefined {
    return this.details.nodeId;
  }
}

/**
 * A node whose dependencies differ between a checkpoint's graph and the graph given now.
 *
 * ## Example
 * ```ts
 * import { isCheckpointMismatchError, type ChangedDeps } from 'rx-orchestra/store';
 * if (isCheckpointMismatchError(e)) e.changes.changedDeps.forEach(({ nodeId, before, after }: ChangedDeps) => console.log(nodeId, before, '->', after));
 * ```
 */
export interface ChangedDeps {
  nodeId: string;
  /** Its dependencies in the checkpoint's graph (sorted). */
  before: readonly string[];
  /** Its dependencies now (sorted). */
  after: readonly string[];
}

/**
 * How the graph given now differs from the one that wrote a checkpoint.
 *
 * ## Example
 * ```ts
 * import { diffFingerprints, graphFingerprint, type GraphChanges } from 'rx-orchestra/store';
 * const changes: GraphChanges = diffFingerprints(graphFingerprint(oldGraph), graphFingerprint(newGraph));
 * changes.added; // ['review']
 * ```
 */
export interface GraphChanges {
  /** Nodes the graph has now that the checkpoint's graph had not. */
  added: readonly string[];
  /** Nodes of the checkpoint's graph that the graph no longer has. */
  removed: readonly string[];
  /** Nodes in both whose dependencies changed. */
  changedDeps: readonly ChangedDeps[];
  /** Set when the user version differs. */
  version?: { before: string | undefined; after: string | undefined };
}

/**
 * A checkpoint written by a different graph: changed node ids or deps (or a different user
 * `version`). Resuming it would feed stored values to nodes that no longer mean the same thing, so
 * it is refused before anything runs, and nothing of it is applied. `changes` lists what changed.
 *
 * ## Example
 * ```ts
 * import { resume, isCheckpointMismatchError } from 'rx-orchestra/store';
 * resume(store, 'run-42', g).subscribe({
 *   error: (e) => { if (isCheckpointMismatchError(e)) console.error(e.changes.added, e.changes.removed, e.changes.changedDeps); },
 * });
 * ```
 */
export class CheckpointMismatchError extends StoreError {
  static {
    brandError(this, 'CheckpointMismatchError');
  }
  override readonly name = 'CheckpointMismatchError';
  constructor(
    runId: string,
    readonly changes: GraphChanges,
  ) {
    super('CHECKPOINT_MISMATCH', `checkpoint '${runId}' was written by a different graph: ${describeChanges(changes)}; resume it with the graph that wrote it, or start a new run`, { runId });
  }
}

/**
 * A node's value that would not come back equal from the store: a function, a symbol, a BigInt,
 * NaN or Infinity, `undefined` inside an array, a sparse array, a cycle, a symbol key, or an
 * instance of a class (Date, Map, Set, Error, Buffer, your own classes), which would come back as
 * a plain object without its prototype. `path` locates the culprit inside the value, e.g.
 * `value.sections[2].date`. Not retryable: the node would produce the same kind of value again.
 *
 * ## Example
 * ```ts
 * import { checkSerializable, isValueNotSerializableError } from 'rx-orchestra/store';
 * try { checkSerializable('outline', { when: new Date() }); }
 * catch (e) { if (isValueNotSerializableError(e)) console.error(e.nodeId, e.path, e.reason); } // outline value.when a Date instance ...
 * ```
 */
export class ValueNotSerializableError extends StoreError {
  static {
    brandError(this, 'ValueNotSerializableError');
  }
  override readonly name = 'ValueNotSerializableError';
  constructor(
    nodeId: string,
    /** Where in the value: `value`, `value.items[3]`, `value["a key"]`. */
    readonly path: string,
    /** What is there and why it cannot be stored. */
    readonly reason: string,
    runId?: string,
  ) {
    super('UNSERIALIZABLE_VALUE', `node '${nodeId}': its value cannot be checkpointed: ${path} is ${reason}; return plain data (objects, arrays, strings, finite numbers, booleans, null)`, {
      nodeId,
      ...(runId !== undefined ? { runId } : {}),
    });
  }
  /** The node that produced the value. */
  override get nodeId(): string {
    return this.details.nodeId!;
  }
}

/**
 * A run that has another owner: `executeDurable` or `resume` of a run whose lease another process
 * (or another subscription in this one) holds, refused before anything is read or run; or a run
 * whose lease was taken over while it was stalled past the lease's TTL (`lost: true`), which is
 * then stopped and writes nothing more. `owner` names the holder (`host:pid:random`), `expiresInMs`
 * how long its lease lasts unless renewed: a run whose owner crashed can be resumed once it has
 * passed. Retryable.
 *
 * ## Example
 * ```ts
 * import { resume, isRunLockedError } from 'rx-orchestra/store';
 * resume(store, 'nightly-42', g).subscribe({
 *   error: (e) => { if (isRunLockedError(e)) console.error(`run by ${e.owner}; free in ${e.expiresInMs} ms at the latest, unless renewed`); },
 * });
 * ```
 */
export class RunLockedError extends StoreError {
  static {
    brandError(this, 'RunLockedError');
  }
  override readonly name = 'RunLockedError';
  constructor(
    runId: string,
    /** The lease's holder: `host:pid:random` for leases taken by `executeDurable` and `resume`; `''` for a lost lease nobody holds now. */
    readonly owner: string,
    /** How long the holder's lease lasts unless it renews it, in ms. */
    readonly expiresInMs: number,
    /** True when this run held the lease and lost it (it was stalled past the TTL and another owner took over). */
    readonly lost: boolean = false,
  ) {
    super(
      'RUN_LOCKED',
      lost && owner === ''
        ? `run '${runId}' lost its lease while this process did not renew it in time (it expired, or another owner took the run over and has released it since); this run stops and writes nothing more`
        : lost
        ? `run '${runId}' was taken over by '${owner}' while this process did not renew its lease in time; this run stops and writes nothing more`
        : `run '${runId}' is owned by '${owner}' (its lease runs ${expiresInMs} ms more unless renewed): wait for that run to end, or, if its process died, resume once the lease has expired`,
      { runId, owner },
    );
  }
  override get runId(): string {
    return this.details.runId!;
  }
}

/**
 * True for a {@link RunLockedError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isRunLockedError, resume } from 'rx-orchestra/store';
 * resume(store, 'r1', g).subscribe({ error: (e) => isRunLockedError(e) && console.error('busy:', e.owner) });
 * ```
 */
export function isRunLockedError(error: unknown): error is RunLockedError {
  return hasErrorTag(error, 'RunLockedError');
}

/**
 * True for a {@link StoreError} (any code), also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isStoreError } from 'rx-orchestra/store';
 * try { await store.loadRun('r1'); } catch (e) { if (isStoreError(e) && e.retryable) scheduleRetry(); }
 * ```
 */
export function isStoreError(error: unknown): error is StoreError {
  return hasErrorTag(error, 'StoreError');
}

/**
 * True for a {@link CheckpointMismatchError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isCheckpointMismatchError, resume } from 'rx-orchestra/store';
 * resume(store, 'r1', g).subscribe({ error: (e) => isCheckpointMismatchError(e) && console.error(e.changes) });
 * ```
 */
export function isCheckpointMismatchError(error: unknown): error is CheckpointMismatchError {
  return hasErrorTag(error, 'CheckpointMismatchError');
}

/**
 * True for a {@link ValueNotSerializableError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isValueNotSerializableError, checkSerializable } from 'rx-orchestra/store';
 * try { checkSerializable('n', new Map()); } catch (e) { if (isValueNotSerializableError(e)) console.error(e.nodeId, e.path); }
 * ```
 */
export function isValueNotSerializableError(error: unknown): error is ValueNotSerializableError {
  return hasErrorTag(error, 'ValueNotSerializableError');
}

/**
 * `added: d; removed: c; deps of b: [a] -> [a, d]; version: 1 -> 2`.
 * @internal
 */
export function describeChanges(changes: GraphChanges): string {
  const parts: string[] = [];
  if (changes.added.length > 0) parts.push(`added ${changes.added.map(quote).join(', ')}`);
  if (changes.removed.length > 0) parts.push(`removed ${changes.removed.map(quote).join(', ')}`);
  for (const { nodeId, before, after } of changes.changedDeps) parts.push(`deps of ${quote(nodeId)} [${before.join(', ')}] -> [${after.join(', ')}]`);
  if (changes.version) parts.push(`version ${String(changes.version.before)} -> ${String(changes.version.after)}`);
  return parts.length > 0 ? parts.join('; ') : 'its fingerprint differs';
}

const quote = (id: string) => `'${id}'`;

/**
 * A write under a run whose checkpoint header is gone: fail it instead of writing node rows that no
 * resume could find.
 * @internal
 */
export function headerGone(runId: string, nodeId?: string): StoreError {
  const what = nodeId === undefined ? `cannot set the status of run '${runId}'` : `cannot checkpoint node '${nodeId}' of run '${runId}'`;
  return new StoreError(
    'STORE_FAILED',
    `${what}: the checkpoint header of run '${runId}' is gone (deleted, or the store restarted empty while the run went on); nothing more is written, as no resume could find it`,
    { runId, ...(nodeId !== undefined ? { nodeId } : {}) },
  );
}
