import { TimeoutError, type TimeoutKind } from '../../operators/timeout.js';
import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/** What went wrong running a node, as opposed to what the node's own work threw. */
export type NodeRunErrorCode = 'NO_VALUE' | 'INVALID_RESULT';

/**
 * An error the executor raises about a node: it completed without a value, or `run` returned
 * something that is not an ObservableInput. Not retryable (a retry would do the same).
 */
export class NodeRunError extends RxOrchestraError {
  static {
    brandError(this, 'NodeRunError');
  }
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

/**
 * A node's own deadline passed: its `timeout` per attempt, or an `llm()` node's call deadline. A
 * {@link TimeoutError} (code `TIMEOUT`, retryable), told apart from timeouts inside the node's
 * work by its class; the node then ends `timedOut`.
 */
export class NodeDeadlineError extends TimeoutError {
  static {
    brandError(this, 'NodeDeadlineError');
  }
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
export class RunIncompleteError extends RxOrchestraError {
  static {
    brandError(this, 'RunIncompleteError');
  }
  override readonly name = 'RunIncompleteError';
  readonly code = 'RUN_INCOMPLETE' as const;
  readonly retryable = false;
}

/** True for a {@link NodeRunError}, also one from another copy of this package. */
export function isNodeRunError(error: unknown): error is NodeRunError {
  return hasErrorTag(error, 'NodeRunError');
}

/** True for a {@link RunIncompleteError}, also one from another copy of this package. */
export function isRunIncompleteError(error: unknown): error is RunIncompleteError {
  return hasErrorTag(error, 'RunIncompleteError');
}
