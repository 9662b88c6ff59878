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

/** What went wrong with a node that grows the graph at run time (a fan-out, a subgraph, a branch). */
export type DynamicNodeErrorCode = 'NOT_A_LIST' | 'DUPLICATE_KEY' | 'INVALID_KEY' | 'CHILDREN_FAILED' | 'SUBGRAPH_FAILED' | 'BRANCH_TARGET';

/**
 * A fan-out, subgraph or branch that cannot go on, found the moment it is known (at run time: the
 * list and the branch's choice do not exist before): `items` gave no array (`NOT_A_LIST`), keys that
 * are not unique (`DUPLICATE_KEY`) or not non-empty strings (`INVALID_KEY`), too few children with
 * a value for the join (`CHILDREN_FAILED`, `children` names them), a subgraph node without a value
 * (`SUBGRAPH_FAILED`), a branch naming a node that is not a dependent (`BRANCH_TARGET`; `value`
 * keeps the node's value). Not retryable. The node fails with it; nothing computed is lost (the
 * children's outcomes are their own events).
 *
 * ## Example
 * ```ts
 * import { isDynamicNodeError } from 'rx-orchestra';
 * if (isDynamicNodeError(error) && error.code === 'CHILDREN_FAILED') console.log(error.children);
 * ```
 */
export class DynamicNodeError extends RxOrchestraError {
  static {
    brandError(this, 'DynamicNodeError');
  }
  override readonly name = 'DynamicNodeError';
  readonly retryable = false;
  constructor(
    readonly code: DynamicNodeErrorCode,
    readonly nodeId: string,
    message: string,
    override readonly details: { children?: readonly string[]; value?: unknown; target?: string } = {},
  ) {
    super(message);
  }
  /** For `CHILDREN_FAILED` / `SUBGRAPH_FAILED`: the children (full ids) that ended without a value. */
  get children(): readonly string[] | undefined {
    return this.details.children;
  }

  /** A subgraph node some of whose nodes ended without a value. @internal */
  static subgraphFailed(nodeId: string, failed: readonly string[]): DynamicNodeError {
    const listed = failed.slice(0, 5).map((id) => `'${id}'`).join(', ') + (failed.length > 5 ? `, and ${failed.length - 5} more` : '');
    return new DynamicNodeError('SUBGRAPH_FAILED', nodeId, `subgraph node '${nodeId}': ${failed.length} of its nodes ended without a value (${listed})`, { children: failed });
  }
}

/** True for a {@link DynamicNodeError}, also one from another copy of this package. */
export function isDynamicNodeError(error: unknown): error is DynamicNodeError {
  return hasErrorTag(error, 'DynamicNodeError');
}

/** What went wrong with an approval. */
export type ApprovalErrorCode = 'APPROVAL_REJECTED' | 'APPROVAL_TIMEOUT' | 'UNKNOWN_NODE' | 'NOT_WAITING' | 'NO_LIVE_RUN' | 'INVALID_DECISION';

/**
 * An approval that did not let its node run: rejected (`APPROVAL_REJECTED`, the node fails; `reason`
 * says why) or not decided in time (`APPROVAL_TIMEOUT`, the node ends `timedOut`); or a decision
 * that cannot be delivered, thrown by `decide` at once: a node the graph does not have
 * (`UNKNOWN_NODE`), a node that has already ended (`NOT_WAITING`), no run in progress
 * (`NO_LIVE_RUN`), a decision without a boolean `approve` (`INVALID_DECISION`).
 *
 * ## Example
 * ```ts
 * import { isApprovalError } from 'rx-orchestra';
 * if (isApprovalError(error) && error.code === 'APPROVAL_REJECTED') console.log(error.reason);
 * ```
 */
export class ApprovalError extends RxOrchestraError {
  static {
    brandError(this, 'ApprovalError');
  }
  override readonly name = 'ApprovalError';
  readonly retryable = false;
  constructor(
    readonly code: ApprovalErrorCode,
    readonly nodeId: string,
    message: string,
    override readonly details: { reason?: string; by?: string; timeoutMs?: number } = {},
  ) {
    super(message);
  }
  /** For `APPROVAL_REJECTED`: why, as the decision said. */
  get reason(): string | undefined {
    return this.details.reason;
  }
}

/** True for an {@link ApprovalError}, also one from another copy of this package. */
export function isApprovalError(error: unknown): error is ApprovalError {
  return hasErrorTag(error, 'ApprovalError');
}
