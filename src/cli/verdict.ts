import type { RunSummary } from '../run/events.js';
import type { LiveNode, LiveRunState } from './live-state.js';
import { EXIT_CODES, oneLine } from './errors.js';
import { formatCost, formatCount, formatSeconds, noun, plural } from './format.js';

/**
 * How the CLI ends after a run: its exit code and the one line that says why.
 *
 * ## Example
 * ```ts
 * import { judgeRun, type Verdict } from './verdict.js';
 * const verdict: Verdict = judgeRun(result.summary, state, { allowPartial: false });
 * process.exitCode = verdict.exitCode;
 * ```
 */
export interface Verdict {
  readonly exitCode: number;
  /** One line, starting `✓`, `⚠` or `✗`. */
  readonly line: string;
}

/**
 * Judges a completed run: `succeeded` exits 0; `failed` exits 1 naming the node that stopped the
 * run and its error (`✗ run failed: node 'fetch' failed: HTTP 529 OVERLOADED: ... (3 attempts)`),
 * or the budget that stopped it; `partial` (some nodes have no value, the run went on) exits 1
 * naming the first failure, unless `allowPartial`, then 0 with a `⚠` line. Pure.
 *
 * ## Example
 * ```ts
 * import { judgeRun } from './verdict.js';
 * const { exitCode, line } = judgeRun(result.summary, state, { allowPartial: false });
 * ```
 */
export function judgeRun(summary: RunSummary, state: LiveRunState, options: { allowPartial: boolean }): Verdict {
  const { status, makespanMs, nodes, usage, counts } = summary;
  const spent = `${formatCount(usage.total.inputTokens + usage.total.outputTokens)} tok, ${formatCost(usage.total.costUsd)}`;
  if (status === 'succeeded') {
    return { exitCode: EXIT_CODES.ok, line: `✓ run succeeded in ${formatSeconds(makespanMs)}: ${plural(nodes, 'node')}, ${spent}` };
  }
  const skipped = counts.skipped ?? 0;
  const skippedText = skipped > 0 ? `; ${plural(skipped, 'node')} skipped` : '';
  if (status === 'failed') {
    if (summary.stoppedBy === 'budget') {
      const crossed = state.budgetExceeded;
      const detail = crossed ? `: spent ${formatCost(crossed.spentUsd)} of ${formatCost(crossed.maxUsd)} (crossed at node '${crossed.nodeId}')` : '';
      return { exitCode: EXIT_CODES.runFailed, line: oneLine(`✗ run stopped by its budget${detail}${skippedText}`) };
    }
    const culprit = summary.failedNode === undefined ? state.problems[0] : state.nodes.get(summary.failedNode);
    const what = culprit ? describeFailure(culprit, summary.failedNode) : 'a node failed';
    return { exitCode: EXIT_CODES.runFailed, line: oneLine(`✗ run failed: ${what}${skippedText}`) };
  }
  const bad = (counts.failed ?? 0) + (counts.timedOut ?? 0);
  const first = state.problems[0];
  const tally = `${formatCount(bad)} of ${plural(nodes, 'node')} failed${skippedText}`;
  const line = `run partial in ${formatSeconds(makespanMs)}: ${tally}${first ? `; first: ${describeFailure(first)}` : ''}`;
  return options.allowPartial ? { exitCode: EXIT_CODES.ok, line: oneLine(`⚠ ${line} (allowed)`) } : { exitCode: EXIT_CODES.runFailed, line: oneLine(`✗ ${line}`) };
}

/**
 * The line for a run that was cancelled (Ctrl-C) before it completed.
 *
 * ## Example
 * ```ts
 * import { interruptedVerdict } from './verdict.js';
 * interruptedVerdict(state, Date.now()).line; // '✗ run interrupted after 2.41s: 9/15 nodes ended; in-flight calls aborted'
 * ```
 */
export function interruptedVerdict(state: LiveRunState, now: number): Verdict {
  const elapsed = state.startedAt === undefined ? 0 : now - state.startedAt;
  return {
    exitCode: EXIT_CODES.interrupted,
    line: `✗ run interrupted after ${formatSeconds(elapsed)}: ${formatCount(state.ended)}/${formatCount(state.order.length)} ${noun(state.order.length, 'node')} ended; in-flight calls aborted`,
  };
}

function describeFailure(node: LiveNode, id = node.id): string {
  const how = node.state === 'timedOut' ? 'timed out' : node.state === 'skipped' ? 'was skipped' : 'failed';
  const tries = node.attempts > 0 ? ` (${plural(node.attempts, 'attempt')})` : '';
  return `node '${id}' ${how}${node.note ? `: ${node.note}` : ''}${tries}`;
}
