import { graphFromNodes, type Graph, type NodeContext } from '../../src/index.js';
import type { ObservableInput } from 'rxjs';

/** The bench's seeded PRNG: the library's own (mulberry32). */
export { seededRandom as prng } from '../../src/models/random.js';

export interface LayeredDag {
  /** Node ids and their dependencies, layer by layer. */
  nodes: { id: string; deps: string[]; duration: number }[];
}

/**
 * A random layered DAG: `layers` x `width` nodes; each node past the first layer depends on
 * 1..maxDeps random nodes of the previous layer; durations uniform in [minDuration, maxDuration].
 */
export function layeredDag(
  random: () => number,
  { layers, width, maxDeps = 3, minDuration = 0, maxDuration = 0 }: { layers: number; width: number; maxDeps?: number; minDuration?: number; maxDuration?: number },
): LayeredDag {
  const nodes: LayeredDag['nodes'] = [];
  for (let l = 0; l < layers; l++) {
    for (let w = 0; w < width; w++) {
      const deps = new Set<string>();
      if (l > 0) {
        const count = 1 + Math.floor(random() * maxDeps);
        for (let k = 0; k < count; k++) deps.add(`L${l - 1}N${Math.floor(random() * width)}`);
      }
      const duration = minDuration + Math.floor(random() * (maxDuration - minDuration + 1));
      nodes.push({ id: `L${l}N${w}`, deps: [...deps], duration });
    }
  }
  return { nodes };
}

/** Builds a graph from a layered DAG with the given work per node. */
export function toGraph(
  dag: LayeredDag,
  work: (node: LayeredDag['nodes'][number]) => (ctx: NodeContext<Record<string, unknown>, unknown>) => ObservableInput<unknown>,
  useEstimates = true,
): Graph {
  return graphFromNodes(dag.nodes.map((node) => ({ id: node.id, deps: node.deps, run: work(node), ...(useEstimates ? { estimate: node.duration } : {}) })));
}

/** Lower bound of any schedule's makespan: max(critical path, total work / machines). */
export function makespanLowerBound(dag: LayeredDag, machines: number): { bound: number; criticalPath: number; workBound: number } {
  const finish = new Map<string, number>();
  let criticalPath = 0;
  let total = 0;
  for (const node of dag.nodes) {
    const start = Math.max(0, ...node.deps.map((d) => finish.get(d)!));
    finish.set(node.id, start + node.duration);
    criticalPath = Math.max(criticalPath, start + node.duration);
    total += node.duration;
  }
  const workBound = total / machines;
  return { bound: Math.max(criticalPath, workBound), criticalPath, workBound };
}
