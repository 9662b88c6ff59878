/**
 * The selected node: first what needs reading (a failure's error, in the error colour; what an
 * approval asks; the streamed text, or why there is none; an agent's steps and tool calls), then
 * its state, attempts, times, tokens, cost and output; for a node waiting for approval, what it asks with Approve /
 * Reject (and a reason); for a fan-out or subgraph node, its children's progress, the ones worth a
 * look, and a control to show them in the graph or fold them back.
 */
import { esc, formatInt, formatMs, formatUsd } from './format.js';
import type { DashboardModel, NodeModel } from './model.js';
import { groupSummary } from './groups.js';
import { streamNote } from './stream-note.js';

/** What the node panel asks of the page: deliver a decision, expand or fold a group, select a node. */
export interface DetailActions {
  /** Posts the decision; resolves with an error message, or undefined once the run took it. */
  decide(nodeId: string, approve: boolean, reason: string): Promise<string | undefined>;
  toggleGroup(groupId: string): void;
  isCollapsed(groupId: string): boolean;
  select(nodeId: string): void;
  /** Fetches a node's value whole (the snapshot carried a preview); the model is updated when it comes. */
  fetchValue(nodeId: string): void;
}

/** Children of a group listed in the panel (the ones worth a look first). */
const LISTED_CHILDREN = 20;

export class DetailView {
  readonly #host: HTMLElement;
  readonly #actions: DetailActions;
  #shown: { node: NodeModel; version: number; collapsed: boolean } | undefined;
  #text: HTMLPreElement | undefined;
  /** The answer to the last decision sent, per node (kept across redraws). */
  readonly #status = new Map<string, string>();

  constructor(host: HTMLElement, actions: DetailActions) {
    this.#host = host;
    this.#actions = actions;
    host.addEventListener('click', (event) => {
      const target = event.target as HTMLElement | null;
      const button = target?.closest<HTMLElement>('button, a[data-select]');
      if (!button || !this.#shown) return;
      if (button.tagName === 'A') event.preventDefault();
      const nodeId = this.#shown.node.id;
      if (button.id === 'approve' || button.id === 'reject') void this.#decide(nodeId, button.id === 'approve');
      else if (button.id === 'group-toggle') this.#actions.toggleGroup(nodeId);
      else if (button.dataset.select) this.#actions.select(button.dataset.select);
    });
  }

  async #decide(nodeId: string, approve: boolean): Promise<void> {
    const reason = this.#host.querySelector<HTMLInputElement>('#approval-reason')?.value.trim() ?? '';
    for (const b of Array.from(this.#host.querySelectorAll<HTMLButtonElement>('#approval button'))) b.disabled = true;
    this.#setStatus(nodeId, `sending ${approve ? 'approval' : 'rejection'}…`);
    const error = await this.#actions.decide(nodeId, approve, reason);
    this.#setStatus(nodeId, error === undefined ? (approve ? 'approved: the node runs' : 'rejected') : `refused: ${error}`);
    if (error !== undefined) for (const b of Array.from(this.#host.querySelectorAll<HTMLButtonElement>('#approval button'))) b.disabled = false;
  }

  #setStatus(nodeId: string, text: string): void {
    this.#status.set(nodeId, text);
    const status = this.#host.querySelector<HTMLElement>('#approval-status');
    if (status && this.#shown?.node.id === nodeId) status.textContent = text;
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
    const collapsed = this.#actions.isCollapsed(node.id);
    if (this.#shown?.node === node && this.#shown.version === node.version && this.#shown.collapsed === collapsed) return;
    const sameNode = this.#shown?.node === node;
    const reason = sameNode ? this.#host.querySelector<HTMLInputElement>('#approval-reason')?.value : undefined;
    this.#shown = { node, version: node.version, collapsed };
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
    if (node.skipped) facts.push(['skipped', esc(node.skipped)]);
    if (node.decided) facts.push(['decision', esc(node.decided)]);
    if (node.parent !== undefined) facts.push(['added by', `<a href="#" data-select="${esc(node.parent)}">${esc(node.parent)}</a>`]);
    const group = model.groups.get(node.id);
    if (group) {
      const toggle = `<button id="group-toggle" type="button">${collapsed ? 'show them in the graph' : 'fold them into the node'}</button>`;
      facts.push([group.kind === 'subgraph' ? 'subgraph' : 'children', `<span id="group-summary">${esc(groupSummary(group))}</span> ${toggle}`]);
    }
    if (node.dropped > 0) facts.push(['cut', `${formatInt(node.dropped)} older ${node.dropped === 1 ? 'event' : 'events'} (attempts, waits, steps, tool calls) not shown: each node keeps its latest`]);
    if (node.agentSteps > 0 || node.toolCalls > 0) facts.push(['agent loop', `${formatInt(node.agentSteps)} steps · ${formatInt(node.toolCalls)} tool calls${node.toolFailures > 0 ? ` (<span class="error">${formatInt(node.toolFailures)} failed</span>)` : ''}`]);
    const note = streamNote(node);
    const scroller = this.#text;
    const atBottom = !scroller || scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
    const oldTop = scroller?.scrollTop ?? 0;
    // What the user came for first: what went wrong, what it asks, what it streamed and did; the facts after.
    this.#host.innerHTML = [
      `<h3 id="detail-node" data-node="${esc(node.id)}" data-state="${node.state}"><span class="swatch" data-state="${node.state}"></span>${esc(node.id)}</h3>`,
      errorHtml(node),
      node.approval ? approvalHtml(node.approval, this.#status.get(node.id) ?? '') : '',
      `<h4>Streamed text <small id="node-text-summary">${note.summary}</small></h4>`,
      note.empty === undefined ? '' : `<p id="node-text-note" class="stream-note" data-kind="${note.kind}">${esc(note.empty)}</p>`,
      `<pre id="node-text" class="stream"${note.empty === undefined ? '' : ' hidden'}></pre>`,
      agentStepsHtml(node),
      `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd data-fact="${k}">${v}</dd>`).join('')}</dl>`,
      group ? childrenHtml(group.children) : '',
      node.value !== undefined ? `<h4>Output</h4><pre id="node-value" class="value"></pre>` : '',
    ].join('');
    this.#text = this.#host.querySelector<HTMLPreElement>('#node-text')!;
    this.#text.textContent = node.text;
    const payload = this.#host.querySelector<HTMLPreElement>('#approval-payload');
    if (payload) payload.textContent = node.approval?.payload ?? '';
    const reasonInput = this.#host.querySelector<HTMLInputElement>('#approval-reason');
    if (reasonInput && reason) reasonInput.value = reason;
    const value = this.#host.querySelector<HTMLPreElement>('#node-value');
    if (value) value.textContent = node.value ?? '';
    if (node.valueCut && value) {
      value.textContent = `${node.value ?? ''}\n(loading the whole value…)`;
      this.#actions.fetchValue(node.id);
    }
    this.#text.scrollTop = sameNode && !atBottom ? oldTop : this.#text.scrollHeight;
  }
}

/**
 * A failed or timed-out node's error, at the top of the panel in the error colour; a retrying
 * node's last error and a fallback's cause, quieter. '' when there is none.
 */
function errorHtml(node: Pick<NodeModel, 'state' | 'error' | 'attempts' | 'fallback'>): string {
  if (node.error === undefined) return '';
  const [kind, head] =
    node.state === 'failed'
      ? ['failed', `Failed after ${node.attempts} ${node.attempts === 1 ? 'attempt' : 'attempts'}`]
      : node.state === 'timedOut'
        ? ['timedOut', 'Timed out']
        : node.state === 'retrying'
          ? ['retrying', `Attempt ${node.attempts} failed; retrying`]
          : node.state === 'fellBack'
            ? ['fellBack', `Fell back after it ${node.fallback?.reason === 'timedOut' ? 'timed out' : 'failed'}`]
            : ['earlier', 'An earlier attempt failed'];
  return `<section id="node-error" class="node-error" data-kind="${kind}" role="alert"><b>${head}</b><pre>${esc(node.error)}</pre></section>`;
}

/** The approval box: what the node asks (filled in as text), a reason field, Approve and Reject. */
function approvalHtml(approval: NonNullable<NodeModel['approval']>, status: string): string {
  const limit = approval.timeoutMs === null ? 'no time limit' : `gives up after ${formatMs(approval.timeoutMs)}`;
  return [
    `<section id="approval" class="approval"><h4>Awaiting approval <small>${limit}</small></h4>`,
    '<pre id="approval-payload" class="value"></pre>',
    '<input id="approval-reason" type="text" maxlength="500" placeholder="reason (sent with a rejection)" aria-label="reason">',
    '<div class="approval-actions"><button id="approve" type="button">Approve</button><button id="reject" type="button">Reject</button></div>',
    `<p id="approval-status" class="hint">${esc(status)}</p></section>`,
  ].join('');
}

/** A group's children worth a look first (waiting, failed, in flight), then the others, as links; at most {@link LISTED_CHILDREN}. */
function childrenHtml(children: readonly NodeModel[]): string {
  const rank = (n: NodeModel) => (n.state === 'waiting' ? 0 : n.state === 'failed' || n.state === 'timedOut' ? 1 : n.state === 'running' || n.state === 'retrying' ? 2 : 3);
  const listed = children.length <= LISTED_CHILDREN ? children : [...children].sort((a, b) => rank(a) - rank(b) || a.index - b.index).slice(0, LISTED_CHILDREN);
  const more = children.length - listed.length;
  const items = listed.map((n) => `<li><span class="swatch" data-state="${n.state}"></span><a href="#" data-select="${esc(n.id)}">${esc(n.id)}</a> ${n.state}</li>`).join('');
  return `<ul id="group-children" class="children">${items}${more > 0 ? `<li class="hint">… and ${formatInt(more)} more</li>` : ''}</ul>`;
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
