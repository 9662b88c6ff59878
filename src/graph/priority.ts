/**
 * Longest remaining path of every node ("upward rank"): its own duration estimate plus the
 * largest rank among the nodes that depend on it. Nodes are given in topological order
 * (dependencies first) as indices; `dependents[i]` lists the indices depending on node i. Pure.
 *
 * The executor starts the ready node with the highest rank first, the classic critical-path
 * list-scheduling rule.
 */
export function remainingPathLengths(
  topoOrder: readonly number[],
  dependents: readonly (readonly number[])[],
  estimates: readonly number[],
): Float64Array {
  const rank = new Float64Array(estimates.length);
  for (let k = topoOrder.length - 1; k >= 0; k--) {
    const i = topoOrder[k]!;
    let longest = 0;
    for (const d of dependents[i]!) longest = Math.max(longest, rank[d]!);
    rank[i] = estimates[i]! + longest;
  }
  return rank;
}

/**
 * Kahn's topological order of node indices (dependencies first, ties in definition order).
 * Assumes an acyclic graph (see `validateShape`). Pure.
 */
export function topologicalOrder(depIndices: readonly (readonly number[])[], dependents: readonly (readonly number[])[]): number[] {
  const remaining = depIndices.map((deps) => deps.length);
  const order: number[] = [];
  for (let i = 0; i < remaining.length; i++) if (remaining[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const d of dependents[order[k]!]!) if (--remaining[d]! === 0) order.push(d);
  }
  return order;
}
