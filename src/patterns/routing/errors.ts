import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';

/**
 * What went wrong in a learning router, an experiment or an offline evaluation.
 *
 * ## Example
 * ```ts
 * import { isRoutingError, type RoutingErrorCode } from 'rx-orchestra/patterns';
 * const fixTheScorer: RoutingErrorCode[] = ['INVALID_REWARD'];
 * if (isRoutingError(error) && fixTheScorer.includes(error.code)) console.error(error.router, error.message);
 * ```
 */
export type RoutingErrorCode =
  /** `banditRouter()`, `experiment()` or `evaluateRouters()` was given bad options (named by `option`). */
  | 'INVALID_OPTIONS'
  /** A reward was not a finite number, or outside [0, 1] for a Beta prior. */
  | 'INVALID_REWARD'
  /** `feedback()` named a run and node with no choice waiting for feedback (never chosen, already rewarded, or expired). */
  | 'UNKNOWN_CHOICE'
  /** The events given to `evaluateRouters()` / `experimentReport()` cannot be evaluated (no decisions, several routers, missing propensities). */
  | 'INVALID_LOG';

/**
 * Context a {@link RoutingError} carries, beside its code.
 *
 * ## Example
 * ```ts
 * import { RoutingError } from 'rx-orchestra/patterns';
 * const e = new RoutingError('INVALID_REWARD', 'model-choice', 'reward 1.4 is outside [0, 1]', { arm: 'cheap' });
 * e.arm; // 'cheap'
 * ```
 */
export interface RoutingErrorDetails {
  /** The arm concerned. */
  arm?: string;
  /** For `INVALID_OPTIONS`: the offending option. */
  option?: string;
  /** For `UNKNOWN_CHOICE`: the run and node named. */
  runId?: string;
  nodeId?: string;
  cause?: unknown;
}

/**
 * An error of a learning router (`banditRouter`), an A/B `experiment`, `feedback`, or an offline
 * evaluation. `router` names the bandit or experiment. Never retryable: the options, the scorer
 * or the log are wrong, and stay wrong.
 *
 * ## Example
 * ```ts
 * import { banditRouter, isRoutingError } from 'rx-orchestra/patterns';
 * try { banditRouter({ name: 'model-choice', arms: [] }); }
 * catch (e) { if (isRoutingError(e)) console.log(e.code, e.option); } // INVALID_OPTIONS arms
 * ```
 */
export class RoutingError extends RxOrchestraError {
  static {
    brandError(this, 'RoutingError');
  }
  override readonly name = 'RoutingError';
  readonly retryable = false;
  readonly arm: string | undefined;
  readonly option: string | undefined;
  readonly runId: string | undefined;
  readonly nodeId: string | undefined;

  constructor(
    readonly code: RoutingErrorCode,
    /** The bandit, experiment or evaluation concerned. */
    readonly router: string,
    message: string,
    details: RoutingErrorDetails = {},
  ) {
    super(`router '${router}': ${message}`, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.arm = details.arm;
    this.option = details.option;
    this.runId = details.runId;
    this.nodeId = details.nodeId;
  }
}

/**
 * True for a {@link RoutingError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isRoutingError } from 'rx-orchestra/patterns';
 * if (isRoutingError(error) && error.code === 'UNKNOWN_CHOICE') console.log('late feedback for', error.runId);
 * ```
 */
export function isRoutingError(error: unknown): error is RoutingError {
  return hasErrorTag(error, 'RoutingError');
}
