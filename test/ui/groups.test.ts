/**
 * The page's model of a run that grows (in Node): nodes a fan-out adds join its group with counts
 * kept up to date, the graph is laid out again, a waiting node carries its payload until decided,
 * and a page that starts from a snapshot (which lists nodes without their parent) finds the groups
 * from the ids.
 */
import { VirtualAction, VirtualTimeScheduler, map, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RunTracker, approval, execute, graph, type RunEvent } from 'rx-orchestra';
import { DashboardModel } from '../../src/ui/page/model.js';
import { groupSummary } from '../../src/ui/page/groups.js';
import { parentFromId } from '../../src/run/run-state.js';

function run(): RunEvent[] {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const g = graph()
    .node('plan', { run: () => timer(5, scheduler).pipe(map(() => Array.from({ length: 30 }, (_, i) => i))) })
    .forEach('explore', { deps: ['plan'], items: ({ plan }) => plan, run: ({ item }) => timer(1 + (item % 4), scheduler).pipe(map(() => item)) })
    .node('gate', { deps: ['explore'], run: approval({ request: ({ explore }) => ({ n: explore.length }) }) })
    .build();
  const run$ = execute(g, { scheduler, concurrency: 4, runId: 'm' });
  const events: RunEvent[] = [];
  run$.subscribe((e) => events.push(e));
  scheduler.schedule(() => run$.decide('gate', { approve: false, reason: 'no', by: 'ana' }), 100);
  scheduler.flush();
  return events;
}

describe('DashboardModel of a run that grows', () => {
  const events = run();

  it('groups a fan-out, keeps its counts, and lays the graph out again', () => {
    const model = new DashboardModel();
    const expandedAt = events.findIndex((e) => e.type === 'node.expanded');
    events.slice(0, expandedAt).forEach((e) => model.apply(e));
    const before = model.structure;
    model.apply(events[expandedAt]!);
    expect(model.structure).toBe(before + 1);
    const group = model.groups.get('explore')!;
    expect(group).toMatchObject({ kind: 'forEach' });
    expect(group.children).toHaveLength(30);
    expect(model.nodes.get('explore[7]')!.parent).toBe('explore');
    const waitingAt = events.findIndex((e) => e.type === 'node.waiting');
    events.slice(expandedAt + 1, waitingAt + 1).forEach((e) => model.apply(e));
    expect(groupSummary(group)).toBe('30/30 done');
    expect([...model.waiting].map((n) => n.id)).toEqual(['gate']);
    expect(JSON.parse(model.nodes.get('gate')!.approval!.payload)).toEqual({ n: 30 });
    events.slice(waitingAt + 1).forEach((e) => model.apply(e));
    expect(model.waiting.size).toBe(0);
    expect(model.nodes.get('gate')).toMatchObject({ state: 'failed', approval: undefined, decided: 'rejected by ana: no' });
    expect(model.incidents.map((i) => i.kind)).toEqual(['waiting', 'rejected', 'failed']);
  });

  it('a page that starts from a snapshot finds the groups from the ids', () => {
    const tracker = new RunTracker();
    const mid = events.findIndex((e) => e.type === 'node.succeeded' && e.nodeId === 'explore[12]');
    events.slice(0, mid + 1).forEach((e) => tracker.apply(e));
    const model = new DashboardModel();
    model.apply(tracker.snapshot()!);
    const group = model.groups.get('explore')!;
    expect(group.children).toHaveLength(30);
    expect(group.kind).toBeUndefined();
    const c = group.counts;
    expect(c.succeeded + c.running + c.queued + c.pending).toBe(30);
    expect(c.succeeded).toBe(events.slice(0, mid + 1).filter((e) => e.type === 'node.succeeded' && e.nodeId.startsWith('explore[')).length);
    events.slice(mid + 1).forEach((e) => model.apply(e));
    expect(groupSummary(group)).toBe('30/30 done');
    expect(parentFromId('explore/src/a.ts', (id) => id === 'explore')).toBe('explore');
  });
});
