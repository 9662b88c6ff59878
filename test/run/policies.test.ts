import { describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { execute, graph } from 'rx-orchestra';
import { eventTimeline, scriptedAgent } from 'rx-orchestra/testing';
import { failAfter, record, testScheduler, work } from './virtual-run.js';

const ends = { only: ['node.succeeded', 'node.failed', 'node.skipped', 'run.completed'] as const };

describe('failure propagation policies', () => {
  it("'skip' (default): the failed node's dependents are skipped, transitively, naming the upstream; other branches go on", () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('fetch', { run: () => failAfter(10) })
        .node('summarize', { deps: ['fetch'], run: () => work(5, 's') })
        .node('publish', { deps: ['summarize'], run: () => work(5, 'p') })
        .node('other', { run: () => work(20, 'o') })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, ends)).toEqual([
      't=10 node.failed fetch',
      't=10 node.skipped summarize (upstream fetch)',
      't=10 node.skipped publish (upstream summarize)',
      't=20 node.succeeded other',
      't=20 run.completed partial',
    ]);
    expect(events.at(-1)).toMatchObject({ summary: { counts: { succeeded: 1, failed: 1, skipped: 2, timedOut: 0, fellBack: 0 } } });
  });

  it("'skip' does not wait for the node's other dependencies", () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('slow', { run: () => work(50, 1) })
        .node('broken', { run: () => failAfter(5) })
        .node('join', { deps: ['slow', 'broken'], run: () => work(1, 1) })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, ends)).toEqual([
      't=5 node.failed broken',
      't=5 node.skipped join (upstream broken)',
      't=50 node.succeeded slow',
      't=50 run.completed partial',
    ]);
  });

  it("'partial': the node runs once all dependencies ended, with the values that exist and every upstream outcome", () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('web', { run: () => work(10, 'web facts') })
        .node('docs', { run: () => failAfter(5, new Error('docs down')) })
        .node('answer', {
          deps: ['web', 'docs'],
          onUpstreamFailure: 'partial',
          run: ({ inputs, upstream }) => work(1, { got: Object.keys(inputs), docs: upstream.docs?.status, web: inputs.web }),
        })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, ends)).toEqual([
      't=5 node.failed docs',
      't=10 node.succeeded web',
      't=11 node.succeeded answer',
      't=11 run.completed partial',
    ]);
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'answer')).toMatchObject({
      value: { got: ['web'], docs: 'failed', web: 'web facts' },
    });
  });

  it("'partial' also runs after a skipped upstream", () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('a', { run: () => failAfter(1) })
        .node('b', { deps: ['a'], run: () => work(1, 'b') })
        .node('c', { deps: ['b'], onUpstreamFailure: 'partial', run: ({ upstream }) => work(1, upstream.b?.status) })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, ends)).toEqual([
      't=1 node.failed a',
      't=1 node.skipped b (upstream a)',
      't=2 node.succeeded c',
      't=2 run.completed partial',
    ]);
  });

  it("'fail': the run stops at once: in-flight nodes are cancelled (signal aborted), the rest skipped, results so far kept", () => {
    const agent = scriptedAgent<string, string>([{ hang: true }]);
    const events = testScheduler().run(({ cold, expectSubscriptions }) => {
      const hanging = cold<string>('-');
      const g = graph()
        .node('done', { run: () => work(3, 'kept') })
        .node('critical', { run: () => failAfter(10) })
        .node('needsCritical', { deps: ['critical'], onUpstreamFailure: 'fail', run: () => work(1, 1) })
        .node('inFlight', { run: ({ signal }) => agent.call('x', signal) })
        .node('inFlightToo', { run: () => hanging })
        .node('later', { deps: ['done'], run: () => work(100, 1) })
        .node('never', { deps: ['later'], run: () => work(1, 1) })
        .build();
      const recorded = record(execute(g, { concurrency: 5 }));
      expectSubscriptions(hanging.subscriptions).toBe('^ 9ms !'); // unsubscribed at t=10
      return recorded;
    });
    expect(eventTimeline(events, ends)).toEqual([
      't=3 node.succeeded done',
      't=10 node.failed critical',
      't=10 node.skipped needsCritical (run failed at critical)',
      't=10 node.skipped inFlight (run failed at critical)',
      't=10 node.skipped inFlightToo (run failed at critical)',
      't=10 node.skipped later (run failed at critical)',
      't=10 node.skipped never (run failed at critical)',
      't=10 run.completed failed',
    ]);
    expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'inFlight')).toMatchObject({
      cause: { kind: 'runFailed', failedNode: 'critical', wasRunning: true },
    });
    expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'never')).toMatchObject({ cause: { wasRunning: false } });
    expect(events.at(-1)).toMatchObject({ summary: { status: 'failed', failedNode: 'critical' } });
    expect(agent.calls[0]).toMatchObject({ result: 'cancelled', endedAt: 10, signalAborted: true });
    expect(events.some((e) => e.type === 'node.started' && e.at > 10)).toBe(false);
  });

  it('a node without dependents that fails does not stop the run', () => {
    const events = testScheduler().run(() =>
      record(execute(graph().node('leaf', { run: () => failAfter(1) }).node('other', { run: () => work(5, 1) }).build())),
    );
    expect(eventTimeline(events, ends)).toEqual(['t=1 node.failed leaf', 't=5 node.succeeded other', 't=5 run.completed partial']);
  });

  it('NEVER-ending work is bounded by the timeout, so a run always completes', () => {
    const events = testScheduler().run(() => record(execute(graph().node('stuck', { run: () => NEVER, timeout: 7 }).build())));
    expect(eventTimeline(events, { only: ['node.timedOut', 'run.completed'] })).toEqual(['t=7 node.timedOut stuck', 't=7 run.completed failed']);
  });
});
