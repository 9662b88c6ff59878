import { defer, finalize, type Observable, type SchedulerLike } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import type { Model } from '../models/model.js';
import { batchingModel, isBatchingModel, type BatchRunOptions } from '../models/batch/batching-model.js';
import { registerRunBatching } from '../models/batch/run-batching.js';
import type { RunStore } from './run-store.js';
import { storeBatchJournal } from './batch-journal.js';

/** The options of a durable run that batching reads: the run's model, its scheduler and its `batch`. */
interface BatchableRunOptions {
  model?: Model;
  scheduler?: SchedulerLike;
}

/** True when a node of the graph asked for batching (`llm({ batch: true })`, `agent({ batch: true })`). */
function hasBatchNodes(graph: Graph<unknown, unknown>): boolean {
  return graph.nodes.some((node) => (node.run as { batch?: unknown }).batch === true);
}

/**
 * The options of a durable run (`executeDurable`, `resume`) with batches made durable: when the run
 * batches (`batch` set) or a node asks to, batches are written down in the run's store
 * (`storeBatchJournal`) the moment they are created, and a resumed run polls them instead of
 * submitting its calls again. With a model, the model becomes a batching model with that journal;
 * without one (the default model), the journal is registered for the run's nodes while its stream
 * is subscribed (`around`). Other runs are left as they are.
 * @internal
 */
export function withDurableBatches<O extends BatchableRunOptions>(store: RunStore, runId: string, graph: Graph<unknown, unknown>, options: O): { options: O; around: <T>(run: Observable<T>) => Observable<T> } {
  const same = <T>(run: Observable<T>) => run;
  const batch = (options as { batch?: boolean | BatchRunOptions }).batch;
  const runBatched = batch !== undefined && batch !== false;
  if (!runBatched && !hasBatchNodes(graph) && !isBatchingModel(options.model)) return { options, around: same };
  const settings = typeof batch === 'object' ? batch : {};
  const journal = storeBatchJournal(store, runId);
  if (!options.model) {
    const around = <T>(run: Observable<T>) =>
      defer(() => {
        const release = registerRunBatching(runId, { journal, batchByDefault: runBatched, settings });
        return run.pipe(finalize(release));
      });
    return { options, around };
  }
  const model = batchingModel(options.model, {
    ...settings,
    // Only what the run says: a node's `batch: true` batches that node, a run's `batch` every node.
    ...(runBatched ? { batchByDefault: true } : isBatchingModel(options.model) ? {} : { batchByDefault: false }),
    journal,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
  });
  return { options: { ...options, model }, around: same };
}
