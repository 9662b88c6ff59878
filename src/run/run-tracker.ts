import type { EventOf, NodeEndEvent, NodeView, RunEvent, RunSummary } from './events.js';
import { STATUS_OF_END_EVENT, isNodeEndEvent } from './events.js';
import { idRecord } from './id-record.js';

/**
 * Folds a run's events into its state so far: one {@link NodeView} per node, each ended node's
 * end event, and the summary once completed. Memory is bounded by the graph's size, not by the
 * number of events (token streams and retries do not accumulate). The source of `run.snapshot`.
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
  #started: EventOf<'run.started'> | undefined;
  readonly #views = new Map<string, NodeView>();
  readonly #ended = new Map<string, NodeEndEvent>();
  #lastAt = 0;
  #summary: RunSummary | undefined;

  /** Takes one event into account. */
  apply(event: RunEvent): void {
    this.#lastAt = event.at;
    if (isNodeEndEvent(event)) {
      this.#ended.set(event.nodeId, event);
      this.#update(event.nodeId, { state: STATUS_OF_END_EVENT[event.type], endedAt: event.at });
      return;
    }
    switch (event.type) {
      case 'run.started':
        this.#started = event;
        for (const node of event.nodes) this.#views.set(node.id, { state: 'pending', attempts: 0 });
        return;
      case 'run.completed':
        this.#summary = event.summary;
        return;
      case 'node.queued':
        this.#update(event.nodeId, { state: 'queued' });
        return;
      case 'node.started': {
        const view = this.#views.get(event.nodeId);
        this.#update(event.nodeId, { state: 'running', attempts: event.attempt, startedAt: view?.startedAt ?? event.at });
        return;
      }
      case 'node.retrying':
        this.#update(event.nodeId, { state: 'retrying' });
        return;
      case 'node.usage': {
        const view = this.#views.get(event.nodeId);
        this.#update(event.nodeId, {
          tokens: (view?.tokens ?? 0) + event.usage.inputTokens + event.usage.outputTokens,
          costUsd: (view?.costUsd ?? 0) + event.costUsd,
        });
        return;
      }
      case 'node.token':
      case 'run.snapshot':
        return;
    }
  }

  /** The state so far as a `run.snapshot` event; undefined before `run.started`. */
  snapshot(): EventOf<'run.snapshot'> | undefined {
    if (!this.#started) return undefined;
    return {
      type: 'run.snapshot',
      runId: this.#started.runId,
      at: this.#lastAt,
      nodes: this.#started.nodes,
      states: idRecord([...this.#views].map(([id, view]) => [id, { ...view }] as const)),
      ended: [...this.#ended.values()],
      ...(this.#summary ? { summary: this.#summary } : {}),
    };
  }

  #update(nodeId: string, change: Partial<NodeView>): void {
    const view = this.#views.get(nodeId) ?? { state: 'pending', attempts: 0 };
    this.#views.set(nodeId, { ...view, ...change });
  }
}
