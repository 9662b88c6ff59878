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
