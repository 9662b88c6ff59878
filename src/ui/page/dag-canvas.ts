/**
 * The graph on a canvas, for graphs too large for one element per node: edges are drawn into an
 * offscreen layer once per pan/zoom, nodes are filled in one path per state, and the whole is
 * repainted at most every 100 ms however fast events arrive. Nodes that must be found at a glance
 * get a ring at least 7 screen pixels wide however far out the view is: waiting ones magenta, those
 * that need a look (failed, timed out, fell back, retrying, retried) red, the search's matches cyan.
 */
import { MATCH_RING, PROBLEM_RING, STATE_COLORS } from './colors.js';
import type { DagRenderer, Placed } from './dag-renderer.js';
import { NODE_STATES, type NodeModel } from './model.js';
import type { PanZoom } from './pan-zoom.js';
import { isProblem } from './problems.js';

/** A ring's size on screen, at least (CSS pixels). */
const RING_PX = 7;

const REPAINT_MS = 100;

export class CanvasDag implements DagRenderer {
  readonly #canvas: HTMLCanvasElement;
  readonly #edges: HTMLCanvasElement;
  readonly #placed: Placed;
  readonly #panZoom: PanZoom;
  readonly #requestFrame: () => void;
  readonly #resize: ResizeObserver;
  #edgesStale = true;
  #stale = true;
  #lastPaint = -Infinity;
  #selected: number | undefined;
  #matches: ReadonlySet<string> = new Set();

  constructor(host: HTMLElement, placed: Placed, panZoom: PanZoom, requestFrame: () => void) {
    this.#placed = placed;
    this.#panZoom = panZoom;
    this.#requestFrame = requestFrame;
    this.#canvas = document.createElement('canvas');
    this.#canvas.className = 'dag-canvas';
    this.#edges = document.createElement('canvas');
    host.append(this.#canvas);
    this.#resize = new ResizeObserver(() => this.transformChanged());
    this.#resize.observe(host);
  }

  update(nodes: readonly NodeModel[], now: number): void {
    if (nodes.length > 0) this.#stale = true;
    if (!this.#stale) return;
    if (now - this.#lastPaint < REPAINT_MS) {
      this.#requestFrame(); // come back next frame; paint once the interval has passed
      return;
    }
    this.#paint();
    this.#lastPaint = now;
  }

  transformChanged(): void {
    this.#edgesStale = true;
    this.#stale = true;
    this.#lastPaint = -Infinity;
    this.#requestFrame();
  }

  select(id: string | undefined): void {
    const index = id === undefined ? -1 : this.#placed.nodes.findIndex((n) => n.id === id);
    this.#selected = index < 0 ? undefined : index;
    this.#stale = true;
    this.#lastPaint = -Infinity;
    this.#requestFrame();
  }

  highlight(ids: ReadonlySet<string>): void {
    this.#matches = ids;
    this.#stale = true;
    this.#lastPaint = -Infinity;
    this.#requestFrame();
  }

  nodeAt(event: MouseEvent): string | undefined {
    const { x, y } = this.#panZoom.toContent(event.clientX, event.clientY);
    const { nodes, x: xs, y: ys, nodeWidth, nodeHeight } = this.#placed;
    const slack = 3 / this.#panZoom.transform.k; // a few pixels of grace when zoomed out
    const hw = nodeWidth / 2 + slack;
    const hh = nodeHeight / 2 + slack;
    for (let i = 0; i < nodes.length; i++) if (Math.abs(xs[i]! - x) <= hw && Math.abs(ys[i]! - y) <= hh) return nodes[i]!.id;
    return undefined;
  }

  destroy(): void {
    this.#resize.disconnect();
    this.#canvas.remove();
  }

  #paint(): void {
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      this.#edgesStale = true;
    }
    const { k, x, y } = this.#panZoom.transform;
    if (this.#edgesStale) this.#paintEdges(dpr, k, x, y);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(this.#edges, 0, 0);
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
    const { nodes, x: xs, y: ys, nodeWidth: w, nodeHeight: h } = this.#placed;
    const min = 1 / k; // at least a pixel, however far out
    const bw = Math.max(w, min);
    const bh = Math.max(h, min);
    for (const state of NODE_STATES) {
      ctx.beginPath();
      for (let i = 0; i < nodes.length; i++) if (nodes[i]!.state === state) ctx.rect(xs[i]! - bw / 2, ys[i]! - bh / 2, bw, bh);
      ctx.fillStyle = STATE_COLORS[state];
      ctx.fill();
    }
    this.#paintRings(ctx, k, bw, bh);
    if (this.#selected !== undefined) {
      const i = this.#selected;
      ctx.lineWidth = 3 / k;
      ctx.strokeStyle = '#0f172a';
      ctx.strokeRect(xs[i]! - bw / 2 - 2 / k, ys[i]! - bh / 2 - 2 / k, bw + 4 / k, bh + 4 / k);
    }
    this.#stale = false;
  }

  /** Rings around the nodes to find: one path per colour, drawn over the fills. */
  #paintRings(ctx: CanvasRenderingContext2D, k: number, bw: number, bh: number): void {
    const { nodes, x: xs, y: ys } = this.#placed;
    const rw = Math.max(bw, RING_PX / k) + 3 / k;
    const rh = Math.max(bh, RING_PX / k) + 3 / k;
    const { collapsed, groups } = this.#placed;
    const folded = (node: NodeModel) => (collapsed.size > 0 && collapsed.has(node.id) ? groups.get(node.id)?.counts : undefined);
    const rings: [string, (node: NodeModel) => boolean][] = [
      [
        PROBLEM_RING,
        (node) => {
          const c = folded(node);
          return (node.state !== 'waiting' && isProblem(node)) || (c !== undefined && c.failed + c.timedOut + c.fellBack + c.retrying > 0);
        },
      ],
      [STATE_COLORS.waiting, (node) => node.state === 'waiting' || (folded(node)?.waiting ?? 0) > 0],
    ];
    if (this.#matches.size > 0) rings.push([MATCH_RING, (node) => this.#matches.has(node.id)]);
    ctx.lineWidth = 2 / k;
    for (const [color, wanted] of rings) {
      ctx.beginPath();
      for (let i = 0; i < nodes.length; i++) if (wanted(nodes[i]!)) ctx.rect(xs[i]! - rw / 2, ys[i]! - rh / 2, rw, rh);
      ctx.strokeStyle = color;
      ctx.stroke();
    }
  }

  #paintEdges(dpr: number, k: number, x: number, y: number): void {
    const layer = this.#edges;
    layer.width = this.#canvas.width;
    layer.height = this.#canvas.height;
    const ctx = layer.getContext('2d')!;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * x, dpr * y);
    ctx.lineWidth = 1 / k;
    ctx.strokeStyle = 'rgba(100, 116, 139, 0.35)';
    ctx.beginPath();
    const { edgeOffsets, edgePoints } = this.#placed;
    for (let e = 0; e + 1 < edgeOffsets.length; e++) {
      const from = edgeOffsets[e]!;
      const to = edgeOffsets[e + 1]!;
      if (to - from < 4) continue;
      ctx.moveTo(edgePoints[from]!, edgePoints[from + 1]!);
      for (let i = from + 2; i < to; i += 2) ctx.lineTo(edgePoints[i]!, edgePoints[i + 1]!);
    }
    ctx.stroke();
    this.#edgesStale = false;
  }
}
