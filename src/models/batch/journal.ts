/**
 * Where a batching model writes down the batches it created, so a run resumed after a crash polls
 * them again instead of paying twice. `executeDurable` / `resume` give it one backed by the run's
 * store (`storeBatchJournal`); without one, batches are not durable.
 * @module
 */

/**
 * One call written into a batch: the batch, the call's custom id, and the key of the call (its
 * node and request), by which a resumed run finds it again.
 *
 * ## Example
 * ```ts
 * import type { BatchJournalEntry } from 'rx-orchestra';
 * const entry: BatchJournalEntry = { batchId: 'msgbatch_01', customId: 'outline-3f9a', key: 'outline:3f9a…', createdAt: 0 };
 * ```
 */
export interface BatchJournalEntry {
  batchId: string;
  customId: string;
  /** The call's identity: its node and a hash of its request (see `batchCallKey`). */
  key: string;
  /** When the batch was created, in the batching model's scheduler ms. */
  createdAt: number;
}

/**
 * The batches of one run. `record` is called the moment a batch is created, before anyone polls
 * it; `load` once, on the first batched call of a process. Either may answer with a Promise.
 *
 * ## Example
 * ```ts
 * import { memoryBatchJournal, batchingModel } from 'rx-orchestra';
 * const journal = memoryBatchJournal();
 * batchingModel(model, { journal });
 * ```
 */
export interface BatchJournal {
  load(): readonly BatchJournalEntry[] | Promise<readonly BatchJournalEntry[]>;
  record(entries: readonly BatchJournalEntry[]): void | Promise<void>;
}

/**
 * A {@link BatchJournal} in memory: survives nothing, for tests and for sharing one journal
 * between two batching models of one process.
 *
 * ## Example
 * ```ts
 * import { memoryBatchJournal } from 'rx-orchestra';
 * const journal = memoryBatchJournal();
 * journal.record([{ batchId: 'b1', customId: 'c1', key: 'k1', createdAt: 0 }]);
 * journal.load().length; // 1
 * ```
 */
export function memoryBatchJournal(initial: readonly BatchJournalEntry[] = []): BatchJournal & { readonly entries: readonly BatchJournalEntry[] } {
  const entries = [...initial];
  return {
    entries,
    load: () => [...entries],
    record: (added) => {
      entries.push(...added);
    },
  };
}
