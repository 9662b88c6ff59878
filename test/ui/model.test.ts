/** The page's in-memory model, in Node: what it keeps, what it adds up, and what it bounds. */
import { describe, expect, it } from 'vitest';
import { RunTracker, type RunEvent } from 'rx-orchestra';
import { runMetrics } from 'rx-orchestra/observe';
import { DashboardModel } from '../../src/ui/page/model.js';
import { agentStepsHtml } from '../../src/ui/page/detail-view.js';
import { CROWDED_NODES, crowdedRun } from './pipeline.js';
import { agentRun } from '../observe/agent-run.js';

const summaryOf = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'run.completed' ? [e.summary] : []))[0]!;

describe('the dashboard model', () => {
  const events = crowdedRun({ concurrency: 8 });
  const summary = summaryOf(events);

  it('adds up what the run summary and runMetrics say', () => {
    const model = new DashboardModel();
    for (const event of events) model.apply(event);
    expect(model.status).toBe('completed');
    expect(model.counts).toMatchObject({ succeeded: CROWDED_NODES.length - 1, fellBack: 1, pending: 0, running: 0 });
    const total = summary.usage.total;
    expect(model.totals).toMatchObject({ calls: summary.attempts, inputTokens: total.inputTokens, outputTokens: total.outputTokens, tokens: total.inputTokens + total.outputTokens });
    expect(model.totals.costUsd).toBeCloseTo(total.costUsd, 12);
    const metrics = runMetrics(events);
    for (const [agent, stats] of model.agents) {
      const m = metrics.byAgent[agent]!;
      expect({ ...stats, costUsd: 0 }, agent).toMatchObject({ calls: m.calls, succeeded: m.succeeded, failures: m.failures, retries: m.retries, fellBack: m.fellBack, inputTokens: m.inputTokens, outputTokens: m.outputTokens });
      expect(stats.costUsd).toBeCloseTo(m.costUsd, 12);
    }
    expect(model.routedAround).toEqual(metrics.routedAround);
  });

  it('keeps one Gantt bar per attempt, rows by first start, and every wait', () => {
    const model = new DashboardModel();
    for (const event of events) model.apply(event);
    const firstStarts = [...new Map(events.flatMap((e) => (e.type === 'node.started' && e.attempt === 1 ? [[e.nodeId, e.at] as const] : []))).keys()];
    expect(model.rows.map((n) => n.id)).toEqual(firstStarts);
    const review = model.nodes.get('review')!;
    expect(review.bars.map((b) => b.outcome)).toEqual(['retried', 'fellBack']);
    expect(review.waits.filter((w) => w.kind === 'retry')).toHaveLength(1);
    expect(review.fallback).toEqual({ via: 0, reason: 'failed' });
    const waits = [...model.nodes.values()].flatMap((n) => n.waits.filter((w) => w.kind === 'ratelimit'));
    expect(waits).toHaveLength(events.filter((e) => e.type === 'ratelimit.waiting').length);
    for (const node of model.nodes.values()) for (const bar of node.bars) expect(bar.end).toBeGreaterThanOrEqual(bar.start);
  });

  it('keeps the streamed text of each node, and only its tail past the cap', () => {
    const model = new DashboardModel({ maxTextPerNode: 10 });
    const tokens = events.filter((e) => e.type === 'node.token' && e.nodeId === 'plan').map((e) => (e as { text: string }).text);
    for (const event of events) model.apply(event);
    const plan = model.nodes.get('plan')!;
    const all = tokens.join('');
    expect(plan.streamedChars).toBe(all.length);
    expect(plan.text).toBe(all.slice(-10));
    expect(plan.textCut).toBe('tail');
  });

  it('drops the text of the nodes streamed longest ago past the page-wide cap, never the pinned one', () => {
    const model = new DashboardModel({ maxTextTotal: 25 });
    model.pinned = 'a';
    const runId = 'r';
    model.apply({ type: 'run.started', runId, at: 0, concurrency: 3, nodes: ['a', 'b', 'c'].map((id) => ({ id, deps: [] })) });
    const say = (nodeId: string, text: string) => model.apply({ type: 'node.token', runId, nodeId, at: 1, attempt: 1, text });
    say('a', 'aaaaaaaaaa');
    say('b', 'bbbbbbbbbb');
    say('c', 'cccccccccc'); // 30 > 25: b goes (a is pinned)
    expect([...['a', 'b', 'c']].map((id) => model.nodes.get(id)!.text.length)).toEqual([10, 0, 10]);
    expect(model.nodes.get('b')!.textCut).toBe('evicted');
  });

  it('bounds marks per node, incidents and rejections', () => {
    const model = new DashboardModel({ maxMarksPerNode: 3, maxIncidents: 5, maxRejections: 2 });
    const runId = 'r';
    model.apply({ type: 'run.started', runId, at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    for (let attempt = 1; attempt <= 20; attempt++) {
      model.apply({ type: 'node.started', runId, nodeId: 'a', at: attempt * 10, attempt });
      model.apply({ type: 'node.retrying', runId, nodeId: 'a', at: attempt * 10 + 5, attempt, delayMs: 5, error: { name: 'Error', message: 'boom' } });
    }
    for (let i = 0; i < 10; i++) model.reject({ type: 'x', issue: String(i) });
    const a = model.nodes.get('a')!;
    expect(a.bars.map((b) => b.attempt)).toEqual([18, 19, 20]);
    expect(a.waits).toHaveLength(3);
    expect(a.dropped).toBe(34);
    expect(model.incidents).toHaveLength(5);
    expect(model.rejections.map((r) => r.issue)).toEqual(['8', '9']);
    expect(model.rejected).toBe(10);
  });

  it('starts from a snapshot taken mid-run and ends where the full stream ends', () => {
    const cut = Math.floor(events.length / 2);
    const tracker = new RunTracker();
    for (const event of events.slice(0, cut)) tracker.apply(event);
    const late = new DashboardModel();
    late.apply(tracker.snapshot()!);
    for (const event of events.slice(cut)) late.apply(event);
    const full = new DashboardModel();
    for (const event of events) full.apply(event);
    expect(late.counts).toEqual(full.counts);
    expect(late.totals.tokens).toBe(full.totals.tokens);
    expect(late.totals.costUsd).toBeCloseTo(full.totals.costUsd, 12);
    expect([...late.nodes.values()].map((n) => [n.id, n.state, n.attempts])).toEqual([...full.nodes.values()].map((n) => [n.id, n.state, n.attempts]));
    expect(late.rows.map((n) => n.id).sort()).toEqual(full.rows.map((n) => n.id).sort());
  });

  it('starts over on a new run and tells the views the graph changed', () => {
    const model = new DashboardModel();
    for (const event of events) model.apply(event);
    const structure = model.structure;
    model.apply({ type: 'run.started', runId: 'next', at: 0, concurrency: null, nodes: [{ id: 'only', deps: [] }] });
    expect(model.structure).toBe(structure + 1);
    expect([...model.nodes.keys()]).toEqual(['only']);
    expect(model.concurrency).toBeNull();
    expect(model.totals.tokens).toBe(0);
    expect(model.drainDirty().map((n) => n.id)).toEqual(['only']);
    expect(model.drainDirty()).toEqual([]);
  });
});

describe('the dashboard model of an agent node', () => {
  const events = agentRun();

  it("keeps the node's steps and tool calls: tool, times, ok or failed with the error", () => {
    const model = new DashboardModel();
    for (const event of events) model.apply(event);
    const scout = model.nodes.get('scout')!;
    expect(scout).toMatchObject({ agentSteps: 3, toolCalls: 3, toolFailures: 1 });
    expect(scout.steps.map((s) => [s.step, s.start, s.end, s.stopReason, s.toolCalls, s.inputTokens, s.outputTokens])).toEqual([
      [1, 0, 10, 'tool_use', 2, 100, 20],
      [2, 15, 25, 'tool_use', 1, 150, 15],
      [3, 32, 42, 'end_turn', 0, 200, 5],
    ]);
    expect(scout.tools.map((t) => [t.step, t.tool, t.toolUseId, t.start, t.end, t.outcome, t.error, t.handling])).toEqual([
      [1, 'lookup', 'toolu_1', 10, 15, 'succeeded', undefined, undefined],
      [1, 'grep', 'toolu_2', 10, 13, 'failed', 'Error: grep: no such file', 'reported'],
      [2, 'lookup', 'toolu_3', 25, 32, 'succeeded', undefined, undefined],
    ]);
    expect(model.incidents.filter((i) => i.kind === 'tool').map((i) => i.text)).toEqual(['tool grep failed at step 1 (Error: grep: no such file)']);
    expect(model.nodes.get('plain')!.tools).toEqual([]);
    expect([...model.tools.values()].map((t) => [t.tool, t.calls, t.failures, t.durations])).toEqual([
      ['lookup', 2, 0, [5, 7]],
      ['grep', 1, 1, [3]],
    ]);
  });

  it('a tool call its attempt outlived is cancelled at the attempt end; steps and tool calls are bounded per node', () => {
    const model = new DashboardModel({ maxMarksPerNode: 2 });
    const upTo = events.findIndex((e) => e.type === 'tool.succeeded'); // lookup toolu_1 still runs
    for (const event of events.slice(0, upTo)) model.apply(event);
    model.apply({ type: 'node.failed', runId: 'agent-7', nodeId: 'scout', at: 14, error: { name: 'Error', message: 'stop' }, attempts: 1, startedAt: 0, durationMs: 14 });
    const scout = model.nodes.get('scout')!;
    expect(scout.tools.map((t) => [t.toolUseId, t.outcome, t.end])).toEqual([['toolu_1', 'cancelled', 14], ['toolu_2', 'failed', 13]]);
    const bounded = new DashboardModel({ maxMarksPerNode: 2 });
    for (const event of events) bounded.apply(event);
    expect(bounded.nodes.get('scout')!.steps.map((s) => s.step)).toEqual([2, 3]);
    expect(bounded.nodes.get('scout')!.tools.map((t) => t.toolUseId)).toEqual(['toolu_2', 'toolu_3']);
  });

  it("the detail panel lists each step, then the tool calls it asked for: tool, duration, ok or failed with the error", () => {
    const model = new DashboardModel();
    for (const event of events) model.apply(event);
    const html = agentStepsHtml(model.nodes.get('scout')!);
    const rows = [...html.matchAll(/<tr class="([a-z-]+)"[^>]*>(.*?)<\/tr>/g)].map(([, kind, cells]) => `${kind}: ${cells!.replace(/<[^>]+>/g, '|').replace(/\|+/g, '|')}`);
    expect(rows).toEqual([
      'agent-step: |step 1|tool_use|10 ms|100 in · 20 out|',
      'tool-call: |↳ lookup|5 ms|ok|',
      'tool-call: |↳ grep|3 ms|failed |Error: grep: no such file|',
      'agent-step: |step 2|tool_use|10 ms|150 in · 15 out|',
      'tool-call: |↳ lookup|7 ms|ok|',
      'agent-step: |step 3|end_turn|10 ms|200 in · 5 out|',
    ]);
    expect(agentStepsHtml(model.nodes.get('plain')!)).toBe('');
  });
});

describe('the dashboard model refuses what would make its counts disagree with the run', () => {
  const runId = 'strict-1';
  const started: RunEvent = { type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [] }] };
  const succeeded: RunEvent = { type: 'node.succeeded', runId, nodeId: 'a', at: 5, attempts: 1, startedAt: 1, durationMs: 4, value: 'ok' };
  const summary = { status: 'succeeded', nodes: 1, counts: { succeeded: 1, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 }, makespanMs: 5, attempts: 1, retries: 0, usage: { total: { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 }, byNode: {}, byModel: {} } } as const;

  it('once run.started is known: events about unknown node ids, of another run, or after run.completed go to the rejected list', () => {
    const model = new DashboardModel();
    model.apply(started);
    model.apply({ type: 'node.started', runId, nodeId: 'a', at: 1, attempt: 1 });
    model.apply({ type: 'node.started', runId, nodeId: 'ghost', at: 2, attempt: 1 });
    model.apply({ type: 'node.started', runId: 'other-run', nodeId: 'a', at: 2, attempt: 2 });
    model.apply(succeeded);
    model.apply({ type: 'run.completed', runId, at: 5, summary });
    model.apply({ type: 'node.retrying', runId, nodeId: 'a', at: 6, attempt: 1, delayMs: 10, error: { name: 'Error', message: 'late' } });
    expect(model.rejections).toEqual([
      { type: 'node.started', issue: 'unknown node id "ghost"' },
      { type: 'node.started', issue: 'of run other-run, not of run strict-1' },
      { type: 'node.retrying', issue: 'after run.completed' },
    ]);
    expect(model.rejected).toBe(3);
    expect([...model.nodes.keys()]).toEqual(['a']);
    expect(model.counts.succeeded).toBe(1);
    expect(model.totals).toMatchObject({ calls: 1, retries: 0 });
  });

  it('a new run.started after a completed run starts over and is taken', () => {
    const model = new DashboardModel();
    for (const event of [started, succeeded, { type: 'run.completed', runId, at: 5, summary } satisfies RunEvent]) model.apply(event);
    model.apply({ ...started, runId: 'strict-2', at: 10 });
    model.apply({ type: 'node.started', runId: 'strict-2', nodeId: 'a', at: 11, attempt: 1 });
    expect(model.rejected).toBe(0);
    expect(model.counts.running).toBe(1);
  });

  it('before any run.started (a page that connected before the run), events are taken as they come', () => {
    const model = new DashboardModel();
    model.apply({ type: 'node.started', runId, nodeId: 'early', at: 1, attempt: 1 });
    expect(model.rejected).toBe(0);
    expect(model.nodes.has('early')).toBe(true);
  });
});
