/**
 * The run's one reducer (src/run/run-state.ts): the views that fold a run's events through it (the
 * tracker's `run.snapshot`, the CLI's live state, the dashboard page's model, `runMetrics`) agree,
 * a snapshot is a late start, node ids are own entries, and the options do what they say.
 */
import { describe, expect, it, vi } from 'vitest';
import { RunTracker, type RunEvent } from 'rx-orchestra';
import { runMetrics } from 'rx-orchestra/observe';
import { NodeTemplate, RunState, type NodeState, type TrackedNode } from '../../src/run/run-state.js';
import { LiveRunState } from '../../src/cli/live-state.js';
import { DashboardModel } from '../../src/ui/page/model.js';
import { crowdedRun } from '../ui/pipeline.js';

const started = (ids: string[], runId = 'r'): RunEvent => ({ type: 'run.started', runId, at: 0, concurrency: 2, nodes: ids.map((id) => ({ id, deps: [], meta: { agent: `agent-${id}` } })) });

describe('one reducer, four views', () => {
  const events = crowdedRun({ concurrency: 8 });

  it('the live state, the page model, the snapshot and runMetrics tell the same run', () => {
    const live = new LiveRunState();
    const page = new DashboardModel();
    const tracker = new RunTracker();
    for (const event of events) [live, page, tracker].forEach((view) => view.apply(event));
    const snapshot = tracker.snapshot()!;
    const states = Object.values(snapshot.states).map((view) => view.state);
    for (const state of Object.keys(live.counts) as NodeState[]) {
      expect(page.counts[state], state).toBe(live.counts[state]);
      expect(states.filter((s) => s === state).length, state).toBe(live.counts[state]);
    }
    expect(page.totals.tokens).toBe(live.tokens);
    expect(page.totals.costUsd).toBeCloseTo(live.costUsd, 12);
    expect(page.totals.retries).toBe(live.retries);
    const metrics = runMetrics(events);
    expect(Object.fromEntries([...page.agents].map(([agent, stats]) => [agent, stats.calls]))).toEqual(Object.fromEntries(Object.entries(metrics.byAgent).map(([agent, stats]) => [agent, stats.calls])));
    expect(snapshot.ended.map((end) => end.nodeId).sort()).toEqual([...live.nodes.keys()].sort());
  });

  it('a snapshot is a late start: mid-run state, then the rest, ends where the whole stream ends', () => {
    const full = new RunTracker();
    for (const event of events) full.apply(event);
    for (const cut of [1, Math.floor(events.length / 3), Math.floor(events.length / 2), events.length - 1]) {
      const early = new RunTracker();
      for (const event of events.slice(0, cut)) early.apply(event);
      const late = new RunTracker();
      late.apply(early.snapshot()!);
      expect(late.snapshot(), `cut ${cut}`).toEqual(early.snapshot());
      for (const event of events.slice(cut)) late.apply(event);
      expect(late.snapshot()!.states, `cut ${cut}`).toEqual(full.snapshot()!.states);
      expect(late.snapshot()!.summary).toEqual(full.snapshot()!.summary);
    }
  });
});

describe('RunState', () => {
  it('keys the snapshot by node id in a record without a prototype: __proto__ and constructor are own entries', () => {
    const ids = ['__proto__', 'constructor', 'toString', 'plain'];
    const tracker = new RunTracker();
    tracker.apply(started(ids));
    tracker.apply({ type: 'node.started', runId: 'r', nodeId: '__proto__', at: 1, attempt: 1 });
    const { states } = tracker.snapshot()!;
    expect(Object.getPrototypeOf(states)).toBeNull();
    expect(Object.keys(states)).toEqual(ids);
    expect(Object.hasOwn(states, '__proto__')).toBe(true);
    expect(states['__proto__']).toMatchObject({ state: 'running', attempts: 1, startedAt: 1 });
    expect(states['constructor']).toMatchObject({ state: 'pending', attempts: 0 });
    const parsed = JSON.parse(JSON.stringify(tracker.snapshot())) as { states: Record<string, unknown> };
    expect(Object.keys(parsed.states)).toEqual(ids);
  });

  it('keeps counts by state, reports each change of state once, and tells the node an event is about', () => {
    const moves: [string, NodeState, NodeState][] = [];
    const state = new RunState({ onMove: (node, from) => moves.push([node.id, from, node.state]), keepEnds: true });
    expect(state.apply(started(['a', 'b']))).toBeUndefined();
    const a = state.apply({ type: 'node.queued', runId: 'r', nodeId: 'a', at: 1, priority: 0 });
    expect(a).toBe(state.nodes.get('a'));
    state.apply({ type: 'node.queued', runId: 'r', nodeId: 'a', at: 1, priority: 0 });
    state.apply({ type: 'node.started', runId: 'r', nodeId: 'a', at: 2, attempt: 1 });
    state.apply({ type: 'node.token', runId: 'r', nodeId: 'a', at: 3, attempt: 1, text: 'hello' });
    state.apply({ type: 'node.succeeded', runId: 'r', nodeId: 'a', at: 4, attempts: 1, startedAt: 2, durationMs: 2, value: 1 });
    expect(moves).toEqual([
      ['a', 'pending', 'queued'],
      ['a', 'queued', 'running'],
      ['a', 'running', 'succeeded'],
    ]);
    expect(state.counts).toMatchObject({ pending: 1, succeeded: 1, queued: 0, running: 0 });
    expect(state.nodes.get('a')).toMatchObject({ state: 'succeeded', attempts: 1, startedAt: 2, endedAt: 4, durationMs: 2, streamedChars: 5 });
    expect(state.ended.map((node) => node.id)).toEqual(['a']);
    expect(state.nodes.get('a')!.end).toMatchObject({ type: 'node.succeeded', value: 1 });
    expect(state.version).toBe(6);
  });

  it("adds a record for a node the graph did not list, or, with unknownNodes 'ignore', counts its usage in the totals only", () => {
    const usage: RunEvent = { type: 'node.usage', runId: 'r', nodeId: 'ghost', at: 1, attempt: 1, model: 'm', usage: { inputTokens: 3, outputTokens: 4 }, costUsd: 0.5 };
    const listedFlags: boolean[] = [];
    const adding = new RunState({ extend: (_node, listed) => listedFlags.push(listed) });
    adding.apply(started(['a']));
    adding.apply(usage);
    expect(listedFlags).toEqual([true, false]);
    expect(adding.nodes.get('ghost')).toMatchObject({ agent: 'ghost', tokens: 7, reportedUsage: true, index: 1 });
    const ignoring = new RunState({ unknownNodes: 'ignore' });
    ignoring.apply(started(['a']));
    expect(ignoring.apply(usage)).toBeUndefined();
    expect([...ignoring.nodes.keys()]).toEqual(['a']);
    expect(ignoring.totals).toMatchObject({ tokens: 7, costUsd: 0.5 });
  });

  it('starts over on run.started, or with acrossRuns adds the tallies of every run up', () => {
    const run = (runId: string): RunEvent[] => [
      started(['a'], runId),
      { type: 'node.started', runId, nodeId: 'a', at: 1, attempt: 1 },
      { type: 'node.succeeded', runId, nodeId: 'a', at: 3, attempts: 1, startedAt: 1, durationMs: 2, value: 1 },
    ];
    const once = new RunState({ tallies: { agentsFrom: 'use' } });
    const across = new RunState({ acrossRuns: true, tallies: { agentsFrom: 'use', byNode: true } });
    for (const event of [...run('r1'), ...run('r2')]) [once, across].forEach((state) => state.apply(event));
    expect(once.agents.get('agent-a')).toMatchObject({ calls: 1, succeeded: 1, durations: [2] });
    expect(once.totals.calls).toBe(1);
    expect(across.agents.get('agent-a')).toMatchObject({ calls: 2, succeeded: 2, durations: [2, 2] });
    expect(across.byNode.get('a')).toMatchObject({ calls: 2, succeeded: 2 });
    expect(across.runId).toBe('r2');
  });

  it('folds tallies only when asked, and keeps at most maxDurations per tally (a ring)', () => {
    const plain = new RunState();
    const bounded = new RunState({ tallies: { agentsFrom: 'anyEvent', maxDurations: 2 } });
    const events: RunEvent[] = [started(['a', 'b', 'c'])];
    ['a', 'b', 'c'].forEach((nodeId, i) => events.push({ type: 'node.failed', runId: 'r', nodeId, at: 10, attempts: 1, startedAt: 0, durationMs: i + 1, error: { name: 'Error', message: 'x' } }));
    for (const event of events) [plain, bounded].forEach((state) => state.apply(event));
    expect(plain.agents.size).toBe(0);
    expect([...bounded.agents.keys()]).toEqual(['agent-a', 'agent-b', 'agent-c']);
    const shared = new RunState({ tallies: { agentsFrom: 'use', maxDurations: 2 } });
    shared.apply({ type: 'run.started', runId: 'r', at: 0, concurrency: 1, nodes: ['a', 'b', 'c'].map((id) => ({ id, deps: [], meta: { agent: 'one' } })) });
    for (const event of events.slice(1)) shared.apply(event);
    expect(shared.agents.get('one')).toMatchObject({ failures: 3, durations: [3, 2], durationCount: 3 });
  });

  it("copies a view's template for each node: the view's fields are there, and what extend gives is each node's own", () => {
    class Template extends NodeTemplate {
      declare marks: number[];
      declare note: string;
      constructor() {
        super();
        this.marks = [];
        this.note = 'none yet';
      }
    }
    type Marked = TrackedNode & { marks: number[]; note: string };
    const extend = vi.fn((node: Marked) => void (node.marks = []));
    const state = new RunState<Marked>({ template: new Template() as Marked, extend });
    state.apply(started(['a', 'b']));
    const [a, b] = state.order;
    expect(a).toMatchObject({ id: 'a', index: 0, agent: 'agent-a', state: 'pending', note: 'none yet', marks: [] });
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(a!.marks).not.toBe(b!.marks);
    expect(extend).toHaveBeenCalledTimes(2);
  });
});
