/**
 * The batching of a run that names no model of its own (`execute(g, { batch })`, or a durable run
 * with batched nodes): neither the run loop nor the store may load the default model (the provider
 * SDKs), so they register the run's settings (and journal) here, by run id, and its `llm()` /
 * `agent()` nodes build their batching model over the default model from it (src/nodes/model-call.ts).
 * @module
 * @internal
 */
import type { BatchJournal } from './journal.js';
import type { BatchingModel, BatchRunOptions } from './batching-model.js';

/** What a run registered: its journal, whether every call batches, its settings, and (once made) its batching model. @internal */
export interface RunBatching {
  /** Where batches are written down (durable runs). @default none */
  readonly journal?: BatchJournal;
  readonly batchByDefault: boolean;
  readonly settings: BatchRunOptions;
  batcher?: BatchingModel;
}

const runs = new Map<string, RunBatching>();

/**
 * Registers a run's batching while the run is live; returns what removes it. The first registration
 * of a run id wins (a durable run's, with its journal, over the run loop's own). @internal
 */
export function registerRunBatching(runId: string, batching: RunBatching): () => void {
  if (runs.has(runId)) return () => undefined;
  runs.set(runId, batching);
  return () => {
    if (runs.get(runId) === batching) runs.delete(runId);
  };
}

/** The batching a run registered, if any. @internal */
export function runBatchingOf(runId: string): RunBatching | undefined {
  return runs.get(runId);
}
