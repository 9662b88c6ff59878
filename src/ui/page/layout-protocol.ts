/** Messages between the page and its layout worker. */

/** Lay out these nodes (ids and dependencies) with boxes of this size and these gaps. */
export interface LayoutRequest {
  id: number;
  nodes: { id: string; deps: readonly string[] }[];
  nodeWidth: number;
  nodeHeight: number;
  /** Between layers (columns). */
  gapX: number;
  /** Between nodes of one layer. */
  gapY: number;
}

/** Node centres by request index; edge `i`'s polyline is `edgePoints[edgeOffsets[i] .. edgeOffsets[i + 1]]` as x, y pairs. */
export type LayoutResponse =
  | {
      id: number;
      ok: true;
      width: number;
      height: number;
      x: Float64Array;
      y: Float64Array;
      edgeOffsets: Uint32Array;
      edgePoints: Float64Array;
      /** Time the layout took in the worker. */
      ms: number;
    }
  | { id: number; ok: false; error: string };
