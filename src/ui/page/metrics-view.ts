/**
 * Per-agent metrics (calls, failures, retries, fallbacks, p50/p95 duration, tokens, cost) and seed
 * 004's questions: the slowest agent, the most-called one, routing calls per request, and which
 * failures were routed around; per tool of agent nodes, calls, failures and p50/p95 duration. Redrawn at most every 250 ms (every second past 1,000 agents);
 * the table shows the 40 busiest agents, or, past 40 agents, the 40 busiest families of agents
 * (`explore ×2,000` for a fan-out's children, each its own agent: see {@link agentRows}). The panel
 * scrolls; it never grows into the graph's or the timeline's room.
 */
import { percentile } from '../../observe/percentile.js';
import { agentRows } from './agent-groups.js';
import { esc, formatInt, formatMs, formatUsd } from './format.js';
import type { AgentStats, DashboardModel } from './model.js';

const SHOWN = 40;

export class MetricsView {
  readonly #table: HTMLElement;
  readonly #questions: HTMLElement;
  readonly #requestFrame: () => void;
  #drawnVersion = -1;
  #lastDraw = -Infinity;

  constructor(table: HTMLElement, questions: HTMLElement, requestFrame: () => void) {
    this.#table = table;
    this.#questions = questions;
    this.#requestFrame = requestFrame;
  }

  draw(model: DashboardModel, now: number): void {
    if (model.version === this.#drawnVersion) return;
    if (now - this.#lastDraw < (model.agents.size > 1_000 ? 1_000 : 250)) {
      this.#requestFrame();
      return;
    }
    this.#lastDraw = now;
    this.#drawnVersion = model.version;
    const agents = [...model.agents.values()];
    const p95 = new Map(agents.map((a) => [a, percentile(a.durations, 95)]));
    const slowest = best(agents, (a) => p95.get(a)!);
    const busiest = best(agents, (a) => a.calls);
    const rows = agentRows(agents, SHOWN);
    const shown = rows.slice(0, SHOWN);
    const grouped = rows.length < agents.length;
    const t = model.totals;
    this.#table.dataset.agents = String(agents.length);
    this.#table.dataset.rows = String(rows.length);
    this.#table.innerHTML = [
      `<table class="metrics"><thead><tr><th>${grouped ? 'agent (family)' : 'agent'}</th><th>calls</th><th>ok</th><th>failed</th><th>retries</th><th>fallbacks</th><th>p50</th><th>p95</th><th>tokens in</th><th>tokens out</th><th>cost</th></tr></thead><tbody>`,
      ...shown.map(
        (a) =>
          `<tr data-agent="${esc(a.name)}" data-members="${a.members}"${a.failures > 0 ? ' class="has-failures"' : ''}><td>${esc(a.name)}${a.members > 1 ? ` <small class="members">×${formatInt(a.members)}</small>` : ''}</td><td>${formatInt(a.calls)}</td><td>${formatInt(a.succeeded)}</td><td>${formatInt(a.failures)}</td><td>${formatInt(a.retries)}</td><td>${formatInt(a.fellBack)}</td><td>${formatMs(percentile(a.durations, 50))}</td><td>${formatMs(percentile(a.durations, 95))}</td><td>${formatInt(a.inputTokens)}</td><td>${formatInt(a.outputTokens)}</td><td data-cost-usd="${a.costUsd}">${formatUsd(a.costUsd)}</td></tr>`,
      ),
      rows.length > SHOWN ? `<tr class="more"><td colspan="11">… and ${formatInt(rows.length - SHOWN)} more ${grouped ? 'families of agents' : 'agents'}</td></tr>` : '',
      `</tbody><tfoot><tr><td>total</td><td>${formatInt(t.calls)}</td><td colspan="6"></td><td>${formatInt(t.inputTokens)}</td><td>${formatInt(t.outputTokens)}</td><td>${formatUsd(t.costUsd)}</td></tr></tfoot></table>`,
      toolsTable(model),
    ].join('');
    const routed = model.routedAround.slice(-8);
    this.#questions.innerHTML = [
      '<dl class="questions">',
      `<dt>Slowest agent (p95)</dt><dd id="q-slowest">${slowest ? `${esc(slowest.agent)} · ${formatMs(p95.get(slowest))}` : '–'}</dd>`,
      `<dt>Most called agent</dt><dd id="q-busiest">${busiest ? `${esc(busiest.agent)} · ${formatInt(busiest.calls)} calls` : '–'}</dd>`,
      `<dt>Routing calls per request</dt><dd id="q-routing">${model.routing.requests > 0 ? (model.routing.calls / model.routing.requests).toFixed(1) : '–'}</dd>`,
      `<dt>Failures routed around</dt><dd id="q-routed">${
        routed.length === 0 ? 'none' : `<ul>${routed.map((r) => `<li>${esc(r.agent)} (${r.how === 'fallback' ? 'a fallback answered' : 'the supervisor chose another worker'}): ${esc(r.error)}</li>`).join('')}</ul>`
      }</dd>`,
      '</dl>',
    ].join('');
  }
}

/** Per tool (the busiest first): calls, failures, p50/p95 duration; '' when no agent called a tool. */
function toolsTable(model: DashboardModel): string {
  if (model.tools.size === 0) return '';
  const tools = [...model.tools.values()].sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool)).slice(0, SHOWN);
  return [
    '<table class="metrics" id="tool-metrics"><thead><tr><th>tool</th><th>calls</th><th>failed</th><th>p50</th><th>p95</th></tr></thead><tbody>',
    ...tools.map((t) => `<tr data-tool="${esc(t.tool)}"><td>${esc(t.tool)}</td><td>${formatInt(t.calls)}</td><td>${formatInt(t.failures)}</td><td>${formatMs(percentile(t.durations, 50))}</td><td>${formatMs(percentile(t.durations, 95))}</td></tr>`),
    '</tbody></table>',
  ].join('');
}

function best(agents: readonly AgentStats[], score: (a: AgentStats) => number): AgentStats | undefined {
  let top: AgentStats | undefined;
  let topScore = -Infinity;
  for (const agent of agents) {
    const s = score(agent);
    if (!Number.isNaN(s) && s > topScore) [top, topScore] = [agent, s];
  }
  return top;
}
