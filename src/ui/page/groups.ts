/**
 * Fan-outs and subgraphs on the page: the children a node added (`node.expanded`), their counts by
 * state, and which groups the graph panel draws collapsed. Pure; runs in the browser and in Node.
 */
import type { NodeState } from '../../run/run-state.js';

/** The children one fan-out or subgraph node added, with their counts by state (kept up to date). */
export interface GroupModel<N = unknown> {
  readonly id: string;
  /** Undefined when rebuilt from a snapshot, which does not say. */
  kind: 'forEach' | 'subgraph' | undefined;
  readonly children: N[];
  readonly counts: Record<NodeState, number>;
}

/** Groups with more children than this are drawn collapsed into their node (with a count badge) until expanded. */
export const COLLAPSE_ABOVE = 12;

/** A group's progress: `412/1,000 done · 3 running · 1 failed`. */
export function groupSummary(group: Pick<GroupModel, 'children' | 'counts'>): string {
  const c = group.counts;
  const parts = [`${(c.succeeded + c.fellBack).toLocaleString('en-US')}/${group.children.length.toLocaleString('en-US')} done`];
  const add = (n: number, label: string) => {
    if (n > 0) parts.push(`${n.toLocaleString('en-US')} ${label}`);
  };
  add(c.running + c.retrying, 'running');
  add(c.waiting, 'waiting');
  add(c.failed + c.timedOut, 'failed');
  add(c.skipped, 'skipped');
  return parts.join(' · ');
}
