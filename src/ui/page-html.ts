import { MATCH_RING, PROBLEM_RING, STATE_COLORS } from './page/colors.js';
import { esc } from './page/format.js';

/**
 * The page's Content-Security-Policy: its own origin only, no inline script. `'unsafe-eval'` lets
 * zod compile its fast validators with `new Function`.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dashboard's single page. */
export function pageHtml(options: { title: string; mode: 'live' | 'replay'; speed?: number }): string {
  const speed = options.speed === undefined ? '' : options.speed === Infinity ? 'at once' : `×${options.speed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
<link rel="stylesheet" href="/app/styles.css">
<script type="module" src="/app/ui/page/main.js"></script>
</head>
<body data-mode="${options.mode}" data-status="waiting" data-stream="connecting">
<header class="top">
  <div class="line">
    <div class="brand"><b>${esc(options.title)}</b> <span class="mode">${options.mode === 'replay' ? `replay ${esc(speed)}` : 'live'}</span></div>
    <div class="run"><span id="run-status" class="status">waiting</span> <code id="run-id"></code></div>
    <button id="approvals-banner" class="approvals-banner" type="button" hidden></button>
    <div class="totals">
      <span>elapsed <b id="elapsed">–</b></span>
      <span>tokens <b id="total-tokens">0</b></span>
      <span>cost <b id="total-cost">$0</b></span>
      <span>concurrency <b id="concurrency">–</b></span>
      <span>events <b id="events-applied">0</b> · <b id="events-rate">0</b>/s</span>
      <span>lag <b id="lag">–</b></span>
      <span class="invalid">invalid <b id="invalid-count" data-count="0">0</b></span>
    </div>
  </div>
  <div class="line">
    <div id="state-chips" class="chips"></div>
  </div>
</header>
<main class="grid">
  <section class="panel dag-panel">
    <h2>Graph <small id="dag-info" class="dag-info"></small>
      <span class="finder">
        <button id="problems-next" class="problems" type="button" title="jump to the next node that failed, timed out, fell back, is retrying or was retried" disabled>problems <b id="problems-count" data-count="0">0</b></button>
        <label class="toggle" title="draw only those nodes, in the graph and the timeline"><input id="problems-only" type="checkbox"> only</label>
        <input id="search" type="search" placeholder="find a node by id  ( / )" aria-label="find a node by id" autocomplete="off" spellcheck="false">
        <span id="search-info" class="search-info"></span>
        <button id="search-next" type="button" title="jump to the next match (Enter; Shift+Enter goes back)" disabled>next</button>
        <button id="dag-fit" type="button" title="fit the whole graph into view; it re-fits as the window changes until you pan or zoom">fit</button>
      </span></h2>
    <div id="dag" class="dag"></div>
  </section>
  <section class="panel detail-panel"><h2>Node</h2><div id="detail" class="detail"></div></section>
  <section class="panel gantt-panel">
    <h2>Timeline <small>bars: attempts · <span class="key key-retry"></span> retry backoff · <span class="key key-ratelimit"></span> rate-limiter wait · <span class="key key-approval"></span> awaiting approval · <span class="key key-fallback"></span> fallback</small></h2>
    <canvas id="gantt-overview" class="gantt-overview" title="every row of the timeline: click or drag to scroll there"></canvas>
    <div id="gantt" class="gantt"></div>
  </section>
  <section class="panel metrics-panel"><h2>Agents</h2><div id="metrics"></div></section>
  <section class="panel side-panel">
    <h2>Questions</h2><div id="questions"></div>
    <h2>Incidents</h2><ol id="incidents" class="feed"></ol>
    <h2>Rejected events</h2><ol id="invalid-list" class="feed"></ol>
  </section>
</main>
</body>
</html>
`;
}

const stateRules = Object.entries(STATE_COLORS)
  .map(([state, color]) => `.swatch[data-state="${state}"] { background: ${color}; }`)
  .join('\n');

/** The page's stylesheet. */
export const PAGE_CSS = `
:root { --bg: #f8fafc; --panel: #ffffff; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --accent: #2563eb; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { background: var(--bg); color: var(--ink); font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; display: flex; flex-direction: column; overflow: hidden; }
code, pre, time { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
/* The header holds still: two lines of fixed height that never wrap (what does not fit is clipped), numbers in fixed-width digits. */
.top { flex: none; height: 64px; display: flex; flex-direction: column; justify-content: center; gap: 4px; padding: 0 14px; background: #0f172a; color: #e2e8f0; overflow: hidden; font-variant-numeric: tabular-nums; }
.top .line { display: flex; align-items: center; gap: 0 18px; height: 24px; min-width: 0; white-space: nowrap; overflow: hidden; }
.top .brand, .top .run { flex: none; }
.top b { color: #ffffff; }
.brand .mode { margin-left: 6px; padding: 1px 7px; border-radius: 9px; background: #334155; font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
.run code { color: #94a3b8; font-size: 11px; }
.status { display: inline-block; min-width: 80px; padding: 1px 8px; border-radius: 9px; background: #475569; color: #fff; font-weight: 600; text-align: center; }
.status[data-status="running"] { background: #2563eb; }
.status[data-status="succeeded"] { background: #16a34a; }
.status[data-status="partial"] { background: #d97706; }
.status[data-status="failed"], .status[data-status="stopped"] { background: #dc2626; }
.chips { display: flex; flex-wrap: nowrap; gap: 4px; min-width: 0; flex: 1 1 auto; overflow: hidden; }
.chip { flex: none; display: inline-flex; align-items: center; gap: 3px; padding: 1px 7px; border-radius: 9px; background: #1e293b; font-size: 12px; }
.chip b { display: inline-block; min-width: 2ch; text-align: right; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 4px; vertical-align: -1px; }
${stateRules}
.totals { display: flex; flex-wrap: nowrap; gap: 0 14px; margin-left: auto; color: #cbd5e1; min-width: 0; overflow: hidden; }
/* The graph panel's finder: problems (count, jump, filter) and the search by id. */
.dag-info { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.panel h2 .finder { flex: none; display: flex; align-items: center; gap: 6px; text-transform: none; letter-spacing: 0; font-weight: 400; color: var(--ink); }
.finder input[type="search"] { width: 190px; height: 22px; padding: 1px 7px; border: 1px solid #cbd5e1; border-radius: 5px; font: inherit; font-size: 12px; }
.panel h2 .finder button { margin: 0; height: 22px; padding: 0 8px; font-size: 12px; border: 1px solid #cbd5e1; border-radius: 5px; background: #fff; color: var(--ink); cursor: pointer; }
.panel h2 .finder button:disabled { opacity: .45; cursor: default; }
.finder .problems b[data-count]:not([data-count="0"]) { color: ${PROBLEM_RING}; }
.finder .toggle { display: inline-flex; align-items: center; gap: 3px; font-size: 12px; cursor: pointer; }
.search-info { min-width: 64px; color: var(--muted); font-size: 12px; text-align: right; }
.invalid b[data-count]:not([data-count="0"]) { color: #fca5a5; }
/* A fixed grid: every track is a share of the window (minmax(0, …)), so no panel's content can grow it; the panels scroll instead. */
.grid { flex: 1; min-height: 0; display: grid; gap: 10px; padding: 10px; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); grid-template-rows: minmax(0, 1.4fr) minmax(0, 1fr) minmax(0, 0.8fr); grid-template-areas: "dag detail" "gantt gantt" "metrics side"; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; min-height: 0; display: flex; flex-direction: column; }
.panel h2 { margin: 0 0 6px; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); display: flex; align-items: center; gap: 8px; }
.panel h2 small { text-transform: none; letter-spacing: 0; font-weight: 400; }
.panel h2 button { margin-left: auto; font-size: 11px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.dag-panel { grid-area: dag; }
.detail-panel { grid-area: detail; }
.gantt-panel { grid-area: gantt; }
.metrics-panel { grid-area: metrics; overflow: auto; }
.agent-steps { font-size: 12px; border-spacing: 8px 1px; } .agent-steps .tool-call td { color: var(--muted); }
.side-panel { grid-area: side; overflow: auto; }
.side-panel > *, .metrics-panel > * { flex-shrink: 0; }
.dag { position: relative; flex: 1; min-height: 0; overflow: hidden; cursor: grab; background: #f8fafc; border-radius: 6px; }
.dag-svg, .dag-canvas { position: absolute; inset: 0; width: 100%; height: 100%; }
.dag-svg .edges path { fill: none; stroke: #94a3b8; stroke-width: 1.3; }
.dag-svg .arrow { fill: #94a3b8; }
.dag-svg .node { cursor: pointer; }
.dag-svg .node rect { stroke: rgba(15, 23, 42, .25); stroke-width: 1; }
.dag-svg .node.selected rect { stroke: #0f172a; stroke-width: 3; }
.dag-svg.animate .node[data-state="running"] rect { animation: pulse 1s ease-in-out infinite; }
/* Rings keep their width on screen however far out the graph is zoomed (vector-effect), so a problem shows on a 26 x 12 box at 1:5. */
.dag-svg .node.problem rect { stroke: ${PROBLEM_RING}; stroke-width: 2.5px; vector-effect: non-scaling-stroke; }
.dag-svg .node.has-problems rect { stroke: ${PROBLEM_RING}; stroke-width: 2.5px; stroke-dasharray: 5 3; vector-effect: non-scaling-stroke; }
.dag-svg .node.match rect { stroke: ${MATCH_RING}; stroke-width: 4px; vector-effect: non-scaling-stroke; }
.dag-svg .label { font-weight: 600; font-size: 12px; }
.dag-svg .sub { font-size: 10.5px; opacity: .9; }
@keyframes pulse { 50% { stroke: #1d4ed8; stroke-width: 3; } }
.detail { flex: 1; min-height: 0; display: flex; flex-direction: column; overflow: auto; }
.detail h3 { margin: 0 0 4px; font-size: 15px; }
.detail h4 { margin: 8px 0 4px; font-size: 12px; color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.error { color: #b91c1c; }
.stream, .value { flex: 1 0 auto; min-height: 80px; max-height: 60%; margin: 0; padding: 8px; overflow: auto; white-space: pre-wrap; word-break: break-word; background: #0f172a; color: #e2e8f0; border-radius: 6px; font-size: 12px; }
.value { flex: 0 0 auto; min-height: 0; max-height: 120px; background: #f1f5f9; color: var(--ink); }
.stream[hidden] { display: none; }
.stream-note { margin: 0 0 6px; padding: 10px; border: 1px dashed #cbd5e1; border-radius: 6px; color: var(--muted); font-style: italic; }
.stream-note[data-kind="before"], .stream-note[data-kind="evicted"] { border-color: #f59e0b; color: #92400e; background: #fffbeb; }
.detail h3 .swatch { width: 12px; height: 12px; }
.node-error { flex: none; margin: 2px 0 8px; padding: 8px 10px; border-left: 6px solid ${STATE_COLORS.failed}; border-radius: 6px; background: #fef2f2; color: #991b1b; }
.node-error b { font-size: 13px; }
.node-error pre { margin: 4px 0 0; max-height: 140px; overflow: auto; white-space: pre-wrap; word-break: break-word; font-size: 12px; color: #7f1d1d; }
.node-error[data-kind="timedOut"] { border-left-color: ${STATE_COLORS.timedOut}; }
.node-error[data-kind="retrying"], .node-error[data-kind="earlier"] { border-left-color: ${STATE_COLORS.retrying}; background: #fefce8; color: #713f12; }
.node-error[data-kind="retrying"] pre, .node-error[data-kind="earlier"] pre { color: #713f12; }
.node-error[data-kind="fellBack"] { border-left-color: ${STATE_COLORS.fellBack}; background: #f5f3ff; color: #4c1d95; }
.node-error[data-kind="fellBack"] pre { color: #4c1d95; }
.hint { color: var(--muted); }
.gantt-overview { flex: none; display: block; width: 100%; height: 44px; margin-bottom: 4px; border-radius: 4px; background: #f1f5f9; cursor: ns-resize; touch-action: none; }
.gantt { position: relative; flex: 1; min-height: 0; overflow-y: auto; overflow-x: hidden; }
.gantt-svg { position: absolute; left: 0; top: 0; }
.gantt-svg .axis-bg { fill: #f1f5f9; }
.gantt-svg .axis line { stroke: #e2e8f0; }
.gantt-svg .axis text { fill: var(--muted); font-size: 10px; text-anchor: middle; }
.gantt-svg .row { cursor: pointer; }
.gantt-svg .row-bg { fill: transparent; }
.gantt-svg .row:hover .row-bg { fill: rgba(148, 163, 184, .12); }
.gantt-svg .row.selected .row-bg { fill: rgba(37, 99, 235, .10); }
.gantt-svg .row.match .row-bg { fill: rgba(8, 145, 178, .18); }
.gantt-svg .row.problem .row-label { fill: ${PROBLEM_RING}; font-weight: 600; }
.gantt-svg .row.waiting .row-label { fill: #a21caf; font-weight: 700; }
.gantt-svg .wait-approval { stroke: ${STATE_COLORS.waiting}; stroke-width: 1; }
.gantt-svg .row-label { font-size: 11.5px; fill: var(--ink); }
.gantt-svg .bar { stroke: rgba(15, 23, 42, .2); }
.gantt-svg .bar.approx { stroke-dasharray: 3 2; }
.gantt-svg .mark-fallback { fill: #7e22ce; stroke: #fff; stroke-width: 1; }
.key { display: inline-block; width: 14px; height: 8px; border-radius: 2px; vertical-align: 0; }
.key-retry { background: repeating-linear-gradient(45deg, #f59e0b 0 2px, #fef3c7 2px 4px); }
.key-ratelimit { background: repeating-linear-gradient(-45deg, #6366f1 0 2px, #e0e7ff 2px 4px); }
.key-approval { background: repeating-linear-gradient(45deg, ${STATE_COLORS.waiting} 0 2px, #fae8ff 2px 4px); }
.key-fallback { width: 9px; height: 9px; background: #7e22ce; transform: rotate(45deg); }
.metrics { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.metrics th, .metrics td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
.metrics th:first-child, .metrics td:first-child { text-align: left; }
.metrics th { color: var(--muted); font-weight: 600; font-size: 11px; }
.metrics tfoot td { font-weight: 600; border-bottom: 0; }
.metrics .more td { color: var(--muted); text-align: left; }
.metrics .members { color: var(--muted); font-weight: 400; }
.metrics tr.has-failures td:nth-child(4) { color: #b91c1c; font-weight: 600; }
.questions { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0 0 8px; }
.questions dt { color: var(--muted); }
.questions dd { margin: 0; }
.questions ul { margin: 0; padding-left: 16px; }
.feed { margin: 0 0 8px; padding-left: 18px; max-height: 160px; overflow: auto; }
.feed li { margin: 1px 0; }
.feed time { color: var(--muted); margin-right: 4px; }
.feed li[data-kind="failed"], .feed li[data-kind="timedOut"], .feed li[data-kind="circuit.opened"], .feed li[data-kind="budget"] { color: #b91c1c; }
.feed li[data-kind="fallback"] { color: #7e22ce; }
.feed li[data-kind="waiting"] { color: #a21caf; font-weight: 600; }
.approvals-banner { padding: 2px 10px; border: 0; border-radius: 9px; background: ${STATE_COLORS.waiting}; color: #fff; font-weight: 700; cursor: pointer; animation: beckon 1.4s ease-in-out infinite; }
.approvals-banner[hidden] { display: none; }
@keyframes beckon { 50% { box-shadow: 0 0 0 4px rgba(217, 70, 239, .35); } }
/* Waiting for a decision: magenta, a thick dashed outline at any zoom, and (in graphs small enough to animate) a slow glow. */
.dag-svg .node[data-state="waiting"] rect, .dag-svg .node.has-waiting rect { stroke: #701a75; stroke-width: 3.5px; stroke-dasharray: 6 3; vector-effect: non-scaling-stroke; }
.dag-svg.animate .node[data-state="waiting"] rect { animation: wait-glow 1.4s ease-in-out infinite; }
@keyframes wait-glow { 50% { stroke: ${STATE_COLORS.waiting}; stroke-width: 6px; } }
.dag-svg .badge rect { fill: #0f172a; }
.dag-svg .badge text { fill: #fff; font-size: 10px; font-weight: 700; }
.approval { margin: 4px 0 8px; padding: 8px; border: 2px solid ${STATE_COLORS.waiting}; border-radius: 8px; background: #fdf4ff; }
.approval h4 { margin-top: 0; color: #86198f; }
.approval .value { max-height: 160px; }
.approval input { width: 100%; margin: 6px 0; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
.approval-actions { display: flex; gap: 8px; }
.approval-actions button { padding: 4px 14px; border: 0; border-radius: 5px; color: #fff; font-weight: 600; cursor: pointer; }
.approval-actions button:disabled { opacity: .5; cursor: default; }
#approve { background: #16a34a; }
#reject { background: #dc2626; }
.children { margin: 4px 0 8px; padding-left: 0; list-style: none; max-height: 140px; overflow: auto; font-size: 12px; }
.facts button { font-size: 11px; border: 1px solid var(--line); background: #fff; border-radius: 4px; cursor: pointer; }
.dag-svg .node.selected rect { stroke: #0f172a; stroke-width: 3.5px; stroke-dasharray: none; vector-effect: non-scaling-stroke; }
`;
