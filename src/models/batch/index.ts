/**
 * Half-price runs: model calls through the Message Batches API (`batchingModel`), its backends
 * (Claude's over the SDK, the simulated provider's), the journal that makes batches durable, and
 * the events batched calls report. (Meant to be re-exported from the package root.)
 * @module
 */
export { batchingModel, isBatchingModel, batchBackendOf, type BatchingModel, type BatchingModelOptions, type BatchableRequest, type BatchRunOptions } from './batching-model.js';
export { anthropicBatches, type AnthropicBatchesOptions } from './anthropic-batches.js';
export { CUSTOM_ID_PATTERN, type BatchBackend, type BatchEntry, type BatchStatus, type BatchItemResult, type BatchRequestCounts } from './backend.js';
export { memoryBatchJournal, type BatchJournal, type BatchJournalEntry } from './journal.js';
export { isBatchedCompletion, type BatchedCompletion } from './live-batch.js';
export { pollDelay, DEFAULT_POLL_INTERVAL, type BatchPollInterval } from './poll-delay.js';
export { BatchCallError, isBatchCallError, type BatchCallErrorCode } from './errors.js';
export { BatchSubmittedEventSchema, BatchPolledEventSchema, BatchEndedEventSchema } from './batch-events.js';
