import { TimeoutError, type TimeoutKind } from '../../operators/timeout.js';

/** What went wrong running a node, as opposed to what the node's own work threw. */
export type NodeRunErrorCode = 'NO_VALUE' | 'INVALID_RESULT';

/**
 * An error the executor raises about a node: it completed without a value, or `run` returned
 * something that is not an ObservableInput. Not retryable (a retry would do the same).
 */
export class NodeRunError extends Error {
  override readonly name = 'NodeRunError';
  readonly retryable = false;
  constructor(
    readonly code: NodeRunErrorCode,
    readonly nodeId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Invalid `execute` options, named by field. */
export class ExecuteOptionsError extends Error {
  override readonly name = 'ExecuteOptionsError';
  readonly code = 'INVALID_OPTION' as const;
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`execute: ${message}`);
  }
}

/**
 * A node's own deadline passed: its `timeout` per attempt, or an `llm()` node's call deadline. A
 * {@link TimeoutError} (code `TIMEOUT`, retryable), told apart from timeouts inside the node's
 * work by its class; the node then ends `timedOut`.
 */
export class NodeDeadlineError extends TimeoutError {
  constructor(
    readonly nodeId: string,
    ms: number,
    kind: TimeoutKind = 'total',
  ) {
    super(kind, ms);
    this.message = `node '${nodeId}' ${kind === 'total' ? 'did not complete' : kind === 'first' ? 'had no first value' : 'stalled'} within ${ms} ms`;
  }
}

/** A run's event stream ended without `run.completed`: it was cancelled or cut short. */
export class RunIncompleteError extends Error {
  override readonly name = 'RunIncompleteError';
  readonly code = 'RUN_INCOMPLETE' as const;
  readonly retryable = false;
}

/** True for a {@link NodeRunError}, also one from another copy of this package. */
export function isNodeRunError(error: unknown): error is NodeRunError {
  return error instanceof NodeRunError || (error instanceof Error && error.name === 'NodeRunError' && 'code' in error);
}

/** True for an {@link ExecuteOptionsError}, also one from another copy of this package. */
export function isExecuteOptionsError(error: unknown): error is ExecuteOptionsError {
  return error instanceof ExecuteOptionsError || (error instanceof Error && error.name === 'ExecuteOptionsError' && 'code' in error);
}

/** True for a {@link RunIncompleteError}, also one from another copy of this package. */
export function isRunIncompleteError(error: unknown): error is RunIncompleteError {
  return error instanceof RunIncompleteError || (error instanceof Error && error.name === 'RunIncompleteError' && 'code' in error);
}
