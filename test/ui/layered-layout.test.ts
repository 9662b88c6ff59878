/**
 * The linear-time layered layout the canvas draws large graphs with: every dependency sits in a
 * column left of its dependents, boxes never overlap and stay inside the drawing, one straight edge
 * per dependency in the list, and a column follows the rows of the nodes it depends on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { layeredLayout } from '../../src/ui/page/layered-layout.js';

const BOX = { nodeWidth: 12, nodeHeight: 6, gapX: 14, gapY: 2 };

/** Random DAGs: node i may depend on any earlier node, and on ids outside the list (a filtered view). */
const dags = fc.integer({ min: 1, max: 60 }).chain((n) =>
  fc
    .tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(i === 0 ? fc.constant('gone') : fc.oneof(fc.nat(i - 1).map((d) => `n${d}`), fc.constant('gone')), { maxLength: 4 })))
    .map((deps) => deps.map((d, i) => ({ id: `n${i}`, deps: d }))),
);

describe('layeredLayout', () => {
  it('puts every dependency in an earlier column, overlaps no boxes, keeps them inside, and draws one edge per known dependency', () => {
    fc.assert(
      fc.property(dags, (nodes) => {
        const placed = layeredLayout(nodes, BOX);
        const index = new Map(nodes.map((node, i) => [node.id, i]));
        let edges = 0;
        nodes.forEach((node, i) => {
          for (const dep of node.deps) {
            const p = index.get(dep);
            if (p === undefined) continue;
            edges += 1;
            expect(placed.x[p]!).toBeLessThan(placed.x[i]!);
          }
          expect(placed.x[i]! - BOX.nodeWidth / 2).toBeGreaterThanOrEqual(0);
          expect(placed.y[i]! - BOX.nodeHeight / 2).toBeGreaterThanOrEqual(0);
          expect(placed.x[i]! + BOX.nodeWidth / 2).toBeLessThanOrEqual(placed.width + 1e-9);
          expect(placed.y[i]! + BOX.nodeHeight / 2).toBeLessThanOrEqual(placed.height + 1e-9);
        });
        const cells = new Set(nodes.map((_, i) => `${placed.x[i]},${placed.y[i]}`));
        expect(cells.size).toBe(nodes.length);
        expect(placed.edgeOffsets.length).toBe(edges + 1);
        expect(placed.edgePoints.length).toBe(edges * 4);
      }),
    );
  });

  it('orders a column by the rows of what its nodes depend on', () => {
    const placed = layeredLayout(
      [
        { id: 'top', deps: [] },
        { id: 'bottom', deps: [] },
        { id: 'under-bottom', deps: ['bottom'] },
        { id: 'under-top', deps: ['top'] },
      ],
      BOX,
    );
    expect(placed.y[3]!).toBeLessThan(placed.y[2]!); // defined later, yet drawn above: it hangs off the top node
    expect(placed.y[0]!).toBeLessThan(placed.y[1]!);
  });

  it('lays out a chain of 100,000 nodes without running out of stack', () => {
    const nodes = Array.from({ length: 100_000 }, (_, i) => ({ id: `c${i}`, deps: i === 0 ? [] : [`c${i - 1}`] }));
    const placed = layeredLayout(nodes, BOX);
    expect(placed.x[99_999]).toBe(99_999 * (BOX.nodeWidth + BOX.gapX) + BOX.nodeWidth / 2);
    expect(placed.height).toBe(BOX.nodeHeight);
  });
});
