/**
 * A 2,000-node run on the dashboard, in a real headless Chromium (Debian's, driven by playwright-core):
 * the nodes that failed, timed out, fell back or were retried are outlined and counted; "problems
 * only" draws exactly those in the graph and the timeline; the search finds a node by id and jumps to
 * it; the timeline's overview strip scrolls it; the metrics table has one row per family of agents;
 * running nodes do not pulse (too many to animate). Screenshots of the run, normal and filtered, go to
 * test-output/screenshots/.
 */
import { Subject } from 'rxjs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { useBrowser, openDashboard, screenshotPath } from './browser.js';
import { syntheticRun } from './large-run.js';

const browser = useBrowser();

const nodeCount = (page: Page) => page.$$eval('#dag .node', (gs) => gs.length);

describe('a 2,000-node run on the dashboard', () => {
  it('makes its problems findable: outlined, counted, filtered; finds a node by id; one metrics row per family', async () => {
    const run = syntheticRun();
    expect(run.ids).toHaveLength(2_000);
    expect(run.problems.length).toBeGreaterThan(60);
    const events$ = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$, title: '2,000 nodes' });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      for (const event of run.events) events$.next(event);
      await page.waitForFunction((n) => (window as unknown as { rxoDashboard: { model: { applied: number } } }).rxoDashboard.model.applied === n, run.events.length, { timeout: 30_000 });
      await page.waitForSelector('#dag[data-layout="done"][data-nodes="2000"]', { timeout: 30_000 });
      await page.waitForFunction((n) => document.querySelectorAll('#dag .node.problem').length === n, run.problems.length, { timeout: 10_000 });

      // Every problem is outlined in the graph, and counted in the header.
      const outlined = await page.$$eval('#dag .node.problem', (gs) => gs.map((g) => g.getAttribute('data-node')!));
      expect(outlined.sort()).toEqual([...run.problems].sort());
      await page.waitForSelector(`#problems-count[data-count="${run.problems.length}"]`);
      expect(await page.$$eval('#dag .node[data-state="waiting"]', (gs) => gs.map((g) => g.getAttribute('data-node')).sort())).toEqual([...run.waiting].sort());
      expect(await page.textContent('#approvals-banner')).toBe('2 awaiting approval');
      // Too many to animate: running and waiting nodes do not pulse.
      expect(await page.$eval('#dag svg.dag-svg', (svg) => svg.classList.contains('animate'))).toBe(false);

      // One metrics row per family of agents (each node is its own agent here), not 2,000.
      await page.waitForSelector('#metrics[data-agents="2000"]');
      expect(await page.$$eval('#metrics table.metrics:first-child tbody tr[data-agent]', (rows) => rows.map((r) => [r.getAttribute('data-agent'), r.getAttribute('data-members')]).sort())).toEqual([
        ['fetch', '500'],
        ['parse', '500'],
        ['score', '500'],
        ['write', '500'],
      ]);
      const failedIn = (family: string) => run.ids.filter((id) => id.startsWith(family) && run.fates.get(id) === 'failed').length + run.ids.filter((id) => id.startsWith(family) && run.fates.get(id) === 'timedOut').length;
      expect(await page.$eval('#metrics tr[data-agent="score"] td:nth-child(4)', (td) => td.textContent)).toBe(String(failedIn('score')));

      // The timeline's overview strip shows every row; a click near its bottom scrolls the timeline there.
      expect(await page.getAttribute('#gantt', 'data-rows')).toBe(String(2_000 - run.waiting.length));
      const strip = (await page.$('#gantt-overview'))!.boundingBox();
      const box = (await strip)!;
      await page.mouse.click(box.x + box.width / 2, box.y + box.height - 2);
      await page.waitForFunction(() => document.getElementById('gantt')!.scrollTop > 10_000);
      await page.waitForFunction(() => Number(document.getElementById('gantt-overview')!.dataset.first) > 1_500);
      await page.screenshot({ path: screenshotPath('dashboard-2000-nodes.png') });

      // Search by id: the match is outlined, selected, centred in the graph, and its timeline row is in view.
      const target = 'score_1234';
      await page.fill('#search', target);
      await page.waitForFunction(() => document.getElementById('search-info')?.textContent === '1 match');
      expect(await page.$$eval('#dag .node.match', (gs) => gs.map((g) => g.getAttribute('data-node')))).toEqual([target]);
      await page.press('#search', 'Enter');
      await page.waitForSelector(`#detail-node[data-node="${target}"]`);
      expect(await page.getAttribute(`#dag .node[data-node="${target}"]`, 'class')).toContain('selected');
      await page.waitForSelector(`#gantt .row.match.selected[data-node="${target}"]`);
      const dagBox = (await page.$eval('#dag', (el) => el.getBoundingClientRect().toJSON())) as DOMRect;
      const nodeBox = (await page.$eval(`#dag .node[data-node="${target}"] rect`, (el) => el.getBoundingClientRect().toJSON())) as DOMRect;
      const centre = { x: nodeBox.x + nodeBox.width / 2, y: nodeBox.y + nodeBox.height / 2 };
      expect(Math.abs(centre.x - (dagBox.x + dagBox.width / 2))).toBeLessThan(2);
      expect(Math.abs(centre.y - (dagBox.y + dagBox.height / 2))).toBeLessThan(2);
      expect(nodeBox.width).toBeGreaterThanOrEqual(26 * 2.5 - 1); // zoomed in to read it
      const rowBox = (await page.$eval(`#gantt .row[data-node="${target}"] .row-bg`, (el) => el.getBoundingClientRect().toJSON())) as DOMRect;
      const ganttBox = (await page.$eval('#gantt', (el) => el.getBoundingClientRect().toJSON())) as DOMRect;
      expect(rowBox.y).toBeGreaterThanOrEqual(ganttBox.y);
      expect(rowBox.y + rowBox.height).toBeLessThanOrEqual(ganttBox.y + ganttBox.height);
      // A partial id matches several; the exact one first.
      await page.fill('#search', 'score_12');
      await page.waitForFunction(() => document.getElementById('search-info')?.textContent === '100 matches');
      expect(await page.$$eval('#dag .node.match', (gs) => gs.length)).toBe(100);
      await page.fill('#search', '');
      await page.waitForFunction(() => document.querySelectorAll('#dag .node.match').length === 0);

      // "Problems only": the graph and the timeline show exactly the problem nodes.
      await page.check('#problems-only');
      await page.waitForSelector('#dag[data-filter="problems"][data-layout="done"]');
      expect(await nodeCount(page)).toBe(run.problems.length);
      const shown = await page.$$eval('#dag .node', (gs) => gs.map((g) => [g.getAttribute('data-node')!, g.getAttribute('data-state')!, g.classList.contains('problem')] as const));
      expect(shown.map(([id]) => id).sort()).toEqual([...run.problems].sort());
      for (const [id, state, problem] of shown) {
        expect(problem, id).toBe(true);
        const fate = run.fates.get(id)!;
        expect(state, id).toBe(fate === 'retried' ? 'succeeded' : fate);
      }
      await page.waitForSelector(`#gantt[data-filter="problems"][data-rows="${run.problems.length}"]`);
      expect(await page.textContent('#dag-info')).toContain(`${run.problems.length} of 2,000 nodes (problems only`);
      await page.screenshot({ path: screenshotPath('dashboard-2000-nodes-problems-only.png') });

      // "next problem" walks through them; a failed one shows its error first.
      await page.click('#problems-next');
      await page.waitForSelector(`#detail-node[data-node="${run.problems[0]}"]`);
      const first = run.problems[0]!;
      expect(run.fates.get(first)).toBe('failed');
      expect(await page.$eval('#detail', (d) => d.children[1]?.id)).toBe('node-error');
      expect(await page.textContent('#node-error pre')).toBe(`upstream answered 503 for ${first}`);

      // Off again: all 2,000.
      await page.uncheck('#problems-only');
      await page.waitForSelector('#dag[data-filter="none"][data-layout="done"][data-nodes="2000"]');
      expect(await nodeCount(page)).toBe(2_000);
      await page.waitForSelector(`#gantt[data-filter="none"][data-rows="${2_000 - run.waiting.length}"]`);

      // The approvals button jumps to each waiting node in turn.
      await page.click('#approvals-banner');
      await page.waitForSelector(`#detail-node[data-node="${run.waiting[0]}"] ~ #approval`);
      await page.click('#approvals-banner');
      await page.waitForSelector(`#detail-node[data-node="${run.waiting[1]}"] ~ #approval`);
      expect(errors).toEqual([]);
    } finally {
      events$.complete();
      await dashboard.close();
    }
  }, 120_000);
});
