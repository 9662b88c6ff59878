/**
 * A grid of boxes without edges, shaped to the panel: how the graph draws the "problems only" view.
 * The nodes that need a look rarely depend on one another, so a layered layout would stack them in
 * one tall column; a grid in their order (by definition) fills the panel instead. Pure.
 */

/** Box size and gaps, as the layered layout takes them. */
export interface GridBox {
  nodeWidth: number;
  nodeHeight: number;
  gapX: number;
  gapY: number;
}

/** Node centres by index, the drawing's size, and no edges (the shape the layout worker answers with). */
export interface GridPlacement {
  x: Float64Array;
  y: Float64Array;
  width: number;
  height: number;
  edgeOffsets: Uint32Array;
  edgePoints: Float64Array;
}

/**
 * Places `count` boxes row by row in as many columns as make the grid's shape closest to the
 * panel's (`aspect`: width / height), so it fills the panel at the largest scale.
 *
 * ```ts
 * gridLayout(114, { nodeWidth: 150, nodeHeight: 38, gapX: 20, gapY: 14 }, 800 / 290).width; // 12 columns
 * ```
 */
export function gridLayout(count: number, box: GridBox, aspect: number): GridPlacement {
  const cellW = box.nodeWidth + box.gapX;
  const cellH = box.nodeHeight + box.gapY;
  let columns = 1;
  let bestScale = 0;
  for (let c = 1; c <= Math.max(1, count); c++) {
    const rows = Math.ceil(count / c);
    const scale = Math.min(aspect / (c * cellW), 1 / (rows * cellH));
    if (scale > bestScale) [bestScale, columns] = [scale, c];
  }
  const x = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = (i % columns) * cellW + box.nodeWidth / 2;
    y[i] = Math.floor(i / columns) * cellH + box.nodeHeight / 2;
  }
  const rows = Math.ceil(count / columns);
  return { x, y, width: columns * cellW - box.gapX, height: rows * cellH - box.gapY, edgeOffsets: new Uint32Array([0]), edgePoints: new Float64Array(0) };
}
