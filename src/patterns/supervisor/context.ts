import type { SchedulerLike } from 'rxjs';
import type { Model } from '../../models/model.js';
import type { NodeReport } from '../../run/events.js';

/**
 * What a router or a worker receives besides its input: the node's run facilities (scheduler,
 * model, emit, ids) with a signal of its own, and where it runs (supervisor path, turn). It never
 * carries the parent's messages: a worker sees only what its input transform gives it.
 *
 * ## Example
 * ```ts
 * import type { WorkerContext } from 'rx-orchestra/patterns';
 * import { timer, map } from 'rxjs';
 * const sortTable = (rows: string[], ctx: WorkerContext) => timer(120, ctx.scheduler).pipe(map(() => [...rows].sort()));
 * ```
 */
export interface SupervisorCallContext {
  /** Aborts when this call is cancelled: the node was unsubscribed, timed out, or the loop failed. */
  readonly signal: AbortSignal;
  /** The run's scheduler: use it for any timing so tests run in virtual time. */
  readonly scheduler: SchedulerLike;
  /** The run's model provider, if any (`execute(g, { model })`). */
  readonly model: Model | undefined;
  /** The supervisor's path, outermost first (`platform/data-team`). */
  readonly supervisor: string;
  /** The turn (1 for the first routing decision). */
  readonly turn: number;
  readonly nodeId: string;
  readonly runId: string;
  /** The node's attempt (1 unless the node is retried). */
  readonly attempt: number;
  /** The run's user context (`execute(g, { context })`). */
  readonly context: unknown;
  /**
   * The run's random source in [0, 1) (`execute(g, { random })`, e.g. `seededRandom(7)`): draw from
   * it, never from Math.random, so a seeded run replays the same choices (a `banditRouter`'s
   * samples). Absent when the executor does not hand one to nodes.
   */
  readonly random?: () => number;
  /** Reports progress on the run's stream (tokens, usage, supervisor events of nested teams). */
  emit(report: NodeReport): void;
}

/**
 * What a router receives besides the state.
 *
 * ## Example
 * ```ts
 * import type { Router } from 'rx-orchestra/patterns';
 * const router: Router = (state, ctx) => [{ next: ctx.turn === 1 ? 'writer' : 'FINISH' }];
 * ```
 */
export type RouterContext = SupervisorCallContext;

/**
 * What a worker receives besides its input: see {@link SupervisorCallContext}, plus its own name.
 *
 * ## Example
 * ```ts
 * import type { Worker } from 'rx-orchestra/patterns';
 * const echo: Worker<string, string> = { run: (input, ctx) => [`${ctx.worker} @ turn ${ctx.turn}: ${input}`] };
 * ```
 */
export interface WorkerContext extends SupervisorCallContext {
  /** The name the supervisor knows this worker by. */
  readonly worker: string;
}
