import type { RunEvent } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';
import type { LiveNode, LiveRunState } from './live-state.js';
import { formatCost, formatCount, formatError, formatSeconds, noun, plural } from './format.js';
import { groupProgress, payloadPreview, type LiveGroup } from './live-groups.js';

/** A fan-out with more children than this gets progress lines (every tenth) instead of a line per child. */
export const GROUP_LINES_MAX = 20;
/** Of such a fan-out, the first this many failed children get their own line. */
const GROUP_FAILURES_SHOWN = 5;

/**
 * The plain progress line for an event, for logs and pipes (CI): the seconds since the run
 * started, an icon and what happened, e.g. `   1.21s ✓ plan 1.21s  412 tok $0.0031`. Undefined for
 * events that get no line (queued, tokens, usage, rate-limit waits, agent steps and tool calls
 * that succeeded: an agent's failed tool calls and its end get a line). A node restored from a
 * checkpoint (`resume`) says so (`✓ plan restored from the checkpoint`). A fan-out or subgraph
 * that adds nodes gets a line (`⊕ explore fanned out: 1,000 children`); the children of a fan-out
 * with more than {@link GROUP_LINES_MAX} get none each, but the fan-out gets a progress line at
 * every tenth of them ended (`◦ explore [400/1,000 done, 8 running, 1 failed]`), and its first
 * failed children a line each. A node that waits for approval gets a line with what it asks
 * (`⏸ send awaiting approval: {"to":"team"}`), and the decision one. A `run.snapshot` (a run
 * joined late) says where the run stands (`◆ joined run r1 in progress: 4/9 nodes ended, …`). Call it after
 * `state.apply(event)`, which supplies the run's start, each node's tokens and cost and the
 * fan-outs' progress. Pure.
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
  if ('nodeId' in event && state.groups.size > 0) {
    const parent = state.nodes.get(event.nodeId)?.parent;
    const group = parent === undefined ? undefined : state.groups.get(parent);
    if (group && group.children.length > GROUP_LINES_MAX) return childOfBigGroup(event, state, group);
  }
  return describeEvent(event, state);
}

function describeEvent(event: RunEvent, state: LiveRunState): string | undefined {
  switch (event.type) {
    case 'node.expanded':
      return event.kind === 'forEach'
        ? `⊕ ${event.nodeId} fanned out: ${plural(event.nodes.length, 'child', 'children')}`
        : `⊕ ${event.nodeId} runs its subgraph: ${plural(event.nodes.length, 'node')}`;
    case 'node.waiting':
      return `⏸ ${event.nodeId} awaiting approval${event.timeoutMs === null ? '' : ` (for ${formatSeconds(event.timeoutMs)})`}: ${payloadPreview(event.payload, 200)}`;
    case 'node.decided':
      return `${event.approve ? '☑' : '☒'} ${event.nodeId} ${event.approve ? 'approved' : 'rejected'}${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
    case 'run.started':
      return `▶ run ${event.runId} started: ${plural(event.nodes.length, 'node')}, concurrency ${event.concurrency === Infinity ? '∞' : event.concurrency}` +
        (event.costEstimate ? `, estimated ${formatCost(event.costEstimate.totalUsd)} of a ${formatCost(event.costEstimate.maxUsd)} budget` : '');
    case 'node.started':
      return event.attempt === 1 ? `▶ ${event.nodeId} started` : `▶ ${event.nodeId} attempt ${event.attempt}`;
    case 'node.retrying':
      return `↻ ${event.nodeId} attempt ${event.attempt} failed (${formatError(event.error)}): retry in ${formatSeconds(event.delayMs)}`;
    case 'node.succeeded':
      if (event.restored) return `✓ ${event.nodeId} restored from the checkpoint`;
      return `✓ ${event.nodeId} ${formatSeconds(event.durationMs)}${attempts(event.attempts)}${spend(event.nodeId, state)}`;
    case 'node.fellBack':
      if (event.restored) return `↩ ${event.nodeId} restored from the checkpoint (its fallback's value)`;
      return `↩ ${event.nodeId} fell back after ${event.reason === 'timedOut' ? 'timing out' : 'failing'} (${formatError(event.error)})${attempts(event.attempts)}${spend(event.nodeId, state)}`;
    case 'node.failed':
      return `✗ ${event.nodeId} failed after ${plural(event.attempts, 'attempt')}: ${formatError(event.error)}`;
    case 'node.timedOut':
      return `⏱ ${event.nodeId} timed out (${formatSeconds(event.timeoutMs)} per attempt, ${plural(event.attempts, 'attempt')})`;
    case 'node.skipped':
      return `⤼ ${event.nodeId} skipped (${describeSkip(event.cause)})`;
    case 'tool.failed':
      return `⚠ ${event.nodeId} tool ${event.tool} failed at step ${event.step} (${formatError(event.error)})${event.handling === 'fatal' ? ': failing the node' : ': reported to the model'}`;
    case 'agent.finished':
      return `◆ ${event.nodeId} agent finished (${event.reason}): ${plural(event.steps, 'step')}, ${plural(event.toolCalls, 'tool call')}`;
    case 'budget.exceeded':
      return `$ budget exceeded at ${event.nodeId}: spent ${formatCost(event.spentUsd)} of ${formatCost(event.maxUsd)}; stopping`;
    case 'circuit.opened':
      return `⚡ circuit ${event.breaker} opened${event.failures !== undefined ? ` after ${plural(event.failures, 'failure')}` : ''}`;
    case 'circuit.closed':
      return `⚡ circuit ${event.breaker} closed`;
    case 'run.snapshot': {
      // a run joined late (`watch`): where it stands, from the state the snapshot gave
      const total = state.order.length;
      const inFlight = state.counts.running + state.counts.retrying;
      const where = event.summary ? `completed (${event.summary.status})` : 'in progress';
      return `◆ joined run ${event.runId} ${where}: ${formatCount(state.ended)}/${formatCount(total)} ${noun(total, 'node')} ended, ${formatCount(inFlight)} running, ${plural(state.retries, 'retry', 'retries')}, ${formatCount(state.tokens)} tok, ${formatCost(state.costUsd)}`;
    }
    case 'run.completed': {
      const { status, makespanMs, attempts: tries, retries, usage, counts, nodes } = event.summary;
      const ok = (counts.succeeded ?? 0) + (counts.fellBack ?? 0);
      return `■ run ${status} in ${formatSeconds(makespanMs)}: ${formatCount(ok)}/${formatCount(nodes)} ${noun(nodes, 'node')} ok, ${plural(tries, 'attempt')}, ${plural(retries, 'retry', 'retries')}, ${formatCount(usage.total.inputTokens + usage.total.outputTokens)} tok, ${formatCost(usage.total.costUsd)}`;
    }
    default:
      return undefined;
  }
}

/**
 * A line for an event of a child of a big fan-out: its failure (the first few), and the fan-out's
 * progress when the child's end crosses a tenth of the children; nothing for the rest.
 */
function childOfBigGroup(event: RunEvent, state: LiveRunState, group: LiveGroup<LiveNode>): string | undefined {
  if (event.type === 'node.waiting' || event.type === 'node.decided') return describeEvent(event, state);
  if (!(event.type === 'node.succeeded' || event.type === 'node.fellBack' || event.type === 'node.failed' || event.type === 'node.timedOut' || event.type === 'node.skipped')) return undefined;
  const c = group.counts;
  const total = group.children.length;
  const ended = c.succeeded + c.fellBack + c.failed + c.timedOut + c.skipped;
  const failures = c.failed + c.timedOut;
  const lines: string[] = [];
  if ((event.type === 'node.failed' || event.type === 'node.timedOut') && failures <= GROUP_FAILURES_SHOWN) {
    lines.push(describeEvent(event, state)! + (failures === GROUP_FAILURES_SHOWN ? ` (further failed children of ${group.id} are counted in its progress lines)` : ''));
  }
  if (Math.floor((ended * 10) / total) > Math.floor(((ended - 1) * 10) / total)) lines.push(`◦ ${group.id} ${groupProgress(group)}`);
  return lines.length === 0 ? undefined : lines.join(`\n${' '.repeat(9)}`);
}

const attempts = (n: number) => (n > 1 ? ` after ${n} attempts` : '');

function spend(nodeId: string, state: LiveRunState): string {
  const node = state.nodes.get(nodeId);
  return node && node.tokens > 0 ? `  ${formatCount(node.tokens)} tok ${formatCost(node.costUsd)}` : '';
}
