import type { Graph } from '../graph/graph.js';

/**
 * True when `id` can be a node of a run of `graph`: one of its nodes, or a child a fan-out or a
 * subgraph of it adds at run time (`explore[3]`, `explore/src/a.ts`, `research/outline`, nested
 * ones included). Used to refuse, before a run, checkpoints and decisions naming nodes the graph
 * cannot have. Pure.
 * @internal
 */
export function isRunNodeId(graph: Graph<unknown, unknown>, id: string): boolean {
  if (graph.indexOf.has(id)) return true;
  for (const node of graph.nodes) {
    if (node.forEach === undefined && node.subgraph === undefined) continue;
    if (!id.startsWith(node.id)) continue;
    const rest = id.slice(node.id.length);
    if (node.forEach !== undefined) {
      if (node.forEach.key ? rest.startsWith('/') && rest.length > 1 : /^\[\d+\]/.test(rest)) {
        // A child of the fan-out; deeper ids belong to the subgraph each child runs, if any.
        const child = node.forEach.key ? undefined : rest.match(/^\[\d+\]/)![0];
        if (child === undefined || rest === child) return true;
        if (node.subgraph !== undefined && rest[child.length] === '/') return isRunNodeId(node.subgraph.graph, rest.slice(child.length + 1));
      }
      continue;
    }
    if (rest.startsWith('/') && isRunNodeId(node.subgraph!.graph, rest.slice(1))) return true;
  }
  return false;
}
