import type { EventOf } from '../run/events.js';
import { RunTracker } from '../run/run-tracker.js';

/**
 * A {@link RunTracker} that starts from a `run.snapshot` (what a dashboard receives when it
 * subscribes to a shared run that has already started), so that its own snapshots, handed to the
 * browsers that connect later, say the same. The run's reducer takes a snapshot as a late start
 * (the state so far, then the end events in the order they came). Pure.
 *
 * ## Example
 * ```ts
 * const tracker = trackerFromSnapshot(snapshot);
 * tracker.apply(nextEvent);
 * tracker.snapshot(); // the snapshot's state, moved on by nextEvent
 * ```
 */
export function trackerFromSnapshot(snapshot: EventOf<'run.snapshot'>): RunTracker {
  const tracker = new RunTracker();
  tracker.apply(snapshot);
  return tracker;
}
