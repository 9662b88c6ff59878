/**
 * A layered left-to-right layout in linear time, for graphs too large to read node by node (the
 * canvas renderer's thousands of 12 x 6 px boxes): columns by longest path from the roots, each
 * column ordered by the mean row of its nodes' dependencies (one sweep, ties in definition order),
 * columns centred on the tallest, and every edge one straight segment between box centres. Pure.
 *
 * Why not d3-dag here, as for smaller graphs: its Sugiyama layout inserts a dummy node per layer an
 * edge crosses and routes edges through them. On the dashboard benches' 10,000-node run (19,591
 * edges) that took 370-510 ms in Node (stratify + sugiyama with its fastest operators) and more in a
 * page's worker, most of a late page's time to its first drawing; this takes a few ms. At this size
 * the drawing is an overview whose edges are hairlines, so routed bends buy nothing the reader sees.
 */
import type { GridBox, GridPlacement } from './grid-layout.js';

/** A node to place: its id and the ids it depends on (ids not in the list are ignored). */
export interface LayeredNode {
  readonly id: string;
  readonly deps: readonly string[];
}

/**
 * Places `nodes` (index order = definition order) in columns by dependency depth; the result has
 * the layout worker's shape: centres by index, the drawing's size, one two-point polyline per edge.
 *
 * ```ts
 * const placed = layeredLayout([{ id: 'a', deps: [] }, { id: 'b', deps: ['a'] }], { nodeWidth: 12, nodeHeight: 6, gapX: 14, gapY: 2 });
 * placed.x[1] > placed.x[0]; // true: b is a column to the right of a
 * ```
 */
export function layeredLayout(nodes: readonly LayeredNode[], box: GridBox): GridPlacement {
  const n = nodes.length;
  const indexOf = new Map<string, number>();
  nodes.forEach((node, i) => indexOf.set(node.id, i));
  // Dependencies as index lists (duplicates and self-edges dropped), and their reverse.
  const parents: number[][] = nodes.map((node, i) => [...new Set(node.deps.map((d) => indexOf.get(d)).filter((p): p is number => p !== undefined && p !== i))]);
  const children: number[][] = nodes.map(() => []);
  parents.forEach((ps, i) => ps.forEach((p) => children[p]!.push(i)));
  const layer = longestPathLayers(parents, children);
  const layers: number[][] = [];
  for (let i = 0; i < n; i++) (layers[layer[i]!] ??= []).push(i);
  const row = new Float64Array(n);
  for (const column of layers) {
    if (!column) continue;
    const keyed = column.map((i) => ({ i, key: parents[i]!.length === 0 ? -1 : mean(parents[i]!.map((p) => row[p]!)) }));
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    keyed.forEach(({ i }, r) => (row[i] = r));
  }
  const cellW = box.nodeWidth + box.gapX;
  const cellH = box.nodeHeight + box.gapY;
  let tallest = 1;
  for (const column of layers) tallest = Math.max(tallest, column?.length ?? 0);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const offset = ((tallest - layers[layer[i]!]!.length) * cellH) / 2;
    x[i] = layer[i]! * cellW + box.nodeWidth / 2;
    y[i] = offset + row[i]! * cellH + box.nodeHeight / 2;
  }
  const edges = parents.reduce((sum, ps) => sum + ps.length, 0);
  const edgeOffsets = new Uint32Array(edges + 1);
  const edgePoints = new Float64Array(edges * 4);
  let e = 0;
  parents.forEach((ps, i) => {
    for (const p of ps) {
      edgeOffsets[e] = e * 4;
      edgePoints.set([x[p]!, y[p]!, x[i]!, y[i]!], e * 4);
      e += 1;
    }
  });
  edgeOffsets[edges] = edges * 4;
  return { x, y, width: Math.max(1, layers.length) * cellW - box.gapX, height: tallest * cellH - box.gapY, edgeOffsets, edgePoints };
}

/** Each node's column: the longest chain of dependencies above it (Kahn's order; nodes on a cycle, which a run's graph never has, stay in column 0). */
function longestPathLayers(parents: readonly number[][], children: readonly number[][]): Uint32Array {
  const n = parents.length;
  const layer = new Uint32Array(n);
  const waiting = Uint32Array.from(parents, (ps) => ps.length);
  const ready: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  for (let head = 0; head < ready.length; head++) {
    const i = ready[head]!;
    for (const c of children[i]!) {
      if (layer[i]! + 1 > layer[c]!) layer[c] = layer[i]! + 1;
      if (--waiting[c]! === 0) ready.push(c);
    }
  }
  return layer;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
