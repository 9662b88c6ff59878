/**
 * The graph as SVG: one `<g class="node" data-node data-state>` per node, edges as curves. A node
 * that needs a look (failed, timed out, fell back, retrying, retried) has the class `problem` (a red
 * outline), a collapsed group with such children `has-problems`, with a waiting child `has-waiting`;
 * the search's matches `match`.
 */
import { STATE_COLORS, inkOn } from './colors.js';
import type { DagRenderer, Placed } from './dag-renderer.js';
import { esc, formatInt, formatMs } from './format.js';
import type { NodeModel } from './model.js';
import type { PanZoom } from './pan-zoom.js';
import { groupSummary, type GroupModel } from './groups.js';
import { isProblem } from './problems.js';

const SVG = 'http://www.w3.org/2000/svg';

export class SvgDag implements DagRenderer {
  readonly #svg: SVGSVGElement;
  readonly #viewport: SVGGElement;
  readonly #elements = new Map<string, { g: SVGGElement; rect: SVGRectElement; sub: SVGTextElement | undefined }>();
  readonly #panZoom: PanZoom;
  readonly #labelled: boolean;
  readonly #groups: ReadonlyMap<string, GroupModel<NodeModel>>;
  #selected: SVGGElement | undefined;
  #matches: SVGGElement[] = [];

  constructor(host: HTMLElement, placed: Placed, panZoom: PanZoom, labelled: boolean) {
    this.#panZoom = panZoom;
    this.#labelled = labelled;
    this.#groups = placed.groups;
    this.#svg = document.createElementNS(SVG, 'svg');
    this.#svg.classList.add('dag-svg');
    if (placed.animate) this.#svg.classList.add('animate');
    const { nodes, x, y, nodeWidth: w, nodeHeight: h } = placed;
    const parts: string[] = [
      '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>',
      '<g class="viewport"><g class="edges">',
    ];
    for (let e = 0; e + 1 < placed.edgeOffsets.length; e++) parts.push(`<path d="${edgePath(placed, e)}"${labelled ? ' marker-end="url(#arrow)"' : ''}/>`);
    parts.push('</g><g class="nodes">');
    nodes.forEach((node, i) => {
      const id = esc(node.id);
      const group = placed.groups.get(node.id);
      const collapsed = placed.collapsed.has(node.id);
      const groupAttrs = group ? ` data-group="${group.children.length}" data-collapsed="${collapsed}"` : '';
      parts.push(`<g class="node" data-node="${id}" data-state="${node.state}"${groupAttrs} transform="translate(${x[i]! - w / 2},${y[i]! - h / 2})">`);
      parts.push(`<rect width="${w}" height="${h}" rx="${labelled ? 6 : 2}" fill="${STATE_COLORS[node.state]}"/>`);
      const ink = inkOn(node.state);
      if (labelled) parts.push(`<text class="label" x="10" y="16" fill="${ink}">${esc(clip(node.id, 20))}</text><text class="sub" x="10" y="30" fill="${ink}"></text>`);
      if (group && collapsed) {
        // The count badge: how many children are folded into this node (expand them from the node panel).
        const badge = `×${formatInt(group.children.length)}`;
        const bw = 8 + badge.length * 6.5;
        parts.push(`<g class="badge" transform="translate(${w - bw / 2},-7)"><rect x="${-bw / 2}" width="${bw}" height="15" rx="7.5"/><text y="11" text-anchor="middle">${badge}</text></g>`);
      }
      parts.push(`<title>${id}${group ? ` (${formatInt(group.children.length)} ${group.kind === 'subgraph' ? 'nodes' : 'children'})` : ''}</title></g>`);
    });
    parts.push('</g></g>');
    this.#svg.innerHTML = parts.join('');
    this.#viewport = this.#svg.querySelector('.viewport')!;
    for (const g of Array.from(this.#svg.querySelectorAll<SVGGElement>('.node'))) {
      this.#elements.set(g.dataset.node!, { g, rect: g.querySelector('rect')!, sub: g.querySelector<SVGTextElement>('.sub') ?? undefined });
    }
    host.append(this.#svg);
  }

  update(nodes: readonly NodeModel[]): void {
    for (const node of nodes) {
      const el = this.#elements.get(node.id);
      if (!el) continue;
      el.g.classList.toggle('problem', isProblem(node));
      const group = this.#groups.get(node.id);
      if (group) {
        const c = group.counts;
        el.g.classList.toggle('has-problems', c.failed + c.timedOut + c.fellBack + c.retrying > 0);
        el.g.classList.toggle('has-waiting', c.waiting > 0);
      }
      if (el.g.dataset.state !== node.state) {
        el.g.dataset.state = node.state;
        el.rect.setAttribute('fill', STATE_COLORS[node.state]);
        if (this.#labelled) for (const text of Array.from(el.g.querySelectorAll('text'))) text.setAttribute('fill', inkOn(node.state));
      }
      if (el.sub) {
        el.sub.textContent = group ? groupSummary(group) : subtitle(node);
      }
    }
  }

  transformChanged(): void {
    const { k, x, y } = this.#panZoom.transform;
    this.#viewport.setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  }

  select(id: string | undefined): void {
    this.#selected?.classList.remove('selected');
    this.#selected = id === undefined ? undefined : this.#elements.get(id)?.g;
    this.#selected?.classList.add('selected');
  }

  highlight(ids: ReadonlySet<string>): void {
    for (const g of this.#matches) g.classList.remove('match');
    this.#matches = [];
    for (const id of ids) {
      const g = this.#elements.get(id)?.g;
      if (!g) continue;
      g.classList.add('match');
      this.#matches.push(g);
    }
  }

  nodeAt(event: MouseEvent): string | undefined {
    const g = (event.target as Element | null)?.closest<SVGGElement>('.node');
    return g?.dataset.node;
  }

  destroy(): void {
    this.#svg.remove();
  }
}

/** A smooth left-to-right curve through the edge's points, from box edge to box edge. */
function edgePath(placed: Placed, e: number): string {
  const from = placed.edgeOffsets[e]!;
  const to = placed.edgeOffsets[e + 1]!;
  const pts: [number, number][] = [];
  for (let i = from; i < to; i += 2) pts.push([placed.edgePoints[i]!, placed.edgePoints[i + 1]!]);
  if (pts.length < 2) return '';
  const half = placed.nodeWidth / 2;
  pts[0]![0] += half;
  pts[pts.length - 1]![0] -= half;
  let d = `M${r(pts[0]![0])},${r(pts[0]![1])}`;
  for (let i = 1; i < pts.length; i++) {
    const [x0, y0] = pts[i - 1]!;
    const [x1, y1] = pts[i]!;
    const mx = (x0 + x1) / 2;
    d += ` C${r(mx)},${r(y0)} ${r(mx)},${r(y1)} ${r(x1)},${r(y1)}`;
  }
  return d;
}

function subtitle(node: NodeModel): string {
  const parts: string[] = node.state === 'succeeded' ? [] : [node.state === 'fellBack' ? 'fell back' : node.state === 'timedOut' ? 'timed out' : node.state];
  if (node.attempts > 1) parts.push(`${node.attempts} tries`);
  if (node.durationMs !== undefined) parts.push(formatMs(node.durationMs));
  if (node.tokens > 0) parts.push(`${formatInt(node.tokens)} tok`);
  return parts.join(' · ');
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const r = (n: number) => Math.round(n * 10) / 10;
