/**
 * The graph panel: asks the layout worker for positions whenever the graph changes, then draws
 * the nodes coloured by state with one of two renderers: SVG (labelled boxes for small graphs,
 * plain boxes up to a few thousand nodes; every node an element with `data-node`/`data-state`) or
 * a canvas for larger graphs (repainted at most every 100 ms). Until the layout arrives, events
 * still update the model; the first paint shows the state reached by then. Nodes a fan-out or
 * subgraph adds (`node.expanded`) are laid out again with the graph; a group of more than
 * `COLLAPSE_ABOVE` children is drawn as its node alone, with a count badge and the children's
 * progress, until the user expands it ({@link DagView.toggle}).
 */
import { CanvasDag } from './dag-canvas.js';
import { SvgDag } from './dag-svg.js';
import type { LayoutRequest, LayoutResponse } from './layout-protocol.js';
import type { DashboardModel } from './model.js';
import type { DagRenderer, Placed } from './dag-renderer.js';
import { PanZoom } from './pan-zoom.js';
import { formatInt, formatMs } from './format.js';
import { COLLAPSE_ABOVE } from './groups.js';
import type { NodeModel } from './model.js';

/** Graphs up to this size get labelled boxes. */
const LABELLED_MAX = 150;
/** Graphs up to this size are SVG; larger ones a canvas. */
export const SVG_MAX_NODES = 2_500;

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
      this.#structure = model.structure;
      this.#relayout(model);
    }
    if (!this.#renderer) return; // the layout is on its way; dirty nodes wait in the model
    this.#renderer.update(model.drainDirty(), now); // a collapsed child's change dirties its parent too (the model's onMove)
  }

  /** Expands a collapsed group (its children are laid out in the graph), or collapses an expanded one. */
  toggle(groupId: string): void {
    if (this.#expanded.has(groupId)) this.#expanded.delete(groupId);
    else this.#expanded.add(groupId);
    this.#structure = -1; // lay out again at the next frame
    this.#requestFrame();
  }

  /** Whether a group is drawn collapsed into its node now. */
  isCollapsed(groupId: string): boolean {
    return this.#collapsed.has(groupId);
  }

  /** Time the last layout took, in ms. */
  get layoutMs(): number | undefined {
    return this.#layoutMs;
  }

  #relayout(model: DashboardModel): void {
    this.#renderer?.destroy();
    this.#renderer = undefined;
    this.#collapsed = new Set([...model.groups.values()].filter((g) => g.children.length > COLLAPSE_ABOVE && !this.#expanded.has(g.id)).map((g) => g.id));
    const hidden = (node: NodeModel): boolean => {
      for (let parent = node.parent; parent !== undefined; parent = model.nodes.get(parent)?.parent) if (this.#collapsed.has(parent)) return true;
      return false;
    };
    const nodes = this.#collapsed.size === 0 ? [...model.order] : model.order.filter((node) => !hidden(node));
    const id = ++this.#layoutId;
    if (nodes.length === 0) {
      this.#info.textContent = '';
      return;
    }
    const size = nodes.length <= LABELLED_MAX ? { nodeWidth: 150, nodeHeight: 38, gapX: 56, gapY: 14 } : nodes.length <= SVG_MAX_NODES ? { nodeWidth: 26, nodeHeight: 12, gapX: 22, gapY: 4 } : { nodeWidth: 12, nodeHeight: 6, gapX: 14, gapY: 2 };
    // A child without deps of its own hangs off the node that added it, so a fan-out reads as one.
    const request: LayoutRequest = { id, nodes: nodes.map((n) => ({ id: n.id, deps: n.deps.length === 0 && n.parent !== undefined ? [n.parent] : n.deps })), ...size };
    const started = performance.now();
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
      const placed: Placed = { nodes, ...size, ...response, groups: model.groups, collapsed: this.#collapsed };
      const labelled = nodes.length <= LABELLED_MAX;
      this.#renderer =
        nodes.length <= SVG_MAX_NODES ? new SvgDag(this.#host, placed, this.#panZoom, labelled) : new CanvasDag(this.#host, placed, this.#panZoom, this.#requestFrame);
      this.#renderer.select(this.#selected);
      this.#panZoom.setContent(response.width, response.height);
      this.#renderer.update(nodes, performance.now());
      model.drainDirty();
      this.#host.dataset.layout = 'done';
      this.#info.textContent = `${formatInt(nodes.length)} nodes · laid out by d3-dag in ${formatMs(this.#layoutMs)}`;
      this.#requestFrame();
    };
    this.#worker.postMessage(request);
  }
}
