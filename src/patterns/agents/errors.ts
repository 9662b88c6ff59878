import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';
import type { AgentResult } from './result.js';

/**
 * What went wrong with an agent, a task or a pool:
 * - `INVALID_AGENT`, `INVALID_OPTION`, `INVALID_TASK`: bad definitions, raised at call time (`field` names the setting);
 * - `CANNOT_HANDLE`: the agent's `canHandle(task)` said no;
 * - `DEADLINE_EXCEEDED`: the task could not start before its `deadline` and was not run;
 * - `TIMEOUT`: the agent did not finish within its `timeoutMs` (retryable);
 * - `NO_OUTPUT`: `execute` completed without an `{ output }` value;
 * - `TASK_FAILED`: a workflow task's agent returned `success: false` (the result is attached).
 *
 * ## Example
 * ```ts
 * import { isAgentError, type AgentErrorCode } from 'rx-orchestra/patterns';
 * const code: AgentErrorCode | undefined = isAgentError(error) ? error.code : undefined;
 * ```
 */
export type AgentErrorCode = 'INVALID_AGENT' | 'INVALID_OPTION' | 'INVALID_TASK' | 'CANNOT_HANDLE' | 'DEADLINE_EXCEEDED' | 'TIMEOUT' | 'NO_OUTPUT' | 'TASK_FAILED';

/**
 * Context carried by an {@link AgentError}.
 *
 * ## Example
 * ```ts
 * import { isAgentError } from 'rx-orchestra/patterns';
 * if (isAgentError(e) && e.code === 'DEADLINE_EXCEEDED') console.log(e.details.deadline, e.details.waitedMs);
 * ```
 */
export interface AgentErrorDetails {
  /** The agent (or pool) concerned. */
  agent?: string;
  taskId?: string;
  /** The bad setting, for `INVALID_*`. */
  field?: string;
  /** `DEADLINE_EXCEEDED`: the task's deadline and how long it had waited, in scheduler ms. */
  deadline?: number;
  waitedMs?: number;
  /** `TIMEOUT`: the agent's `timeoutMs`. */
  timeoutMs?: number;
  /** `TASK_FAILED`: the failed result. */
  result?: AgentResult;
}

/**
 * A typed error about agents, tasks and pools; `code` says what (see {@link AgentErrorCode}) and
 * `details` names the agent, the task and the field.
 *
 * ## Example
 * ```ts
 * import { isAgentError } from 'rx-orchestra/patterns';
 * pool.submit(task).subscribe({
 *   error: (e) => { if (isAgentError(e) && e.code === 'DEADLINE_EXCEEDED') console.log(e.taskId, e.details.waitedMs); },
 * });
 * ```
 */
export class AgentError extends RxOrchestraError {
  static {
    brandError(this, 'AgentError');
  }
  override readonly name = 'AgentError';
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    override readonly details: AgentErrorDetails = {},
  ) {
    super(message);
  }
  /** Only a timeout is worth retrying as is. */
  get retryable(): boolean {
    return this.code === 'TIMEOUT';
  }
  get taskId(): string | undefined {
    return this.details.taskId;
  }
  get agent(): string | undefined {
    return this.details.agent;
  }
  get field(): string | undefined {
    return this.details.field;
  }
}

/**
 * True for an {@link AgentError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isAgentError } from 'rx-orchestra/patterns';
 * try { defineAgent({ ...spec, maxConcurrency: 0 }); } catch (e) { if (isAgentError(e)) console.log(e.code, e.field); } // INVALID_AGENT maxConcurrency
 * ```
 */
export function isAgentError(error: unknown): error is AgentError {
  return hasErrorTag(error, 'AgentError');
}
