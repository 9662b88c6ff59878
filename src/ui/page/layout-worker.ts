/**
 * Lays the DAG out with d3-dag's Sugiyama layout, in a Web Worker so that a 10,000-node graph
 * never blocks the page (events keep being applied while it works). Left to right: layers are
 * columns. Small graphs get the careful operators (two-layer crossing reduction with 24 passes,
 * greedy coordinates); large ones the linear-time ones (DFS ordering, centred coordinates).
 */
import type * as D3Dag from 'd3-dag';
import type { LayoutRequest, LayoutResponse } from './layout-protocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<LayoutRequest>) => void) | null;
  postMessage(message: LayoutResponse, transfer: Transferable[]): void;
  location: { href: string };
}
const scope = self as unknown as WorkerScope;

/** Above this many nodes, the fast operators. */
const CAREFUL_MAX_NODES = 400;

let d3dag: Promise<typeof D3Dag> | undefined;

scope.onmessage = (message) => {
  const request = message.data;
  const started = performance.now();
  void layout(request).then(
    (result) => {
      const response: LayoutResponse = { ...result, id: request.id, ok: true, ms: performance.now() - started };
      scope.postMessage(response, [result.x.buffer, result.y.buffer, result.edgeOffsets.buffer, result.edgePoints.buffer]);
    },
    (error: unknown) => scope.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }, []),
  );
};

async function layout(request: LayoutRequest): Promise<Omit<Extract<LayoutResponse, { ok: true }>, 'id' | 'ok' | 'ms'>> {
  const d3 = await (d3dag ??= import(new URL('/vendor/d3-dag.js', scope.location.href).href) as Promise<typeof D3Dag>);
  const { nodes, nodeWidth, nodeHeight, gapX, gapY } = request;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const dag = d3.graphStratify()(nodes.map((node) => ({ id: node.id, parentIds: node.deps.filter((d) => index.has(d)) })));
  const careful = nodes.length <= CAREFUL_MAX_NODES;
  // d3-dag stacks layers top-down; sizes are given as (across, along) and x/y swapped afterwards.
  const layoutOf = d3
    .sugiyama()
    .layering(d3.layeringLongestPath())
    .decross(careful ? d3.decrossTwoLayer() : d3.decrossDfs())
    .coord(careful ? d3.coordGreedy() : d3.coordCenter())
    .nodeSize([nodeHeight, nodeWidth])
    .gap([gapY, gapX]);
  const { width, height } = layoutOf(dag);
  const x = new Float64Array(nodes.length);
  const y = new Float64Array(nodes.length);
  for (const node of dag.nodes()) {
    const i = index.get(node.data.id)!;
    x[i] = node.y;
    y[i] = node.x;
  }
  const links = [...dag.links()];
  const edgeOffsets = new Uint32Array(links.length + 1);
  const points: number[] = [];
  links.forEach((link, i) => {
    edgeOffsets[i] = points.length;
    for (const [px, py] of link.points) points.push(py, px);
  });
  edgeOffsets[links.length] = points.length;
  return { width: height, height: width, x, y, edgeOffsets, edgePoints: Float64Array.from(points) };
}
