import { RxOrchestraError, brandError, hasErrorTag } from './rx-orchestra-error.js';

/**
 * Which part of rx-orchestra refused an option. It sets the error's `name` and `code`, those of the
 * class each part threw before they became one (`OperatorConfigError` / `INVALID_CONFIG`, ...), so
 * events, logs and code that branch on them read the same.
 *
 * ## Example
 * ```ts
 * import { isOptionsError, type OptionsScope } from 'rx-orchestra';
 * const scopeOf = (e: unknown): OptionsScope | undefined => (isOptionsError(e) ? e.scope : undefined);
 * ```
 */
export type OptionsScope = 'operators' | 'execute' | 'models' | 'budget' | 'dashboard';

/**
 * The code of an {@link OptionsError}: `INVALID_CONFIG` for operators, `INVALID_BUDGET_CONFIG` for
 * budgets, `INVALID_DASHBOARD_OPTIONS` for the dashboard, `INVALID_OPTION` for the rest.
 *
 * ## Example
 * ```ts
 * import type { OptionsErrorCode } from 'rx-orchestra';
 * const code: OptionsErrorCode = 'INVALID_CONFIG';
 * ```
 */
export type OptionsErrorCode = 'INVALID_OPTION' | 'INVALID_CONFIG' | 'INVALID_BUDGET_CONFIG' | 'INVALID_DASHBOARD_OPTIONS';

const SCOPES: Record<OptionsScope, { name: string; code: OptionsErrorCode }> = {
  operators: { name: 'OperatorConfigError', code: 'INVALID_CONFIG' },
  execute: { name: 'ExecuteOptionsError', code: 'INVALID_OPTION' },
  models: { name: 'ModelOptionsError', code: 'INVALID_OPTION' },
  budget: { name: 'BudgetConfigError', code: 'INVALID_BUDGET_CONFIG' },
  dashboard: { name: 'DashboardOptionsError', code: 'INVALID_DASHBOARD_OPTIONS' },
};

/**
 * An invalid option or setting, named by `field` (e.g. `'count'`, `'latency.p95Ms'`,
 * `'replay.speed'`), thrown when it is given, before anything runs or is subscribed. Not retryable.
 * `scope` says which part refused it (operators, `execute`, models, budgets, the dashboard).
 *
 * ## Example
 * ```ts
 * import { isOptionsError } from 'rx-orchestra';
 * import { retryWithBackoff } from 'rx-orchestra/operators';
 * try { retryWithBackoff({ count: -1 }); }
 * catch (e) { if (isOptionsError(e)) console.log(e.scope, e.field, e.code); } // operators count INVALID_CONFIG
 * ```
 */
export class OptionsError extends RxOrchestraError {
  static {
    brandError(this, 'OptionsError');
  }
  override readonly name: string;
  readonly code: OptionsErrorCode;
  readonly retryable = false;
  constructor(
    /** The offending option, as a dotted path: `count`, `quota.requestsPerMinute`, `replay.speed`. */
    readonly field: string,
    message: string,
    /** Which part refused it. @default undefined (name `OptionsError`, code `INVALID_OPTION`) */
    readonly scope?: OptionsScope,
  ) {
    super(message);
    const { name, code } = scope === undefined ? { name: 'OptionsError', code: 'INVALID_OPTION' as const } : SCOPES[scope];
    this.name = name;
    this.code = code;
  }
}

/**
 * True for an {@link OptionsError}, also one from another copy of the package; with a `scope`, only
 * for one that part threw.
 *
 * ## Example
 * ```ts
 * import { isOptionsError, simulatedModel } from 'rx-orchestra';
 * try { simulatedModel({ failureRate: 2 }); } catch (e) { if (isOptionsError(e, 'models')) console.log(e.field); } // failureRate
 * ```
 */
export function isOptionsError<S extends OptionsScope | undefined = OptionsScope | undefined>(error: unknown, scope?: S): error is OptionsError & { readonly scope: S } {
  return hasErrorTag(error, 'OptionsError') && (scope === undefined || (error as OptionsError).scope === scope);
}
