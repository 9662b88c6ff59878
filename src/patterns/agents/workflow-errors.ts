import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';
import type { GraphErrorCode } from '../../graph/errors.js';

/**
 * Why a workflow cannot run. The dependency problems are the graph's (`CYCLE`,
 * `UNKNOWN_DEPENDENCY`, `SELF_DEPENDENCY`, `DUPLICATE_ID`, `EMPTY_GRAPH`); besides, `NO_AGENT` (no
 * agent's `canHandle` accepts a task), `INVALID_TASK`, `INVALID_OPTION` and `MISSING_TOPIC` (the bus
 * does not declare a workflow topic).
 *
 * ## Example
 * ```ts
 * import { isWorkflowError, type WorkflowErrorCode } from 'rx-orchestra/patterns';
 * const code: WorkflowErrorCode | undefined = isWorkflowError(error) ? error.code : undefined; // e.g. 'CYCLE'
 * ```
 */
export type WorkflowErrorCode = Exclude<GraphErrorCode, 'INVALID_NODE'> | 'NO_AGENT' | 'INVALID_TASK' | 'INVALID_OPTION' | 'MISSING_TOPIC';

/**
 * A workflow that cannot run, raised by `runWorkflow` at call time: nothing has run and nothing was
 * published. `taskId` names the culprit, `path` holds a cycle (first task repeated at the end).
 *
 * ## Example
 * ```ts
 * import { runWorkflow, isWorkflowError } from 'rx-orchestra/patterns';
 * try { runWorkflow(tasks, { agents, bus }); }
 * catch (e) { if (isWorkflowError(e) && e.code === 'CYCLE') console.log(e.path?.join(' -> ')); }
 * ```
 */
export class WorkflowError extends RxOrchestraError {
  static {
    brandError(this, 'WorkflowError');
  }
  override readonly name = 'WorkflowError';
  readonly retryable = false;
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
    override readonly details: { taskId?: string; type?: string; path?: readonly string[]; dependency?: string; field?: string; topic?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get taskId(): string | undefined {
    return this.details.taskId;
  }
  /** For `CYCLE`: the tasks of the cycle, the first one repeated at the end. */
  get path(): readonly string[] | undefined {
    return this.details.path;
  }
}

/**
 * True for a {@link WorkflowError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isWorkflowError } from 'rx-orchestra/patterns';
 * if (isWorkflowError(e) && e.code === 'NO_AGENT') console.log(e.taskId, e.details.type);
 * ```
 */
export function isWorkflowError(error: unknown): error is WorkflowError {
  return hasErrorTag(error, 'WorkflowError');
}
