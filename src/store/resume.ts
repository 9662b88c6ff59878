import { defer, from, mergeMap, type Observable } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import { execute, type ExecuteOptions, type RunStream } from '../run/execute.js';
import type { RunEvent } from '../run/events.js';
import { hasValue, type NodeOutcome } from '../run/outcome.js';
import type { MaybePromise, RunCheckpoint, RunStore } from './run-store.js';
import { CheckpointMismatchError, StoreError } from './errors.js';
import { diffFingerprints, graphFingerprint } from './fingerprint.js';
import { checkpoint } from './checkpoint.js';
import { checkedGraph } from './checked-graph.js';
import { andThen, isPromiseLike } from './maybe-promise.js';
import { leaseSettings, withLease, type LeaseOptions } from './run-lease.js';
import { withDurableBatches } from './batch-durable.js';

/**
 * Options of {@link resume}: `execute`'s (the run id and restore come from the checkpoint), plus the graph `version`.
 *
 * ## Example
 * ```ts
 * import { resume, type ResumeOptions } from 'rx-orchestra/store';
 * const options: ResumeOptions = { version: 'v2', model: claude, concurrency: 8 };
 * resume(store, 'weekly-2026-23', g, options);
 * ```
 */
export interface ResumeOptions<C = unknown> extends Omit<ExecuteOptions<C>, 'runId' | 'restore'> {
  /** The version the run was started with (part of the fingerprint). @default none */
  version?: string;
  /** The run's lease: how long it lasts unless renewed, how often it is renewed. @default { ttlMs: 30000, renewEveryMs: 10000 } */
  lease?: LeaseOptions;
}

/**
 * Continues a run from its checkpoint: loads it, refuses it if it was written by a different graph
 * (a {@link CheckpointMismatchError} listing added and removed nodes and changed deps, before
 * anything runs or is restored), then runs the graph with every node that had succeeded (or fallen
 * back) restored: its end event is re-emitted with `restored: true` and its stored value feeds its
 * dependents; only the other nodes run, and they are checkpointed as they end, so a run can be
 * resumed again. Cold: nothing is read before subscribing. A run id with no checkpoint fails with
 * `CHECKPOINT_NOT_FOUND` (nothing is run from scratch by mistake).
 *
 * One owner per run: the run's lease (see {@link LeaseOptions}) is taken before the checkpoint is
 * read, held while the run goes on and released when it ends. A run that another process (or
 * subscription) is running or resuming fails with a `RunLockedError` (`RUN_LOCKED`, naming the
 * owner) and runs nothing; a run whose process died can be resumed once its lease has expired
 * (`lease.ttlMs` after its last renewal).
 *
 * ## Example
 * ```ts
 * import { resume, sqliteStore } from 'rx-orchestra/store';
 * import { collect } from 'rx-orchestra';
 * const store = sqliteStore('.rx-orchestra/runs.db');
 * const { outcomes, summary } = await collect(resume(store, 'weekly-report-2026-23', g, { model }));
 * summary.restored; // nodes taken from the checkpoint, not paid for again
 * ```
 */
export function resume<O, C>(store: RunStore, runId: string, graph: Graph<O, C>, options: ResumeOptions<C> = {}): RunStream<O> {
  const { version, lease, ...given } = options;
  const { options: rest, around } = withDurableBatches(store, runId, graph as Graph<unknown, unknown>, given); // batches of the killed run are polled, not sent again
  const settings = leaseSettings(lease);
  return around(withLease(store, runId, settings, (leaseOwner) =>
    defer((): Observable<RunEvent> => {
      const start = (restore: Record<string, NodeOutcome>) =>
        (execute as (g: Graph<O, C>, o: ExecuteOptions<C>) => RunStream<O>)(checkedGraph(graph), { ...rest, runId, restore }).pipe(
          checkpoint(store, runId, graph as Graph<unknown, unknown>, {
            ifExists: 'continue',
            leaseOwner,
            ...(version !== undefined ? { version } : {}),
            ...(rest.scheduler ? { scheduler: rest.scheduler } : {}),
          }),
        );
      // Read only once the lease is held: a checkpoint read before could miss what its last owner wrote since.
      const restore = loadRestore(store, runId, graph as Graph<unknown, unknown>, version);
      return isPromiseLike(restore) ? from(restore).pipe(mergeMap(start)) : start(restore);
    }),
  ));
}

/**
 * The outcomes to restore from a run's checkpoint (those with a value: succeeded or fell back),
 * after checking that the checkpoint was written by this graph. For custom pipelines:
 * `execute(g, { runId, restore })`.
 *
 * ## Example
 * ```ts
 * import { loadRestore } from 'rx-orchestra/store';
 * import { execute } from 'rx-orchestra';
 * const restore = await loadRestore(store, 'run-42', g);
 * execute(g, { runId: 'run-42', restore });
 * ```
 * @throws {StoreError} `CHECKPOINT_NOT_FOUND`, {@link CheckpointMismatchError}, or `STORE_FAILED`
 */
export function loadRestore(store: RunStore, runId: string, graph: Graph<unknown, unknown>, version?: string): MaybePromise<Record<string, NodeOutcome>> {
  return andThen(store.loadRun(runId), (saved: RunCheckpoint | undefined) => {
    if (!saved) throw new StoreError('CHECKPOINT_NOT_FOUND', `no checkpoint of run '${runId}' in this store`, { runId });
    const fingerprint = graphFingerprint(graph, version);
    if (saved.fingerprint.hash !== fingerprint.hash) throw new CheckpointMismatchError(runId, diffFingerprints(saved.fingerprint, fingerprint));
    const restore: Record<string, NodeOutcome> = Object.create(null) as Record<string, NodeOutcome>; // a node may be called '__proto__'
    for (const [nodeId, node] of Object.entries(saved.nodes)) if (hasValue(node.outcome)) restore[nodeId] = node.outcome;
    return restore;
  });
}
