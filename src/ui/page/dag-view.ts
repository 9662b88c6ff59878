/**
 * The graph panel: asks the layout worker (d3-dag) for positions whenever the graph changes (above
 * `SVG_MAX_NODES`, the linear-time `layeredLayout` on the spot instead), then draws
 * the nodes coloured by state with one of two renderers: SVG (labelled boxes for small graphs,
 * plain boxes up to a few thousand nodes; every node an element with `data-node`/`data-state`) or
 * a canvas for larger graphs (repainted at most every 100 ms). Until the layout arrives, events
 * still update the model; the first paint shows the state reached by then. Nodes a fan-out or
 * subgraph adds (`node.expanded`) are laid out again with the graph; a group of more than
 * `COLLAPSE_ABOVE` children is drawn as its node alone, with a count badge and the children's
 * progress, until the user expands it ({@link DagView.toggle}). With a filter (the "problems only"
 * toggle), only the nodes it names are laid out, flat (a problem child of a folded group shows), with
 * the edges between them. Search matches are outlined, and {@link DagView.focus} centres a node.
 */
import { CanvasDag } from './dag-canvas.js';
import { SvgDag } from './dag-svg.js';
import type { LayoutRequest, LayoutResponse } from './layout-protocol.js';
import type { DashboardModel } from './model.js';
import type { DagRenderer, Placed } from './dag-renderer.js';
import { PanZoom } from './pan-zoom.js';
import { formatInt, formatMs } from './format.js';
import { COLLAPSE_ABOVE } from './groups.js';
import { gridLayout, type GridPlacement } from './grid-layout.js';
import { layeredLayout } from './layered-layout.js';
import type { NodeModel } from './model.js';

/** Graphs up to this size get labelled boxes. */
const LABELLED_MAX = 150;
/** Graphs up to this size are SVG; larger ones a canvas. */
export const SVG_MAX_NODES = 2_500;
/**
 * Running (and waiting) nodes pulse in graphs up to this size only: the labelled ones. Each pulsing
 * SVG box restyles and repaints the graph on every frame. Measured in this headless Chromium (2 cores,
 * no GPU; main-thread task time while boxes pulse): 150 boxes all pulsing 180 ms/s (3 ms a frame);
 * 300 all pulsing 590 ms/s (10 ms a frame); 2,000 boxes with 300 pulsing 720 ms/s and a dropped frame
 * every few; 2,000 with 16 pulsing still 375 ms/s. That main thread also applies up to 100k events/s,
 * so above 150 nodes nothing pulses (waiting nodes keep their thick dashed outline). The canvas never animates.
 */
export const ANIMATE_MAX_NODES = 150;
/** A growing graph above `SVG_MAX_NODES` is laid out again at most this often (ms): each layout takes its 25-45 ms on the page's thread. */
const RELAYOUT_MS = 250;
/** How far a jump to a node zooms in, at least: its box this many times its laid-out size. */
const FOCUS_SCALE = { labelled: 1, small: 2.5, tiny: 4 };

export class DagView {
  readonly #host: HTMLElement;
  readonly #info: HTMLElement;
  readonly #requestFrame: () => void;
  readonly #panZoom: PanZoom;
  #worker: Worker | undefined;
  #renderer: DagRenderer | undefined;
  #structure = -1;
  #layoutId = 0;
  #selected: string | undefined;
  #layoutMs: number | undefined;
  /** Groups the user expanded (big ones are collapsed by default). */
  readonly #expanded = new Set<string>();
  #collapsed = new Set<string>();
  /** Only these nodes are laid out (the "problems only" filter), when set. */
  #filter: ReadonlySet<string> | undefined;
  /** Search matches to outline. */
  #matches: ReadonlySet<string> = new Set();
  /** The user asked for a new layout (a filter, a group folded or unfolded): fit it into view. */
  #refitNext = false;
  #placed: Placed | undefined;
  /** When the graph was last laid out (page clock). */
  #laidOutAt = -Infinity;
  #indexOf: Map<string, number> | undefined;

  constructor(host: HTMLElement, info: HTMLElement, onSelect: (id: string) => void, requestFrame: () => void) {
    this.#host = host;
    this.#info = info;
    this.#requestFrame = requestFrame;
    this.#panZoom = new PanZoom(
      host,
      () => this.#renderer?.transformChanged(),
      (event) => {
        const id = this.#renderer?.nodeAt(event);
        if (id !== undefined) onSelect(id);
      },
    );
  }

  /** Scales the whole graph into view. */
  fit(): void {
    this.#panZoom.fit();
  }

  /** Marks the node the user is reading. */
  select(id: string | undefined): void {
    this.#selected = id;
    this.#renderer?.select(id);
  }

  /** Brings the drawing up to date with the model. */
  draw(model: DashboardModel, now: number): void {
    if (model.structure !== this.#structure) {
      // A large graph that keeps growing (fan-outs adding children) is laid out on this thread: at most every RELAYOUT_MS, the drawing so far meanwhile.
      const asked = this.#structure === -1; // the user asked (a filter, a group folded): at once
      if (!asked && this.#renderer && model.order.length > SVG_MAX_NODES && now - this.#laidOutAt < RELAYOUT_MS) this.#requestFrame();
      else {
        this.#structure = model.structure;
        this.#laidOutAt = now;
        this.#relayout(model);
      }
    }
    if (!this.#renderer) return; // the layout is on its way; dirty nodes wait in the model
    this.#renderer.update(model.drainDirty(), now); // a collapsed child's change dirties its parent too (the model's onMove)
  }

  /** Lays out only these nodes (undefined: all of them) at the next frame; `refit` fits the new drawing into view. */
  setFilter(ids: ReadonlySet<string> | undefined, refit: boolean): void {
    this.#filter = ids;
    this.#refitNext ||= refit;
    this.#structure = -1;
    this.#requestFrame();
  }

  /** Whether a filter is set. */
  get filtered(): boolean {
    return this.#filter !== undefined;
  }

  /** Outlines the search's matches. */
  highlight(ids: ReadonlySet<string>): void {
    this.#matches = ids;
    this.#renderer?.highlight(ids);
  }

  /**
   * Centres a node in the view, zoomed in enough to see it (a node folded into a group: the group's
   * node); false when it is not drawn (filtered out, or the layout is on its way).
   */
  focus(id: string, model: DashboardModel): boolean {
    const placed = this.#placed;
    if (!placed) return false;
    this.#indexOf ??= new Map(placed.nodes.map((node, i) => [node.id, i]));
    let at: string | undefined = id;
    while (at !== undefined && !this.#indexOf.has(at)) at = model.nodes.get(at)?.parent;
    if (at === undefined) return false;
    const i = this.#indexOf.get(at)!;
    const scale = placed.nodes.length <= LABELLED_MAX ? FOCUS_SCALE.labelled : placed.nodes.length <= SVG_MAX_NODES ? FOCUS_SCALE.small : FOCUS_SCALE.tiny;
    if (this.#panZoom.shows(placed.x[i]!, placed.y[i]!, placed.nodeWidth, placed.nodeHeight, scale)) return true; // in view and readable already: the view holds still
    this.#panZoom.centerOn(placed.x[i]!, placed.y[i]!, scale);
    return true;
  }

  /** Expands a collapsed group (its children are laid out in the graph), or collapses an expanded one. */
  toggle(groupId: string): void {
    if (this.#expanded.has(groupId)) this.#expanded.delete(groupId);
    else this.#expanded.add(groupId);
    this.#refitNext = true;
    this.#structure = -1; // lay out again at the next frame
    this.#requestFrame();
  }

  /** Whether a group is drawn collapsed into its node now. */
  isCollapsed(groupId: string): boolean {
    return this.#collapsed.has(groupId);
  }

  /** The drawn nodes with their centres, or undefined while the layout is on its way. */
  get placed(): Placed | undefined {
    return this.#placed;
  }

  /** Time the last layout took, in ms. */
  get layoutMs(): number | undefined {
    return this.#layoutMs;
  }

  #relayout(model: DashboardModel): void {
    this.#renderer?.destroy();
    this.#renderer = undefined;
    this.#placed = undefined;
    this.#indexOf = undefined;
    const filter = this.#filter;
    this.#collapsed = filter ? new Set() : new Set([...model.groups.values()].filter((g) => g.children.length > COLLAPSE_ABOVE && !this.#expanded.has(g.id)).map((g) => g.id));
    const hidden = (node: NodeModel): boolean => {
      for (let parent = node.parent; parent !== undefined; parent = model.nodes.get(parent)?.parent) if (this.#collapsed.has(parent)) return true;
      return false;
    };
    const nodes = filter ? model.order.filter((node) => filter.has(node.id)) : this.#collapsed.size === 0 ? [...model.order] : model.order.filter((node) => !hidden(node));
    const id = ++this.#layoutId;
    this.#host.dataset.filter = filter ? 'problems' : 'none';
    this.#host.dataset.nodes = String(nodes.length);
    if (nodes.length === 0) {
      this.#host.dataset.layout = 'done';
      this.#info.textContent = filter ? `no problems among ${formatInt(model.order.length)} nodes` : '';
      return;
    }
    const size = nodes.length <= LABELLED_MAX ? { nodeWidth: 150, nodeHeight: 38, gapX: 56, gapY: 14 } : nodes.length <= SVG_MAX_NODES ? { nodeWidth: 26, nodeHeight: 12, gapX: 22, gapY: 4 } : { nodeWidth: 12, nodeHeight: 6, gapX: 14, gapY: 2 };
    const started = performance.now();
    if (filter) {
      // The problems rarely depend on one another: a grid shaped to the panel, in definition order, without edges.
      const grid = gridLayout(nodes.length, { ...size, gapX: Math.min(size.gapX, 20) }, Math.max(0.2, this.#host.clientWidth / Math.max(1, this.#host.clientHeight)));
      this.#layoutMs = performance.now() - started;
      this.#place(model, nodes, size, grid, `${formatInt(nodes.length)} of ${formatInt(model.order.length)} nodes (problems only, by definition order, without edges)`);
      return;
    }
    // A child without deps of its own hangs off the node that added it, so a fan-out reads as one.
    const shape = nodes.map((n) => ({ id: n.id, deps: n.deps.length === 0 && n.parent !== undefined ? [n.parent] : n.deps }));
    if (nodes.length > SVG_MAX_NODES) {
      // An overview on the canvas: the linear-time layered layout, here and now (a few ms for 10,000 nodes; d3-dag took 0.3-1.5 s).
      const layered = layeredLayout(shape, size);
      this.#layoutMs = performance.now() - started;
      this.#place(model, nodes, size, layered, `${formatInt(nodes.length)} nodes · layered in ${formatMs(this.#layoutMs)}`);
      return;
    }
    const request: LayoutRequest = { id, nodes: shape, ...size };
    this.#host.dataset.layout = 'pending';
    this.#info.textContent = `laying out ${formatInt(nodes.length)} nodes…`;
    this.#worker ??= new Worker(new URL('./layout-worker.js', import.meta.url), { type: 'module' });
    this.#worker.onmessage = (message: MessageEvent<LayoutResponse>) => {
      const response = message.data;
      if (response.id !== this.#layoutId) return; // a newer graph replaced this one
      if (!response.ok) {
        this.#host.dataset.layout = 'failed';
        this.#info.textContent = `layout failed: ${response.error}`;
        return;
      }
      this.#layoutMs = performance.now() - started;
      this.#place(model, nodes, size, response, `${formatInt(nodes.length)} nodes · laid out by d3-dag in ${formatMs(this.#layoutMs)}`);
    };
    this.#worker.postMessage(request);
  }

  /** Draws the laid-out nodes with the renderer for their number, fitted into view unless the user moved it. */
  #place(model: DashboardModel, nodes: readonly NodeModel[], size: { nodeWidth: number; nodeHeight: number }, layout: GridPlacement, info: string): void {
    const placed: Placed = { nodes, ...size, ...layout, groups: model.groups, collapsed: this.#collapsed, animate: nodes.length <= ANIMATE_MAX_NODES };
    this.#placed = placed;
    const labelled = nodes.length <= LABELLED_MAX;
    this.#renderer = nodes.length <= SVG_MAX_NODES ? new SvgDag(this.#host, placed, this.#panZoom, labelled) : new CanvasDag(this.#host, placed, this.#panZoom, this.#requestFrame);
    this.#renderer.select(this.#selected);
    this.#renderer.highlight(this.#matches);
    this.#panZoom.setContent(layout.width, layout.height, this.#refitNext);
    this.#refitNext = false;
    this.#renderer.update(nodes, performance.now());
    model.drainDirty();
    this.#host.dataset.layout = 'done';
    this.#info.textContent = info;
    this.#requestFrame();
  }
}
