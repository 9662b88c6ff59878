/**
 * Two pages in a real headless Chromium: one connected from the start, one that connects in the
 * middle of the run. Once the run ends they show the same thing: per-agent tokens in and out, every
 * retry and backoff on the timeline and in the incidents, agent steps and tool calls, each node's
 * streamed text. Then events the run cannot have (unknown node ids, after the end) are refused
 * into the page's "rejected events" list, and the counts stay those of the summary.
 */
import { Subject } from 'rxjs';
import type { Page } from 'playwright-core';
import type { DashboardModel } from '../../src/ui/page/model.js';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { startDashboard } from 'rx-orchestra/ui';
import { useBrowser, openDashboard } from './browser.js';
import { crowdedRun } from './pipeline.js';
import { agentRun } from '../observe/agent-run.js';

/** What the page draws, read from its model (`window.rxoDashboard.model`). */
function pageView(page: Page) {
  return page.evaluate(() => {
    const { model } = (window as unknown as { rxoDashboard: { model: DashboardModel } }).rxoDashboard;
    const nodes = [...model.nodes.values()].map((n) => ({
      id: n.id,
      state: n.state,
      inputTokens: n.inputTokens,
      outputTokens: n.outputTokens,
      costUsd: n.costUsd,
      retries: n.retries,
      streamedChars: n.streamedChars,
      text: n.text,
      bars: n.bars.map((b) => `${b.attempt}:${b.start}-${b.end}:${b.outcome}`),
      waits: n.waits.map((w) => `${w.kind}@${w.start}+${w.ms}`),
      steps: n.steps.length,
      tools: n.tools.map((t) => `${t.tool}:${t.outcome}`),
    }));
    return {
      status: model.status,
      counts: { ...model.counts },
      totals: { ...model.totals },
      agents: [...model.agents.values()].map((a) => ({ agent: a.agent, calls: a.calls, retries: a.retries, inputTokens: a.inputTokens, outputTokens: a.outputTokens, failures: a.failures })),
      incidents: model.incidents.map((i) => `${i.at} ${i.nodeId} ${i.kind}: ${i.text}`),
      rows: model.rows.map((n) => n.id),
      nodes,
      rejected: model.rejected,
    };
  });
}

const completed = (page: Page) => page.waitForSelector('body[data-status="completed"]', { timeout: 20_000 });

const browser = useBrowser();

describe('a page that connects mid-run', () => {
  it('shows the same per-agent tokens, retries, waits, tool calls and streamed text as a page connected from the start', async () => {
    const events = crowdedRun({ concurrency: 3 });
    const agentEvents = agentRun();
    const source = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$: source, title: 'late join' });
    try {
      const early = await openDashboard(browser(), dashboard.url);
      const cut = events.findIndex((e) => e.type === 'node.retrying') + 5; // after a retry, mid-stream
      for (const event of events.slice(0, cut)) source.next(event);
      await early.page.waitForFunction((n) => (window as unknown as { rxoDashboard: { model: { applied: number } } }).rxoDashboard.model.applied >= n, cut);
      const late = await openDashboard(browser(), dashboard.url);
      for (const event of events.slice(cut)) source.next(event);
      await Promise.all([completed(early.page), completed(late.page)]);
      const [fromStart, joined] = [await pageView(early.page), await pageView(late.page)];
      expect(fromStart.totals.retries).toBeGreaterThan(0);
      expect(fromStart.nodes.some((n) => n.inputTokens > 0 && n.text !== '')).toBe(true);
      expect(joined).toEqual(fromStart);

      // a second run on the same dashboard: an agent with tool calls, the late page joins mid-loop
      const agentCut = agentEvents.findIndex((e) => e.type === 'tool.failed');
      for (const event of agentEvents.slice(0, agentCut)) source.next(event);
      await early.page.waitForFunction((id) => (window as unknown as { rxoDashboard: { model: { runId?: string; applied: number } } }).rxoDashboard.model.runId === id, agentEvents[0]!.runId);
      const late2 = await openDashboard(browser(), dashboard.url);
      for (const event of agentEvents.slice(agentCut)) source.next(event);
      source.complete();
      await Promise.all([completed(early.page), completed(late2.page)]);
      const [agentFromStart, agentJoined] = [await pageView(early.page), await pageView(late2.page)];
      expect(agentFromStart.nodes.find((n) => n.id === 'scout')!.tools).toContain('grep:failed');
      expect(agentJoined).toEqual(agentFromStart);
      expect([...early.errors, ...late.errors, ...late2.errors]).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);

  it('shows a long value the snapshot carried as a preview whole, fetched when the node is shown', async () => {
    const runId = 'long-values';
    const essay = `${'a long answer, '.repeat(100)}the end`; // longer than a snapshot's previews (240), within a live event's (2,000)
    const source = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$: source, title: 'long values' });
    try {
      const early = await openDashboard(browser(), dashboard.url);
      source.next({ type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'essay', deps: [] }, { id: 'slow', deps: [] }] });
      source.next({ type: 'node.started', runId, nodeId: 'essay', at: 1, attempt: 1 });
      source.next({ type: 'node.started', runId, nodeId: 'slow', at: 1, attempt: 1 });
      source.next({ type: 'node.succeeded', runId, nodeId: 'essay', at: 5, attempts: 1, startedAt: 1, durationMs: 4, value: { essay } });
      await early.page.waitForFunction(() => (window as unknown as { rxoDashboard: { model: { applied: number } } }).rxoDashboard.model.applied >= 4);
      const late = await openDashboard(browser(), dashboard.url);
      const valueOf = async (page: Page) => {
        await page.evaluate(() => (window as unknown as { rxoDashboard: { select(id: string): void } }).rxoDashboard.select('essay'));
        await page.waitForFunction(() => {
          const text = document.querySelector('#node-value')?.textContent;
          return text !== undefined && text !== null && !text.includes('loading the whole value');
        });
        return page.textContent('#node-value');
      };
      const whole = await valueOf(early.page);
      expect(whole).toContain('the end');
      expect(await late.page.evaluate(() => (window as unknown as { rxoDashboard: { model: DashboardModel } }).rxoDashboard.model.nodes.get('essay')?.valueCut)).toBe(true); // a preview came
      expect(await valueOf(late.page)).toBe(whole);
      source.complete();
      expect([...early.errors, ...late.errors]).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);

  it('refuses injected events for unknown node ids and after the run completed; the counts stay the summary', async () => {
    const events = crowdedRun({ concurrency: 3 });
    const runId = events[0]!.runId;
    const source = new Subject<RunEvent>();
    const dashboard = await startDashboard({ events$: source, title: 'strict input' });
    try {
      const { page, errors } = await openDashboard(browser(), dashboard.url);
      const half = Math.floor(events.length / 2);
      for (const event of events.slice(0, half)) source.next(event);
      source.next({ type: 'node.started', runId, nodeId: 'intruder', at: 1, attempt: 1 });
      for (const event of events.slice(half)) source.next(event);
      source.next({ type: 'node.retrying', runId, nodeId: 'plan', at: 1e9, attempt: 1, delayMs: 1, error: { name: 'Error', message: 'after the end' } });
      source.complete();
      await page.waitForFunction(() => (window as unknown as { rxoDashboard: { model: { rejected: number } } }).rxoDashboard.model.rejected === 2, undefined, { timeout: 20_000 });
      await expect.poll(() => page.$$eval('#invalid-list li', (lis) => lis.map((li) => li.textContent))).toEqual(['node.retrying after run.completed', 'node.started unknown node id "intruder"']);
      const view = await pageView(page);
      const summary = events.flatMap((e) => (e.type === 'run.completed' ? [e.summary] : []))[0]!;
      expect(view.nodes.map((n) => n.id)).not.toContain('intruder');
      expect(view.totals.calls).toBe(summary.attempts);
      expect(view.totals.retries).toBe(summary.retries);
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  }, 60_000);
});
