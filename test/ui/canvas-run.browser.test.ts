/**
 * A 6,000-node run in a real headless Chromium: above `SVG_MAX_NODES` the graph is one canvas laid
 * out by the linear-time layered layout on the page's main thread (no worker round trip). Every
 * dependency is drawn to the left of its dependents, a click on a node's box selects that node, and
 * a search jumps to a node in view. A screenshot goes to test-output/screenshots/.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { useBrowser, openDashboard, screenshotPath } from './browser.js';
import { syntheticRun } from './large-run.js';

const browser = useBrowser();

interface Placed {
  nodes: { id: string; deps: readonly string[] }[];
  x: Float64Array;
  y: Float64Array;
}

describe('a 6,000-node run on the dashboard', () => {
  it('is laid out in layers on a canvas, and a click on a box selects its node', async () => {
    const run = syntheticRun({ layers: 60, width: 100, runId: 'canvas-6000' });
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$, title: '6,000 nodes' });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      for (const event of run.events) events$.next(event);
      await page.waitForFunction((n) => (window as unknown as { rxoDashboard: { model: { applied: number } } }).rxoDashboard.model.applied === n, run.events.length, { timeout: 30_000 });
      await page.waitForSelector('#dag[data-layout="done"][data-nodes="6000"] canvas', { timeout: 30_000 });
      expect(await page.textContent('#dag-info')).toMatch(/^6,000 nodes · layered in \d/);

      // The layout the canvas draws: every dependency in a column to the left.
      const leftOfDependents = await page.evaluate(() => {
        const placed = (window as unknown as { rxoDashboard: { placed(): Placed | undefined } }).rxoDashboard.placed()!;
        const at = new Map(placed.nodes.map((node, i) => [node.id, i]));
        return placed.nodes.every((node, i) => node.deps.every((dep) => placed.x[at.get(dep)!]! < placed.x[i]!));
      });
      expect(leftOfDependents).toBe(true);

      // Search for a node: it is centred; a click on the centre of the graph selects it.
      const target = 'score_4321';
      await page.fill('#search', target);
      await page.press('#search', 'Enter');
      await page.waitForSelector(`#detail-node[data-node="${target}"]`);
      const dagBox = (await page.$eval('#dag', (el) => el.getBoundingClientRect().toJSON())) as DOMRect;
      await page.evaluate(() => (window as unknown as { rxoDashboard: { select(id: string): void } }).rxoDashboard.select('fetch_0000'));
      await page.waitForSelector('#detail-node[data-node="fetch_0000"]');
      await page.mouse.click(dagBox.x + dagBox.width / 2, dagBox.y + dagBox.height / 2);
      await page.waitForSelector(`#detail-node[data-node="${target}"]`);
      await page.fill('#search', '');
      await page.evaluate(() => (window as unknown as { rxoDashboard: { fit(): void } }).rxoDashboard.fit());
      await page.waitForSelector('#metrics[data-agents="6000"]');
      await page.waitForSelector(`#gantt[data-rows="${6_000 - run.waiting.length}"]`);
      await page.screenshot({ path: screenshotPath('dashboard-6000-nodes-canvas.png') });
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 120_000);
});
