import { OptionsError } from '../errors/options-error.js';
import { timeoutProblem } from '../graph/validate.js';

/** The deadlines of `llm()` options, as the checker sees them. */
interface LlmDeadlines {
  readonly timeout?: number | false;
  readonly firstTokenTimeout?: number;
  readonly idleTimeout?: number;
}

/**
 * Checks the deadlines of `llm()` options when `llm()` is called, before any node runs: each
 * given one must be a number of ms between 1 and 2^31-1 (the longest a timer can hold: Node.js
 * runs a longer one after 1 ms); `timeout` may also be `false` (no call deadline).
 *
 * ## Example
 * ```ts
 * import { llm } from 'rx-orchestra';
 * llm({ prompt: () => 'hi', timeout: 3_000_000_000 }); // throws: llm: 'timeout' must be a number of ms between 1 and 2147483647 ...
 * ```
 * @throws {OptionsError} naming the field (`timeout`, `firstTokenTimeout`, `idleTimeout`)
 * @internal
 */
export function checkLlmDeadlines(options: LlmDeadlines, factory: 'llm' | 'agent' = 'llm'): void {
  const { timeout, firstTokenTimeout, idleTimeout } = options;
  for (const [field, value] of [
    ['timeout', timeout],
    ['firstTokenTimeout', firstTokenTimeout],
    ['idleTimeout', idleTimeout],
  ] as const) {
    const problem = value === undefined ? undefined : timeoutProblem(value, field === 'timeout');
    if (problem) throw new OptionsError(field, `${factory}: '${field}' ${problem}`, 'operators');
  }
}

/** Fewest thinking tokens the Messages API accepts. */
export const MIN_THINKING_BUDGET_TOKENS = 1024;

/**
 * Checks `thinking` of `llm()` / `agent()` options when the factory is called: `budgetTokens` an
 * integer >= 1024, and below `maxTokens` when that is given (the API refuses both).
 * @throws {OptionsError} naming `thinking.budgetTokens`
 * @internal
 */
export function checkThinking(options: { readonly thinking?: { budgetTokens: number }; readonly maxTokens?: number }, factory: 'llm' | 'agent'): void {
  const { thinking, maxTokens } = options;
  if (thinking === undefined) return;
  const budget = (thinking as { budgetTokens?: unknown } | null)?.budgetTokens;
  if (!(typeof budget === 'number' && Number.isInteger(budget) && budget >= MIN_THINKING_BUDGET_TOKENS)) {
    throw new OptionsError('thinking.budgetTokens', `${factory}: 'thinking.budgetTokens' must be an integer >= ${MIN_THINKING_BUDGET_TOKENS}, got ${String(budget)}`);
  }
  if (maxTokens !== undefined && budget >= maxTokens) {
    throw new OptionsError('thinking.budgetTokens', `${factory}: 'thinking.budgetTokens' (${budget}) must be below 'maxTokens' (${maxTokens}): thinking tokens count towards it`);
  }
}

/**
 * Checks `batch` of `llm()` / `agent()` options when the factory is called: a boolean when given.
 * @throws {OptionsError} naming `batch`
 * @internal
 */
export function checkBatch(options: { readonly batch?: unknown }, factory: 'llm' | 'agent'): void {
  if (options.batch !== undefined && typeof options.batch !== 'boolean') {
    throw new OptionsError('batch', `${factory}: 'batch' must be true or false, got ${typeof options.batch}`);
  }
}
