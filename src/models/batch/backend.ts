/**
 * The contract between `batchingModel` and a provider's Message Batches API: create a batch of
 * requests, poll it, read its results, cancel it. Implemented over the real `@anthropic-ai/sdk`
 * (`anthropicBatches`) and, in virtual time, by the simulated provider (`simulatedModel().batches`).
 * @module
 */
import type { Observable } from 'rxjs';
import type { Completion, CompletionRequest } from '../model.js';

/** One request of a batch: the caller's `customId` (unique within the batch) and the request. */
export interface BatchEntry {
  /** 1 to 64 characters of `[a-zA-Z0-9_-]`, unique within the batch (the API's `custom_id` rule). */
  readonly customId: string;
  readonly request: CompletionRequest;
}

/** How many requests of a batch are in each state (the API's `request_counts`). */
export interface BatchRequestCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/**
 * A batch as the provider reports it (the API's `MessageBatch`).
 *
 * ## Example
 * ```ts
 * import type { BatchStatus } from 'rx-orchestra';
 * const status: BatchStatus = { id: 'msgbatch_01', processingStatus: 'in_progress', requestCounts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 } };
 * ```
 */
export interface BatchStatus {
  /** The provider's batch id (`msgbatch_…`). */
  id: string;
  /** `ended` once every request succeeded, errored, was canceled or expired. */
  processingStatus: 'in_progress' | 'canceling' | 'ended';
  requestCounts: BatchRequestCounts;
}

/**
 * The result of one request of an ended batch: the answer, a classified error (a `ModelCallError`,
 * as a streamed call would fail), or why it was never processed.
 *
 * ## Example
 * ```ts
 * import type { BatchItemResult } from 'rx-orchestra';
 * const onResult = (result: BatchItemResult) => result.type === 'succeeded' && console.log(result.completion.text);
 * ```
 */
export type BatchItemResult =
  | { customId: string; type: 'succeeded'; completion: Completion }
  | { customId: string; type: 'errored'; error: unknown }
  | { customId: string; type: 'canceled' | 'expired' };

/**
 * A provider's Message Batches API, as cold Observables (subscribing sends the request). Errors
 * are classified as a streamed call's are (`ModelCallError`: `RATE_LIMITED`, `NOT_FOUND`, ...).
 *
 * ## Example
 * ```ts
 * import { batchingModel, simulatedModel, type BatchBackend } from 'rx-orchestra';
 * const sim = simulatedModel();
 * const backend: BatchBackend = sim.batches;
 * batchingModel(sim, { backend });
 * ```
 */
export interface BatchBackend {
  /** Who answers: `'anthropic'`, `'simulated'`, ... (reported in `batch.submitted`). */
  readonly provider: string;
  /** Creates a batch (`messages.batches.create`); emits its status once. */
  create(entries: readonly BatchEntry[]): Observable<BatchStatus>;
  /** The batch's status now (`messages.batches.retrieve`). */
  retrieve(batchId: string): Observable<BatchStatus>;
  /** The results of an ended batch, one per request, in no particular order (`messages.batches.results`). */
  results(batchId: string): Observable<BatchItemResult>;
  /** Asks the provider to cancel the batch (`messages.batches.cancel`); emits its status once. */
  cancel(batchId: string): Observable<BatchStatus>;
}

/** The API's `custom_id` rule: 1 to 64 characters of letters, digits, `_` and `-`. */
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** Counts with every request still processing. @internal */
export function processingCounts(requests: number): BatchRequestCounts {
  return { processing: requests, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
}
