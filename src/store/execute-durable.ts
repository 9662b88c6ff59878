import type { Graph } from '../graph/graph.js';
import { execute, type ExecuteOptions, type RunStream } from '../run/execute.js';
import type { RunStore } from './run-store.js';
import { checkpoint } from './checkpoint.js';
import { checkedGraph } from './checked-graph.js';
import { leaseSettings, withLease, type LeaseOptions } from './run-lease.js';
import { withDurableBatches } from './batch-durable.js';

/**
 * Options of {@link executeDurable}: `execute`'s, with a required `runId`, plus a graph `version`.
 *
 * ## Example
 * ```ts
 * import { executeDurable, type DurableExecuteOptions } from 'rx-orchestra/store';
 * const options: DurableExecuteOptions = { runId: 'weekly-2026-23', version: 'v2', concurrency: 8 };
 * executeDurable(store, g, options);
 * ```
 */
export interface DurableExecuteOptions<C = unknown> extends Omit<ExecuteOptions<C>, 'runId' | 'restore'> {
  /** The run's id: the key of its checkpoint, and what `resume` needs after a crash. */
  runId: string;
  /** A version of your own, part of the checkpoint's fingerprint. @default none */
  version?: string;
  /** The run's lease: how long it lasts unless renewed, how often it is renewed. @default { ttlMs: 30000, renewEveryMs: 10000 } */
  lease?: LeaseOptions;
}

/**
 * Runs a graph with a checkpoint: `execute` plus {@link checkpoint}, with each node's value checked
 * at the node (see {@link checkedGraph}), so a value that cannot be stored fails that node with a
 * `ValueNotSerializableError` and the rest of the run goes on. The run's header (with the graph's
 * fingerprint) is written before the run starts, each node's outcome as it ends. A run id that
 * already has a checkpoint is refused (`RUN_EXISTS`): continue it with `resume`. Store failures
 * fail the stream and cancel the run (what was written is kept).
 *
 * One owner per run: the run's lease (see {@link LeaseOptions}) is taken before anything else, held
 * while the run goes on and released when it ends; while another process (or subscription) runs or
 * resumes this run id, the stream fails with a `RunLockedError` (`RUN_LOCKED`) and runs nothing.
 *
 * ## Example
 * ```ts
 * import { executeDurable, sqliteStore } from 'rx-orchestra/store';
 * import { collect } from 'rx-orchestra';
 * const store = sqliteStore('.rx-orchestra/runs.db');
 * const { summary } = await collect(executeDurable(store, g, { runId: 'weekly-report-2026-23', model }));
 * ```
 * @throws {OptionsError} (scope `'execute'`) at call time, for an invalid option (as `execute`); {@link StoreError} `INVALID_OPTION` for an invalid `lease`
 */
export function executeDurable<O, C>(store: RunStore, graph: Graph<O, C>, options: DurableExecuteOptions<C>): RunStream<O> {
  const { version, runId, lease, ...given } = options;
  const { options: rest, around } = withDurableBatches(store, runId, graph as Graph<unknown, unknown>, given); // batches written down as they are created
  const settings = leaseSettings(lease);
  const run = (execute as (g: Graph<O, C>, o: ExecuteOptions<C>) => RunStream<O>)(checkedGraph(graph), { ...rest, runId });
  return around(withLease(store, runId, settings, (leaseOwner) =>
    run.pipe(
      checkpoint(store, runId, graph as Graph<unknown, unknown>, {
        ifExists: 'refuse',
        leaseOwner,
        ...(version !== undefined ? { version } : {}),
        ...(rest.scheduler ? { scheduler: rest.scheduler } : {}),
      }),
    ),
  ));
}
