/**
 * The supervisor's own state: the conversation (messages named after who wrote them), the turn
 * counter, and what a finished loop returns. Plain data, safe to log, serialize and checkpoint.
 * @module
 */
import type { ErrorInfo } from '../../run/events.js';

/**
 * The router's answer that ends the loop.
 *
 * ## Example
 * ```ts
 * import { FINISH, staticRouter } from 'rx-orchestra/patterns';
 * staticRouter([(state) => (state.turn > 3 ? FINISH : 'writer')]);
 * ```
 */
export const FINISH = 'FINISH';

/**
 * One message of a supervisor's conversation: the request (`role: 'user'`) or a worker's result
 * (`role: 'worker'`, `name` = the worker). `content` is what routers read; `payload` is the
 * structured handoff (the value the worker's output transform returned, when not a string).
 *
 * ## Example
 * ```ts
 * import type { SupervisorMessage } from 'rx-orchestra/patterns';
 * const m: SupervisorMessage = { role: 'worker', name: 'recommender', turn: 1, content: '{"physicalName":"PT_ID"}', payload: { physicalName: 'PT_ID' } };
 * ```
 */
export interface SupervisorMessage {
  readonly role: 'user' | 'worker';
  /** The worker that wrote it (for `role: 'worker'`). */
  readonly name?: string;
  /** Text for routers and logs; JSON for a structured payload. */
  readonly content: string;
  /** The structured handoff, when the worker's output (after its output transform) is not a string. */
  readonly payload?: unknown;
  /** The turn the worker ran in. */
  readonly turn?: number;
  /** Set when the worker failed and the supervisor reports failures (`onWorkerError: 'report'`). */
  readonly error?: ErrorInfo;
}

/**
 * What a router (and a worker's input transform) sees: the conversation so far, the turn being
 * decided (1 for the first decision), and the names of the workers it may choose from.
 *
 * ## Example
 * ```ts
 * import { staticRouter, hasAnswered } from 'rx-orchestra/patterns';
 * staticRouter([(state) => (!hasAnswered(state, 'recommender') ? 'recommender' : undefined)]);
 * ```
 */
export interface SupervisorState {
  readonly messages: readonly SupervisorMessage[];
  readonly turn: number;
  readonly workers: readonly string[];
  /** What each worker is for, from the workers' `description`s (only those that have one). */
  readonly descriptions?: Readonly<Record<string, string>>;
}

/**
 * One turn of a finished loop: the routing decision, and the worker it ran (not for `FINISH`).
 *
 * ## Example
 * ```ts
 * import type { TurnTrace } from 'rx-orchestra/patterns';
 * const line = (t: TurnTrace) => `#${t.turn} ${t.next} routed in ${t.routingMs} ms, ran ${t.worker?.durationMs ?? 0} ms`;
 * ```
 */
export interface TurnTrace {
  readonly turn: number;
  /** The worker chosen, or `FINISH`. */
  readonly next: string;
  readonly rationale?: string;
  /** When the router answered (scheduler ms). */
  readonly routedAt: number;
  /** How long the router took. */
  readonly routingMs: number;
  readonly worker?: {
    readonly name: string;
    readonly startedAt: number;
    readonly durationMs: number;
    readonly status: 'succeeded' | 'failed';
    readonly error?: ErrorInfo;
  };
}

/**
 * What a supervisor returns (the node's value, or a team supervisor's result as a worker): why it
 * ended, the final conversation, the last worker's answer, and a per-turn trace with timings.
 *
 * ## Example
 * ```ts
 * import { collect, execute, hasValue } from 'rx-orchestra';
 * const { outcomes } = await collect(execute(g));
 * const result = outcomes.standardize;
 * if (hasValue(result)) console.log(result.value.output, result.value.routingCalls, result.value.trace.map((t) => t.next));
 * ```
 */
export interface SupervisorResult {
  /** The supervisor's path (`platform/data-team`). */
  readonly supervisor: string;
  /** `FINISH`: the router ended it; `maxTurns`: stopped at the limit (`onMaxTurns: 'finish'`). */
  readonly reason: 'FINISH' | 'maxTurns';
  /** The content of the last worker message: the loop's answer (undefined when no worker ran). */
  readonly output: string | undefined;
  readonly messages: readonly SupervisorMessage[];
  /** Workers run. */
  readonly turns: number;
  /** Router invocations (one per decision, `FINISH` included). */
  readonly routingCalls: number;
  readonly trace: readonly TurnTrace[];
}

const RESULT = Symbol.for('rx-orchestra.supervisorResult');

/** Marks a result so a parent supervisor recognises it (also across package copies). @internal */
export function markResult(result: SupervisorResult): SupervisorResult {
  Object.defineProperty(result, RESULT, { value: true, enumerable: false });
  return result;
}

/**
 * True for what a supervisor returned (e.g. a team supervisor's result inside a worker's output
 * transform).
 *
 * ## Example
 * ```ts
 * import { isSupervisorResult } from 'rx-orchestra/patterns';
 * const content = (result: unknown) => (isSupervisorResult(result) ? result.output ?? '' : String(result));
 * ```
 */
export function isSupervisorResult(value: unknown): value is SupervisorResult {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESULT] === true;
}

/**
 * The last message, or the last one a given worker wrote (`from`), if any.
 *
 * ## Example
 * ```ts
 * import { lastMessage } from 'rx-orchestra/patterns';
 * const worker = { input: (state) => lastMessage(state, 'recommender')?.payload, run: (handoff) => sortTable(handoff) };
 * ```
 */
export function lastMessage(state: Pick<SupervisorState, 'messages'>, from?: string): SupervisorMessage | undefined {
  const { messages } = state;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (from === undefined || (message.role === 'worker' && message.name === from)) return message;
  }
  return undefined;
}

/**
 * True when the worker has answered at least once (a failure reported with
 * `onWorkerError: 'report'` counts as an answer).
 *
 * ## Example
 * ```ts
 * import { staticRouter, hasAnswered } from 'rx-orchestra/patterns';
 * // seed 004's if/else, as rules
 * staticRouter([(s) => !hasAnswered(s, 'recommender') && 'recommender', (s) => !hasAnswered(s, 'auditor') && 'auditor']);
 * ```
 */
export function hasAnswered(state: Pick<SupervisorState, 'messages'>, worker: string): boolean {
  return lastMessage(state, worker) !== undefined;
}

/**
 * The conversation a supervisor starts from: a string is the user's request; `{ messages }` is
 * taken as is; `undefined` is an empty conversation; anything else is a structured request (JSON
 * content, the value as payload).
 * @internal
 */
export function initialMessages(input: unknown): SupervisorMessage[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (typeof input === 'object' && input !== null && Array.isArray((input as { messages?: unknown }).messages)) {
    return [...(input as { messages: SupervisorMessage[] }).messages];
  }
  return [{ role: 'user', content: toJson(input), payload: input }];
}

/** JSON for message content, tolerant of values JSON cannot express. @internal */
export function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
