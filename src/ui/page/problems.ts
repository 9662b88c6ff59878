/**
 * Which nodes need a look in a large run, and finding nodes by id: the "problems only" filter, the
 * graph's and timeline's highlights and the search box read these. Pure; runs in the browser and in Node.
 */
import type { NodeState } from '../../run/run-state.js';

/** States that are a problem by themselves (a node that retried is one too, whatever its state). */
export const PROBLEM_STATES: ReadonlySet<NodeState> = new Set<NodeState>(['failed', 'timedOut', 'fellBack', 'retrying']);

/** What makes a node a problem: `failed`, `timedOut`, `fellBack`, `retrying`, `retried` (more than one attempt), or undefined. */
export type ProblemKind = 'failed' | 'timedOut' | 'fellBack' | 'retrying' | 'retried';

/**
 * Why a node needs a look, the worst reason first, or undefined when it needs none.
 *
 * ```ts
 * problemOf({ state: 'succeeded', attempts: 2 }); // 'retried'
 * problemOf({ state: 'running', attempts: 1 }); // undefined
 * ```
 */
export function problemOf(node: { readonly state: NodeState; readonly attempts: number }): ProblemKind | undefined {
  if (PROBLEM_STATES.has(node.state)) return node.state as ProblemKind;
  return node.attempts > 1 ? 'retried' : undefined;
}

/** Whether a node failed, timed out, fell back, is retrying or was retried. */
export const isProblem = (node: { readonly state: NodeState; readonly attempts: number }): boolean => problemOf(node) !== undefined;

/** The problem nodes among these, in their order. */
export function problemNodes<N extends { readonly state: NodeState; readonly attempts: number }>(nodes: readonly N[]): N[] {
  return nodes.filter(isProblem);
}

/**
 * Nodes whose id contains the query (case-insensitive, trimmed), in their order; none for an
 * empty query. An exact id comes first, so Enter jumps to it.
 *
 * ```ts
 * findNodes([{ id: 'fetch_12' }, { id: 'fetch_1' }], 'fetch_1').map((n) => n.id); // ['fetch_1', 'fetch_12']
 * ```
 */
export function findNodes<N extends { readonly id: string }>(nodes: readonly N[], query: string): N[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const found: N[] = [];
  let exact: N | undefined;
  for (const node of nodes) {
    const id = node.id.toLowerCase();
    if (id === q) exact = node;
    else if (id.includes(q)) found.push(node);
  }
  return exact ? [exact, ...found] : found;
}
