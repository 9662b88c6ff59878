import type { ObservableInput, SchedulerLike } from 'rxjs';
import type { Model } from '../../models/model.js';
import type { PriceTable } from '../../models/pricing.js';
import type { NodeReport } from '../../run/events.js';
import type { PeerMessage } from './message.js';

/**
 * A peer that is a model: its instructions, and the settings of its calls. Every call goes through
 * the node's model (the peer's `provider`, else the run's, else `defaultModel()`), governed by
 * default, and reports `node.usage`, so the run's budget and quota see it as any `llm()` call.
 *
 * ## Example
 * ```ts
 * import { peer, type ModelPeer } from 'rx-orchestra/patterns';
 * const critic: ModelPeer = peer({ system: 'You review drafts. Say APPROVED when it is ready.', model: 'claude-haiku-4-5', maxTokens: 300 });
 * ```
 */
export interface ModelPeer {
  /** The peer's instructions (its role, and how it ends the conversation). */
  system: string;
  /** Model id of its calls. @default the provider's default model */
  model?: string;
  /** Provider of its calls. @default the run's (`execute(g, { model })`), else `defaultModel()` */
  provider?: Model;
  /** Output cap of one reply. @default the provider's (1024) */
  maxTokens?: number;
  /** Sampling temperature, 0..1. @default the provider's */
  temperature?: number;
  /** Deadline of each call, in ms from admission; `false` for none. @default 30000 */
  timeout?: number | false;
  /** Send calls through traffic control (see `llm()`). @default true */
  governed?: boolean;
  /** Prices for cost accounting. @default CLAUDE_PRICES */
  prices?: PriceTable;
}

/**
 * What a {@link CodePeer}'s `respond` receives: the conversation so far and the run's facilities.
 *
 * ## Example
 * ```ts
 * import type { PeerTurnContext } from 'rx-orchestra/patterns';
 * const respond = ({ transcript }: PeerTurnContext) => [transcript.at(-1)!.text.length > 200 ? 'Too long.' : 'APPROVED'];
 * ```
 */
export interface PeerTurnContext<P extends string = string> {
  /** This peer's name. */
  readonly peer: P;
  /** The reply this turn makes (1 for the first). */
  readonly turn: number;
  /** Every message so far, the opening one first; the last one is addressed to this peer. */
  readonly transcript: readonly PeerMessage<P>[];
  /** The collaboration node's inputs. */
  readonly inputs: unknown;
  /** Aborts when the turn is cancelled (the run cancelled or stopped by its budget, the node timed out). */
  readonly signal: AbortSignal;
  /** The run's scheduler: use it for any timing. */
  readonly scheduler: SchedulerLike;
  /** Reports on the node's stream (e.g. `node.usage` of a call made here). */
  emit(report: NodeReport): void;
}

/**
 * A peer that is code (a checker, a tool, a person behind a queue): `respond` returns its reply's text.
 *
 * ## Example
 * ```ts
 * import { peer } from 'rx-orchestra/patterns';
 * const linter = peer({ respond: ({ transcript }) => [lint(transcript.at(-1)!.text) || 'APPROVED'] });
 * ```
 */
export interface CodePeer {
  /** The reply: an Observable, Promise or (async) iterable of text; its last value counts. */
  respond: (ctx: PeerTurnContext) => ObservableInput<string>;
}

/**
 * One participant of a {@link collaboration}: a model ({@link ModelPeer}) or code ({@link CodePeer}).
 *
 * ## Example
 * ```ts
 * import type { Peer } from 'rx-orchestra/patterns';
 * const peers: Record<string, Peer> = { writer: { system: 'You write.' }, checker: { respond: () => ['APPROVED'] } };
 * ```
 */
export type Peer = ModelPeer | CodePeer;

/**
 * Defines a peer of a {@link collaboration}, returned as is (for type checking and readability):
 * `{ system, model?, ... }` for a model, `{ respond }` for code.
 *
 * ## Example
 * ```ts
 * import { collaboration, peer } from 'rx-orchestra/patterns';
 * const writer = peer({ system: 'You write short technical paragraphs. Revise when the critic asks.' });
 * const critic = peer({ system: 'You review paragraphs. Answer APPROVED alone when it needs nothing more.', model: 'claude-haiku-4-5' });
 * collaboration({ peers: { writer, critic }, start: { to: 'writer', message: () => 'Explain RxJS schedulers.' }, until: (m) => m.text.trim() === 'APPROVED' });
 * ```
 */
export function peer<const S extends Peer>(spec: S): S {
  return spec;
}

/** True for a {@link CodePeer}. @internal */
export function isCodePeer(spec: Peer): spec is CodePeer {
  return typeof (spec as Partial<CodePeer>).respond === 'function';
}
