import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';
import type { ErrorInfo } from '../run/events.js';

/**
 * What went wrong in the distributed layer itself (as opposed to an agent's own work).
 *
 * ## Example
 * ```ts
 * import { isDistributedError, type DistributedErrorCode } from 'rx-orchestra/distributed';
 * const worthARetry = (e: unknown) => isDistributedError(e) && (['JOB_LOST', 'CONNECTION', 'REDIS_UNAVAILABLE'] as DistributedErrorCode[]).includes(e.code);
 * ```
 */
export type DistributedErrorCode =
  /** An option is missing or out of range (named by `field`). */
  | 'INVALID_OPTION'
  /** A job's input or an agent's value does not survive JSON (a function, `undefined`, a cycle, a Map, ...). */
  | 'NOT_SERIALIZABLE'
  /** A job's data is not what an orchestrator of this package sends (another producer on the queue?). */
  | 'INVALID_JOB'
  /** The worker that took the job has no handler registered under the job's agent name. */
  | 'UNKNOWN_AGENT'
  /** The job was cancelled (its run was unsubscribed, timed out or stopped). */
  | 'CANCELLED'
  /** The dispatcher or worker was closed while the job was in flight. */
  | 'CLOSED'
  /** The job disappeared from Redis before it ended (removed by someone else). */
  | 'JOB_LOST'
  /** Redis could not be reached or refused a command. */
  | 'CONNECTION'
  /**
   * Redis stayed unreachable (connection lost, or no answer) longer than the dispatcher's
   * `outageGrace` while the job (named by `nodeId` and `jobId`) was in flight.
   */
  | 'REDIS_UNAVAILABLE';

const RETRYABLE_CODES: ReadonlySet<DistributedErrorCode> = new Set(['JOB_LOST', 'CONNECTION', 'REDIS_UNAVAILABLE']);

/**
 * An error of the distributed layer, with a `code`, the agent and job it concerns when known, and
 * `retryable` set (lost jobs and connection trouble are worth a retry; bad input is not).
 *
 * ## Example
 * ```ts
 * import { isDistributedError } from 'rx-orchestra/distributed';
 * try { await collect(execute(g)); } catch (e) { if (isDistributedError(e) && e.code === 'INVALID_OPTION') console.error(e.field); }
 * ```
 */
export class DistributedError extends RxOrchestraError {
  static {
    brandError(this, 'DistributedError');
  }
  override readonly name = 'DistributedError';
  readonly retryable: boolean;
  /** The option at fault, for `INVALID_OPTION`. */
  readonly field?: string;
  readonly agent?: string;
  readonly jobId?: string;
  /** The node whose job it concerns, when known (`REDIS_UNAVAILABLE`, `JOB_LOST`, `CLOSED`, ...). */
  readonly nodeId?: string;
  constructor(
    readonly code: DistributedErrorCode,
    message: string,
    details: { field?: string; agent?: string; jobId?: string; nodeId?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.retryable = RETRYABLE_CODES.has(code);
    if (details.field !== undefined) this.field = details.field;
    if (details.agent !== undefined) this.agent = details.agent;
    if (details.jobId !== undefined) this.jobId = details.jobId;
    if (details.nodeId !== undefined) this.nodeId = details.nodeId;
  }
}

/**
 * What an agent's handler threw on a worker, as it arrived at the orchestrator: the remote error's
 * `code`, `retryable`, `status` and `retryAfterMs` are kept, so the node's `retry` classifies it
 * exactly as it would the local error (a 429 waits its retry-after, a 400 is not retried). `remote`
 * holds the error as the worker described it; `code` is `REMOTE_FAILED` when it had none.
 *
 * ## Example
 * ```ts
 * import { isRemoteAgentError } from 'rx-orchestra/distributed';
 * const failed = result.outcomes.research;
 * if (failed.status === 'failed' && failed.error.name === 'RemoteAgentError') console.log(failed.error.code);
 * ```
 */
export class RemoteAgentError extends RxOrchestraError {
  static {
    brandError(this, 'RemoteAgentError');
  }
  override readonly name = 'RemoteAgentError';
  readonly code: string;
  readonly retryable: boolean | undefined;
  readonly status?: number;
  readonly retryAfterMs?: number;
  constructor(
    readonly agent: string,
    readonly jobId: string,
    readonly remote: ErrorInfo,
  ) {
    super(`agent '${agent}' (job ${jobId}) failed on a worker: ${remote.name}: ${remote.message}`);
    this.code = remote.code ?? 'REMOTE_FAILED';
    if (remote.retryable !== undefined) this.retryable = remote.retryable;
    if (remote.status !== undefined) this.status = remote.status;
    if (remote.retryAfterMs !== undefined) this.retryAfterMs = remote.retryAfterMs;
  }
}

/**
 * True for a {@link DistributedError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isDistributedError, remoteNode } from 'rx-orchestra/distributed';
 * try { remoteNode('', { dispatcher }); } catch (e) { if (isDistributedError(e)) console.error(e.code, e.field); } // INVALID_OPTION agent
 * ```
 */
export function isDistributedError(error: unknown): error is DistributedError {
  return hasErrorTag(error, 'DistributedError');
}

/**
 * True for a {@link RemoteAgentError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isRemoteAgentError } from 'rx-orchestra/distributed';
 * fleet.dispatch(request).subscribe({ error: (e) => isRemoteAgentError(e) && console.error(e.agent, e.code, e.remote.message) });
 * ```
 */
export function isRemoteAgentError(error: unknown): error is RemoteAgentError {
  return hasErrorTag(error, 'RemoteAgentError');
}
