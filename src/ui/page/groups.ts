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

/** Counts by state, all zero. */
export const zeroCounts = (): Record<NodeState, number> => ({ pending: 0, waiting: 0, queued: 0, running: 0, retrying: 0, succeeded: 0, fellBack: 0, failed: 0, timedOut: 0, skipped: 0 });

/**
 * The parent of a node a fan-out or subgraph added, from its id (a snapshot lists nodes without
 * it): the longest prefix ending before `[` or `/` that is a node (`explore[3]` → `explore`).
 */
export function parentFromId(id: string, isNode: (id: string) => boolean): string | undefined {
  for (let i = id.length - 1; i > 0; i--) {
    const ch = id[i];
    if ((ch === '[' || ch === '/') && isNode(id.slice(0, i))) return id.slice(0, i);
  }
  return undefined;
}

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
