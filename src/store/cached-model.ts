import { Observable, asyncScheduler, filter, map, type SchedulerLike, type Subscription } from 'rxjs';
import type { Completion, CompletionRequest, ContentBlock, Model, ModelEvent, TokenUsage } from '../models/model.js';
import type { GovernedModel } from '../models/governed-model.js';
import { CLAUDE_PRICES, costUsd, priceOf, type PriceTable } from '../models/pricing.js';
import { governed, isGoverned } from '../nodes/governed-by-default.js';
import type { CachedResponse, ResponseCacheStore } from './run-store.js';
import { StoreError } from './errors.js';
import { cacheKeyOf } from './cache-key.js';
import { isPromiseLike } from './maybe-promise.js';

/**
 * Settings of {@link cachedModel}.
 *
 * ## Example
 * ```ts
 * import { cachedModel, sqliteStore } from 'rx-orchestra/store';
 * const options = { ttlMs: 3_600_000, maxEntries: 500, cacheable: (request) => request.temperature === 0 };
 * const cached = cachedModel(claude, sqliteStore('cache.db'), options);
 * ```
 */
export interface CachedModelOptions {
  /** How long an answer is served, in ms of the scheduler's clock; `Infinity` for ever. @default 86_400_000 (24 h) */
  ttlMs?: number;
  /** At most this many answers kept in the store (over all cached models using it); the oldest stored go first. @default 10_000 */
  maxEntries?: number;
  /**
   * Which requests may be answered from (and stored in) the cache; others go straight to the model.
   * @default every request (the wrapper itself is the opt-in: give it only to idempotent nodes)
   */
  cacheable?: (request: CompletionRequest) => boolean;
  /**
   * Put the wrapped model behind traffic control first (the same shared governor `llm()` would
   * use for it), so misses are paced and hits skip the queue; the cached model then counts as
   * governed and `llm()` does not wrap it again. @default true
   */
  governed?: boolean;
  /** Prices to compute what a hit saved. @default CLAUDE_PRICES */
  prices?: PriceTable;
  /** Clock for TTLs. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * Called when storing an answer fails; the answer is still delivered (it has been paid for).
   * A failure to read the cache fails the call instead (a retryable `StoreError`), before anything is spent.
   * @default ignore
   */
  onStoreError?: (error: StoreError) => void;
}

/**
 * A {@link Model} answering repeated requests from a store; see {@link cachedModel}.
 *
 * ## Example
 * ```ts
 * import { cachedModel, redisStore, type CachedModel } from 'rx-orchestra/store';
 * const cached: CachedModel = cachedModel(claude, redisStore());
 * await cached.store.cacheSize(); // answers kept
 * ```
 */
export interface CachedModel extends Model, Partial<Pick<GovernedModel, 'rateLimiter' | 'concurrency' | 'breakerFor'>> {
  /** The model that answers misses (the governed one, unless `governed: false`). */
  readonly inner: Model;
  readonly store: ResponseCacheStore;
}

const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/**
 * A response cache for idempotent calls: a Model wrapper that answers a request it has answered
 * before from a store (SQLite or Redis, the same stores as checkpoints), keyed by a hash of the
 * model, system prompt, messages and parameters ({@link cacheKeyOf}), within the model's
 * {@link Model.cacheNamespace} if it has one (a simulated stand-in's answers are never served as
 * the real model's, although it reports the real model's id). A hit emits
 * `{ type: 'cache.hit', key, model, savedUsd }` (an `llm()` or `agent()` node forwards it to the
 * run's stream as a `cache.hit` event), then the answer's events as a live call streams them (its
 * `thinking`, `text` and `tool_use` blocks in order; the text as one `text` event), then a completion
 * with the stored text, content blocks and stop reason and zero usage, so the node's `node.usage`
 * costs nothing. Answers with content blocks are stored with them (thinking blocks keep their
 * signatures, tool calls their ids): an agent loop served from the cache gets the same tool calls and
 * runs its tools again (only model calls are cached). A miss calls the model and stores its answer. Entries
 * expire after `ttlMs` and the store keeps at most `maxEntries` (evicting the oldest stored).
 * Caching is opt-in: use the wrapper as the `provider` of the nodes whose calls are idempotent,
 * and narrow it further with `cacheable`. Concurrent identical misses are not merged.
 *
 * ## Example
 * ```ts
 * import { anthropicModel, graph, llm } from 'rx-orchestra';
 * import { cachedModel, sqliteStore } from 'rx-orchestra/store';
 * const claude = anthropicModel();
 * const cached = cachedModel(claude, sqliteStore('.rx-orchestra/cache.db'), { ttlMs: 3_600_000, maxEntries: 1_000 });
 * graph()
 *   .node('facts', { run: llm({ prompt: () => 'Three facts about RxJS', provider: cached, temperature: 0 }) }) // idempotent
 *   .node('story', { deps: ['facts'], run: llm({ prompt: ({ facts }) => `A story about ${facts}`, provider: claude }) });
 * ```
 * @throws {StoreError} `INVALID_OPTION` for a bad `ttlMs` or `maxEntries`
 */
export function cachedModel(model: Model, store: ResponseCacheStore, options: CachedModelOptions = {}): CachedModel {
  const { ttlMs = 86_400_000, maxEntries = 10_000, cacheable = () => true, prices = CLAUDE_PRICES, onStoreError } = options;
  if (typeof ttlMs !== 'number' || !(ttlMs > 0)) throw new StoreError('INVALID_OPTION', `cachedModel: 'ttlMs' must be a number > 0 (or Infinity), got ${String(ttlMs)}`, { field: 'ttlMs' });
  if (!(Number.isInteger(maxEntries) || maxEntries === Infinity) || maxEntries < 1) {
    throw new StoreError('INVALID_OPTION', `cachedModel: 'maxEntries' must be an integer >= 1 (or Infinity), got ${String(maxEntries)}`, { field: 'maxEntries' });
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const inner = options.governed === false ? model : governed(model, scheduler);
  // A provider that is not its model ids' own (a simulated stand-in reporting Claude's id) keys its
  // answers in a namespace of its own: they are never served as the real model's.
  const namespace = inner.cacheNamespace ?? model.cacheNamespace;
  const keyOf = (request: CompletionRequest) =>
    namespace === undefined ? cacheKeyOf(request, inner.model) : cacheKeyOf({ ...request, model: `${namespace}:${request.model ?? inner.model}` }, inner.model);

  const savedUsd = (entry: CachedResponse): number => {
    try {
      return costUsd(entry.usage, priceOf(entry.model, prices));
    } catch {
      return 0; // an unpriced model: nothing known to have been saved
    }
  };
  const reportStoreError = (error: unknown) =>
    onStoreError?.(error instanceof StoreError ? error : new StoreError('STORE_FAILED', `cachedModel: cannot store an answer: ${String(error)}`, {}, { cause: error }));

  const stream = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> => {
    if (!cacheable(request)) return inner.stream(request, signal);
    return new Observable<ModelEvent>((subscriber) => {
      const key = keyOf(request);
      let call: Subscription | undefined;
      let closed = false;
      const answer = (hit: CachedResponse) => {
        subscriber.next({ type: 'cache.hit', key, model: hit.model, savedUsd: savedUsd(hit) });
        for (const event of replayed(hit)) {
          if (subscriber.closed) return;
          subscriber.next(event);
        }
        const completion: Completion = {
          text: hit.text,
          ...(hit.content !== undefined ? { content: structuredClone(hit.content) } : {}),
          usage: { ...NO_USAGE },
          latencyMs: 0,
          model: hit.model,
          ...(hit.stopReason !== undefined ? { stopReason: hit.stopReason } : {}),
        };
        subscriber.next({ type: 'completion', completion });
        subscriber.complete();
      };
      const callModel = () => {
        let stored: Promise<unknown> | undefined;
        call = inner.stream(request, signal).subscribe({
          next: (event) => {
            if (event.type === 'completion') stored = storeAnswer(event.completion);
            subscriber.next(event);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => (stored ? void stored.then(() => subscriber.complete()) : subscriber.complete()),
        });
      };
      const storeAnswer = (completion: Completion): Promise<unknown> | undefined => {
        const storedAt = scheduler.now();
        const entry: CachedResponse = {
          key,
          model: completion.model,
          text: completion.text,
          ...(completion.content !== undefined ? { content: [...completion.content] } : {}),
          usage: completion.usage,
          ...(completion.stopReason !== undefined ? { stopReason: completion.stopReason } : {}),
          storedAt,
          expiresAt: Number.isFinite(ttlMs) ? storedAt + ttlMs : null,
        };
        try {
          const put = store.putCached(entry, maxEntries);
          return isPromiseLike(put) ? put.catch(reportStoreError) : undefined;
        } catch (error) {
          reportStoreError(error);
          return undefined;
        }
      };
      const serve = (hit: CachedResponse | undefined) => {
        if (closed) return;
        if (hit) answer(hit);
        else callModel();
      };
      const fail = (error: unknown) => subscriber.error(error instanceof StoreError ? error : new StoreError('STORE_FAILED', `cachedModel: cannot read the cache: ${String(error)}`, {}, { cause: error }));
      try {
        const read = store.getCached(key, scheduler.now());
        if (isPromiseLike(read)) read.then(serve, fail);
        else serve(read);
      } catch (error) {
        fail(error);
      }
      return () => {
        closed = true;
        call?.unsubscribe();
      };
    });
  };

  const governance = isGoverned(inner) ? { rateLimiter: inner.rateLimiter, concurrency: inner.concurrency, breakerFor: inner.breakerFor } : {};
  return {
    model: inner.model,
    ...(namespace !== undefined ? { cacheNamespace: namespace } : {}),
    inner,
    store,
    ...governance,
    stream,
    complete: (request, signal) =>
      stream(request, signal).pipe(
        filter((event): event is Extract<ModelEvent, { type: 'completion' }> => event.type === 'completion'),
        map((event) => event.completion),
      ),
  };
}

/**
 * The stream events of a stored answer, as a live call emits them: thinking, text and tool_use
 * blocks in order (redacted thinking streams nothing); an entry without blocks streams its text.
 */
function replayed(hit: CachedResponse): ModelEvent[] {
  const blocks: readonly ContentBlock[] = hit.content ?? (hit.text === '' ? [] : [{ type: 'text', text: hit.text }]);
  const events: ModelEvent[] = [];
  for (const block of blocks) {
    if (block.type === 'thinking') events.push({ type: 'thinking', text: block.thinking });
    else if (block.type === 'text' && block.text !== '') events.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') events.push({ type: 'tool_use', id: block.id, name: block.name, input: structuredClone(block.input) });
  }
  return events;
}
