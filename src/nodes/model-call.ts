import { Observable } from 'rxjs';
import type { NodeContext } from '../graph/node-spec.js';
import { isAnswer, type Completion, type CompletionRequest, type Model, type ModelEvent } from '../models/model.js';
import { costUsd, priceOf, type ModelPrice, type PriceTable } from '../models/pricing.js';
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
}

/**
 * Resolves a node's provider (the node's, else the run's, else {@link defaultModel}), governed by
 * default (one governor per provider and scheduler), and its price (an unpriced model throws here,
 * before any call). @internal
 */
export function nodeModel(options: NodeModelOptions, ctx: Pick<NodeContext<unknown>, 'model' | 'scheduler' | 'nodeId'>): NodeModel {
  const chosen = options.provider ?? ctx.model ?? defaultModel();
  const provider = options.governed === false ? chosen : governed(chosen, ctx.scheduler);
  const modelId = options.model ?? provider.model;
  return { provider, modelId, price: priceOf(modelId, options.prices, ctx.nodeId), selfTimed: !isGoverned(provider) };
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
export function streamCall(model: NodeModel, request: CompletionRequest, ctx: Pick<NodeContext<unknown>, 'signal' | 'scheduler' | 'nodeId' | 'runId' | 'attempt' | 'emit'>): Observable<Completion> {
  tagCall(request, { runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt });
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
                costUsd: costUsd(completion.usage, model.price),
                ...(completion.rateLimit ? { rateLimit: completion.rateLimit } : {}),
              });
              subscriber.next(completion);
              return;
            }
            case 'liveness':
            case 'tool_use': // complete tool calls arrive in the completion's content
              return;
            default:
              ctx.emit(event); // traffic control: waits, limits, breakers
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
