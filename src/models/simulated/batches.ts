/**
 * The simulated provider's Message Batches API, in scheduler time: a batch answers every request
 * the way the model would (same replies, faults as errored lines), ends after a drawn processing
 * time, expires, and can be canceled. As strict as the API on what it can check.
 * @module
 * @internal
 */
import { Observable, type SchedulerLike } from 'rxjs';
import type { Completion, CompletionRequest } from '../model.js';
import { ModelCallError } from '../model-error.js';
import { logNormalLatency, type LatencyProfile } from '../random.js';
import { CUSTOM_ID_PATTERN, processingCounts, type BatchBackend, type BatchEntry, type BatchItemResult, type BatchRequestCounts, type BatchStatus } from '../batch/backend.js';

/**
 * Settings of the simulated Message Batches API (`simulatedModel({ batch })`).
 *
 * ## Example
 * ```ts
 * import { simulatedModel } from 'rx-orchestra';
 * const sim = simulatedModel({ batch: { processingMs: { medianMs: 60_000, p95Ms: 600_000 }, expiresAfterMs: 86_400_000 } });
 * ```
 */
export interface SimulatedBatchOptions {
  /**
   * How long a batch takes to end after it is created: a fixed number of ms, or a log-normal
   * profile drawn per batch. @default { medianMs: 120000, p95Ms: 900000 } (minutes, like the API's)
   */
  processingMs?: number | LatencyProfile;
  /** A batch still processing this long after its creation expires (its requests too). @default 86400000 (24 h) */
  expiresAfterMs?: number;
  /** How long canceling takes before the batch ends, in ms. @default 0 */
  cancelMs?: number;
}

const DEFAULT_PROCESSING: LatencyProfile = { medianMs: 120_000, p95Ms: 900_000 };
const DAY_MS = 86_400_000;
/** The API's largest batch. */
const MAX_REQUESTS = 100_000;

/** How the model answers one request offline: its completion, or its error. @internal */
export type OfflineAnswer = (request: CompletionRequest, requestId: string, now: number) => { completion: Completion } | { error: unknown };

interface SimBatch {
  id: string;
  entries: readonly BatchEntry[];
  createdAt: number;
  /** When processing ends (unless canceled first). */
  endsAt: number;
  expired: boolean;
  canceledAt?: number;
  results?: BatchItemResult[];
}

const notFound = (id: string) => new ModelCallError('NOT_FOUND', `simulated batches: no batch '${id}'`, { status: 404, provider: 'simulated' });
const badRequest = (message: string) => new ModelCallError('BAD_REQUEST', `simulated batches: ${message}`, { status: 400, provider: 'simulated' });

/** A cold Observable of one value computed on subscription, or of its error. */
function now$<T>(compute: () => T): Observable<T> {
  return new Observable<T>((subscriber) => {
    let value: T;
    try {
      value = compute();
    } catch (error) {
      subscriber.error(error);
      return;
    }
    subscriber.next(value);
    subscriber.complete();
  });
}

/**
 * The simulated Message Batches API of a simulated model: `create` checks the custom ids (the API's
 * pattern, unique, 1 to 100,000 requests), draws the batch's processing time, and answers each
 * request at once with the model's own answer (a fault becomes an errored line); `retrieve` reports
 * `in_progress` (every request processing) until the batch ends, then `ended` with the counts;
 * `results` fails before the end (as the API has no `results_url` yet), then emits one line per
 * request; a batch that would end after `expiresAfterMs` expires then; `cancel` ends it after
 * `cancelMs` with every request canceled. Unknown ids are 404 `NOT_FOUND`. @internal
 */
export function simulatedBatches(answer: OfflineAnswer, random: () => number, scheduler: SchedulerLike, options: SimulatedBatchOptions = {}): BatchBackend {
  const { processingMs = DEFAULT_PROCESSING, expiresAfterMs = DAY_MS, cancelMs = 0 } = options;
  const batches = new Map<string, SimBatch>();
  let created = 0;
  let requests = 0;

  const endOf = (batch: SimBatch) => (batch.canceledAt !== undefined ? Math.min(batch.endsAt, batch.canceledAt + cancelMs) : batch.endsAt);
  const get = (id: string) => {
    const batch = batches.get(id);
    if (!batch) throw notFound(id);
    return batch;
  };
  const resultsOf = (batch: SimBatch): BatchItemResult[] => {
    if (batch.results) return batch.results;
    const canceled = batch.canceledAt !== undefined && batch.canceledAt + cancelMs < batch.endsAt;
    batch.results = batch.entries.map((entry): BatchItemResult => {
      if (canceled) return { customId: entry.customId, type: 'canceled' };
      if (batch.expired) return { customId: entry.customId, type: 'expired' };
      const outcome = answer(entry.request, `req_simbatch_${++requests}`, endOf(batch));
      return 'completion' in outcome ? { customId: entry.customId, type: 'succeeded', completion: { ...outcome.completion, latencyMs: endOf(batch) - batch.createdAt } } : { customId: entry.customId, type: 'errored', error: outcome.error };
    });
    return batch.results;
  };
  const statusOf = (batch: SimBatch, now: number): BatchStatus => {
    if (now < endOf(batch)) return { id: batch.id, processingStatus: batch.canceledAt !== undefined ? 'canceling' : 'in_progress', requestCounts: processingCounts(batch.entries.length) };
    const counts: BatchRequestCounts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    for (const result of resultsOf(batch)) counts[result.type] += 1;
    return { id: batch.id, processingStatus: 'ended', requestCounts: counts };
  };

  return {
    provider: 'simulated',
    create: (entries) =>
      now$(() => {
        if (entries.length === 0 || entries.length > MAX_REQUESTS) throw badRequest(`a batch holds 1 to ${MAX_REQUESTS} requests, got ${entries.length}`);
        const ids = new Set<string>();
        for (const { customId } of entries) {
          if (!CUSTOM_ID_PATTERN.test(customId)) throw badRequest(`custom_id '${customId}' must match ${String(CUSTOM_ID_PATTERN)}`);
          if (ids.has(customId)) throw badRequest(`custom_id '${customId}' is used twice in the batch`);
          ids.add(customId);
        }
        const createdAt = scheduler.now();
        const drawn = typeof processingMs === 'number' ? processingMs : logNormalLatency(processingMs, random);
        const expired = drawn > expiresAfterMs;
        const batch: SimBatch = { id: `msgbatch_sim_${++created}`, entries: [...entries], createdAt, endsAt: createdAt + Math.max(1, Math.round(expired ? expiresAfterMs : drawn)), expired };
        batches.set(batch.id, batch);
        return statusOf(batch, createdAt);
      }),
    retrieve: (id) => now$(() => statusOf(get(id), scheduler.now())),
    results: (id) =>
      new Observable<BatchItemResult>((subscriber) => {
        let lines: BatchItemResult[];
        try {
          const batch = get(id);
          if (scheduler.now() < endOf(batch)) throw badRequest(`batch '${id}' has not ended: no results yet`);
          lines = resultsOf(batch);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        for (const line of lines) {
          if (subscriber.closed) return;
          subscriber.next(line);
        }
        subscriber.complete();
      }),
    cancel: (id) =>
      now$(() => {
        const batch = get(id);
        const now = scheduler.now();
        if (now < endOf(batch) && batch.canceledAt === undefined) batch.canceledAt = now;
        return statusOf(batch, now);
      }),
  };
}
