import { OptionsError } from '../../errors/options-error.js';

/**
 * Transient failures to inject, each a share 0..1 of the calls admitted (the shares add up to at
 * most 1; a call has at most one fault). Every fault is a retryable {@link SimulatedModelError}:
 * - `overloaded`: 529 `OVERLOADED`, after a quarter of the call's latency;
 * - `serverError`: 500 `SERVER_ERROR`, after a quarter of the call's latency;
 * - `rateLimited`: 429 `RATE_LIMITED` after 20 ms, with a `retryAfterMs` of 1 to 10 whole seconds;
 * - `dropped`: `CONNECTION`, the stream errors after part of the text (at least one token
 *   when the answer has two or more).
 */
export interface SimulatedFaults {
  /** Share of calls answered 529 (same as `failureRate`). @default 0 */
  overloaded?: number;
  /** Share of calls answered 500. @default 0 */
  serverError?: number;
  /** Share of calls answered 429 regardless of the quota (e.g. the organisation's limit spent elsewhere). @default 0 */
  rateLimited?: number;
  /** Share of calls whose stream is cut mid-answer. @default 0 */
  dropped?: number;
}

/** One kind of injected fault. @internal */
export type FaultKind = keyof SimulatedFaults;

/** The order in which the shares partition [0, 1): the first stays `failureRate`'s, so old seeds keep their faults. */
const FAULT_ORDER: readonly FaultKind[] = ['overloaded', 'serverError', 'rateLimited', 'dropped'];

/**
 * Checks and merges `failureRate` and `faults` into one share per fault kind.
 * @throws {OptionsError} naming the field, for a share outside 0..1, shares adding up to more
 * than 1, or `failureRate` and `faults.overloaded` both given and different
 * @internal
 */
export function resolveFaults(failureRate: number | undefined, faults: SimulatedFaults | undefined, where: string): Required<SimulatedFaults> {
  const checkShare = (field: string, value: unknown) => {
    if (value !== undefined && !(typeof value === 'number' && value >= 0 && value <= 1)) {
      throw new OptionsError(field, `${where}: '${field}' must be a number between 0 and 1, got ${String(value)}`, 'models');
    }
  };
  checkShare('failureRate', failureRate);
  if (faults !== undefined && (typeof faults !== 'object' || faults === null)) throw new OptionsError('faults', `${where}: 'faults' must be an object, got ${String(faults)}`, 'models');
  for (const kind of FAULT_ORDER) checkShare(`faults.${kind}`, faults?.[kind]);
  if (failureRate !== undefined && faults?.overloaded !== undefined && failureRate !== faults.overloaded) {
    throw new OptionsError('faults.overloaded', `${where}: 'failureRate' is a shorthand for 'faults.overloaded'; give one of them, got ${failureRate} and ${faults.overloaded}`, 'models');
  }
  const rates = {
    overloaded: faults?.overloaded ?? failureRate ?? 0,
    serverError: faults?.serverError ?? 0,
    rateLimited: faults?.rateLimited ?? 0,
    dropped: faults?.dropped ?? 0,
  };
  const total = FAULT_ORDER.reduce((sum, kind) => sum + rates[kind], 0);
  if (total > 1 + 1e-9) throw new OptionsError('faults', `${where}: the fault shares add up to ${total}, more than 1`, 'models');
  return rates;
}

/**
 * The fault of a call whose draw is `u` in [0, 1): the shares partition [0, 1) in a fixed order,
 * so one draw picks at most one fault and a call with `u` above the total has none.
 * @internal
 */
export function pickFault(rates: Required<SimulatedFaults>, u: number): FaultKind | undefined {
  let upTo = 0;
  for (const kind of FAULT_ORDER) {
    upTo += rates[kind];
    if (u < upTo) return kind;
  }
  return undefined;
}
