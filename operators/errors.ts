/**
 * An operator was given a setting out of range. `field` names it; thrown when the operator is
 * created, before anything is subscribed.
 *
 * ## Example
 * ```ts
 * import { retryWithBackoff, isOperatorConfigError } from 'rx-orchestra/operators';
 * try { retryWithBackoff({ count: -1 }); } catch (e) { if (isOperatorConfigError(e)) console.log(e.field); } // count
 * ```
 */
export class OperatorConfigError extends RangeError {
  override readonly name = 'OperatorConfigError';
  readonly code = 'INVALID_CONFIG' as const;
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** True for an {@link OperatorConfigError}, also one from another copy of this package. */
export function isOperatorConfigError(error: unknown): error is OperatorConfigError {
  return error instanceof OperatorConfigError || (error instanceof Error && error.name === 'OperatorConfigError' && 'code' in error);
}
