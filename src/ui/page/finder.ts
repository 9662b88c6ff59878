/**
 * Finding nodes in a large run: the search box (node ids containing the text; matches outlined in
 * the graph and highlighted in the timeline; Enter or "next" jumps to the next one: selects it,
 * centres it in the graph and scrolls the timeline to it), the count of nodes that need a look
 * (failed, timed out, fell back, retrying, retried) with a "next problem" jump, and the "problems
 * only" filter that draws only those in the graph and the timeline.
 */
import { formatInt } from './format.js';
import type { DashboardModel, NodeModel } from './model.js';
import { findNodes, problemNodes } from './problems.js';

/** The views the finder drives. */
export interface FinderTargets {
  dag: { setFilter(ids: ReadonlySet<string> | undefined, refit: boolean): void; highlight(ids: ReadonlySet<string>): void; focus(id: string, model: DashboardModel): boolean };
  gantt: { setProblemsOnly(on: boolean): void; highlight(ids: ReadonlySet<string>): void; reveal(id: string): boolean };
  select(id: string): void;
}

/** The finder's controls (in the page's header). */
export interface FinderElements {
  search: HTMLInputElement;
  searchInfo: HTMLElement;
  searchNext: HTMLButtonElement;
  problemsOnly: HTMLInputElement;
  problemsCount: HTMLElement;
  problemsNext: HTMLButtonElement;
}

/** The problem list is recounted at most this often (ms); every second past 5,000 nodes. */
const RECOUNT_MS = 250;
/** With the filter on, the graph is laid out again for new problems at most this often (ms). */
const RELAYOUT_MS = 1_000;

export class Finder {
  readonly #model: DashboardModel;
  readonly #el: FinderElements;
  readonly #targets: FinderTargets;
  readonly #requestFrame: () => void;
  #matches: NodeModel[] = [];
  #matchCursor = -1;
  #matchStructure = -1;
  #problems: NodeModel[] = [];
  #problemCursor = -1;
  #countedVersion = -1;
  #countedAt = -Infinity;
  /** The problem ids the graph's filter was last set to (joined), and when. */
  #filtered = '';
  #filteredAt = -Infinity;

  constructor(model: DashboardModel, elements: FinderElements, targets: FinderTargets, requestFrame: () => void) {
    this.#model = model;
    this.#el = elements;
    this.#targets = targets;
    this.#requestFrame = requestFrame;
    elements.search.addEventListener('input', () => this.#search());
    elements.search.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      this.#nextMatch(event.shiftKey ? -1 : 1);
    });
    elements.searchNext.addEventListener('click', () => this.#nextMatch(1));
    elements.problemsOnly.addEventListener('change', () => this.#setProblemsOnly(elements.problemsOnly.checked));
    elements.problemsNext.addEventListener('click', () => this.#nextProblem());
  }

  /** The nodes that need a look, as last counted. */
  get problems(): readonly NodeModel[] {
    return this.#problems;
  }

  /** The search's matches, the exact id first. */
  get matches(): readonly NodeModel[] {
    return this.#matches;
  }

  /** Selects a node, centres it in the graph and scrolls the timeline to it. */
  jumpTo(id: string): void {
    this.#targets.select(id);
    this.#targets.dag.focus(id, this.#model);
    this.#targets.gantt.reveal(id);
  }

  /** Recounts the problems (throttled) and keeps the matches and the filter up to date with the model. */
  draw(now: number): void {
    const model = this.#model;
    if (this.#matchStructure !== model.structure && this.#el.search.value.trim() !== '') this.#search();
    if (model.version === this.#countedVersion) return;
    if (now - this.#countedAt < (model.order.length > 5_000 ? 1_000 : RECOUNT_MS)) return void this.#requestFrame();
    this.#countedAt = now;
    this.#countedVersion = model.version;
    this.#problems = problemNodes(model.order);
    const count = this.#problems.length;
    this.#el.problemsCount.textContent = formatInt(count);
    this.#el.problemsCount.dataset.count = String(count);
    this.#el.problemsNext.disabled = count === 0;
    if (this.#el.problemsOnly.checked) this.#refilter(now, false);
  }

  #setProblemsOnly(on: boolean): void {
    this.#countedVersion = -1; // count now, so the filter starts from the latest problems
    this.#countedAt = -Infinity;
    if (on) {
      this.#problems = problemNodes(this.#model.order);
      this.#refilter(performance.now(), true);
    } else {
      this.#filtered = '';
      this.#targets.dag.setFilter(undefined, true);
    }
    this.#targets.gantt.setProblemsOnly(on);
    document.body.dataset.filter = on ? 'problems' : 'none';
    this.#requestFrame();
  }

  /** Sets the graph's filter to the problems when they changed (at most every {@link RELAYOUT_MS} unless `force`). */
  #refilter(now: number, force: boolean): void {
    const key = this.#problems.map((node) => node.id).join('\n');
    if (!force && key === this.#filtered) return;
    if (!force && now - this.#filteredAt < RELAYOUT_MS) return void this.#requestFrame();
    this.#filtered = key;
    this.#filteredAt = now;
    this.#targets.dag.setFilter(new Set(this.#problems.map((node) => node.id)), force);
  }

  #search(): void {
    const query = this.#el.search.value;
    this.#matchStructure = this.#model.structure;
    this.#matches = findNodes(this.#model.order, query);
    this.#matchCursor = -1;
    const ids = new Set(this.#matches.map((node) => node.id));
    this.#targets.dag.highlight(ids);
    this.#targets.gantt.highlight(ids);
    const n = this.#matches.length;
    this.#el.searchInfo.textContent = query.trim() === '' ? '' : n === 0 ? 'no match' : `${formatInt(n)} ${n === 1 ? 'match' : 'matches'}`;
    this.#el.searchInfo.dataset.count = String(n);
    this.#el.searchNext.disabled = n === 0;
  }

  #nextMatch(step: 1 | -1): void {
    if (this.#matchStructure !== this.#model.structure || this.#matches.length === 0) this.#search();
    const n = this.#matches.length;
    if (n === 0) return;
    this.#matchCursor = (this.#matchCursor + step + n) % n;
    this.jumpTo(this.#matches[this.#matchCursor]!.id);
    this.#el.searchInfo.textContent = `${formatInt(this.#matchCursor + 1)} of ${formatInt(n)}`;
  }

  #nextProblem(): void {
    const n = this.#problems.length;
    if (n === 0) return;
    this.#problemCursor = (this.#problemCursor + 1) % n;
    this.jumpTo(this.#problems[this.#problemCursor]!.id);
  }
}
