import { OptionsError } from '../errors/options-error.js';

/**
 * How many of the most expensive nodes an estimate and a refusal list, by default.
 *
 * ## Example
 * ```ts
 * import { DEFAULT_TOP_NODES } from './budget-config.js';
 * import { estimateRunCost } from 'rx-orchestra';
 * estimateRunCost(g.nodes).top.length <= DEFAULT_TOP_NODES; // true
 * ```
 */
export const DEFAULT_TOP_NODES = 3;

/**
 * A run's cost budget (seed 000: refuse a run whose estimated cost is over a threshold, e.g. $0.50).
 *
 * ## Example
 * ```ts
 * import type { BudgetConfig } from 'rx-orchestra';
 * const budget: BudgetConfig = { maxUsd: 0.5, top: 5 };
 * ```
 */
export interface BudgetConfig {
  /** The most a run may cost, in USD; a run estimated above it is refused. A finite number >= 0. */
  readonly maxUsd: number;
  /** How many of the most expensive nodes a refusal lists. An integer >= 0. @default 3 */
  readonly top?: number;
}

/**
 * Validates a {@link BudgetConfig}; throws an {@link OptionsError} (scope `'budget'`, code `INVALID_BUDGET_CONFIG`) naming the bad field.
 * Returns the config with defaults filled in.
 *
 * ## Example
 * ```ts
 * import { checkBudgetConfig } from './budget-config.js';
 * checkBudgetConfig({ maxUsd: 0.5 });  // { maxUsd: 0.5, top: 3 }
 * checkBudgetConfig({ maxUsd: NaN });  // throws an OptionsError (scope 'budget'), field 'maxUsd'
 * ```
 * @throws {OptionsError} for a config that is not an object, a `maxUsd` that is not a finite
 *   number >= 0, or a `top` that is not an integer >= 0
 */
export function checkBudgetConfig(config: BudgetConfig): Required<BudgetConfig> {
  if (typeof config !== 'object' || config === null) {
    throw new OptionsError('maxUsd', `a budget must be an object { maxUsd }, got ${config === null ? 'null' : typeof config}`, 'budget');
  }
  const { maxUsd, top = DEFAULT_TOP_NODES } = config;
  if (typeof maxUsd !== 'number' || !Number.isFinite(maxUsd) || maxUsd < 0) {
    throw new OptionsError('maxUsd', `'maxUsd' must be a finite number of USD >= 0, got ${describe(maxUsd)}`, 'budget');
  }
  checkTop(top);
  return { maxUsd, top };
}

/** @internal throws an {@link OptionsError} unless `top` is an integer >= 0 */
export function checkTop(top: unknown): asserts top is number {
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 0) {
    throw new OptionsError('top', `'top' must be an integer >= 0, got ${describe(top)}`, 'budget');
  }
}

/** @internal a value for an error message */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}
