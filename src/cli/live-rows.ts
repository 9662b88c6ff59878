import type { LiveNode, LiveRunState } from './live-state.js';
import { formatCount } from './format.js';
import { groupProgress } from './live-groups.js';

/**
 * One row of the live view under its header: a node (indented `depth` levels under the fan-out or
 * subgraph that added it; with `group`, the progress of the children it added), or a title.
 *
 * ## Example
 * ```ts
 * import type { LiveRow } from './live-rows.js';
 * const row: LiveRow = { node, depth: 0, group: '[412/1,000 done, 3 running, 1 failed]' };
 * ```
 */
export type LiveRow = { readonly node: LiveNode; readonly depth: number; readonly group?: string } | string;

/** Groups up to this many children are listed child by child when the whole graph does not fit. */
const SMALL_GROUP = 6;

/**
 * The rows of the live view for `room` lines, from the most to the least detailed that fits:
 * 1. every node, children indented under the node that added them;
 * 2. the graph's own nodes, each fan-out or subgraph as one row with its children's progress
 *    (`explore … [412/1,000 done, 3 running, 1 failed]`), small groups listed, children waiting
 *    for approval always listed under their node, then failed children with the room left;
 * 3. for a graph too big for that: titled lists of the nodes awaiting approval, the fan-outs in
 *    progress, the nodes in flight and the failed ones, each cut with `… and N more`.
 * Waiting nodes are never left out while there is a line for them. The work is proportional to
 * the rows drawn (and to the groups, in case 3), not to the graph. Pure.
 *
 * ## Example
 * ```ts
 * import { liveRows } from './live-rows.js';
 * const rows = liveRows(state, 28);
 * ```
 */
export function liveRows(state: LiveRunState, room: number): LiveRow[] {
  if (room <= 0 || state.order.length === 0) return [];
  if (state.order.length <= room) return state.groups.size === 0 ? state.order.map((node) => ({ node, depth: 0 })) : treeRows(state);
  if (state.roots.length <= room) return collapsedRows(state, room);
  return bigGraphRows(state, room);
}

const rowOf = (state: LiveRunState, node: LiveNode, depth: number): LiveRow => {
  const group = state.groups.get(node.id);
  return group ? { node, depth, group: groupProgress(group) } : { node, depth };
};

/** Every node, children under their parent (depth first). */
function treeRows(state: LiveRunState): LiveRow[] {
  const rows: LiveRow[] = [];
  const visit = (node: LiveNode, depth: number) => {
    rows.push(rowOf(state, node, depth));
    for (const child of state.groups.get(node.id)?.children ?? []) visit(child, depth + 1);
  };
  for (const root of state.roots) visit(root, 0);
  return rows;
}

/** The graph's own nodes with their groups' progress; small groups and waiting children listed; failed children with the room left. */
function collapsedRows(state: LiveRunState, room: number): LiveRow[] {
  const waitingUnder = new Map<LiveNode, LiveNode[]>(); // root -> its waiting descendants
  for (const node of state.waiting) {
    if (node.parent === undefined) continue;
    const root = rootOf(state, node);
    waitingUnder.set(root, [...(waitingUnder.get(root) ?? []), node]);
  }
  let spare = room - state.roots.length - [...waitingUnder.values()].reduce((n, list) => n + list.length, 0);
  const rows: LiveRow[] = [];
  for (const root of state.roots) {
    if (rows.length >= room) break;
    rows.push(rowOf(state, root, 0));
    const group = state.groups.get(root.id);
    const waiting = waitingUnder.get(root) ?? [];
    if (group && group.children.length <= SMALL_GROUP && group.children.length - waiting.filter((n) => n.parent === root.id).length <= spare) {
      for (const child of group.children) {
        if (child.state !== 'waiting') spare -= 1;
        rows.push(rowOf(state, child, 1));
      }
      for (const node of waiting) if (node.parent !== root.id) rows.push(rowOf(state, node, 2));
      continue;
    }
    for (const node of waiting) rows.push(rowOf(state, node, 1));
  }
  const failedChildren = state.problems.filter((node) => node.parent !== undefined && !rows.some((row) => typeof row !== 'string' && row.node === node));
  rows.push(...section(`failed children (${formatCount(failedChildren.length)})`, failedChildren, failedChildren.length, Math.min(spare, room - rows.length)));
  return rows.slice(0, room);
}

function rootOf(state: LiveRunState, node: LiveNode): LiveNode {
  let at = node;
  for (let parent = at.parent; parent !== undefined; parent = at.parent) {
    const up = state.nodes.get(parent);
    if (!up) break;
    at = up;
  }
  return at;
}

/**
 * Rows for a graph too big to list: the nodes awaiting approval, the fan-outs and subgraphs in
 * progress, the failed nodes (the first ones: root causes come first) and the nodes in flight
 * (longest running first), each under a title and cut to fit `room`.
 */
function bigGraphRows(state: LiveRunState, room: number): LiveRow[] {
  const { problems, active, waiting } = state;
  const quarter = Math.max(2, Math.floor(room / 4));
  const waitingRoom = Math.min(waiting.size === 0 ? 0 : waiting.size + 1, room, quarter);
  const groups: LiveNode[] = [];
  for (const group of state.groups.values()) {
    const parent = state.nodes.get(group.id);
    if (parent && (parent.state === 'running' || parent.state === 'retrying')) groups.push(parent);
  }
  const groupRoom = Math.min(groups.length === 0 ? 0 : groups.length + 1, room - waitingRoom, quarter);
  const rest = room - waitingRoom - groupRoom;
  const wantProblems = problems.length === 0 ? 0 : problems.length + 1; // a title and every node
  const wantActive = active.size === 0 ? 0 : active.size + 1;
  // Failures get up to a third of the rest (at least 2 lines), in-flight nodes the rest, and
  // whatever one list leaves unused goes to the other.
  let problemRoom = Math.max(0, Math.min(wantProblems, rest, Math.max(2, Math.floor(rest / 3))));
  const activeRoom = Math.max(0, Math.min(wantActive, rest - problemRoom));
  problemRoom = Math.max(0, Math.min(wantProblems, rest - activeRoom));
  return [
    ...section(`awaiting approval (${formatCount(waiting.size)})`, waiting, waiting.size, waitingRoom),
    ...section(`fan-outs in progress (${formatCount(groups.length)})`, groups, groups.length, groupRoom).map((row) => (typeof row === 'string' ? row : rowOf(state, row.node, 0))),
    ...section(`in flight (${formatCount(active.size)})`, active, active.size, activeRoom),
    ...section(`failed (${formatCount(problems.length)})`, problems, problems.length, problemRoom),
  ];
}

/** A title and the first nodes of a list, with `… and N more` when they do not all fit in `room` lines. */
function section(title: string, nodes: Iterable<LiveNode>, count: number, room: number): LiveRow[] {
  if (room <= 0 || count === 0) return [];
  const rows: LiveRow[] = [title];
  if (room === 1) return rows;
  const fits = count + 1 <= room;
  const take = fits ? count : room - 2;
  let k = 0;
  for (const node of nodes) {
    if (k++ >= take) break;
    rows.push({ node, depth: 0 });
  }
  if (!fits) rows.push(`  … and ${formatCount(count - take)} more`);
  return rows;
}
