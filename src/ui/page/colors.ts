import type { BarOutcome, NodeState } from './model.js';

/** Fill of a node in each state (the legend, the graph and the state chips). */
export const STATE_COLORS: Record<NodeState, string> = {
  pending: '#cbd5e1',
  waiting: '#d946ef',
  queued: '#93c5fd',
  running: '#3b82f6',
  retrying: '#f59e0b',
  succeeded: '#22c55e',
  fellBack: '#a855f7',
  failed: '#ef4444',
  timedOut: '#f97316',
  skipped: '#a8a29e',
};

/** Fill of a Gantt bar by how the attempt ended. */
export const OUTCOME_COLORS: Record<BarOutcome, string> = {
  running: STATE_COLORS.running,
  retried: '#fca5a5',
  succeeded: STATE_COLORS.succeeded,
  failed: STATE_COLORS.failed,
  timedOut: STATE_COLORS.timedOut,
  fellBack: STATE_COLORS.fellBack,
  cancelled: STATE_COLORS.skipped,
};

/** Text that reads on a fill of that state. */
export function inkOn(state: NodeState): string {
  return state === 'pending' || state === 'queued' || state === 'skipped' ? '#0f172a' : '#ffffff';
}
