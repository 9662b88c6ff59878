/**
 * Graphs that grow and human approval on the dashboard, in a real headless Chromium (Debian's,
 * driven by playwright-core): a run whose fan-out adds 200 children (folded into their node with a
 * count badge, expandable) and 3 (listed), and an approval that waits; the page shows the waiting
 * node, its payload and Approve/Reject; clicking Approve posts to the server, which calls the run's
 * decide, and the run completes. The server refuses bad input (400 naming the field), foreign
 * pages (403/415) and a decision for a node that is not waiting (409, the ApprovalError's message).
 */
import { map, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { approval, execute, graph, shareRun, type RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { STATE_COLORS } from '../../src/ui/page/colors.js';
import { useBrowser, openDashboard, rgb, screenshotPath } from './browser.js';

const MAGENTA = rgb(STATE_COLORS.waiting);

/** plan -> explore (200 children) and sources (3 children) -> gate (approval) -> send. */
function growingPipeline() {
  return graph()
    .node('plan', { run: () => timer(30).pipe(map(() => Array.from({ length: 200 }, (_, i) => `path-${i}`))) })
    .forEach('explore', { deps: ['plan'], items: ({ plan }) => plan, run: ({ index }) => timer(2 + (index % 7)).pipe(map(() => index)) })
    .forEach('sources', { deps: ['plan'], items: () => ['web', 'papers', 'code'], key: (name) => name, run: ({ item }) => timer(20).pipe(map(() => `${item} ok`)) })
    .node('gate', {
      deps: ['explore', 'sources'],
      run: approval({ request: ({ explore, sources }) => ({ action: 'publish the report', explored: explore.length, sources }) }),
    })
    .node('send', { deps: ['gate'], run: () => timer(10).pipe(map(() => 'sent')) })
    .build();
}

const browser = useBrowser();

describe('approvals and fan-outs on the dashboard', () => {
  it('shows the children and the waiting node; Approve lets the run complete', async () => {
    const shared = shareRun(execute(growingPipeline(), { concurrency: 16, runId: 'grow-1' }));
    const events: RunEvent[] = [];
    shared.events$.subscribe((event) => events.push(event));
    const dashboard = await startDashboard({ events$: shared.events$, decide: (id, d) => shared.decide(id, d), title: 'approvals' });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      shared.connect();

      // The approval waits; the page colours it, and says so in the header.
      await page.waitForSelector('#dag .node[data-node="gate"][data-state="waiting"]', { timeout: 30_000 });
      expect(await page.$eval('#dag .node[data-node="gate"] rect', (r) => getComputedStyle(r).fill)).toBe(MAGENTA);
      await page.waitForSelector('#approvals-banner:not([hidden])');
      expect(await page.textContent('#approvals-banner')).toBe('1 awaiting approval');

      // The 200-child fan-out is one node with a badge; the 3-child one is drawn child by child.
      await page.waitForFunction(() => document.querySelector('#dag .node[data-node="explore"] .sub')?.textContent === '200/200 done');
      expect(await page.$eval('#dag .node[data-node="explore"]', (g) => ({ group: g.getAttribute('data-group'), collapsed: g.getAttribute('data-collapsed') }))).toEqual({ group: '200', collapsed: 'true' });
      expect(await page.textContent('#dag .node[data-node="explore"] .badge text')).toBe('×200');
      expect(await page.$$eval('#dag .node', (gs) => gs.map((g) => g.getAttribute('data-node')).filter((id) => id!.startsWith('explore[')))).toEqual([]);
      expect(await page.$$eval('#dag .node', (gs) => gs.map((g) => g.getAttribute('data-node')).sort())).toEqual(['explore', 'gate', 'plan', 'send', 'sources', 'sources/code', 'sources/papers', 'sources/web']);
      const x = Object.fromEntries(await page.$$eval('#dag .node', (gs) => gs.map((g) => [g.getAttribute('data-node'), g.getBoundingClientRect().x])));
      expect(x['sources']).toBeLessThan(x['sources/web']!); // children hang off the node that added them
      expect(x['explore']).toBeLessThan(x['gate']!);

      // The fan-out's panel: progress, and a control that lays its children out in the graph.
      await page.click('#dag .node[data-node="explore"]');
      await page.waitForSelector('#detail-node[data-node="explore"]');
      expect(await page.textContent('#group-summary')).toBe('200/200 done');
      await page.click('#group-toggle');
      await page.waitForFunction(() => document.querySelectorAll('#dag .node[data-node^="explore["]').length === 200);
      expect(await page.$$eval('#dag .node[data-node^="explore["]', (gs) => gs.every((g) => g.getAttribute('data-state') === 'succeeded'))).toBe(true);
      await page.screenshot({ path: screenshotPath('approvals-expanded.png') });
      await page.click('#group-toggle'); // fold them back
      await page.waitForFunction(() => document.querySelectorAll('#dag .node[data-node^="explore["]').length === 0);

      // The waiting node's panel: the payload, a reason field, Approve and Reject.
      await page.click('#approvals-banner');
      await page.waitForSelector('#detail-node[data-node="gate"] ~ #approval');
      expect(JSON.parse((await page.textContent('#approval-payload'))!)).toEqual({ action: 'publish the report', explored: 200, sources: ['web ok', 'papers ok', 'code ok'] });
      await page.screenshot({ path: screenshotPath('approvals-waiting.png') });

      // A page that connects now (after the node asked) gets the payload too.
      const late = await openDashboard(browser(), dashboard.url, { width: 1200, height: 800 });
      await late.page.waitForSelector('#approvals-banner:not([hidden])');
      await late.page.click('#approvals-banner');
      await late.page.waitForSelector('#approval-payload');
      expect(JSON.parse((await late.page.textContent('#approval-payload'))!)).toMatchObject({ explored: 200 });
      expect(late.errors).toEqual([]);
      await late.page.close();

      // The run is still waiting: nothing was decided by looking.
      expect(events.some((e) => e.type === 'node.decided')).toBe(false);
      await page.click('#approve');
      const { summary, outcomes } = await shared.result;
      expect(summary.status).toBe('succeeded');
      expect(outcomes.send).toMatchObject({ status: 'succeeded', value: 'sent' });
      expect(events.find((e) => e.type === 'node.decided')).toMatchObject({ nodeId: 'gate', approve: true, by: 'dashboard' });
      await page.waitForSelector('body[data-status="completed"]');
      await expect.poll(() => page.textContent('#run-status')).toBe('succeeded');
      expect(await page.getAttribute('#dag .node[data-node="gate"]', 'data-state')).toBe('succeeded');
      expect(await page.isHidden('#approvals-banner')).toBe(true);
      expect(await page.textContent('#detail [data-fact="decision"]')).toBe('approved by dashboard');
      await page.screenshot({ path: screenshotPath('approvals-done.png') });
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 90_000);

  it('Reject with a reason fails the node; the server refuses bad input, foreign pages and nodes that do not wait', async () => {
    const shared = shareRun(execute(growingPipeline(), { concurrency: 16, runId: 'grow-2' }));
    const dashboard = await startDashboard({ events$: shared.events$, decide: (id, d) => shared.decide(id, d) });
    const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(new URL('/decide', dashboard.url), { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      shared.connect();
      await page.waitForSelector('#dag .node[data-node="gate"][data-state="waiting"]', { timeout: 30_000 });

      expect(await post({ nodeId: 'gate', approve: 'yes' })).toEqual({ status: 400, body: { error: 'approve: must be true or false' } });
      expect(await post({ approve: true })).toEqual({ status: 400, body: { error: 'nodeId: must be a non-empty string' } });
      expect(await post({ nodeId: 'gate', approve: false, reason: 7 })).toEqual({ status: 400, body: { error: 'reason: must be a string' } });
      expect(await post('{not json')).toEqual({ status: 400, body: { error: 'body: must be a JSON object' } });
      expect(await post({ nodeId: 'gate', approve: true }, { 'content-type': 'text/plain' })).toEqual({ status: 415, body: { error: "content-type: must be 'application/json'" } });
      expect(await post({ nodeId: 'gate', approve: true }, { 'content-type': 'application/json', origin: 'http://evil.example' })).toEqual({
        status: 403,
        body: { error: "origin 'http://evil.example' may not decide: only the dashboard's own page" },
      });
      expect(await post({ nodeId: 'send', approve: true })).toEqual({ status: 409, body: { error: "decide: node 'send' is not waiting for a decision" } });

      await page.click('#approvals-banner');
      await page.waitForSelector('#approval');
      await page.fill('#approval-reason', 'numbers look wrong');
      await page.click('#reject');
      const { summary, outcomes } = await shared.result;
      expect(summary.status).toBe('partial');
      expect(outcomes.gate).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_REJECTED', message: "node 'gate' was rejected by dashboard: numbers look wrong" } });
      await page.waitForFunction(() => document.querySelector('#dag .node[data-node="gate"]')?.getAttribute('data-state') === 'failed');
      // Decided already: a second decision is refused with the ApprovalError's message.
      expect(await post({ nodeId: 'gate', approve: true })).toEqual({ status: 409, body: { error: "decide: node 'gate' is not waiting for a decision" } });
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 90_000);
});
