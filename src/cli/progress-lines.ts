import type { RunEvent } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';
import type { LiveRunState } from './live-state.js';
import { formatCost, formatCount, formatError, formatSeconds } from './format.js';

/**
 * The plain progress line for an event, for logs and pipes (CI): the seconds since the run
 * started, an icon and what happened, e.g. `   1.21s ✓ plan 1.21s  412 tok $0.0031`. Undefined for
 * events that get no line (queued, tokens, usage, rate-limit waits, agent steps and tool calls
 * that succeeded: an agent's failed tool calls and its end get a line). Call it after
 * `state.apply(event)`, which supplies the run's start and each node's tokens and cost. Pure.
 *
 * ## Example
 * ```ts
 * import { LiveRunState } from './live-state.js';
 * import { progressLine } from './progress-lines.js';
 * const state = new LiveRunState();
 * execute(g).subscribe((event) => {
 *   state.apply(event);
 *   const line = progressLine(event, state);
 *   if (line !== undefined) process.stdout.write(`${line}\n`);
 * });
 * ```
 */
export function progressLine(event: RunEvent, state: LiveRunState): string | undefined {
  const text = describe(event, state);
  return text === undefined ? undefined : `${formatSeconds(event.at - (state.startedAt ?? event.at)).padStart(8)} ${text}`;
}

function describe(event: RunEvent, state: LiveRunState): string | undefined {
  switch (event.type) {
    case 'run.started':
      return `▶ run ${event.runId} started: ${plural(event.nodes.length, 'node')}, concurrency ${event.concurrency === Infinity ? '∞' : event.concurrency}` +
        (event.costEstimate ? `, estimated ${formatCost(event.costEstimate.totalUsd)} of a ${formatCost(event.costEstimate.maxUsd)} budget` : '');
    case 'node.started':
      return event.attempt === 1 ? `▶ ${event.nodeId} started` : `▶ ${event.nodeId} attempt ${event.attempt}`;
    case 'node.retrying':
      return `↻ ${event.nodeId} attempt ${event.attempt} failed (${formatError(event.error)}): retry in ${formatSeconds(event.delayMs)}`;
    case 'node.succeeded':
      return `✓ ${event.nodeId} ${formatSeconds(event.durationMs)}${attempts(event.attempts)}${spend(event.nodeId, state)}`;
    case 'node.fellBack':
      return `↩ ${event.nodeId} fell back after ${event.reason === 'timedOut' ? 'timing out' : 'failing'} (${formatError(event.error)})${attempts(event.attempts)}${spend(event.nodeId, state)}`;
    case 'node.failed':
      return `✗ ${event.nodeId} failed after ${event.attempts} attempt${event.attempts === 1 ? '' : 's'}: ${formatError(event.error)}`;
    case 'node.timedOut':
      return `⏱ ${event.nodeId} timed out (${formatSeconds(event.timeoutMs)} per attempt, ${event.attempts} attempt${event.attempts === 1 ? '' : 's'})`;
    case 'node.skipped':
      return `⤼ ${event.nodeId} skipped (${describeSkip(event.cause)})`;
    case 'tool.failed':
      return `⚠ ${event.nodeId} tool ${event.tool} failed at step ${event.step} (${formatError(event.error)})${event.handling === 'fatal' ? ': failing the node' : ': reported to the model'}`;
    case 'agent.finished':
      return `◆ ${event.nodeId} agent finished (${event.reason}): ${plural(event.steps, 'step')}, ${plural(event.toolCalls, 'tool call')}`;
    case 'budget.exceeded':
      return `$ budget exceeded at ${event.nodeId}: spent ${formatCost(event.spentUsd)} of ${formatCost(event.maxUsd)}; stopping`;
    case 'circuit.opened':
      return `⚡ circuit ${event.breaker} opened${event.failures !== undefined ? ` after ${event.failures} failures` : ''}`;
    case 'circuit.closed':
      return `⚡ circuit ${event.breaker} closed`;
    case 'run.completed': {
      const { status, makespanMs, attempts: tries, retries, usage, counts, nodes } = event.summary;
      const ok = (counts.succeeded ?? 0) + (counts.fellBack ?? 0);
      return `■ run ${status} in ${formatSeconds(makespanMs)}: ${formatCount(ok)}/${formatCount(nodes)} nodes ok, ${plural(tries, 'attempt')}, ${plural(retries, 'retry', 'retries')}, ${formatCount(usage.total.inputTokens + usage.total.outputTokens)} tok, ${formatCost(usage.total.costUsd)}`;
    }
    default:
      return undefined;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;
const attempts = (n: number) => (n > 1 ? ` after ${n} attempts` : '');

function spend(nodeId: string, state: LiveRunState): string {
  const node = state.nodes.get(nodeId);
  return node && node.tokens > 0 ? `  ${formatCount(node.tokens)} tok ${formatCost(node.costUsd)}` : '';
}
