import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/** What is wrong with a graph or a node definition. */
export type GraphErrorCode =
  | 'DUPLICATE_ID'
  | 'UNKNOWN_DEPENDENCY'
  | 'SELF_DEPENDENCY'
  | 'CYCLE'
  | 'INVALID_NODE'
  | 'EMPTY_GRAPH';

/**
 * A graph that cannot run, found at definition time (`build()`), before anything runs.
 * `code` says what is wrong, `nodeId` names the culprit, `path` holds a cycle's path
 * (first node repeated at the end), `field` the bad setting of an `INVALID_NODE`.
 *
 * ## Example
 * ```ts
 * import { graph, isGraphError } from 'rx-orchestra';
 * try { graph().node('a', { deps: ['a' as never], run: () => [1] }).build(); }
 * catch (e) { if (isGraphError(e)) console.log(e.code, e.nodeId); } // SELF_DEPENDENCY a
 * ```
 */
export class GraphError extends RxOrchestraError {
  static {
    brandError(this, 'GraphError');
  }
  override readonly name = 'GraphError';
  readonly retryable = false;
  constructor(
    readonly code: GraphErrorCode,
    message: string,
    override readonly details: { nodeId?: string; dependency?: string; path?: readonly string[]; field?: string } = {},
  ) {
    super(message);
  }
  /** The node at fault. */
  get nodeId(): string | undefined {
    return this.details.nodeId;
  }
  /** For `CYCLE`: the nodes of the cycle, the first one repeated at the end. */
  get path(): readonly string[] | undefined {
    return this.details.path;
  }
}

/** True for a {@link GraphError}, also one from another copy of this package. */
export function isGraphError(error: unknown): error is GraphError {
  return hasErrorTag(error, 'GraphError');
}
