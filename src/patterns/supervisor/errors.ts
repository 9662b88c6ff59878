import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';

/**
 * What went wrong in a supervisor loop.
 *
 * ## Example
 * ```ts
 * import { isSupervisorError, type SupervisorErrorCode } from 'rx-orchestra/patterns';
 * const giveUp: SupervisorErrorCode[] = ['MAX_TURNS', 'UNKNOWN_WORKER'];
 * if (isSupervisorError(error) && giveUp.includes(error.code)) alertOnCall(error.supervisor);
 * ```
 */
export type SupervisorErrorCode =
  /** The router kept choosing workers past `maxTurns` (with `onMaxTurns: 'error'`). */
  | 'MAX_TURNS'
  /** The router named a worker the supervisor does not have. */
  | 'UNKNOWN_WORKER'
  /** A structured handoff failed its zod schema at the worker boundary (`inputSchema` / `outputSchema`). */
  | 'INVALID_HANDOFF'
  /** A worker, or its input or output transform, threw or completed without a value. */
  | 'WORKER_FAILED'
  /** The router threw, completed without a decision, or returned something that is not a decision. */
  | 'ROUTER_FAILED'
  /** `supervisor()` was given bad options (no workers, a worker named `FINISH`, `maxTurns` < 1, ...). */
  | 'INVALID_OPTIONS';

/**
 * Context a {@link SupervisorError} carries, beside its code.
 *
 * ## Example
 * ```ts
 * import { SupervisorError } from 'rx-orchestra/patterns';
 * const e = new SupervisorError('INVALID_HANDOFF', 'data-team', 'bad handoff', { worker: 'recommender', direction: 'output', field: 'confidence' });
 * e.field; // 'confidence'
 * ```
 */
export interface SupervisorErrorDetails {
  /** The worker at fault (unknown, failed, or with an invalid handoff). */
  worker?: string;
  /** The turn the error happened in (1 for the first routing decision). */
  turn?: number;
  /** For `INVALID_HANDOFF`: which side of the boundary failed. */
  direction?: 'input' | 'output';
  /** For `INVALID_HANDOFF`: the first offending field (dot path, `(root)` for the value itself). */
  field?: string;
  /** For `INVALID_HANDOFF`: every validation problem, as `path: message`. */
  issues?: readonly string[];
  /** For `INVALID_OPTIONS`: the offending option. */
  option?: string;
  cause?: unknown;
}

/**
 * A supervisor loop that cannot go on: the router never finished (`MAX_TURNS`), named a worker
 * that does not exist (`UNKNOWN_WORKER`), a structured handoff failed validation
 * (`INVALID_HANDOFF`, naming worker, direction and field), a worker or the router failed
 * (`WORKER_FAILED`, `ROUTER_FAILED`: the original error is the `cause`, and its `retryable`,
 * `status` and `retryAfterMs` are kept so the node's retry policy still sees a 429 as a 429), or
 * the options were invalid (`INVALID_OPTIONS`, thrown by `supervisor()` itself). `supervisor` is
 * the path of the supervisor that raised it (`platform/data-team`); an error raised in a team
 * supervisor reaches the platform unchanged.
 *
 * ## Example
 * ```ts
 * import { collect, execute } from 'rx-orchestra';
 * import { isSupervisorError } from 'rx-orchestra/patterns';
 * const { outcomes } = await collect(execute(g));
 * const outcome = outcomes.standardize;
 * if (outcome?.status === 'failed' && outcome.error.code === 'MAX_TURNS') console.log(outcome.error.message);
 * try { supervisor({ workers: {}, router }); } catch (e) { if (isSupervisorError(e)) console.log(e.code); } // INVALID_OPTIONS
 * ```
 */
export class SupervisorError extends RxOrchestraError {
  static {
    brandError(this, 'SupervisorError');
  }
  override readonly name = 'SupervisorError';
  readonly worker: string | undefined;
  readonly turn: number | undefined;
  readonly direction: 'input' | 'output' | undefined;
  readonly field: string | undefined;
  readonly issues: readonly string[] | undefined;
  readonly option: string | undefined;
  /** Whether retrying the node may help: false for the loop's own errors, the cause's for `WORKER_FAILED` / `ROUTER_FAILED`. */
  readonly retryable: boolean | undefined;
  /** The cause's HTTP status, for `WORKER_FAILED` / `ROUTER_FAILED`. */
  readonly status?: number;
  /** The cause's requested wait (retry-after), for `WORKER_FAILED` / `ROUTER_FAILED`. */
  readonly retryAfterMs?: number;

  constructor(
    readonly code: SupervisorErrorCode,
    /** The supervisor's path, outermost first (`platform/data-team`). */
    readonly supervisor: string,
    message: string,
    details: SupervisorErrorDetails = {},
  ) {
    super(`supervisor '${supervisor}': ${message}`, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.worker = details.worker;
    this.turn = details.turn;
    this.direction = details.direction;
    this.field = details.field;
    this.issues = details.issues;
    this.option = details.option;
    if (code === 'WORKER_FAILED' || code === 'ROUTER_FAILED') {
      const { retryable, status, retryAfterMs } = (details.cause ?? {}) as { retryable?: unknown; status?: unknown; retryAfterMs?: unknown };
      if (typeof retryable === 'boolean') this.retryable = retryable;
      if (typeof status === 'number') this.status = status;
      if (typeof retryAfterMs === 'number') this.retryAfterMs = retryAfterMs;
    } else {
      this.retryable = false;
    }
  }
}

/**
 * True for a {@link SupervisorError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isSupervisorError } from 'rx-orchestra/patterns';
 * if (isSupervisorError(error) && error.code === 'UNKNOWN_WORKER') console.log(error.worker);
 * ```
 */
export function isSupervisorError(error: unknown): error is SupervisorError {
  return hasErrorTag(error, 'SupervisorError');
}
