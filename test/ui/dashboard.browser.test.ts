/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core): a live run,
 * a late page starting from a snapshot, and the page's own schema validation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { execute, shareRun, type RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { writeRunLog } from 'rx-orchestra/observe';
import { STATE_COLORS } from '../../src/ui/page/colors.js';
import { useBrowser, openDashboard, rgb, screenshotPath } from './browser.js';
import { CROWDED_NODES, PIPELINE_NODES, crowdedPipeline, researchPipeline } from './pipeline.js';
import { agentRun } from '../observe/agent-run.js';

const GREEN = rgb(STATE_COLORS.succeeded);
const PURPLE = rgb(STATE_COLORS.fellBack);

/** Runs the crowded pipeline in virtual time and writes its run log; returns the log's path and the events. */
async function recordedRun(): Promise<{ path: string; events: RunEvent[] }> {
  const path = join(mkdtempSync(join(tmpdir(), 'rxo-ui-')), 'runs.jsonl');
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const log = writeRunLog(path, { append: false });
  const events: RunEvent[] = [];
  execute(crowdedPipeline(scheduler), { scheduler, concurrency: 8 }).subscribe((event) => {
    events.push(event);
    log(event);
  });
  scheduler.flush();
  await log.close();
  return { path, events };
}

const browser = useBrowser();

describe('the live dashboard', () => {
  it('draws a running pipeline: nodes turn green, Gantt bars per attempt, totals, streamed text', async () => {
    const shared = shareRun(execute(researchPipeline(), { concurrency: 4 }));
    const events: RunEvent[] = [];
    shared.events$.subscribe((event) => events.push(event));
    const dashboard = await startDashboard({ events$: shared.events$, title: 'research pipeline' });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      shared.connect();
      const { summary } = await shared.result;
      expect(summary.status).toBe('succeeded');

      // every node green, by state attribute and by the colour actually painted
      await page.waitForFunction((n) => document.querySelectorAll('#dag .node[data-state="succeeded"]').length === n, PIPELINE_NODES.length, { timeout: 20_000 });
      await page.waitForSelector('body[data-status="completed"]');
      const nodes = await page.$$eval('#dag .node', (gs) => gs.map((g) => ({ id: g.getAttribute('data-node'), state: g.getAttribute('data-state'), fill: getComputedStyle(g.querySelector('rect')!).fill })));
      expect(nodes.map((n) => n.id).sort()).toEqual([...PIPELINE_NODES].sort());
      for (const node of nodes) expect(node, node.id ?? '').toMatchObject({ state: 'succeeded', fill: GREEN });
      await expect.poll(() => page.textContent('#run-status')).toBe('succeeded');

      // the layout comes from d3-dag: deps to the left of their dependents
      const xOf = Object.fromEntries(await page.$$eval('#dag .node', (gs) => gs.map((g) => [g.getAttribute('data-node'), (g as SVGGElement).getBBox && g.getBoundingClientRect().x])));
      expect(xOf.plan).toBeLessThan(xOf.search_web);
      expect(xOf.search_papers).toBeLessThan(xOf.synthesize);
      expect(xOf.synthesize).toBeLessThan(xOf.report);

      // one Gantt bar per attempt, rows by first start, attempts in order
      const starts = events.filter((e) => e.type === 'node.started');
      expect(starts).toHaveLength(summary.attempts);
      const firstStart = new Map<string, number>();
      for (const e of starts) if (!firstStart.has(e.nodeId)) firstStart.set(e.nodeId, e.at);
      const expected = [...firstStart.keys()].flatMap((id) => starts.filter((e) => e.nodeId === id).map((e) => `${id}#${e.attempt}`));
      await page.waitForFunction((n) => document.querySelectorAll('#gantt .bar').length === n, summary.attempts);
      const bars = await page.$$eval('#gantt .bar', (rects) =>
        rects.map((r) => ({ key: `${r.getAttribute('data-node')}#${r.getAttribute('data-attempt')}`, outcome: r.getAttribute('data-outcome'), x: Number(r.getAttribute('x')) })),
      );
      expect(bars.map((b) => b.key)).toEqual(expected);
      expect(bars.filter((b) => b.outcome === 'retried').map((b) => b.key)).toEqual(['search_papers#1']);
      expect(bars.filter((b) => b.outcome === 'succeeded')).toHaveLength(PIPELINE_NODES.length);
      const rowStarts = [...firstStart.keys()].map((id) => bars.find((b) => b.key === `${id}#1`)!.x);
      expect(rowStarts).toEqual([...rowStarts].sort((a, b) => a - b));
      expect(await page.$$eval('#gantt .wait-retry', (w) => w.map((r) => r.getAttribute('data-node')))).toEqual(['search_papers']);

      // totals match the run summary
      const total = summary.usage.total;
      const tokens = await page.$eval('#total-tokens', (el) => ({ ...(el as HTMLElement).dataset }));
      expect(Number(tokens.inputTokens)).toBe(total.inputTokens);
      expect(Number(tokens.outputTokens)).toBe(total.outputTokens);
      expect(Number(tokens.tokens)).toBe(total.inputTokens + total.outputTokens);
      expect(Number(await page.$eval('#total-cost', (el) => (el as HTMLElement).dataset.costUsd))).toBeCloseTo(total.costUsd, 12);
      expect(total.costUsd).toBeGreaterThan(0);
      const agentRows = await page.$$eval('#metrics tbody tr[data-agent]', (rows) => rows.map((r) => r.getAttribute('data-agent')));
      expect(agentRows.sort()).toEqual([...PIPELINE_NODES].sort());
      expect(await page.textContent('#invalid-count')).toBe('0');

      // clicking a node shows the text it streamed
      const streamed = events.flatMap((e) => (e.type === 'node.token' && e.nodeId === 'synthesize' ? [e.text] : [])).join('');
      expect(streamed.length).toBeGreaterThan(20);
      await page.click('#dag .node[data-node="synthesize"]');
      await page.waitForSelector('#detail-node[data-node="synthesize"]');
      expect(await page.textContent('#node-text')).toBe(streamed);
      expect(await page.getAttribute('#dag .node[data-node="synthesize"]', 'class')).toContain('selected');

      await page.screenshot({ path: screenshotPath('dashboard-small-run.png') });
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);

  it('gives a page that connects after the run a snapshot: every node green, one bar each', async () => {
    const shared = shareRun(execute(researchPipeline(), { concurrency: 4 }));
    const dashboard = await startDashboard({ events$: shared.events$ });
    try {
      shared.connect();
      const { summary } = await shared.result;
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      await page.waitForFunction((n) => document.querySelectorAll('#dag .node[data-state="succeeded"]').length === n, PIPELINE_NODES.length, { timeout: 20_000 });
      await page.waitForSelector('body[data-stream="ended"]');
      // the snapshot carries each node's history: one bar per attempt, the retry included, as a page connected from the start draws them
      await page.waitForFunction((n) => document.querySelectorAll('#gantt .bar').length === n, summary.attempts);
      expect(await page.$$eval('#gantt .bar', (b) => b.filter((r) => r.getAttribute('data-outcome') === 'retried').map((r) => r.getAttribute('data-node')))).toEqual(['search_papers']);
      expect(Number(await page.$eval('#total-tokens', (el) => (el as HTMLElement).dataset.tokens))).toBe(summary.usage.total.inputTokens + summary.usage.total.outputTokens);
      expect(Number(await page.$eval('#total-cost', (el) => (el as HTMLElement).dataset.costUsd))).toBeCloseTo(summary.usage.total.costUsd, 12);
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);
});

describe('the page’s schema validation', () => {
  it('rejects events that do not match RunEventSchema, applies the rest, and says why', async () => {
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      const runId = 'r-invalid';
      const bad = (event: Record<string, unknown>) => events$.next(event as unknown as RunEvent);
      events$.next({ type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [] }, { id: 'b', deps: ['a'] }] });
      events$.next({ type: 'node.started', runId, nodeId: 'a', at: 1, attempt: 1 });
      bad({ type: 'node.succeeded', runId, nodeId: 'a', at: 'later', attempts: 1, startedAt: 1, durationMs: 5, value: 'x' }); // `at` is not a number
      bad({ type: 'node.exploded', runId, nodeId: 'b', at: 3 }); // no such event
      bad({ type: 'node.started', runId, nodeId: 'b', at: 4 }); // no attempt
      events$.next({ type: 'node.queued', runId, nodeId: 'b', at: 5, priority: 1 });

      await page.waitForFunction(() => document.querySelector('#invalid-count')?.getAttribute('data-count') === '3');
      await page.waitForSelector('#dag .node[data-node="b"][data-state="queued"]');
      expect(await page.getAttribute('#dag .node[data-node="a"]', 'data-state')).toBe('running'); // the invalid success was not applied
      // the counter updates at once, the list on the next (throttled) redraw
      await page.waitForFunction(() => document.querySelectorAll('#invalid-list li').length === 3);
      const reasons = await page.$$eval('#invalid-list li', (items) => items.map((li) => li.textContent));
      expect(reasons).toHaveLength(3);
      expect(reasons[2]).toMatch(/^node\.succeeded at: /);
      expect(reasons[1]).toMatch(/^node\.exploded type: /);
      expect(reasons[0]).toMatch(/^node\.started attempt: /);
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 60_000);
});

describe('replaying a run log', () => {
  it('plays a recorded run back at the speed asked, with rate-limiter waits, retries and fallbacks marked', async () => {
    const { path, events } = await recordedRun();
    const summary = events.flatMap((e) => (e.type === 'run.completed' ? [e.summary] : []))[0]!;
    const count = (type: RunEvent['type']) => events.filter((e) => e.type === type).length;
    expect(count('ratelimit.waiting')).toBeGreaterThan(0);
    expect(summary.makespanMs).toBeGreaterThan(20_000);
    const speed = 15;
    const dashboard = await startDashboard({ replay: { path, speed } });
    try {
      const started = performance.now();
      const { page, errors } = await openDashboard(browser(), dashboard.url); // the replay starts as the page connects
      expect(await page.textContent('.brand .mode')).toBe('replay ×15');
      await page.waitForSelector('body[data-status="completed"]', { timeout: 30_000 });
      const took = performance.now() - started;
      expect(took).toBeGreaterThan((summary.makespanMs / speed) * 0.9); // played out over time, not at once
      expect(took).toBeLessThan(summary.makespanMs / speed + 15_000);

      const states = Object.fromEntries(await page.$$eval('#dag .node', (gs) => gs.map((g) => [g.getAttribute('data-node'), [g.getAttribute('data-state'), getComputedStyle(g.querySelector('rect')!).fill]])));
      for (const id of CROWDED_NODES) expect(states[id], id).toEqual(id === 'review' ? ['fellBack', PURPLE] : ['succeeded', GREEN]);
      await page.waitForFunction((n) => document.querySelectorAll('#gantt .bar').length === n, count('node.started'));
      expect(await page.$$eval('#gantt .wait-ratelimit', (w) => w.length)).toBe(count('ratelimit.waiting'));
      expect(await page.$$eval('#gantt .wait-retry', (w) => w.map((r) => r.getAttribute('data-node')))).toEqual(['review']);
      expect(await page.$$eval('#gantt .mark-fallback', (m) => m.map((r) => r.getAttribute('data-node')))).toEqual(['review']);
      expect(await page.$$eval('#gantt .bar', (b) => b.filter((r) => r.getAttribute('data-node') === 'review').map((r) => r.getAttribute('data-outcome')))).toEqual(['retried', 'fellBack']);
      expect(Number(await page.$eval('#total-tokens', (el) => (el as HTMLElement).dataset.tokens))).toBe(summary.usage.total.inputTokens + summary.usage.total.outputTokens);
      expect(await page.textContent('#q-routed')).toContain('a fallback answered');
      expect(await page.textContent('#elapsed')).toBe(`${(summary.makespanMs / 1000).toFixed(1)} s`);
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);

  it('plays it all at once at speed Infinity', async () => {
    const { path, events } = await recordedRun();
    const dashboard = await startDashboard({ replay: { path, speed: Infinity } });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      await page.waitForSelector('body[data-status="completed"]', { timeout: 10_000 });
      await page.waitForFunction((n) => document.querySelectorAll('#dag .node').length === n, CROWDED_NODES.length);
      expect(await page.$$eval('#dag .node[data-state="succeeded"]', (g) => g.length)).toBe(CROWDED_NODES.length - 1);
      await expect.poll(() => page.$eval('#events-applied', (el) => el.textContent)).toBe(String(events.length));
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);
});

describe('an agent node on the dashboard', () => {
  it("draws its tool calls as sub-bars inside its attempt bar and lists its steps and tool calls in its detail panel", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'rxo-ui-')), 'agent.jsonl');
    const log = writeRunLog(path, { append: false });
    agentRun().forEach(log);
    await log.close();
    const dashboard = await startDashboard({ replay: { path, speed: Infinity } });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      await page.waitForSelector('body[data-status="completed"]', { timeout: 10_000 });
      await page.waitForFunction(() => document.querySelectorAll('#gantt .tool-call').length === 3);
      const calls = await page.$$eval('#gantt .tool-call', (rects) => rects.map((r) => [r.getAttribute('data-node'), r.getAttribute('data-tool'), r.getAttribute('data-outcome'), Number(r.getAttribute('x')), Number(r.getAttribute('width'))]));
      expect(calls.map((c) => c.slice(0, 3))).toEqual([['scout', 'lookup', 'succeeded'], ['scout', 'grep', 'failed'], ['scout', 'lookup', 'succeeded']]);
      const bar = await page.$eval('#gantt .bar[data-node="scout"]', (r) => [Number(r.getAttribute('x')), Number(r.getAttribute('width'))]);
      for (const [, , , x, w] of calls) {
        expect(x as number).toBeGreaterThanOrEqual(bar[0]!);
        expect((x as number) + (w as number)).toBeLessThanOrEqual(bar[0]! + bar[1]! + 0.5);
      }
      await page.click('#gantt .row[data-node="scout"] .bar');
      await page.waitForSelector('#detail-node[data-node="scout"]');
      expect(await page.$$eval('#agent-steps tr', (rows) => rows.map((r) => r.getAttribute('data-step') ?? `${r.getAttribute('data-tool')} ${r.getAttribute('data-outcome')}`))).toEqual([
        '1', 'lookup succeeded', 'grep failed', '2', 'lookup succeeded', '3',
      ]);
      expect(await page.textContent('#agent-steps tr[data-tool="grep"]')).toContain('grep: no such file');
      const lanes = await page.$$eval('#gantt .tool-call', (rects) => rects.map((r) => Number(r.getAttribute('y'))));
      expect(lanes[0]).not.toBe(lanes[1]); // the parallel calls of step 1 sit one above the other
      await page.waitForSelector('#tool-metrics tr[data-tool="grep"]');
      expect(await page.$$eval('#tool-metrics tbody tr', (rows) => rows.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)))).toEqual([
        ['lookup', '2', '0', '5 ms', '7 ms'],
        ['grep', '1', '1', '3 ms', '3 ms'],
      ]);
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);
});
