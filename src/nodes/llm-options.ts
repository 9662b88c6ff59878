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
export function checkLlmDeadlines(options: LlmDeadlines): void {
  const { timeout, firstTokenTimeout, idleTimeout } = options;
  for (const [field, value] of [
    ['timeout', timeout],
    ['firstTokenTimeout', firstTokenTimeout],
    ['idleTimeout', idleTimeout],
  ] as const) {
    const problem = value === undefined ? undefined : timeoutProblem(value, field === 'timeout');
    if (problem) throw new OptionsError(field, `llm: '${field}' ${problem}`, 'operators');
  }
}
