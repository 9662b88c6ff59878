/** Restoring outcomes from a checkpoint: restored nodes do not run again; their dependents get the values. */
import { describe, expect, it, vi } from 'vitest';
import { collect, execute, graph, OptionsError, type NodeOutcome } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

const done = (value: unknown): NodeOutcome => ({ status: 'succeeded', value, attempts: 1, startedAt: 0, endedAt: 10, durationMs: 10 });

describe('execute({ restore })', () => {
  it('settles restored nodes at once, marked restored, and runs only the rest', () => {
    const research = vi.fn(() => work(10, 'fresh research'));
    const events = testScheduler().run(() => {
      const g = graph()
        .node('research', { run: research })
        .node('outline', { deps: ['research'], run: ({ inputs }) => work(5, `outline of ${inputs.research}`) })
        .node('failedBefore', { run: () => work(3, 'now ok') })
        .build();
      return record(execute(g, { restore: { research: done('stored research'), failedBefore: { status: 'failed', error: { name: 'Error', message: 'x' }, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 } } }));
    });
    expect(research).not.toHaveBeenCalled();
    expect(eventTimeline(events, { only: ['node.started', 'node.succeeded', 'run.completed'] })).toEqual([
      't=0 node.succeeded research',
      't=0 node.started outline #1',
      't=0 node.started failedBefore #1',
      't=3 node.succeeded failedBefore',
      't=5 node.succeeded outline',
      't=5 run.completed succeeded',
    ]);
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'research')).toMatchObject({ restored: true, value: 'stored research' });
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'outline')).toMatchObject({ value: 'outline of stored research' });
    expect(events.at(-1)).toMatchObject({ summary: { restored: 1, attempts: 2, counts: { succeeded: 3 } } });
  });

  it('restores everything: the run completes without running a node', async () => {
    const run = vi.fn(() => [1]);
    const g = graph().node('a', { run }).node('b', { deps: ['a'], run }).build();
    const result = await collect(execute(g, { restore: { a: done(1), b: done(2) } }));
    expect(run).not.toHaveBeenCalled();
    expect(result.outcomes.b).toMatchObject({ status: 'succeeded', value: 2, restored: true });
  });

  it('refuses a checkpoint that names nodes the graph does not have', () => {
    const g = graph().node('a', { run: () => [1] }).build();
    expect(() => execute(g, { restore: { a: done(1), gone: done(2) } })).toThrow(OptionsError);
    expect(() => execute(g, { restore: { gone: done(2) } })).toThrow(/'gone'.*another graph/);
  });
});
