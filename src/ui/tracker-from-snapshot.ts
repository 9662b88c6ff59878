import type { EventOf, RunEvent } from '../run/events.js';
import { RunTracker } from '../run/run-tracker.js';

/**
 * A {@link RunTracker} that starts from a `run.snapshot` (what a dashboard receives when it
 * subscribes to a shared run that has already started), so that its own snapshots, handed to the
 * browsers that connect later, say the same. The snapshot is replayed as the few events that lead
 * to each node's state. Pure.
 */
export function trackerFromSnapshot(snapshot: EventOf<'run.snapshot'>): RunTracker {
  const tracker = new RunTracker();
  for (const event of eventsOfSnapshot(snapshot)) tracker.apply(event);
  return tracker;
}

/** Events that bring an empty tracker to the snapshot's state (the snapshot itself last, for its time). */
function* eventsOfSnapshot(snapshot: EventOf<'run.snapshot'>): Generator<RunEvent> {
  const { runId } = snapshot;
  const starts = Object.values(snapshot.states).flatMap((view) => (view.startedAt === undefined ? [] : [view.startedAt]));
  const startedAt = starts.length > 0 ? Math.min(...starts) : snapshot.at;
  yield { type: 'run.started', runId, at: startedAt, concurrency: 0, nodes: snapshot.nodes };
  const ended = new Map(snapshot.ended.map((event) => [event.nodeId, event]));
  for (const [nodeId, view] of Object.entries(snapshot.states)) {
    const at = view.startedAt ?? snapshot.at;
    if (view.state !== 'pending' && view.state !== 'skipped') yield { type: 'node.queued', runId, nodeId, at, priority: 0 };
    if (view.startedAt !== undefined) yield { type: 'node.started', runId, nodeId, at, attempt: Math.max(1, view.attempts) };
    if (view.state === 'retrying') yield { type: 'node.retrying', runId, nodeId, at, attempt: view.attempts, delayMs: 0, error: { name: 'Error', message: '' } };
    if (view.tokens !== undefined || view.costUsd !== undefined) {
      yield {
        type: 'node.usage',
        runId,
        nodeId,
        at,
        attempt: Math.max(1, view.attempts),
        model: 'snapshot',
        usage: { inputTokens: view.tokens ?? 0, outputTokens: 0 },
        costUsd: view.costUsd ?? 0,
      };
    }
    const end = ended.get(nodeId);
    if (end) yield end;
  }
  if (snapshot.summary) yield { type: 'run.completed', runId, at: snapshot.at, summary: snapshot.summary };
  yield snapshot;
}
