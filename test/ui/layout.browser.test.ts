/**
 * The dashboard's layout holds still, in a real headless Chromium (Debian's, driven by playwright-core):
 * the graph and the timeline keep their size when hundreds of agents fill the metrics table (it
 * scrolls), the header keeps its height as statuses and counts change, the graph re-fits when the
 * window changes until the user zooms, and the node panel puts first what the user came for (a
 * failure's error, the streamed text, or why there is none).
 */
import { Subject } from 'rxjs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { STATE_COLORS } from '../../src/ui/page/colors.js';
import { useBrowser, openDashboard, rgb, screenshotPath } from './browser.js';

const browser = useBrowser();

const box = (page: Page, selector: string) => page.$eval(selector, (el) => el.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number });
/** Lets the page lay out, run its resize observers and draw (two animation frames). */
const settle = (page: Page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
const transform = (page: Page) => page.getAttribute('#dag .dag-svg .viewport', 'transform');

const ADJECTIVES = ['amber', 'brisk', 'calm', 'deft', 'eager', 'fond', 'gentle', 'hardy', 'idle', 'jolly', 'keen', 'lucid', 'merry', 'noble', 'odd'];
const ANIMALS = ['otter', 'heron', 'lynx', 'moth', 'newt', 'orca', 'puma', 'quail', 'raven', 'stoat', 'tapir', 'urchin', 'vole', 'wren', 'yak', 'zebu', 'bison', 'crane', 'dingo', 'egret'];

describe('a layout that holds still', () => {
  it('keeps the graph, the timeline and the header their size as 300 agents fill the metrics table', async () => {
    const runId = 'r-layout';
    const agents = ADJECTIVES.flatMap((a) => ANIMALS.map((b) => `${a}-${b}`)); // 300 names of no common family
    const ids = agents.map((_, i) => `task_${i}`);
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      events$.next({ type: 'run.started', runId, at: 0, concurrency: 16, nodes: [{ id: 'plan', deps: [] }, ...ids.map((id, i) => ({ id, deps: ['plan'], meta: { agent: agents[i]! } }))] });
      events$.next({ type: 'node.started', runId, nodeId: 'plan', at: 1, attempt: 1 });
      await page.waitForSelector('#dag[data-layout="done"][data-nodes="301"]');
      await page.waitForSelector('#metrics tr[data-agent="plan"]');
      await settle(page);
      const before = { header: await box(page, 'header.top'), dag: await box(page, '#dag'), gantt: await box(page, '#gantt'), metrics: await box(page, '.metrics-panel') };

      let at = 2;
      events$.next({ type: 'node.succeeded', runId, nodeId: 'plan', at: at++, attempts: 1, startedAt: 1, durationMs: 1, value: 'ok' });
      ids.forEach((nodeId, i) => {
        events$.next({ type: 'node.started', runId, nodeId, at: at++, attempt: 1 });
        events$.next({ type: 'node.usage', runId, nodeId, at: at++, attempt: 1, model: 'claude-haiku-4-5', usage: { inputTokens: 1_000 + i, outputTokens: 300 }, costUsd: 0.0123 });
        if (i === 7) events$.next({ type: 'node.failed', runId, nodeId, at: at++, attempts: 1, startedAt: at - 3, durationMs: 2, error: { name: 'Error', message: 'boom' } });
        else if (i === 9) events$.next({ type: 'node.waiting', runId, nodeId, at: at++, payload: { ok: '?' }, timeoutMs: null });
        else if (i < 250) events$.next({ type: 'node.succeeded', runId, nodeId, at: at++, attempts: 1, startedAt: at - 3, durationMs: 2, value: 'ok' });
      });
      await page.waitForSelector('#metrics[data-agents="301"]');
      await page.waitForSelector('#approvals-banner:not([hidden])');
      await page.waitForFunction(() => document.getElementById('count-succeeded')?.textContent === '249');
      await settle(page);
      const after = { header: await box(page, 'header.top'), dag: await box(page, '#dag'), gantt: await box(page, '#gantt'), metrics: await box(page, '.metrics-panel') };
      expect(after).toEqual(before);
      // The table scrolls inside its panel instead.
      expect(await page.$eval('.metrics-panel', (el) => el.scrollHeight > el.clientHeight + 200)).toBe(true);
      expect(await page.$$eval('#metrics table.metrics:first-child tbody tr[data-agent]', (rows) => rows.length)).toBe(40);
      expect(await page.textContent('#metrics tr.more')).toBe('… and 261 more agents');
      // 301 nodes: more than ANIMATE_MAX_NODES, so nothing pulses (the waiting node keeps its thick dashed outline).
      expect(await page.$eval('#dag .node[data-node="task_260"] rect', (r) => getComputedStyle(r).animationName)).toBe('none');
      expect(await page.$eval('#dag .node[data-node="task_9"] rect', (r) => [getComputedStyle(r).animationName, getComputedStyle(r).strokeDasharray])).toEqual(['none', '6px, 3px']);

      // The run ends: the status changes, the header does not move.
      events$.next({ type: 'node.decided', runId, nodeId: 'task_9', at: at++, approve: true, by: 'ana' });
      events$.next({ type: 'run.completed', runId, at: at++, summary: { status: 'partial', nodes: 301, counts: { succeeded: 249, failed: 1, timedOut: 0, skipped: 51, fellBack: 0 }, makespanMs: at, attempts: 301, retries: 0, usage: { total: { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 }, byNode: {}, byModel: {} } } });
      await page.waitForFunction(() => document.getElementById('run-status')?.textContent === 'partial');
      await settle(page);
      expect(await box(page, 'header.top')).toEqual(before.header);
      expect(await box(page, '#dag')).toEqual(before.dag);
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 60_000);

  it('re-fits the graph as the window changes until the user zooms; "fit" brings it back', async () => {
    const runId = 'r-fit';
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url, { width: 1440, height: 900 });
      const nodes = Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, deps: i < 4 ? [] : [`n${i - 4}`] }));
      events$.next({ type: 'run.started', runId, at: 0, concurrency: 4, nodes });
      await page.waitForSelector('#dag[data-layout="done"]');
      // Few enough to animate: a running node pulses, a waiting one glows.
      events$.next({ type: 'node.started', runId, nodeId: 'n0', at: 1, attempt: 1 });
      events$.next({ type: 'node.waiting', runId, nodeId: 'n1', at: 1, payload: 'go?', timeoutMs: null });
      await page.waitForSelector('#dag .node[data-node="n1"][data-state="waiting"]');
      expect(await page.$eval('#dag .node[data-node="n0"] rect', (r) => getComputedStyle(r).animationName)).toBe('pulse');
      expect(await page.$eval('#dag .node[data-node="n1"] rect', (r) => getComputedStyle(r).animationName)).toBe('wait-glow');
      await settle(page);
      const fitted = await transform(page);
      const fits = async () => {
        const [g, d] = [await box(page, '#dag .dag-svg .viewport'), await box(page, '#dag')];
        return g.x >= d.x - 1 && g.y >= d.y - 1 && g.x + g.width <= d.x + d.width + 1 && g.y + g.height <= d.y + d.height + 1;
      };
      expect(await fits()).toBe(true);

      await page.setViewportSize({ width: 1000, height: 700 });
      await page.waitForFunction((t) => document.querySelector('#dag .dag-svg .viewport')?.getAttribute('transform') !== t, fitted);
      await settle(page);
      expect(await fits()).toBe(true); // fitted again into the smaller panel

      const dag = await box(page, '#dag');
      const refitted = await transform(page);
      await page.mouse.move(dag.x + dag.width / 2, dag.y + dag.height / 2);
      await page.mouse.wheel(0, -300); // the user zooms in: from now on the view stays
      await page.waitForFunction((t) => document.querySelector('#dag .dag-svg .viewport')?.getAttribute('transform') !== t, refitted);
      const zoomed = await transform(page);
      await page.setViewportSize({ width: 1300, height: 850 });
      await settle(page);
      await settle(page);
      expect(await transform(page)).toBe(zoomed);

      await page.click('#dag-fit');
      await settle(page);
      expect(await transform(page)).not.toBe(zoomed);
      expect(await fits()).toBe(true);
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.waitForFunction((t) => document.querySelector('#dag .dag-svg .viewport')?.getAttribute('transform') === t, fitted); // re-fitting again
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 60_000);
});

describe('the node panel', () => {
  it("puts a failure's error first, then the streamed text, or says why there is none", async () => {
    const runId = 'r-panel';
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$ });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      const ids = ['talker', 'quiet', 'broken', 'slow', 'later'];
      events$.next({ type: 'run.started', runId, at: 0, concurrency: 4, nodes: ids.map((id) => ({ id, deps: id === 'later' ? ['broken'] : [] })) });
      for (const nodeId of ['talker', 'quiet', 'broken', 'slow']) events$.next({ type: 'node.started', runId, nodeId, at: 1, attempt: 1 });
      events$.next({ type: 'node.token', runId, nodeId: 'talker', at: 2, attempt: 1, text: 'Hello ' });
      events$.next({ type: 'node.token', runId, nodeId: 'talker', at: 3, attempt: 1, text: 'world.' });
      events$.next({ type: 'node.succeeded', runId, nodeId: 'talker', at: 4, attempts: 1, startedAt: 1, durationMs: 3, value: 'Hello world.' });
      events$.next({ type: 'node.succeeded', runId, nodeId: 'quiet', at: 4, attempts: 1, startedAt: 1, durationMs: 3, value: 42 });
      events$.next({ type: 'node.retrying', runId, nodeId: 'broken', at: 5, attempt: 1, delayMs: 10, error: { name: 'Error', message: 'overloaded', code: 'OVERLOADED' } });
      events$.next({ type: 'node.started', runId, nodeId: 'broken', at: 15, attempt: 2 });
      events$.next({ type: 'node.failed', runId, nodeId: 'broken', at: 20, attempts: 2, startedAt: 1, durationMs: 19, error: { name: 'Error', message: 'the upstream API answered 503 Service Unavailable', code: 'HTTP_503' } });
      events$.next({ type: 'node.timedOut', runId, nodeId: 'slow', at: 30, attempts: 1, startedAt: 1, durationMs: 29, timeoutMs: 29, error: { name: 'TimeoutError', message: 'timed out after 29 ms' } });
      await page.waitForSelector('#dag .node[data-node="slow"][data-state="timedOut"]');

      const show = async (id: string) => {
        await page.click(`#dag .node[data-node="${id}"]`);
        await page.waitForSelector(`#detail-node[data-node="${id}"]`);
        return page.$eval('#detail', (d) => Array.from(d.children, (c) => c.id || c.className || c.tagName.toLowerCase()));
      };

      // A failed node: its error at the top, in the error colour; what it streamed after.
      const broken = await show('broken');
      expect(broken.slice(0, 2)).toEqual(['detail-node', 'node-error']);
      expect(await page.getAttribute('#node-error', 'data-kind')).toBe('failed');
      expect(await page.textContent('#node-error b')).toBe('Failed after 2 attempts');
      expect(await page.textContent('#node-error pre')).toBe('the upstream API answered 503 Service Unavailable');
      expect(await page.$eval('#node-error', (el) => getComputedStyle(el).borderLeftColor)).toBe(rgb(STATE_COLORS.failed));
      expect(await page.$eval('#node-error', (el) => el.getBoundingClientRect().top - document.getElementById('detail')!.getBoundingClientRect().top)).toBeLessThan(60);
      expect(await page.textContent('#node-text-note')).toBe('Nothing streamed.');

      // A node that streamed: the text comes before the facts.
      const talker = await show('talker');
      expect(talker.indexOf('node-text')).toBeLessThan(talker.indexOf('facts'));
      expect(talker).not.toContain('node-error');
      expect(await page.textContent('#node-text')).toBe('Hello world.');
      expect(await page.isVisible('#node-text')).toBe(true);
      expect(await page.textContent('#node-text-summary')).toBe('12 chars');

      // A finished node that streamed nothing says so instead of an empty box.
      await show('quiet');
      expect(await page.getAttribute('#node-text-note', 'data-kind')).toBe('nothing');
      expect(await page.textContent('#node-text-note')).toBe('Nothing streamed.');
      expect(await page.isHidden('#node-text')).toBe(true);

      // A timed-out node: its own heading; a node that has not started says that.
      await show('slow');
      expect(await page.getAttribute('#node-error', 'data-kind')).toBe('timedOut');
      expect(await page.textContent('#node-error b')).toBe('Timed out');
      await show('later');
      expect(await page.textContent('#node-text-note')).toBe('Nothing streamed yet: the node has not started.');
      await page.click('#dag .node[data-node="broken"]');
      await page.waitForSelector('#detail-node[data-node="broken"]');
      await page.screenshot({ path: screenshotPath('dashboard-node-panel-failed.png') });
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 60_000);
});
