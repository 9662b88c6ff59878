import { Observable, Subscription, concatMap, filter, map } from 'rxjs';
import { withRunDefaults, type NodeContext, type NodeRun } from '../../graph/node-spec.js';
import type { CostEstimator } from '../../budget/cost-estimate.js';
import { isBudgetStopError } from '../../budget/errors.js';
import type { NodeReport } from '../../run/events.js';
import type { NodeModel } from '../../nodes/model-call.js';
import { createBus } from '../bus/bus.js';
import { CollaborationError } from './errors.js';
import { PEER_PREVIEW_CHARS, type CollaborationReport } from './events.js';
import { collaborationTopics, type CollaborationBus, type PeerMessage } from './message.js';
import { isCodePeer, type Peer } from './peer.js';
import { peerTurn } from './peer-turn.js';
import { collaborationEstimate } from './estimate.js';

/**
 * What `until` and `route` are told besides the message.
 *
 * ## Example
 * ```ts
 * import type { ConversationState } from 'rx-orchestra/patterns';
 * const until = (_m: unknown, { turn, transcript }: ConversationState<'writer' | 'critic'>) => turn >= 2 && transcript.at(-2)?.text === transcript.at(-1)?.text;
 * ```
 */
export interface ConversationState<P extends string, I = unknown> {
  /** The reply just made (1 for the first). */
  readonly turn: number;
  /** Every message so far, the opening one first (for `until`: the new message last). */
  readonly transcript: readonly PeerMessage<P>[];
  /** The node's inputs. */
  readonly inputs: I;
}

/**
 * Settings of {@link collaboration}. `peers`, `start` and `until` are required.
 *
 * ## Example
 * ```ts
 * import { collaboration, peer, type CollaborationOptions, type Peer } from 'rx-orchestra/patterns';
 * const options: CollaborationOptions<{ writer: Peer; critic: Peer }, { topic: string }> = {
 *   peers: { writer: peer({ system: 'You write.' }), critic: peer({ system: 'You review. Say APPROVED when done.' }) },
 *   start: { to: 'writer', message: ({ topic }) => `Write a paragraph on ${topic}.` },
 *   until: (message) => message.from === 'critic' && message.text.includes('APPROVED'),
 *   maxTurns: 6,
 * };
 * const team = collaboration(options);
 * ```
 */
export interface CollaborationOptions<Ps extends Readonly<Record<string, Peer>>, I = Record<string, unknown>> {
  /** The participants by name (not empty, no `/`; the opening message's sender name is not one of them). */
  peers: Ps;
  /** Who the conversation opens with, and the opening message built from the node's inputs. */
  start: {
    /** The peer that receives the opening message and speaks first. */
    to: keyof Ps & string;
    message: (inputs: I) => string;
    /** Who the opening message is from, as the peers see it. @default 'user' */
    from?: string;
  };
  /**
   * True when the conversation is done: called with each reply; the reply is then the final
   * message. E.g. the critic approves, or a peer says `FINAL ANSWER`.
   */
  until: (message: PeerMessage<keyof Ps & string>, state: ConversationState<keyof Ps & string, I>) => boolean;
  /** The most replies. @default 10 */
  maxTurns?: number;
  /**
   * What a conversation that did not end within `maxTurns` gets: `'error'` fails the node with a
   * `MAX_TURNS` {@link CollaborationError} (its `transcript` keeps the conversation); `'finish'`
   * ends it with the last reply (`reason: 'maxTurns'`). @default 'error'
   */
  onMaxTurns?: 'error' | 'finish';
  /**
   * Who a reply is addressed to (never its own author). @default the next peer after the speaker,
   * in the order of `peers` (two peers take turns)
   */
  route?: (message: Omit<PeerMessage<keyof Ps & string>, 'to'>, state: ConversationState<keyof Ps & string, I>) => keyof Ps & string;
  /**
   * Whose last message is the result's `output`: typically the peer that does the work (the writer,
   * whose draft the critic approves). @default `start.to`, the peer the request went to
   */
  answerFrom?: keyof Ps & string;
  /** Name in events and errors. @default the node id */
  name?: string;
  /**
   * A bus to send the messages over (create it with `collaborationTopics`), to watch or bridge them;
   * each attempt's messages carry the correlation id `<runId>/<nodeId>#<attempt>`.
   * @default a private bus per attempt, on the run's scheduler
   */
  bus?: CollaborationBus;
}

/**
 * The value of a collaboration node: the final message and the whole conversation.
 *
 * ## Example
 * ```ts
 * import type { CollaborationResult } from 'rx-orchestra/patterns';
 * const show = (r: CollaborationResult<'writer' | 'critic'>) => `${r.reason} after ${r.turns}: ${r.output}`;
 * ```
 */
export interface CollaborationResult<P extends string> {
  /** `until` accepted the final message, or `maxTurns` ended it (with `onMaxTurns: 'finish'`). */
  readonly reason: 'until' | 'maxTurns';
  /** Replies made. */
  readonly turns: number;
  /** The last reply. */
  readonly final: PeerMessage<P>;
  /**
   * The text of the last reply of `answerFrom` (by default the peer that spoke first, `start.to`),
   * e.g. the writer's last draft when the critic's approval ends the conversation.
   */
  readonly output: string;
  /** Every message, the opening one first. */
  readonly transcript: readonly PeerMessage<P>[];
}

/**
 * What `collaboration()` returns: a node's `run` with no node deadline by default (bounded by
 * `maxTurns`; each call has its own deadline) and its pre-run cost estimate.
 *
 * ## Example
 * ```ts
 * import { graph } from 'rx-orchestra';
 * import type { CollaborationRun } from 'rx-orchestra/patterns';
 * declare const team: CollaborationRun<'writer' | 'critic'>;
 * graph().node('article', { run: team });
 * ```
 */
export interface CollaborationRun<P extends string, I = Record<string, unknown>> extends NodeRun<I, CollaborationResult<P>> {
  (ctx: NodeContext<I, unknown, unknown>): Observable<CollaborationResult<P>>;
  readonly defaultTimeout: false;
  readonly costEstimate: CostEstimator;
  /** The peers' names, in definition order. */
  readonly peers: readonly P[];
}

/**
 * Peer collaboration (seed 004's third pattern, LangGraph's "multi-agent collaboration"): peers
 * message each other directly, with no supervisor in between. The opening message goes to
 * `start.to`; each peer that receives a message replies, and its reply is addressed to the next
 * peer (`route`, by default the next one in order: two peers take turns), until `until` accepts a
 * reply or `maxTurns` replies were made. Messages travel over a typed bus (`peer.message`), each
 * peer listening to its own inbox. Every peer sees the whole conversation, its own messages as its
 * turns. Model peers call through the node's model like `llm()`: governed, `node.token` and
 * `node.usage` on the node's stream, so the run's budget and quota govern the conversation (a
 * budget stop ends it mid-conversation with `peer.finished { reason: 'budget' }`). Each reply is a
 * `peer.turn` event; the end is `peer.finished`. Unsubscribing aborts the reply in flight.
 *
 * ## Example
 * ```ts
 * import { graph, execute, collect } from 'rx-orchestra';
 * import { collaboration, peer } from 'rx-orchestra/patterns';
 * const team = collaboration({
 *   peers: {
 *     writer: peer({ system: 'You write one short paragraph. Revise it when the critic asks.' }),
 *     critic: peer({ system: 'You review the paragraph. Reply APPROVED alone when it needs nothing more.', model: 'claude-haiku-4-5' }),
 *   },
 *   start: { to: 'writer', message: ({ topic }: { topic: string }) => `Write about ${topic}.` },
 *   until: (m) => m.from === 'critic' && m.text.trim() === 'APPROVED',
 *   maxTurns: 6,
 * });
 * const g = graph().node('topic', { run: async () => 'RxJS schedulers' }).node('article', { deps: ['topic'], run: team }).build();
 * const { outcomes } = await collect(execute(g, { budget: { maxUsd: 0.5 } }));
 * ```
 * @throws {CollaborationError} `INVALID_OPTIONS`, at once, naming the option
 */
export function collaboration<const Ps extends Readonly<Record<string, Peer>>, I = Record<string, unknown>>(options: CollaborationOptions<Ps, I>): CollaborationRun<keyof Ps & string, I> {
  type P = keyof Ps & string;
  const { names, maxTurns, onMaxTurns, from, answerFrom } = checkOptions(options);
  const { peers, start, until } = options;
  const route = options.route ?? ((message) => names[(names.indexOf(message.from as P) + 1) % names.length]!);

  const run = (ctx: NodeContext<I, unknown, unknown>): Observable<CollaborationResult<P>> =>
    new Observable<CollaborationResult<P>>((subscriber) => {
      const name = options.name ?? ctx.nodeId;
      const emit = (report: CollaborationReport) => ctx.emit(report satisfies NodeReport);
      const bus = options.bus ?? createBus({ topics: collaborationTopics, scheduler: ctx.scheduler, logSize: maxTurns + 1 });
      const correlationId = `${ctx.runId}/${ctx.nodeId}#${ctx.attempt}`;
      const transcript: PeerMessage<P>[] = [];
      const models = new Map<string, NodeModel>();
      const inboxes = new Subscription();
      let turns = 0;
      let ended = false;
      const state = (): ConversationState<P, I> => ({ turn: turns, transcript: [...transcript], inputs: ctx.inputs });
      const fail = (code: ConstructorParameters<typeof CollaborationError>[0], message: string, cause?: unknown) =>
        new CollaborationError(code, name, message, { transcript: [...transcript], turn: turns, ...(cause !== undefined ? { cause } : {}) });

      const finish = (reason: 'until' | 'maxTurns' | 'failed' | 'budget') => {
        ended = true;
        emit({ type: 'peer.finished', collaboration: name, turns, reason });
      };
      const stop = (error: unknown, reason: 'failed' | 'maxTurns' = 'failed') => {
        if (subscriber.closed) return;
        if (ctx.signal.aborted) return void subscriber.error(error); // stopped from outside: nothing more to report
        finish(reason);
        subscriber.error(error);
      };
      const end = (reason: 'until' | 'maxTurns') => {
        finish(reason);
        const final = transcript.at(-1)!;
        const output = [...transcript].reverse().find((m) => m.turn > 0 && m.from === answerFrom)?.text ?? final.text;
        subscriber.next({ reason, turns, final, output, transcript: [...transcript] });
        subscriber.complete();
      };
      /** Sends a recorded message over the bus: its recipient's inbox receives it (unless the conversation ended). */
      const send = (message: PeerMessage<P>) => {
        bus.publish('peer.message', { turn: message.turn, from: message.from, to: message.to, text: message.text }, { correlationId, source: message.from });
      };

      /** A reply arrived: address it, record it, then end the conversation or send it on. */
      const onReply = (speaker: P, text: string, receivedAt: number) => {
        turns += 1;
        const at = ctx.scheduler.now();
        let to: P;
        try {
          to = route({ turn: turns, from: speaker, text, at }, state());
        } catch (error) {
          return stop(fail('CALLBACK_FAILED', `its route function threw at turn ${turns}: ${describe(error)}`, error));
        }
        if (typeof to !== 'string' || !Object.hasOwn(peers, to) || to === speaker) {
          return stop(fail('INVALID_ROUTE', `its route sent turn ${turns} of '${speaker}' to ${JSON.stringify(to)}, not to another of its peers (${names.join(', ')})`));
        }
        const message: PeerMessage<P> = { turn: turns, from: speaker, to, text, at };
        transcript.push(message);
        emit({ type: 'peer.turn', collaboration: name, turn: turns, from: speaker, to, chars: text.length, preview: preview(text), durationMs: at - receivedAt });
        let done: boolean;
        try {
          done = Boolean(until(message, state()));
        } catch (error) {
          return stop(fail('CALLBACK_FAILED', `its until function threw at turn ${turns}: ${describe(error)}`, error));
        }
        if (done) {
          ended = true; // before it is sent (on the bus, for watchers): no peer answers the final message
          send(message);
          return end('until');
        }
        if (turns >= maxTurns) {
          if (onMaxTurns === 'finish') {
            ended = true;
            send(message);
            return end('maxTurns');
          }
          return stop(fail('MAX_TURNS', `no reply ended the conversation within ${maxTurns} turns (maxTurns); the conversation is kept in transcript`), 'maxTurns');
        }
        send(message);
      };

      // Each peer answers the messages addressed to it, one at a time.
      for (const peerName of names) {
        const inbox = bus.subscribe('peer.message', { correlationId }).pipe(
          filter((event) => event.payload.to === peerName && !ended),
          concatMap(() => {
            const receivedAt = ctx.scheduler.now();
            const scope = { ctx: ctx as NodeContext<unknown, unknown, unknown>, collaboration: name, transcript: [...transcript], turn: turns + 1 };
            return peerTurn(peerName, peers[peerName]!, models, scope).pipe(map((text) => ({ text, receivedAt })));
          }),
        );
        inboxes.add(inbox.subscribe({ next: ({ text, receivedAt }) => onReply(peerName, text, receivedAt), error: stop }));
      }

      // The run's budget stop aborts the node's signal with a BudgetStopError and lets what is
      // reported from this listener through: the conversation says where it stopped.
      const onAbort = () => {
        if (!subscriber.closed && !ended && isBudgetStopError(ctx.signal.reason)) finish('budget');
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });

      let opening: string;
      try {
        opening = start.message(ctx.inputs);
      } catch (error) {
        subscriber.error(fail('CALLBACK_FAILED', `its start.message function threw: ${describe(error)}`, error));
        return () => ctx.signal.removeEventListener('abort', onAbort);
      }
      const first: PeerMessage<P> = { turn: 0, from, to: start.to, text: String(opening), at: ctx.scheduler.now() };
      transcript.push(first);
      send(first);
      return () => {
        ctx.signal.removeEventListener('abort', onAbort);
        inboxes.unsubscribe();
      };
    });

  const costEstimate: CostEstimator = (context) => collaborationEstimate(peers, start.to, maxTurns, context);
  return withRunDefaults(run, { defaultTimeout: false, costEstimate, peers: names } as const);
}

function preview(text: string): string {
  return text.length > PEER_PREVIEW_CHARS ? `${text.slice(0, PEER_PREVIEW_CHARS - 1)}…` : text;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options checked at once; the defaults applied. */
function checkOptions<Ps extends Readonly<Record<string, Peer>>, I>(options: CollaborationOptions<Ps, I>) {
  type P = keyof Ps & string;
  const label = typeof options?.name === 'string' ? options.name : 'collaboration';
  const bad = (option: string, message: string) => new CollaborationError('INVALID_OPTIONS', label, message, { option });
  if (typeof options !== 'object' || options === null) throw bad('options', 'options must be an object with peers, start and until');
  const { peers, start, until, maxTurns = 10, onMaxTurns = 'error', route, name, bus, answerFrom = start?.to } = options;
  if (name !== undefined && !(typeof name === 'string' && name.length > 0)) throw bad('name', `'name' must be a non-empty string`);
  if (typeof peers !== 'object' || peers === null) throw bad('peers', `'peers' must be an object of peers by name`);
  const names = Object.keys(peers) as P[];
  if (names.length < 2) throw bad('peers', `a collaboration needs at least two peers, got ${names.length}`);
  for (const peerName of names) {
    const spec = peers[peerName] as Peer | undefined;
    if (peerName.includes('/')) throw bad(`peers.${peerName}`, `peer name '${peerName}' must not contain '/'`);
    if (typeof spec !== 'object' || spec === null) throw bad(`peers.${peerName}`, `peer '${peerName}' must be peer({ system }) or peer({ respond })`);
    if (!isCodePeer(spec) && !(typeof spec.system === 'string' && spec.system.length > 0)) throw bad(`peers.${peerName}.system`, `peer '${peerName}' needs a 'system' prompt (a model peer) or a 'respond' function (a code peer)`);
  }
  if (typeof start !== 'object' || start === null) throw bad('start', `'start' must be { to, message }`);
  if (!names.includes(start.to)) throw bad('start.to', `'start.to' must name one of the peers (${names.join(', ')}), got ${JSON.stringify(start.to)}`);
  if (typeof start.message !== 'function') throw bad('start.message', `'start.message' must be a function of the node's inputs`);
  const from = start.from ?? 'user';
  if (typeof from !== 'string' || from.length === 0 || names.includes(from as P)) throw bad('start.from', `'start.from' must be a non-empty name that is not a peer's, got ${JSON.stringify(from)}`);
  if (typeof until !== 'function') throw bad('until', `'until' must be a function (message, state) => boolean`);
  if (!(Number.isInteger(maxTurns) && maxTurns >= 1)) throw bad('maxTurns', `'maxTurns' must be an integer >= 1, got ${String(maxTurns)}`);
  if (onMaxTurns !== 'error' && onMaxTurns !== 'finish') throw bad('onMaxTurns', `'onMaxTurns' must be 'error' or 'finish', got ${JSON.stringify(onMaxTurns)}`);
  if (route !== undefined && typeof route !== 'function') throw bad('route', `'route' must be a function (message, state) => peer name`);
  if (bus !== undefined && typeof (bus as { publish?: unknown })?.publish !== 'function') throw bad('bus', `'bus' must be an event bus created with collaborationTopics`);
  if (!names.includes(answerFrom)) throw bad('answerFrom', `'answerFrom' must name one of the peers (${names.join(', ')}), got ${JSON.stringify(answerFrom)}`);
  return { names, maxTurns, onMaxTurns, from, answerFrom };
}
