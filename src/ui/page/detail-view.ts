/** The selected node: its state, attempts, times, tokens, cost, error or output, and its streamed text. */
import { esc, formatInt, formatMs, formatUsd } from './format.js';
import type { DashboardModel, NodeModel } from './model.js';

export class DetailView {
  readonly #host: HTMLElement;
  #shown: { node: NodeModel; version: number } | undefined;
  #text: HTMLPreElement | undefined;

  constructor(host: HTMLElement) {
    this.#host = host;
  }

  draw(model: DashboardModel, selected: string | undefined): void {
    const node = selected === undefined ? undefined : model.nodes.get(selected);
    if (!node) {
      if (this.#shown || this.#host.childElementCount === 0) {
        this.#shown = undefined;
        this.#host.innerHTML = '<p class="hint">Click a node (in the graph or the timeline) to see its streamed text.</p>';
      }
      return;
    }
    if (this.#shown?.node === node && this.#shown.version === node.version) return;
    const sameNode = this.#shown?.node === node;
    this.#shown = { node, version: node.version };
    const facts: [string, string][] = [
      ['state', `<span class="swatch" data-state="${node.state}"></span>${node.state}`],
      ['agent', esc(node.agent)],
      ['attempts', String(node.attempts)],
      ['duration', formatMs(node.durationMs ?? (node.firstStart !== undefined && model.lastAt !== undefined && node.endedAt === undefined ? model.lastAt - node.firstStart : undefined))],
      ['tokens', node.inputTokens + node.outputTokens === node.tokens ? `${formatInt(node.inputTokens)} in · ${formatInt(node.outputTokens)} out` : formatInt(node.tokens)],
      ['cost', formatUsd(node.costUsd)],
    ];
    if (node.deps.length > 0) facts.push(['after', esc(node.deps.join(', '))]);
    if (node.fallback) facts.push(['fallback', `step ${node.fallback.via} answered after the node ${node.fallback.reason === 'timedOut' ? 'timed out' : 'failed'}`]);
    if (node.error) facts.push(['error', `<span class="error">${esc(node.error)}</span>`]);
    if (node.skipped) facts.push(['skipped', esc(node.skipped)]);
    const cut = node.textCut === 'tail' ? ` (the last ${formatInt(node.text.length)} of ${formatInt(node.streamedChars)} characters)` : node.textCut === 'evicted' ? ' (dropped to save memory)' : '';
    const scroller = this.#text;
    const atBottom = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
    const oldTop = scroller?.scrollTop ?? 0;
    this.#host.innerHTML = [
      `<h3 id="detail-node" data-node="${esc(node.id)}" data-state="${node.state}">${esc(node.id)}</h3>`,
      `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd data-fact="${k}">${v}</dd>`).join('')}</dl>`,
      `<h4>Streamed text <small>${formatInt(node.streamedChars)} chars${cut}</small></h4>`,
      '<pre id="node-text" class="stream"></pre>',
      node.value !== undefined ? `<h4>Output</h4><pre id="node-value" class="value"></pre>` : '',
    ].join('');
    this.#text = this.#host.querySelector<HTMLPreElement>('#node-text')!;
    this.#text.textContent = node.text;
    const value = this.#host.querySelector<HTMLPreElement>('#node-value');
    if (value) value.textContent = node.value ?? '';
    this.#text.scrollTop = sameNode && !atBottom ? oldTop : this.#text.scrollHeight;
  }
}
