/**
 * What the graph panel hands its two renderers (SVG and canvas), apart from the panel itself so
 * that the renderers and the panel do not import each other.
 */
import type { NodeModel } from './model.js';
import type { GroupModel } from './groups.js';

/** A laid-out graph: node centres by index, edge polylines, box size. */
export interface Placed {
  nodes: readonly NodeModel[];
  x: Float64Array;
  y: Float64Array;
  edgeOffsets: Uint32Array;
  edgePoints: Float64Array;
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  /** The children of fan-out and subgraph nodes, by the node's id. */
  groups: ReadonlyMap<string, GroupModel<NodeModel>>;
  /** Groups drawn as their node alone (with a count badge). */
  collapsed: ReadonlySet<string>;
  /** Whether running nodes may pulse (off for large graphs, where it costs frames: see `ANIMATE_MAX_NODES`). */
  animate: boolean;
}

/** What both renderers do. */
export interface DagRenderer {
  /** Redraws these nodes (their state changed); may defer and ask for another frame. */
  update(nodes: readonly NodeModel[], now: number): void;
  transformChanged(): void;
  select(id: string | undefined): void;
  /** The node under a click, if any. */
  nodeAt(event: MouseEvent): string | undefined;
  /** Outlines these nodes (the search's matches); an empty set clears the outlines. */
  highlight(ids: ReadonlySet<string>): void;
  destroy(): void;
}
