/** The selected node: its state, attempts, times, tokens, cost, error or output, an agent's steps and tool calls, and its streamed text. */
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
    if (node.agentSteps > 0 || node.toolCalls > 0) facts.push(['agent loop', `${formatInt(node.agentSteps)} steps · ${formatInt(node.toolCalls)} tool calls${node.toolFailures > 0 ? ` (<span class="error">${formatInt(node.toolFailures)} failed</span>)` : ''}`]);
    const cut = node.textCut === 'tail' ? ` (the last ${formatInt(node.text.length)} of ${formatInt(node.streamedChars)} characters)` : node.textCut === 'evicted' ? ' (dropped to save memory)' : '';
    const scroller = this.#text;
    const atBottom = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
    const oldTop = scroller?.scrollTop ?? 0;
    this.#host.innerHTML = [
      `<h3 id="detail-node" data-node="${esc(node.id)}" data-state="${node.state}">${esc(node.id)}</h3>`,
      `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd data-fact="${k}">${v}</dd>`).join('')}</dl>`,
      agentStepsHtml(node),
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

/**
 * An agent node's steps, each followed by the tool calls it asked for (tool, duration, ok or
 * failed with the error), as an HTML table; '' for a node that is no agent. Pure.
 */
export function agentStepsHtml(node: Pick<NodeModel, 'steps' | 'tools' | 'dropped'>): string {
  if (node.steps.length === 0 && node.tools.length === 0) return '';
  const rows: string[] = [];
  const toolRow = (t: NodeModel['tools'][number]) => {
    const ok = t.outcome === 'succeeded' ? 'ok' : t.outcome;
    const error = t.error === undefined ? '' : ` <span class="error">${esc(t.error)}</span>${t.handling === 'fatal' ? ' (failed the node)' : ''}`;
    return `<tr class="tool-call" data-tool="${esc(t.tool)}" data-outcome="${t.outcome}"><td></td><td>↳ ${esc(t.tool)}</td><td>${formatMs(t.end === undefined ? undefined : t.end - t.start)}</td><td>${ok}${error}</td></tr>`;
  };
  let next = 0; // tool calls are listed after the step that asked for them (both in event order)
  for (const step of node.steps) {
    for (; next < node.tools.length && isBefore(node.tools[next]!, step); next++) rows.push(toolRow(node.tools[next]!));
    rows.push(`<tr class="agent-step" data-step="${step.step}"><td>step ${step.step}</td><td>${esc(step.stopReason)}</td><td>${formatMs(step.end - step.start)}</td><td>${formatInt(step.inputTokens)} in · ${formatInt(step.outputTokens)} out</td></tr>`);
  }
  for (; next < node.tools.length; next++) rows.push(toolRow(node.tools[next]!));
  return `<h4>Agent steps</h4><table id="agent-steps" class="agent-steps">${rows.join('')}</table>`;
}

/** Whether a tool call came before a step: an earlier attempt, or an earlier step of the same one. */
const isBefore = (t: { attempt: number; step: number }, s: { attempt: number; step: number }) => t.attempt < s.attempt || (t.attempt === s.attempt && t.step < s.step);
