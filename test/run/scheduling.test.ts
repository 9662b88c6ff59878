import { describe, expect, it } from 'vitest';
import { execute, graph, graphFromNodes } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

const startsAndEnds = { only: ['node.started', 'node.succeeded', 'run.completed'] as const };

describe('scheduling: concurrency cap, work conservation, priority', () => {
  it('keeps at most N nodes in flight and starts a ready node the moment a slot frees (no waves)', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('a', { run: () => work(10, 'a'), estimate: 10 })
        .node('b', { deps: ['a'], run: () => work(10, 'b'), estimate: 10 })
        .node('c', { run: () => work(5, 'c'), estimate: 5 })
        .node('d', { run: () => work(5, 'd'), estimate: 5 })
        .node('e', { run: () => work(5, 'e'), estimate: 5 })
        .build();
      return record(execute(g, { concurrency: 2, runId: 'r1' }));
    });
    // a heads the longest path (a -> b, 20) so it starts first; c, d, e each fill the other slot
    // the moment it frees; at t=10 b outranks e.
    expect(eventTimeline(events, startsAndEnds)).toEqual([
      't=0 node.started a #1',
      't=0 node.started c #1',
      't=5 node.succeeded c',
      't=5 node.started d #1',
      't=10 node.succeeded a',
      't=10 node.started b #1',
      't=10 node.succeeded d',
      't=10 node.started e #1',
      't=15 node.succeeded e',
      't=20 node.succeeded b',
      't=20 run.completed succeeded',
    ]);
  });

  it('starts the ready node with the longest remaining path first, not the first defined', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('quick', { run: () => work(1, 1), estimate: 1 })
        .node('head', { run: () => work(3, 1), estimate: 3 })
        .node('tail', { deps: ['head'], run: () => work(3, 1), estimate: 3 })
        .build();
      return record(execute(g, { concurrency: 1 }));
    });
    expect(eventTimeline(events, { only: ['node.started'] })).toEqual([
      't=0 node.started head #1', // rank 6
      't=3 node.started tail #1', // rank 3 beats quick's 1
      't=6 node.started quick #1',
    ]);
  });

  it('queues roots at start and dependents when their last dependency ends, with their priority', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('x', { run: () => work(2, 1) })
        .node('y', { run: () => work(4, 1) })
        .node('z', { deps: ['x', 'y'], run: () => work(1, 1) })
        .build();
      return record(execute(g, { concurrency: 4 }));
    });
    expect(events.filter((e) => e.type === 'node.queued').map((e) => [e.at, e.nodeId, e.priority])).toEqual([
      [0, 'x', 2],
      [0, 'y', 2],
      [4, 'z', 1],
    ]);
  });

  it('runs everything at once with concurrency Infinity, and a wide fan-in waits for the slowest', () => {
    const events = testScheduler().run(() => {
      const workers = Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, run: () => work(i + 1, i) }));
      const join = { id: 'join', deps: workers.map((w) => w.id), run: () => work(1, 'done') };
      return record(execute(graphFromNodes([...workers, join]), { concurrency: Infinity }));
    });
    expect(events.filter((e) => e.type === 'node.started' && e.at === 0)).toHaveLength(50);
    expect(eventTimeline(events, { only: ['node.started', 'run.completed'] }).slice(-2)).toEqual([
      't=50 node.started join #1',
      't=51 run.completed succeeded',
    ]);
  });
});
