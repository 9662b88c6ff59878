import { OptionsError, isOptionsError } from '../src/errors/options-error.js';

/**
 * An operator setting out of range: an {@link OptionsError} of scope `'operators'` (name
 * `OperatorConfigError`, code `INVALID_CONFIG`), thrown when the operator is created, before
 * anything is subscribed.
 *
 * ## Example
 * ```ts
 * import { retryWithBackoff, isOperatorConfigError } from 'rx-orchestra/operators';
 * try { retryWithBackoff({ count: -1 }); } catch (e) { if (isOperatorConfigError(e)) console.log(e.field); } // count
 * ```
 * @deprecated Use {@link OptionsError} and `isOptionsError(e, 'operators')`.
 */
export type OperatorConfigError = OptionsError & { readonly scope: 'operators'; readonly code: 'INVALID_CONFIG' };
/** @deprecated Use {@link OptionsError}: `new OptionsError(field, message, 'operators')`. */
export const OperatorConfigError = OptionsError;

/**
 * True for an {@link OptionsError} an operator threw, also one from another copy of this package.
 * @deprecated Use `isOptionsError(error, 'operators')`.
 */
export function isOperatorConfigError(error: unknown): error is OperatorConfigError {
  return isOptionsError(error, 'operators');
}
