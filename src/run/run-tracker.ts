import type { EventOf, NodeView, RunEvent } from './events.js';
import { idRecord } from './id-record.js';
import { RunState, type NodeInfo, type TrackedNode } from './run-state.js';

/**
 * Folds a run's events into its state so far (through the run's one reducer, the same the CLI's
 * live view, the dashboard and `runMetrics` fold with): one {@link NodeView} per node, each ended
 * node's end event, and the summary once completed. Memory is bounded by the graph's size, not by
 * the number of events (token streams and retries do not accumulate). The source of
 * `run.snapshot`; a `run.snapshot` applied to it (a run joined late) is the state it starts from.
 *
 * ## Example
 * ```ts
 * import { RunTracker } from 'rx-orchestra';
 * const tracker = new RunTracker();
 * execute(g).subscribe((event) => tracker.apply(event));
 * tracker.snapshot()?.states.outline.state; // 'running'
 * ```
 */
export class RunTracker {
  readonly #state = new RunState({ keepEnds: true });

  /** Takes one event into account. */
  apply(event: RunEvent): void {
    this.#state.apply(event);
  }

  /** The state so far as a `run.snapshot` event; undefined before `run.started` (or a `run.snapshot`). */
  snapshot(): EventOf<'run.snapshot'> | undefined {
    const state = this.#state;
    if (state.runId === undefined) return undefined;
    return {
      type: 'run.snapshot',
      runId: state.runId,
      at: state.lastAt ?? 0,
      nodes: state.graph as NodeInfo[], // the run's own list, as run.started carried it
      states: idRecord(state.order.map((node) => [node.id, viewOf(node)] as const)),
      ended: state.ended.map((node) => node.end!),
      ...(state.summary ? { summary: state.summary } : {}),
    };
  }
}

/** A node's state as `run.snapshot` tells it: times once known, tokens and cost once reported. */
function viewOf(node: TrackedNode): NodeView {
  const view: NodeView = { state: node.state, attempts: node.attempts };
  if (node.startedAt !== undefined) view.startedAt = node.startedAt;
  if (node.endedAt !== undefined) view.endedAt = node.endedAt;
  if (node.reportedUsage) {
    view.tokens = node.tokens;
    view.costUsd = node.costUsd;
  }
  if (node.waiting) view.waiting = { payload: node.waiting.payload, timeoutMs: node.waiting.timeoutMs };
  return view;
}
