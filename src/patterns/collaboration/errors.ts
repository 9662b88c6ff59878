import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';
import type { PeerMessage } from './message.js';

/**
 * What went wrong in a peer collaboration.
 *
 * ## Example
 * ```ts
 * import { isCollaborationError, type CollaborationErrorCode } from 'rx-orchestra/patterns';
 * const code: CollaborationErrorCode | undefined = isCollaborationError(error) ? error.code : undefined; // e.g. 'MAX_TURNS'
 * ```
 */
export type CollaborationErrorCode =
  /** `maxTurns` replies were made and `until` accepted none (with `onMaxTurns: 'error'`). */
  | 'MAX_TURNS'
  /** `route` named no peer, an unknown one, or the speaker itself. */
  | 'INVALID_ROUTE'
  /** A peer answered with empty text, or its `respond` completed without a value. */
  | 'EMPTY_REPLY'
  /** `until`, `route` or the opening `message` function threw. */
  | 'CALLBACK_FAILED'
  /** `collaboration()` or `peer()` was given bad options. */
  | 'INVALID_OPTIONS';

/**
 * A collaboration that cannot go on: no convergence within `maxTurns` (`MAX_TURNS`), a bad route, an
 * empty reply, a throwing callback, or bad options (thrown by `collaboration()` / `peer()` at once).
 * `transcript` keeps the conversation so far (the opening message first), so a fallback can still
 * use the last draft. A failing model call fails the node with the call's own error (a 429 stays
 * retryable for the node's `retry`), not with this class.
 *
 * ## Example
 * ```ts
 * import { graph } from 'rx-orchestra';
 * import { collaboration, isCollaborationError } from 'rx-orchestra/patterns';
 * graph().node('article', {
 *   run: team,
 *   fallback: (error) => {
 *     if (isCollaborationError(error) && error.code === 'MAX_TURNS') return error.transcript.at(-1)?.text ?? '';
 *     throw error;
 *   },
 * });
 * ```
 */
export class CollaborationError extends RxOrchestraError {
  static {
    brandError(this, 'CollaborationError');
  }
  override readonly name = 'CollaborationError';
  readonly retryable = false;
  constructor(
    readonly code: CollaborationErrorCode,
    /** The collaboration's name (the node id unless named). */
    readonly collaboration: string,
    message: string,
    override readonly details: { transcript?: readonly PeerMessage[]; turn?: number; option?: string; cause?: unknown } = {},
  ) {
    super(`collaboration '${collaboration}': ${message}`, details.cause !== undefined ? { cause: details.cause } : undefined);
  }
  /** The conversation until the error, opening message first; empty for `INVALID_OPTIONS`. */
  get transcript(): readonly PeerMessage[] {
    return this.details.transcript ?? [];
  }
  /** For `INVALID_OPTIONS`: the offending option (`peers.writer.system`, `maxTurns`, ...). */
  get option(): string | undefined {
    return this.details.option;
  }
}

/**
 * True for a {@link CollaborationError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isCollaborationError } from 'rx-orchestra/patterns';
 * if (isCollaborationError(error) && error.code === 'MAX_TURNS') console.log(error.transcript.length);
 * ```
 */
export function isCollaborationError(error: unknown): error is CollaborationError {
  return hasErrorTag(error, 'CollaborationError');
}
