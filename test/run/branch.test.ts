import { describe, expect, it } from 'vitest';
import { collect, execute, graph, subgraph } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

const review = (score: number) =>
  graph()
    .node('draft', { run: () => work(5, { text: 'v1', score }), branch: ({ value }) => (value.score >= 0.8 ? 'publish' : 'revise') })
    .node('publish', { deps: ['draft'], run: ({ inputs }) => work(3, `published ${inputs.draft.text}`) })
    .node('revise', { deps: ['draft'], run: ({ inputs }) => work(4, `revised ${inputs.draft.text}`) })
    .node('announce', { deps: ['publish'], run: () => work(1, 'announced') })
    .node('done', { deps: ['publish', 'revise'], onUpstreamFailure: 'partial', run: ({ inputs }) => [inputs.publish ?? inputs.revise] })
    .build();

describe('branch: a node chooses which of its dependents run', () => {
  it('the chosen side runs; the other ends skipped with cause branch, and its dependents follow their policies', () => {
    testScheduler().run(({ flush }) => {
      const events = record(execute(review(0.5)));
      flush();
      expect(eventTimeline(events, { only: ['node.started', 'node.succeeded', 'node.skipped', 'run.completed'] })).toEqual([
        't=0 node.started draft #1',
        't=5 node.succeeded draft',
        't=5 node.skipped publish (branch draft chose revise)',
        't=5 node.skipped announce (upstream publish)',
        't=5 node.started revise #1',
        't=9 node.succeeded revise',
        't=9 node.started done #1',
        't=9 node.succeeded done',
        't=9 run.completed partial',
      ]);
      expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'publish')).toMatchObject({ cause: { kind: 'branch', node: 'draft', chose: ['revise'] } });
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'done')).toMatchObject({ value: 'revised v1' });
    });
  });

  it('the other choice takes the other side', async () => {
    const { outcomes } = await collect(execute(review(0.9)));
    expect(outcomes.revise).toMatchObject({ status: 'skipped', cause: { kind: 'branch', chose: ['publish'] } });
    expect(outcomes.announce).toMatchObject({ status: 'succeeded' });
    expect(outcomes.done).toMatchObject({ status: 'succeeded', value: 'published v1' });
  });

  it('naming a node that is not a dependent fails the node with BRANCH_TARGET, keeping its value in the error', async () => {
    const g = graph()
      .node('a', { run: () => [42], branch: () => 'nowhere' })
      .node('b', { deps: ['a'], run: () => [1] })
      .build();
    const events = await collect(execute(g));
    expect(events.outcomes.a).toMatchObject({ status: 'failed', error: { code: 'BRANCH_TARGET', message: `branch of 'a' chose 'nowhere', which is not one of its dependents ('b')` } });
    expect(events.outcomes.b).toMatchObject({ status: 'skipped', cause: { kind: 'upstream', upstream: 'a' } });
  });

  it('several targets at once; branches inside a subgraph name their dependents by their local ids', async () => {
    const inner = graph()
      .node('route', { run: () => ['x'], branch: () => ['left', 'middle'] })
      .node('left', { deps: ['route'], run: () => ['L'] })
      .node('middle', { deps: ['route'], run: () => ['M'] })
      .node('right', { deps: ['route'], run: () => ['R'] })
      .build();
    const g = graph().node('sub', { run: subgraph(inner) }).build();
    const { outcomes } = await collect(execute(g));
    const o = outcomes as Record<string, { status: string; cause?: unknown }>;
    expect(o['sub/left']?.status).toBe('succeeded');
    expect(o['sub/middle']?.status).toBe('succeeded');
    expect(o['sub/right']).toMatchObject({ status: 'skipped', cause: { kind: 'branch', node: 'sub/route', chose: ['left', 'middle'] } });
    // A branch skip inside the subgraph leaves a node without a value: the subgraph node fails unless that is acceptable.
    expect(outcomes.sub).toMatchObject({ status: 'failed', error: { code: 'SUBGRAPH_FAILED' } });
  });

  it('a restored branch node keeps its choice on resume: the side it did not choose does not run', async () => {
    let published = 0;
    const g = graph()
      .node('draft', { run: () => [{ score: 0.9 }], branch: ({ value }) => (value.score >= 0.8 ? 'publish' : 'revise') })
      .node('publish', { deps: ['draft'], run: () => [++published] })
      .node('revise', { deps: ['draft'], run: () => ['revised'] })
      .build();
    const first = await collect(execute(g, { runId: 'r1' }));
    expect(first.outcomes.revise.status).toBe('skipped');
    const again = await collect(execute(g, { runId: 'r1', restore: { draft: first.outcomes.draft } }));
    expect(again.outcomes.revise).toMatchObject({ status: 'skipped', cause: { kind: 'branch' } });
    expect(again.outcomes.publish.status).toBe('succeeded');
  });

  it("'branch' that is not a function is refused at build time, naming the node and field", () => {
    expect(() => graph().node('a', { run: () => [1], branch: 'b' as never }).build()).toThrow(expect.objectContaining({ code: 'INVALID_NODE', nodeId: 'a', details: expect.objectContaining({ field: 'branch' }) }));
  });
});
