import { Observable, type SchedulerLike } from 'rxjs';
import type { NodeContext } from '../graph/node-spec.js';
import { isAnswer, type Completion, type CompletionRequest, type Model, type ModelEvent } from '../models/model.js';
import { batchPrice, costUsd, priceOf, type ModelPrice, type PriceTable } from '../models/pricing.js';
import { batchBackendOf, batchingModel, isBatchingModel, type BatchableRequest, type BatchingModel } from '../models/batch/batching-model.js';
import { isBatchedCompletion } from '../models/batch/live-batch.js';
import { tagBatchOwner } from '../models/batch/call-key.js';
import { BATCH_REPORT_TYPES } from '../models/batch/batch-events.js';
import { runBatchingOf } from '../models/batch/run-batching.js';
import { OptionsError } from '../errors/options-error.js';
import { timeout, type TimeoutKind } from '../../operators/timeout.js';
import { CallDeadlineError } from '../models/model-error.js';
import { NodeDeadlineError } from '../run/errors.js';
import { tagCall } from '../models/call-scope.js';
import type { NodeReport } from '../run/events.js';
import { defaultModel } from './default-model.js';
import { governed, isGoverned } from './governed-by-default.js';

/** Per-call deadline when an `llm()` or `agent()` node sets none. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** The provider settings an `llm()` or `agent()` node shares. @internal */
export interface NodeModelOptions {
  readonly provider?: Model;
  readonly governed?: boolean;
  readonly model?: string;
  readonly prices: PriceTable;
  /** Send the calls through the Message Batches API (`llm({ batch })`). @default the run's (`execute(g, { batch })`), else false */
  readonly batch?: boolean;
}

/** The model a node's calls go to, resolved once per attempt. @internal */
export interface NodeModel {
  /** The provider, behind traffic control unless `governed: false`. */
  readonly provider: Model;
  /** The id its calls are priced as. */
  readonly modelId: string;
  readonly price: ModelPrice;
  /** True when the call deadlines apply here (the provider is not a governed model, which applies them from admission). */
  readonly selfTimed: boolean;
  /** True when the calls go into batches (`provider` is then a batching model): no call deadlines, half price. */
  readonly batched?: boolean;
}

/** One batching model per provider and scheduler, for `llm({ batch: true })` in a run that batches nothing else. */
const batchers = new WeakMap<Model, WeakMap<SchedulerLike, BatchingModel>>();

/**
 * The batching model a node's batched calls go to: the chosen provider if it is one, else the run's
 * batching model's sibling for it, else one shared per provider and scheduler. Undefined when the
 * provider has no Message Batches API and the node did not ask for batching itself (the run's
 * `batch` then leaves it direct).
 */
function batcherFor(chosen: Model, runBatcher: BatchingModel | undefined, asked: boolean | undefined, scheduler: SchedulerLike, nodeId: string): BatchingModel | undefined {
  const backed = isBatchingModel(chosen) ? chosen.backend !== undefined : batchBackendOf(chosen) !== undefined || (runBatcher?.inner === chosen && runBatcher.backend !== undefined);
  if (!backed) {
    if (asked) throw new OptionsError('batch', `node '${nodeId}': 'batch: true' needs a provider with a Message Batches API: wrap it, batchingModel(model, { backend: anthropicBatches() })`, 'models');
    return undefined;
  }
  if (isBatchingModel(chosen)) return chosen;
  if (runBatcher) return runBatcher.forProvider(chosen);
  let byScheduler = batchers.get(chosen);
  if (!byScheduler) batchers.set(chosen, (byScheduler = new WeakMap()));
  let batcher = byScheduler.get(scheduler);
  if (!batcher) byScheduler.set(scheduler, (batcher = batchingModel(chosen, { scheduler })));
  return batcher;
}

/**
 * Resolves a node's provider (the node's, else the run's, else {@link defaultModel}), governed by
 * default (one governor per provider and scheduler), and its price (an unpriced model throws here,
 * before any call). @internal
 */
export function nodeModel(options: NodeModelOptions, ctx: Pick<NodeContext<unknown>, 'model' | 'scheduler' | 'nodeId' | 'runId'>): NodeModel {
  const runBatcher = isBatchingModel(ctx.model) ? ctx.model : ctx.model === undefined ? registeredBatcher(ctx.runId, ctx.scheduler) : undefined;
  const chosen = options.provider ?? ctx.model ?? runBatcher ?? defaultModel();
  const wanted = options.batch ?? (isBatchingModel(chosen) ? chosen.batchByDefault : (runBatcher?.batchByDefault ?? false));
  const batcher = wanted ? batcherFor(chosen, runBatcher, options.batch, ctx.scheduler, ctx.nodeId) : undefined;
  // Direct calls go to the wrapped model, behind traffic control; batched ones skip the per-minute quota.
  const direct = isBatchingModel(chosen) ? chosen.inner : chosen;
  const provider = batcher ?? (options.governed === false ? direct : governed(direct, ctx.scheduler));
  const modelId = options.model ?? provider.model;
  return { provider, modelId, price: priceOf(modelId, options.prices, ctx.nodeId), selfTimed: !batcher && !isGoverned(provider), ...(batcher ? { batched: true } : {}) };
}

/** The batching model of a durable run over the default model (see src/models/batch/run-batching.ts), made on first use. */
function registeredBatcher(runId: string, scheduler: SchedulerLike): BatchingModel | undefined {
  const batching = runBatchingOf(runId);
  if (!batching) return undefined;
  batching.batcher ??= batchingModel(defaultModel(), { ...batching.settings, batchByDefault: batching.batchByDefault, ...(batching.journal ? { journal: batching.journal } : {}), scheduler });
  return batching.batcher;
}

/** A batched call's request: marked `batch: true`, tagged with its node, without call deadlines (a batch takes minutes to hours). */
function batchedRequest(request: CompletionRequest, nodeId: string): BatchableRequest {
  const { timeoutMs: _total, firstTokenMs: _first, idleMs: _idle, ...rest } = request;
  const batched: BatchableRequest = { ...rest, batch: true };
  tagBatchOwner(batched, nodeId);
  return batched;
}

/**
 * A node report this layer emits that `NodeReport` does not list yet: `node.thinking` (declared with
 * the agent events in src/agents/events.ts). @internal
 */
type ThinkingReport = { type: 'node.thinking'; text: string };

/**
 * One streamed model call of a node, as `llm()` and `agent()` make it: the call's deadlines (here
 * unless the provider is governed, which applies them from admission; a deadline that fires is the
 * node's {@link NodeDeadlineError}), text as `node.token`, thinking as `node.thinking`, traffic
 * control events passed on, and `node.usage` with the cost once the answer is complete. Emits the
 * {@link Completion} once. Unsubscribing aborts the call. The request is tagged with the node's run,
 * node and attempt, so that a provider's own trace spans nest under the attempt's (src/models/call-scope.ts). @internal
 */
export function streamCall(model: NodeModel, asked: CompletionRequest, ctx: Pick<NodeContext<unknown>, 'signal' | 'scheduler' | 'nodeId' | 'runId' | 'attempt' | 'emit'>): Observable<Completion> {
  const request = model.batched ? batchedRequest(asked, ctx.nodeId) : asked;
  tagCall(request, { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt, signal: ctx.signal, clock: ctx.scheduler });
  const sent = model.provider.stream(request, ctx.signal);
  const timed = model.selfTimed && (request.timeoutMs ?? request.firstTokenMs ?? request.idleMs) !== undefined;
  const watched = timed
    ? sent.pipe(
        timeout<ModelEvent>({
          total: request.timeoutMs,
          first: request.firstTokenMs,
          idle: request.idleMs,
          meetsFirst: isAnswer,
          scheduler: ctx.scheduler,
          with: (kind: TimeoutKind, ms: number) => new CallDeadlineError(kind, ms),
        }),
      )
    : sent;
  // One subscriber between the provider and the node's reports (not catchError, tap, filter and map:
  // four hops for each of the ~130 events of a streamed answer); same behaviour, errors included.
  return new Observable<Completion>((subscriber) =>
    watched.subscribe({
      next: (event) => {
        try {
          switch (event.type) {
            case 'text':
              ctx.emit({ type: 'node.token', text: event.text });
              return;
            case 'thinking':
              ctx.emit({ type: 'node.thinking', text: event.text } satisfies ThinkingReport as unknown as NodeReport);
              return;
            case 'completion': {
              const { completion } = event;
              ctx.emit({
                type: 'node.usage',
                model: model.modelId,
                usage: completion.usage,
                costUsd: costUsd(completion.usage, isBatchedCompletion(completion) ? batchPrice(model.price) : model.price),
                ...(completion.rateLimit ? { rateLimit: completion.rateLimit } : {}),
              });
              subscriber.next(completion);
              return;
            }
            case 'liveness':
            case 'tool_use': // complete tool calls arrive in the completion's content
              return;
            default:
              // Traffic control (waits, limits, breakers) and batch reports (batch.submitted / polled / ended).
              ctx.emit(BATCH_REPORT_TYPES.has(event.type) ? (event as unknown as NodeReport) : event);
          }
        } catch (error) {
          subscriber.error(error); // as an operator's callback that throws
        }
      },
      // The call's deadline is this node's deadline: it ends `timedOut`, like a node `timeout`.
      error: (error: unknown) => subscriber.error(error instanceof CallDeadlineError ? new NodeDeadlineError(ctx.nodeId, error.ms, error.kind) : error),
      complete: () => subscriber.complete(),
    }),
  );
}
