import { Observable, asyncScheduler, filter, map, type SchedulerLike, type Subscription } from 'rxjs';
import type { Completion, CompletionRequest, Model, ModelEvent } from '../model.js';
import { ModelAbortError } from '../errors.js';
import { OptionsError } from '../../errors/options-error.js';
import type { BatchBackend, BatchEntry, BatchItemResult } from './backend.js';
import type { BatchJournal, BatchJournalEntry } from './journal.js';
import { batchCallKey, customIdOf } from './call-key.js';
import { LiveBatch, type BatchCall } from './live-batch.js';
import { pollDelay, type BatchPollInterval } from './poll-delay.js';

/**
 * A request that may say whether it goes into a batch (`llm({ batch })` sets it).
 *
 * ## Example
 * ```ts
 * import type { BatchableRequest } from 'rx-orchestra';
 * const request: BatchableRequest = { prompt: 'Summarize the report', batch: true };
 * ```
 */
export type BatchableRequest = CompletionRequest & {
  /** True: into a batch; false: a direct call; undefined: the batching model's `batchByDefault`. */
  batch?: boolean;
};

/**
 * Settings of {@link batchingModel}. Every field is optional.
 *
 * ## Example
 * ```ts
 * import type { BatchingModelOptions } from 'rx-orchestra';
 * const options: BatchingModelOptions = { maxWaitMs: 5_000, maxBatchSize: 1_000, pollInterval: { initialMs: 30_000 }, retryAs: 'direct' };
 * ```
 */
export interface BatchingModelOptions {
  /**
   * The provider's Message Batches API. @default the model's own (`simulatedModel().batches`); without
   * one, batched calls fail with an OptionsError naming `backend` (direct calls and `forProvider` work)
   */
  backend?: BatchBackend;
  /** How long a batch gathers calls after its first one, in ms. @default 2000 */
  maxWaitMs?: number;
  /** The most calls in one batch: a full batch is sent at once. @default 10000 (the API takes 100,000) */
  maxBatchSize?: number;
  /** How often a batch is polled. @default { initialMs: 10000, factor: 1.5, maxMs: 300000 } */
  pollInterval?: BatchPollInterval;
  /** Whether a request that does not say (`batch` unset) is batched. @default true */
  batchByDefault?: boolean;
  /**
   * Where created batches are written down the moment they exist, so a resumed run polls them again
   * instead of paying twice (`executeDurable` / `resume` pass one backed by the run's store).
   * @default none (not durable)
   */
  journal?: BatchJournal;
  /**
   * Where the same call goes again after its batch answered it with an error (a node retry):
   * `'batch'` into the next batch, `'direct'` as a direct call of the wrapped model. @default 'batch'
   */
  retryAs?: 'batch' | 'direct';
  /** Tries of a batch creation that failed transiently (429, 529, 5xx, network). @default 3 */
  createRetries?: number;
  /**
   * The most requests this model keeps in unfinished batches (the API's limit on requests waiting in
   * the batch queue): calls beyond it wait, gathered, until a batch ends. A 429 on create while
   * batches are in flight lowers it to what was in flight (learned, as the quota of direct calls is).
   * Batched calls never take the per-minute quota of direct calls. @default Infinity (learned from 429s)
   */
  maxQueuedRequests?: number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * The batching settings of a run: `execute(g, { batch: true })` or `{ batch: { maxWaitMs, maxBatchSize } }`
 * batches every `llm()` / `agent()` call of the run (a node's `batch: false` keeps it direct).
 *
 * ## Example
 * ```ts
 * import type { BatchRunOptions } from 'rx-orchestra';
 * const batch: BatchRunOptions = { maxWaitMs: 5_000, maxBatchSize: 500 };
 * ```
 */
export type BatchRunOptions = Pick<BatchingModelOptions, 'maxWaitMs' | 'maxBatchSize' | 'pollInterval' | 'retryAs' | 'backend' | 'createRetries' | 'maxQueuedRequests'>;

/**
 * A {@link Model} that sends its calls through the Message Batches API (see {@link batchingModel}).
 *
 * ## Example
 * ```ts
 * import { batchingModel, simulatedModel, type BatchingModel } from 'rx-orchestra';
 * const model: BatchingModel = batchingModel(simulatedModel());
 * model.inner; // the simulated model, for direct calls
 * ```
 */
export interface BatchingModel extends Model {
  /** The wrapped model: what direct calls go to. */
  readonly inner: Model;
  /** Its Message Batches API; undefined when the wrapped model has none and none was given. */
  readonly backend: BatchBackend | undefined;
  /** The settings it was made with (what `forProvider` and a re-wrap start from). */
  readonly settings: Readonly<BatchingModelOptions>;
  /** Whether calls that do not say are batched. */
  readonly batchByDefault: boolean;
  /** A batching model for another provider with these settings and this journal (one per provider, created on first use). */
  forProvider(model: Model): BatchingModel;
}

const BATCHING = Symbol.for('rx-orchestra.batchingModel');

/**
 * True for a {@link batchingModel}.
 *
 * ## Example
 * ```ts
 * import { batchingModel, isBatchingModel, simulatedModel } from 'rx-orchestra';
 * isBatchingModel(batchingModel(simulatedModel())); // true
 * ```
 */
export function isBatchingModel(model: Model | undefined): model is BatchingModel {
  return model !== undefined && (model as unknown as Record<symbol, unknown>)[BATCHING] === true;
}

/**
 * The Message Batches API a model brings (`simulatedModel().batches`), if any.
 *
 * ## Example
 * ```ts
 * import { batchBackendOf, simulatedModel } from 'rx-orchestra';
 * batchBackendOf(simulatedModel())?.provider; // 'simulated'
 * ```
 */
export function batchBackendOf(model: Model): BatchBackend | undefined {
  const backend = (model as { batches?: unknown }).batches;
  return typeof backend === 'object' && backend !== null && typeof (backend as BatchBackend).create === 'function' ? (backend as BatchBackend) : undefined;
}

const RETRYABLE_CREATE = (error: unknown) => (error as { retryable?: unknown } | null)?.retryable === true;

/**
 * Sends a model's calls through the Message Batches API, at half price: calls marked `batch: true`
 * (or every call, with `batchByDefault`) are gathered for up to `maxWaitMs` (or until
 * `maxBatchSize`) into one batch, with a custom id per call; the batch is polled with a growing
 * interval on the scheduler, and each call completes from its line of the results as if it had
 * streamed (text, thinking and tool calls, then the completion, marked `batch` so it is priced at
 * the discount). An errored line fails the call with the error a streamed call would have had
 * (retryable or not), a canceled or expired one with a {@link BatchCallError}. Each call reports
 * `batch.submitted`, `batch.polled` and `batch.ended` in its stream (an `llm()` node forwards them
 * to the run). Unsubscribing a call drops it; the batch is canceled at the provider
 * (`batches.cancel`) once every call in it was. With a `journal`, each batch is written down the
 * moment it is created, and a call that an earlier process of the run already submitted (same node,
 * same request) waits for that batch's result instead of being submitted again.
 *
 * ## Example
 * ```ts
 * import { batchingModel, anthropicModel, anthropicBatches, execute } from 'rx-orchestra';
 * const claude = anthropicModel();
 * const halfPrice = batchingModel(claude, { backend: anthropicBatches(), maxWaitMs: 5_000 });
 * execute(g, { model: halfPrice }); // every llm() call of the run goes into a batch
 * ```
 * @throws {OptionsError} for an invalid option
 */
export function batchingModel(model: Model, options: BatchingModelOptions = {}): BatchingModel {
  const { maxWaitMs = 2_000, maxBatchSize = 10_000, pollInterval, batchByDefault = true, journal, retryAs = 'batch', createRetries = 3, maxQueuedRequests = Infinity, scheduler = asyncScheduler } = options;
  const where = 'batchingModel';
  if (!(typeof maxWaitMs === 'number' && maxWaitMs >= 0 && Number.isFinite(maxWaitMs))) throw new OptionsError('maxWaitMs', `${where}: 'maxWaitMs' must be a number of ms >= 0, got ${String(maxWaitMs)}`, 'models');
  if (!(Number.isInteger(maxBatchSize) && maxBatchSize >= 1 && maxBatchSize <= 100_000)) throw new OptionsError('maxBatchSize', `${where}: 'maxBatchSize' must be an integer between 1 and 100000, got ${String(maxBatchSize)}`, 'models');
  if (!(maxQueuedRequests === Infinity || (Number.isInteger(maxQueuedRequests) && maxQueuedRequests >= 1))) throw new OptionsError('maxQueuedRequests', `${where}: 'maxQueuedRequests' must be an integer >= 1, got ${String(maxQueuedRequests)}`, 'models');
  if (!(Number.isInteger(createRetries) && createRetries >= 0)) throw new OptionsError('createRetries', `${where}: 'createRetries' must be an integer >= 0, got ${String(createRetries)}`, 'models');
  for (const [field, value] of Object.entries(pollInterval ?? {})) {
    if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) throw new OptionsError(`pollInterval.${field}`, `${where}: 'pollInterval.${field}' must be a number > 0, got ${String(value)}`, 'models');
  }
  if (isBatchingModel(model)) return batchingModel(model.inner, { ...model.settings, ...options });
  const backend = options.backend ?? batchBackendOf(model);

  /** Calls waiting to be sent, in arrival order. */
  let gathering: BatchCall[] = [];
  let gatherTimer: Subscription | undefined;
  const live = new Map<string, LiveBatch>();
  /** Batches of earlier processes, by call key, oldest first; each entry is taken once. */
  let earlier: Map<string, BatchJournalEntry[]> | undefined;
  let loading: Promise<void> | undefined;
  /** Keys whose batch answered with an error, for `retryAs: 'direct'`. */
  const erroredKeys = new Set<string>();
  /** Requests in this model's unfinished batches (creations in flight included), and the limit on them. */
  let queued = 0;
  let queueLimit = maxQueuedRequests;
  /** Sizes of the batches this model created (not those of earlier processes), by id. */
  const ownSizes = new Map<string, number>();
  /** Gathered calls wait for a batch to end (no room in the queue). */
  let waitingForRoom = false;
  const liveContext = {
    backend: backend!,
    scheduler,
    pollInterval,
    onDone: (id: string) => {
      live.delete(id);
      const size = ownSizes.get(id);
      if (size === undefined) return;
      ownSizes.delete(id);
      queued -= size;
      if (waitingForRoom) {
        waitingForRoom = false;
        flush();
      }
    },
  };

  const loadEarlier = (entries: readonly BatchJournalEntry[]) => {
    earlier = new Map();
    for (const entry of entries) {
      const list = earlier.get(entry.key);
      if (list) list.push(entry);
      else earlier.set(entry.key, [entry]);
    }
  };

  const flush = () => {
    gatherTimer?.unsubscribe();
    gatherTimer = undefined;
    const gathered = gathering.filter((call) => !call.cancelled);
    gathering = [];
    // Room in the batch queue: what the limit leaves, at least one call when nothing is queued.
    const room = Math.max(queued === 0 ? 1 : 0, queueLimit - queued);
    const calls = gathered.slice(0, Math.min(room, maxBatchSize));
    if (gathered.length > calls.length) {
      gathering = gathered.slice(calls.length);
      if (room > maxBatchSize) gatherTimer = scheduler.schedule(flush, 0); // more than a batch holds: the next one now
      else waitingForRoom = true;
    }
    if (calls.length === 0) return;
    queued += calls.length;
    const seen = new Map<string, number>();
    const entries: BatchEntry[] = calls.map((call) => {
      const n = seen.get(call.key) ?? 0;
      seen.set(call.key, n + 1);
      return { customId: customIdOf(call.key, n), request: requestOf.get(call)! };
    });
    create(entries, calls, 0);
  };

  const create = (entries: BatchEntry[], calls: BatchCall[], failures: number) => {
    liveContext.backend.create(entries).subscribe({
      next: (status) => {
        const batch = new LiveBatch(status.id, entries.length, liveContext);
        live.set(status.id, batch);
        ownSizes.set(status.id, entries.length);
        const createdAt = scheduler.now();
        let written: void | Promise<void>;
        try {
          written = journal?.record(entries.map((entry, i) => ({ batchId: status.id, customId: entry.customId, key: calls[i]!.key, createdAt })));
        } catch (error) {
          written = Promise.reject(error); // the batch exists but is not written down: its calls fail with the store's error
        }
        const attach = () => {
          entries.forEach((entry, i) => batch.attach(entry.customId, calls[i]!, false));
          batch.start();
          if (calls.every((call) => call.cancelled)) batch.cancelled();
        };
        if (written instanceof Promise) {
          written.then(attach, (error: unknown) => {
            // Not written down, so not durable: cancel it (nobody will wait for it) and fail its calls with the store's error.
            liveContext.backend.cancel(status.id).subscribe({ error: () => undefined });
            liveContext.onDone(status.id);
            for (const call of calls) if (!call.cancelled) call.subscriber.error(error);
          });
        } else {
          attach();
        }
      },
      error: (error: unknown) => {
        const othersQueued = queued - calls.length;
        if ((error as { code?: unknown } | null)?.code === 'RATE_LIMITED' && othersQueued > 0) {
          // The batch queue is full: learn its size, and send these once a batch ends.
          queued = othersQueued;
          queueLimit = Math.min(queueLimit, othersQueued);
          gathering = [...calls, ...gathering];
          waitingForRoom = true;
          return;
        }
        if (RETRYABLE_CREATE(error) && failures < createRetries) {
          const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
          const backoff = pollDelay(failures + 1, { initialMs: 1_000, factor: 2, maxMs: 60_000 });
          scheduler.schedule(() => create(entries, calls, failures + 1), typeof retryAfterMs === 'number' ? Math.max(retryAfterMs, backoff) : backoff);
          return;
        }
        queued -= calls.length;
        for (const call of calls) if (!call.cancelled) call.subscriber.error(error);
      },
    });
  };

  /** The request each gathered call sends. */
  const requestOf = new WeakMap<BatchCall, CompletionRequest>();

  const gather = (call: BatchCall, request: CompletionRequest) => {
    requestOf.set(call, request);
    gathering.push(call);
    if (waitingForRoom) return; // sent when a batch ends
    if (gathering.length >= maxBatchSize) flush();
    else gatherTimer ??= scheduler.schedule(flush, maxWaitMs);
  };

  /** Waits in the batch an earlier process created for this call, if there is one; else gathers it. */
  const route = (call: BatchCall, request: CompletionRequest, resubmit: (result: BatchItemResult) => void) => {
    const entry = earlier?.get(call.key)?.shift();
    if (!entry) return gather(call, request);
    let batch = live.get(entry.batchId);
    const fresh = !batch;
    batch ??= new LiveBatch(entry.batchId, earlierSize(entry.batchId), liveContext);
    live.set(entry.batchId, batch);
    call.onUnanswered = resubmit;
    batch.attach(entry.customId, call, true);
    if (fresh) batch.start(0); // a batch of an earlier process: poll it at once
  };
  const batchSizes = new Map<string, number>();
  const earlierSize = (batchId: string) => {
    let size = batchSizes.get(batchId);
    if (size === undefined) {
      size = 0;
      for (const list of earlier?.values() ?? []) size += list.filter((entry) => entry.batchId === batchId).length;
      batchSizes.set(batchId, size);
    }
    return size;
  };

  const batched = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> =>
    new Observable<ModelEvent>((subscriber) => {
      if (!backend) {
        subscriber.error(new OptionsError('backend', `${where}: '${model.model}' has no Message Batches API of its own: pass { backend } (e.g. anthropicBatches())`, 'models'));
        return;
      }
      if (signal?.aborted) {
        subscriber.error(new ModelAbortError(signal.reason));
        return;
      }
      const key = batchCallKey(request);
      const call: BatchCall = { key, subscriber, joinedAt: scheduler.now(), cancelled: false, settled: false, onErrored: () => erroredKeys.add(key) };
      // A result of an earlier process that is not an answer (expired, canceled, errored): the next
      // batch an earlier process sent it in (a retry), else a new one.
      const resubmit = () => route(call, request, resubmit);
      const start = () => {
        if (!call.cancelled) route(call, request, resubmit);
      };
      if (journal && !earlier) {
        const entries = journal.load();
        if (entries instanceof Promise) {
          loading ??= entries.then(loadEarlier);
          loading.then(start, (error: unknown) => subscriber.error(error));
        } else {
          loadEarlier(entries);
          start();
        }
      } else if (loading && !earlier) {
        loading.then(start, (error: unknown) => subscriber.error(error));
      } else {
        start();
      }
      const onAbort = () => subscriber.error(new ModelAbortError(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      return () => {
        signal?.removeEventListener('abort', onAbort);
        if (call.cancelled || call.settled) return;
        call.cancelled = true;
        call.batch?.cancelled();
      };
    });

  const stream = (request: BatchableRequest, signal?: AbortSignal): Observable<ModelEvent> => {
    const wanted = request.batch ?? batchByDefault;
    // The wrapped model ignores the `batch` flag: the request goes on as it is (its trace tag too).
    if (!wanted || (retryAs === 'direct' && erroredKeys.has(batchCallKey(request)))) return model.stream(request, signal);
    return batched(request, signal);
  };

  const siblings = new WeakMap<Model, BatchingModel>();
  const self: BatchingModel = {
    model: model.model,
    ...(model.cacheNamespace !== undefined ? { cacheNamespace: model.cacheNamespace } : {}),
    inner: model,
    backend,
    settings: options,
    batchByDefault,
    stream,
    complete: (request, signal) =>
      stream(request, signal).pipe(
        filter((event): event is Extract<ModelEvent, { type: 'completion' }> => event.type === 'completion'),
        map((event): Completion => event.completion),
      ),
    forProvider: (other) => {
      if (other === model || other === self) return self;
      const inner = isBatchingModel(other) ? other.inner : other;
      let sibling = siblings.get(inner);
      if (!sibling) {
        const { backend: _mine, ...shared } = options;
        siblings.set(inner, (sibling = batchingModel(inner, { ...shared, ...(isBatchingModel(other) ? other.settings : {}), ...(journal ? { journal } : {}) })));
      }
      return sibling;
    },
  };
  Object.defineProperty(self, BATCHING, { value: true });
  return self;
}
