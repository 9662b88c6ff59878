import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';

/**
 * Why a batched call got no answer:
 * - `BATCH_CANCELED`: its batch was canceled (`batches.cancel`, by this process or another) before
 *   the request was processed;
 * - `BATCH_EXPIRED`: its batch reached the provider's 24 h limit before the request was processed
 *   (resume the run to submit it again);
 * - `BATCH_RESULT_MISSING`: the batch ended but its results hold no line for the request's custom id.
 */
export type BatchCallErrorCode = 'BATCH_CANCELED' | 'BATCH_EXPIRED' | 'BATCH_RESULT_MISSING';

/**
 * A batched call that ended without an answer or an error of the model (see
 * {@link BatchCallErrorCode}). Not retryable: a node retry would wait for another batch of up to
 * 24 h; resume the run (or run it again) to submit the request again.
 *
 * ## Example
 * ```ts
 * import { isBatchCallError } from 'rx-orchestra';
 * if (isBatchCallError(error) && error.code === 'BATCH_EXPIRED') console.log(`resubmit ${error.customId} of ${error.batchId}`);
 * ```
 */
export class BatchCallError extends RxOrchestraError {
  static {
    brandError(this, 'BatchCallError');
  }
  override readonly name = 'BatchCallError';
  readonly retryable = false;
  constructor(
    readonly code: BatchCallErrorCode,
    readonly batchId: string,
    readonly customId: string,
  ) {
    super(
      code === 'BATCH_EXPIRED'
        ? `batch ${batchId} expired before request ${customId} was processed; resume the run to submit it again`
        : code === 'BATCH_CANCELED'
          ? `batch ${batchId} was canceled before request ${customId} was processed`
          : `batch ${batchId} ended without a result for request ${customId}`,
    );
  }
}

/**
 * True for a {@link BatchCallError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isBatchCallError } from 'rx-orchestra';
 * const expired = (e: unknown) => isBatchCallError(e) && e.code === 'BATCH_EXPIRED';
 * ```
 */
export function isBatchCallError(error: unknown): error is BatchCallError {
  return hasErrorTag(error, 'BatchCallError');
}
