import type { BarOutcome, NodeState } from './model.js';

/**
 * Fill of a node in each state (the legend, the graph and the state chips). Every pair is at least
 * 25 apart in CIELAB (ΔE*76; `test/ui/colors.test.ts` checks it), so that a state reads at a glance
 * even on a 12 × 6 px box: the states one confuses most are told apart by lightness as well as hue
 * (pending very light, skipped dark grey; retrying yellow, timedOut rust, failed red; waiting
 * magenta, fellBack violet).
 */
export const STATE_COLORS: Record<NodeState, string> = {
  pending: '#e2e8f0',
  waiting: '#d946ef',
  queued: '#93c5fd',
  running: '#2563eb',
  retrying: '#facc15',
  succeeded: '#22c55e',
  fellBack: '#6d28d9',
  failed: '#dc2626',
  timedOut: '#9a3412',
  skipped: '#78716c',
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

/** Outline of a node that needs a look (failed, timed out, fell back, retrying or retried) in the graph. */
export const PROBLEM_RING = '#b91c1c';
/** Outline of a node that matches the search. */
export const MATCH_RING = '#0891b2';

/** Text that reads on a fill of that state. */
export function inkOn(state: NodeState): string {
  return state === 'pending' || state === 'queued' || state === 'retrying' ? '#0f172a' : '#ffffff';
}
