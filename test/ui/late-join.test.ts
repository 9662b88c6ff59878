/**
 * A page that connects at any moment shows what a page connected from the start shows: for every
 * point of a run, a model that starts from the tracker's `run.snapshot` (sent as the server sends it,
 * JSON, and validated as the page validates it) and then takes the rest of the events equals a model
 * that took every event: per node tokens in and out, cost, retries and their backoff, agent steps,
 * tool calls, streamed text, incidents, per-agent and per-tool tallies, totals.
 */
import { timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RunEventSchema, RunTracker, approval, execute, graph, type RunEvent } from 'rx-orchestra';
import { DashboardModel, type NodeModel } from '../../src/ui/page/model.js';
import { RunState } from '../../src/run/run-state.js';
import { eventJson } from '../../src/ui/event-json.js';
import { crowdedRun } from './pipeline.js';
import { agentRun } from '../observe/agent-run.js';
import { failAfter, record, testScheduler, work } from '../run/virtual-run.js';

/** plan -> a fan-out of 6 (one child fails) -> an approval (decided at t=60) -> publish. */
function growingRun(): RunEvent[] {
  return testScheduler().run(({ flush }) => {
    const g = graph()
      .node('plan', { run: () => work(3, ['a', 'b', 'c', 'd', 'e', 'f']) })
      .forEach('explore', { deps: ['plan'], items: ({ plan }) => plan, join: 'outcomes', run: ({ item, index }) => (item === 'c' ? failAfter(4) : work(2 + index, `found ${item}`)) })
      .node('approve', { deps: ['explore'], run: approval({ request: ({ explore }) => ({ found: explore.length }) }) })
      .node('publish', { deps: ['approve'], run: () => work(2, 'published') })
      .build();
    const run$ = execute(g, { concurrency: 2 });
    const events = record(run$);
    timer(60).subscribe(() => run$.decide('approve', { approve: true, by: 'ana' }));
    flush();
    return events;
  });
}

/** The tracker's snapshot after `events`, as a page receives it: through JSON and the schema. */
function servedSnapshot(events: readonly RunEvent[], tracker = new RunTracker()): RunEvent {
  for (const event of events) tracker.apply(event);
  const snapshot = tracker.snapshot();
  if (!snapshot) throw new Error('no snapshot before run.started');
  return RunEventSchema.parse(JSON.parse(eventJson(snapshot, 1_000_000)));
}

/** What the page draws from a node (bars drawn from a snapshot are not marked approximate when exact). */
function nodeDrawn(node: NodeModel) {
  return {
    state: node.state,
    attempts: node.attempts,
    startedAt: node.startedAt,
    endedAt: node.endedAt,
    inputTokens: node.inputTokens,
    outputTokens: node.outputTokens,
    tokens: node.tokens,
    costUsd: node.costUsd,
    retries: node.retries,
    cacheHits: node.cacheHits,
    streamedChars: node.streamedChars,
    thinkingChars: node.thinkingChars,
    text: node.text,
    textCut: node.textCut,
    agentSteps: node.agentSteps,
    toolCalls: node.toolCalls,
    toolFailures: node.toolFailures,
    lastTool: node.lastTool,
    bars: node.bars,
    waits: node.waits,
    steps: node.steps,
    tools: node.tools,
    error: node.error,
    value: node.value,
    fallback: node.fallback,
    skipped: node.skipped,
    approval: node.approval,
    decided: node.decided,
    parent: node.parent,
    firstStart: node.firstStart,
  };
}

function drawn(model: DashboardModel) {
  return {
    status: model.status,
    counts: { ...model.counts },
    totals: { ...model.totals },
    agents: [...model.agents.values()],
    tools: [...model.tools.values()],
    routedAround: model.routedAround,
    incidents: model.incidents,
    rows: model.rows.map((n) => n.id),
    groups: [...model.groups.values()].map((g) => ({ id: g.id, children: g.children.map((c) => c.id), counts: g.counts })),
    waiting: [...model.waiting].map((n) => n.id),
    nodes: Object.fromEntries([...model.nodes.values()].map((n) => [n.id, nodeDrawn(n)])),
    concurrency: model.concurrency,
    summary: model.summary,
  };
}

/** For every cut of the run: the page connected from the start, and one that joined at the cut, after the last event. */
function expectLateJoinsExact(events: readonly RunEvent[]): number {
  const fromStart = new DashboardModel();
  for (const event of events) fromStart.apply(event);
  const expected = drawn(fromStart);
  const first = events.findIndex((e) => e.type === 'run.started');
  let cuts = 0;
  for (let cut = first + 1; cut <= events.length; cut++) {
    const late = new DashboardModel();
    late.apply(servedSnapshot(events.slice(0, cut)));
    for (const event of events.slice(cut)) late.apply(event);
    expect(late.rejected, `cut ${cut}`).toBe(0);
    expect(drawn(late), `joined after event ${cut} of ${events.length} (${events[cut - 1]!.type})`).toEqual(expected);
    cuts += 1;
  }
  return cuts;
}

describe('a page that connects late', () => {
  it('draws a run with retries, backoff, rate-limit waits, a fallback and streamed text exactly as one connected from the start, whenever it connects', () => {
    const events = crowdedRun({ concurrency: 3 });
    expect(events.some((e) => e.type === 'node.retrying')).toBe(true);
    expect(events.some((e) => e.type === 'ratelimit.waiting')).toBe(true);
    expect(events.some((e) => e.type === 'node.token')).toBe(true);
    expect(expectLateJoinsExact(events)).toBe(events.length - events.findIndex((e) => e.type === 'run.started'));
  });

  it('draws an agent run (steps, parallel tool calls, a failed tool, thinking) exactly, whenever it connects', () => {
    const events = agentRun();
    expect(events.some((e) => e.type === 'tool.failed')).toBe(true);
    expect(expectLateJoinsExact(events)).toBeGreaterThan(10);
  });

  it('draws a growing run (a fan-out with a failed child, an approval) exactly, whenever it connects', () => {
    const events = growingRun();
    expect(events.some((e) => e.type === 'node.expanded')).toBe(true);
    expect(events.some((e) => e.type === 'node.decided')).toBe(true);
    expect(expectLateJoinsExact(events)).toBeGreaterThan(20);
  });

  it('a server that itself joined late (a tracker started from a snapshot) hands on the same snapshot', () => {
    const events = crowdedRun({ concurrency: 3 });
    const cut = Math.floor(events.length / 2);
    const direct = new RunTracker();
    for (const event of events) direct.apply(event);
    const relayed = new RunTracker();
    relayed.apply(servedSnapshot(events.slice(0, cut)));
    for (const event of events.slice(cut)) relayed.apply(event);
    expect(JSON.parse(eventJson(relayed.snapshot()!, 1e6))).toEqual(JSON.parse(eventJson(direct.snapshot()!, 1e6)));
  });

  it('the CLI and runMetrics fold the snapshot into the same counts (one reducer)', () => {
    const events = crowdedRun({ concurrency: 3 });
    const cut = Math.floor(events.length / 3);
    const full = new RunState({ tallies: { agentsFrom: 'use' } });
    for (const event of events) full.apply(event);
    const late = new RunState({ tallies: { agentsFrom: 'use' } });
    late.apply(servedSnapshot(events.slice(0, cut)));
    for (const event of events.slice(cut)) late.apply(event);
    expect(late.totals).toEqual(full.totals);
    expect(late.counts).toEqual(full.counts);
    for (const [id, node] of full.nodes) expect({ ...late.nodes.get(id), index: 0 }, id).toEqual({ ...node, index: 0 });
  });
});

describe('the snapshot stays bounded, and says what it cut', () => {
  const runId = 'r';
  const started: RunEvent = { type: 'run.started', runId, at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [] }, { id: 'b', deps: [] }] };

  it('keeps the tail of each node text and marks the cut; a page shows the same tail', () => {
    const tracker = new RunTracker({ maxTextPerNode: 10 });
    const events: RunEvent[] = [started, { type: 'node.started', runId, nodeId: 'a', at: 1, attempt: 1 }];
    for (let i = 0; i < 5; i++) events.push({ type: 'node.token', runId, nodeId: 'a', at: 2 + i, attempt: 1, text: `chunk${i};` });
    for (const event of events) tracker.apply(event);
    const view = tracker.snapshot()!.states.a!;
    expect(view).toMatchObject({ text: 'k3;chunk4;', textCut: 'tail', streamedChars: 35 });
    const page = new DashboardModel({ maxTextPerNode: 10 });
    for (const event of events) page.apply(event);
    expect(page.nodes.get('a')!.text).toBe(view.text);
  });

  it('drops the text of the least recent streamer past the total, and says so', () => {
    const tracker = new RunTracker({ maxTextTotal: 12 });
    for (const event of [
      started,
      { type: 'node.token', runId, nodeId: 'a', at: 1, attempt: 1, text: 'aaaaaaaa' },
      { type: 'node.token', runId, nodeId: 'b', at: 2, attempt: 1, text: 'bbbbbbbb' },
    ] satisfies RunEvent[])
      tracker.apply(event);
    const { a, b } = tracker.snapshot()!.states;
    expect(a).toMatchObject({ textCut: 'evicted', streamedChars: 8 });
    expect(a!.text).toBeUndefined();
    expect(b).toMatchObject({ text: 'bbbbbbbb', streamedChars: 8 });
  });

  it('keeps at most maxHistoryPerNode events per node, counting the ones it dropped', () => {
    const tracker = new RunTracker({ maxHistoryPerNode: 4 });
    tracker.apply(started);
    for (let attempt = 1; attempt <= 5; attempt++) {
      tracker.apply({ type: 'node.started', runId, nodeId: 'a', at: attempt * 10, attempt });
      tracker.apply({ type: 'node.retrying', runId, nodeId: 'a', at: attempt * 10 + 5, attempt, delayMs: 5, error: { name: 'Error', message: `try ${attempt}` } });
    }
    const view = tracker.snapshot()!.states.a!;
    expect(view.history!.map((e) => `${e.type}@${e.at}`)).toEqual(['node.started@40', 'node.retrying@45', 'node.started@50', 'node.retrying@55']);
    expect(view.historyCut).toBe(6);
    expect(view.retries).toBe(5);
  });

  it('past maxHistoryTotal, trims the histories of the nodes that ended first, then of the node that grows it', () => {
    const tracker = new RunTracker({ maxHistoryTotal: 20 });
    tracker.apply(started);
    const emitSteps = (nodeId: string, from: number) => {
      for (let i = 0; i < 15; i++) tracker.apply({ type: 'ratelimit.waiting', runId, nodeId, at: from + i, attempt: 1, waitMs: 1, limitedBy: 'requests', queued: 0 } as RunEvent);
    };
    emitSteps('a', 1);
    tracker.apply({ type: 'node.succeeded', runId, nodeId: 'a', at: 20, attempts: 1, startedAt: 1, durationMs: 19, value: 1 });
    emitSteps('b', 21);
    const { a, b } = tracker.snapshot()!.states;
    expect(a!.history).toHaveLength(8);
    expect(a!.historyCut).toBe(7);
    expect(a!.history!.length + b!.history!.length).toBeLessThanOrEqual(20);
    expect(b!.history!.length + b!.historyCut!).toBe(15);
    expect(b!.history!.at(-1)!.at).toBe(35);
  });
});
