import { map, type Observable } from 'rxjs';
import { attempt } from '../../../operators/attempt.js';
import type { NodeContext } from '../../graph/node-spec.js';
import type { CompletionRequest } from '../../models/model.js';
import { CLAUDE_PRICES } from '../../models/pricing.js';
import { DEFAULT_CALL_TIMEOUT_MS, nodeModel, streamCall, type NodeModel } from '../../nodes/model-call.js';
import { CollaborationError } from './errors.js';
import type { PeerMessage } from './message.js';
import { isCodePeer, type ModelPeer, type Peer } from './peer.js';
import { peerView } from './view.js';

/** Where one turn runs: the node's context, the collaboration's name and the conversation so far. @internal */
export interface TurnScope {
  readonly ctx: NodeContext<unknown, unknown, unknown>;
  readonly collaboration: string;
  readonly transcript: readonly PeerMessage[];
  readonly turn: number;
}

/**
 * One reply of one peer, as a cold Observable of its text: a model peer's streamed call (through
 * the node's model, governed by default: `node.token`, `node.usage` and traffic-control events on
 * the node's stream, the call's deadline), or a code peer's `respond`. The turn has its own signal,
 * derived from the node's: unsubscribing aborts the call in flight. An empty reply is an
 * `EMPTY_REPLY` {@link CollaborationError}; a failing call fails with its own error. @internal
 */
export function peerTurn(name: string, spec: Peer, models: Map<string, NodeModel>, scope: TurnScope): Observable<string> {
  const { ctx, collaboration, transcript, turn } = scope;
  const empty = () => new CollaborationError('EMPTY_REPLY', collaboration, `peer '${name}' gave no reply at turn ${turn}`, { transcript, turn });
  const emit = ctx.emit;
  if (isCodePeer(spec)) {
    return attempt(({ signal }) => spec.respond({ peer: name, turn, transcript, inputs: ctx.inputs, signal, scheduler: ctx.scheduler, emit: (report) => emit(report) }), { signal: ctx.signal, empty });
  }
  const model = modelOf(name, spec, models, ctx);
  const { history, prompt } = peerView(name, transcript);
  const timeout = spec.timeout === false ? undefined : (spec.timeout ?? DEFAULT_CALL_TIMEOUT_MS);
  const request: CompletionRequest = {
    system: spec.system,
    history,
    prompt,
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.maxTokens !== undefined ? { maxTokens: spec.maxTokens } : {}),
    ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
    ...(timeout !== undefined ? { timeoutMs: timeout } : {}),
  };
  const callContext = (signal: AbortSignal) => ({ signal, scheduler: ctx.scheduler, nodeId: ctx.nodeId, runId: ctx.runId, attempt: ctx.attempt, emit });
  return attempt(({ signal }) => streamCall(model, request, callContext(signal)).pipe(map((completion) => completion.text)), { signal: ctx.signal, empty }).pipe(
    map((text) => {
      if (text.trim() === '') throw empty();
      return text;
    }),
  );
}

/** The peer's model for this node attempt, resolved once (an unpriced model throws here, before any call). */
function modelOf(name: string, spec: ModelPeer, models: Map<string, NodeModel>, ctx: NodeContext<unknown, unknown, unknown>): NodeModel {
  let model = models.get(name);
  if (!model) {
    model = nodeModel({ ...spec, prices: spec.prices ?? CLAUDE_PRICES }, ctx);
    models.set(name, model);
  }
  return model;
}
