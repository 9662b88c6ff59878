import { describe, expect, expectTypeOf, it } from 'vitest';
import { tap } from 'rxjs';
import { collect, execute, graph, subgraph, type NodeOutcome, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

const research = graph<{ topic: string }>()
  .node('sources', { run: ({ context }) => work(10, [`${context.topic} paper`, `${context.topic} blog`]), estimate: 10 })
  .node('notes', { deps: ['sources'], run: ({ inputs }) => work(5, inputs.sources.map((s) => `notes on ${s}`)), estimate: 5 })
  .node('outline', { deps: ['sources'], run: ({ inputs }) => work(7, `outline of ${inputs.sources.length}`), estimate: 7 })
  .build();

describe('subgraph: a built graph used as a node', () => {
  it('runs the subgraph nodes inside the parent run (same slots), ids carry the path, the value is the typed outputs', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('plan', { run: () => work(2, { topic: 'RxJS' }) })
        .node('research', { deps: ['plan'], run: subgraph(research, { input: ({ plan }) => plan }) })
        .node('other', { run: () => work(20, 'other') })
        .node('write', { deps: ['research'], run: ({ inputs }) => [`${inputs.research.outline}; ${inputs.research.notes.length} notes`] })
        .build();
      const events = record(execute(g, { concurrency: 2 }));
      flush();
      expect(eventTimeline(events, { only: ['node.expanded', 'node.started', 'node.succeeded'] })).toEqual([
        't=0 node.started plan #1',
        't=0 node.started other #1',
        't=2 node.succeeded plan',
        't=2 node.expanded research',
        't=2 node.started research/sources #1', // the one free slot (other holds the second)
        't=12 node.succeeded research/sources',
        't=12 node.started research/outline #1', // longer of the two (estimate 7 vs 5)
        't=19 node.succeeded research/outline',
        't=19 node.started research/notes #1',
        't=20 node.succeeded other',
        't=24 node.succeeded research/notes',
        't=24 node.succeeded research',
        't=24 node.started write #1',
        't=24 node.succeeded write',
      ]);
      expect(events.find((e) => e.type === 'node.expanded')).toMatchObject({
        kind: 'subgraph',
        nodes: [
          { id: 'research/sources', deps: [], parent: 'research' },
          { id: 'research/notes', deps: ['research/sources'], parent: 'research' },
          { id: 'research/outline', deps: ['research/sources'], parent: 'research' },
        ],
      });
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'write')).toMatchObject({ value: 'outline of 2; 2 notes' });
    });
  });

  it('types: the node value is the subgraph outputs, or what output() makes of them; input is required when the subgraph declares a context', () => {
    const g = graph()
      .node('plan', { run: () => [{ topic: 'x' }] })
      .node('r', { deps: ['plan'], run: subgraph(research, { input: ({ plan }) => plan }) })
      .node('o', { deps: ['plan'], run: subgraph(research, { input: ({ plan }) => plan, output: (o) => o.outline }) })
      .node('use', {
        deps: ['r', 'o'],
        run: ({ inputs }) => {
          expectTypeOf(inputs.r.notes).toEqualTypeOf<string[]>();
          expectTypeOf(inputs.o).toEqualTypeOf<string>();
          return [1];
        },
      })
      .build();
    expect(g.nodes).toHaveLength(4);
    // @ts-expect-error the subgraph declares a context ({ topic }): `input` is required
    subgraph(research);
    expect(() => subgraph({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_NODE', details: { field: 'graph' } }));
    expect(() => subgraph(research, { input: 'x' as never })).toThrow(expect.objectContaining({ code: 'INVALID_NODE', details: { field: 'input' } }));
  });

  it('a failing subgraph node fails the node with SUBGRAPH_FAILED naming it; outcomes of the others are kept', async () => {
    const flaky = graph()
      .node('a', { run: () => [1] })
      .node('b', { deps: ['a'], run: () => Promise.reject(new Error('b broke')) })
      .build();
    const g = graph()
      .node('sub', { run: subgraph(flaky) })
      .node('after', { deps: ['sub'], run: () => [1] })
      .build();
    const { outcomes } = await collect(execute(g));
    expect(outcomes.sub).toMatchObject({ status: 'failed', error: { code: 'SUBGRAPH_FAILED', message: expect.stringContaining(`'sub/b'`) } });
    expect((outcomes as Record<string, NodeOutcome>)['sub/a']).toMatchObject({ status: 'succeeded', value: 1 });
    expect(outcomes.after).toMatchObject({ status: 'skipped' });
  });

  it('nests: a fan-out whose children each run a subgraph, with item-specific input', async () => {
    const perTopic = graph<{ topic: string }>()
      .node('search', { run: ({ context }) => [`found ${context.topic}`] })
      .node('sum', { deps: ['search'], run: ({ inputs }) => [inputs.search.toUpperCase()] })
      .build();
    const g = graph()
      .forEach('topics', {
        items: () => ['a', 'b'],
        run: subgraph(perTopic, { input: (_inputs, { item }) => ({ topic: String(item) }), output: (o) => o.sum }),
      })
      .build();
    const events: RunEvent[] = [];
    const { outcomes } = await collect(execute(g).pipe(tap((e) => events.push(e))));
    expect(outcomes.topics).toMatchObject({ status: 'succeeded', value: ['FOUND A', 'FOUND B'] });
    expect(events.filter((e) => e.type === 'node.succeeded').map((e) => (e as { nodeId: string }).nodeId)).toEqual(
      expect.arrayContaining(['topics[0]/search', 'topics[0]/sum', 'topics[0]', 'topics[1]/search', 'topics[1]/sum', 'topics[1]', 'topics']),
    );
  });

  it('called outside a graph (a fallback step), it runs the subgraph as a run of its own', async () => {
    const offline = subgraph(research, { input: () => ({ topic: 'fallback' }), output: (o) => o.outline });
    const g = graph()
      .node('main', { run: () => Promise.reject(new Error('primary down')), fallback: (_error, ctx) => offline(ctx) })
      .build();
    const { outcomes } = await collect(execute(g));
    expect(outcomes.main).toMatchObject({ status: 'fellBack', value: 'outline of 2' });
  });
});

describe('subgraph: budgets', () => {
  it("the pre-run estimate prices the subgraph's nodes (a subgraph of Claude calls over the limit is refused before it runs)", () => {
    const costly = graph()
      .node('a', { run: () => ['x'], costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1_000_000, outputTokens: 0 } })
      .node('b', { deps: ['a'], run: () => ['y'], costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1_000_000, outputTokens: 0 } })
      .build();
    const g = graph().node('sub', { run: subgraph(costly) }).build();
    expect(() => execute(g, { budget: { maxUsd: 5 } })).toThrow(expect.objectContaining({ name: 'BudgetExceededError', message: expect.stringContaining('sub/a') }));
    expect(() => execute(g, { budget: { maxUsd: 7 } })).not.toThrow(); // 2 x $3
  });
});

describe('subgraph: resume', () => {
  it('a checkpointed run resumes inside the subgraph: only its nodes without a value run again', async () => {
    const calls: string[] = [];
    let broken = true;
    const inner = graph()
      .node('fetch', { run: () => (calls.push('fetch'), ['data']) })
      .node('parse', { deps: ['fetch'], run: ({ inputs }) => (calls.push('parse'), broken ? Promise.reject(new Error('parser down')) : Promise.resolve(inputs.fetch.toUpperCase())) })
      .build();
    const g = graph().node('etl', { run: subgraph(inner, { output: (o) => o.parse }) }).build();
    const first = await collect(execute(g, { runId: 'etl-1' }));
    expect(first.outcomes.etl.status).toBe('failed');
    expect(calls).toEqual(['fetch', 'parse']);
    broken = false;
    calls.length = 0;
    const restore = Object.fromEntries(Object.entries(first.outcomes).filter(([, o]) => o.status === 'succeeded'));
    expect(Object.keys(restore)).toEqual(['etl/fetch']);
    const second = await collect(execute(g, { runId: 'etl-1', restore }));
    expect(calls).toEqual(['parse']);
    expect(second.outcomes.etl).toMatchObject({ status: 'succeeded', value: 'DATA' });
  });
});
