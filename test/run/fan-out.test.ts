import { describe, expect, expectTypeOf, it } from 'vitest';
import { NEVER, defer, timer, map, mergeMap, throwError } from 'rxjs';
import { RunEventSchema, collect, execute, graph, isDynamicNodeError, isNodeEndEvent, shareRun, type NodeOutcome, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler, work } from './virtual-run.js';

/** Slots in use after each event: nodes started and not yet ended (children and ordinary nodes alike). */
function maxInFlight(events: readonly RunEvent[]): number {
  const running = new Set<string>();
  let max = 0;
  for (const e of events) {
    if (e.type === 'node.started') running.add(e.nodeId);
    else if (e.type === 'node.retrying' || isNodeEndEvent(e)) running.delete(e.nodeId);
    max = Math.max(max, running.size);
  }
  return max;
}

describe('forEach: a fan-out over a list known at run time', () => {
  it('runs one child per element under the run cap, children and ordinary nodes sharing the slots; the value is the list in item order', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('plan', { run: () => work(5, { paths: ['a', 'b', 'c', 'd', 'e'] }) })
        .forEach('explore', {
          deps: ['plan'],
          items: ({ plan }) => plan.paths,
          run: ({ item, index }) => work(10 * (index + 1), `${item}!`),
          estimate: 10,
        })
        .node('side', { deps: ['plan'], run: () => work(15, 'side'), estimate: 1 })
        .node('report', { deps: ['explore'], run: ({ inputs }) => [inputs.explore.join(',')] })
        .build();
      const events = record(execute(g, { concurrency: 3 }));
      flush();
      expect(eventTimeline(events, { only: ['node.expanded', 'node.started', 'node.succeeded'] })).toEqual([
        't=0 node.started plan #1',
        't=5 node.succeeded plan',
        't=5 node.expanded explore',
        // Children first (longer remaining path: estimate 10 plus report), then the side node.
        't=5 node.started explore[0] #1',
        't=5 node.started explore[1] #1',
        't=5 node.started explore[2] #1',
        't=15 node.succeeded explore[0]',
        't=15 node.started explore[3] #1',
        't=25 node.succeeded explore[1]',
        't=25 node.started explore[4] #1',
        't=35 node.succeeded explore[2]',
        't=35 node.started side #1',
        't=50 node.succeeded side',
        't=55 node.succeeded explore[3]',
        't=75 node.succeeded explore[4]',
        't=75 node.succeeded explore',
        't=75 node.started report #1',
        't=75 node.succeeded report',
      ]);
      const expanded = events.find((e) => e.type === 'node.expanded')!;
      expect(expanded).toMatchObject({ kind: 'forEach', nodes: [{ id: 'explore[0]', deps: [], parent: 'explore' }, { id: 'explore[1]' }, { id: 'explore[2]' }, { id: 'explore[3]' }, { id: 'explore[4]' }] });
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'explore')).toMatchObject({ value: ['a!', 'b!', 'c!', 'd!', 'e!'] });
      expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'report')).toMatchObject({ value: 'a!,b!,c!,d!,e!' });
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', nodes: 9 } });
      expect(maxInFlight(events)).toBe(3);
    });
  });

  it('a fan-out of 20 children under concurrency 3 with one child retrying never exceeds the cap (children and ordinary nodes together)', () => {
    testScheduler().run(({ flush }) => {
      let failedOnce = false;
      const g = graph()
        .node('plan', { run: () => [Array.from({ length: 20 }, (_, i) => i)] })
        .forEach('work', {
          deps: ['plan'],
          items: ({ plan }) => plan,
          retry: { count: 1, initialDelay: 4, jitter: 0 },
          run: ({ item }) =>
            item === 7 && !failedOnce
              ? timer(3).pipe(mergeMap(() => ((failedOnce = true), throwError(() => new Error('flaky')))))
              : work(5 + (item % 3), item * 2),
        })
        .node('a', { run: () => work(12, 'a') })
        .node('b', { deps: ['a'], run: () => work(12, 'b') })
        .build();
      const events = record(execute(g, { concurrency: 3, random: () => 0.5 }));
      flush();
      expect(maxInFlight(events)).toBe(3);
      const starts = events.filter((e) => e.type === 'node.started');
      expect(starts.filter((e) => e.nodeId.startsWith('work['))).toHaveLength(21); // 20 children + one retry
      expect(eventTimeline(events, { only: ['node.retrying'] })).toEqual([expect.stringMatching(/^t=\d+ node.retrying work\[7\] #1 wait=4$/)]);
      const end = events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'work');
      expect(end).toMatchObject({ value: Array.from({ length: 20 }, (_, i) => i * 2) });
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', nodes: 24, retries: 1 } });
    });
  });

  it('cancelling during a fan-out tears every running child down and starts none afterwards', () => {
    testScheduler().run(({ flush }) => {
      const aborted: string[] = [];
      const started: string[] = [];
      const g = graph()
        .node('plan', { run: () => [[1, 2, 3, 4, 5, 6]] })
        .forEach('kids', {
          deps: ['plan'],
          items: ({ plan }) => plan,
          timeout: false,
          run: ({ item, signal, nodeId }) =>
            defer(() => {
              started.push(nodeId);
              signal.addEventListener('abort', () => aborted.push(nodeId));
              return work(10 * item, item);
            }),
        })
        .build();
      const events: RunEvent[] = [];
      const sub = execute(g, { concurrency: 2 }).subscribe((e) => events.push(e));
      timer(25).subscribe(() => sub.unsubscribe());
      flush();
      // kids[0] ends at 10 (kids[2] starts), kids[1] at 20 (kids[3] starts); cancelled at 25.
      expect(started).toEqual(['kids[0]', 'kids[1]', 'kids[2]', 'kids[3]']);
      expect(aborted.sort()).toEqual(['kids[2]', 'kids[3]']);
      expect(events.some((e) => e.type === 'run.completed')).toBe(false);
    });
  });

  it('keyed children get readable ids; join "outcomes" reports every child, failures included', async () => {
    const g = graph()
      .node('plan', { run: () => [['src/a.ts', 'src/b.ts', 'src/c.ts']] })
      .forEach('explore', {
        deps: ['plan'],
        items: ({ plan }) => plan,
        key: (path) => path,
        join: 'outcomes',
        run: ({ item }) => (item === 'src/b.ts' ? Promise.reject(new Error('unreadable')) : Promise.resolve(item.length)),
      })
      .build();
    const { outcomes } = await collect(execute(g));
    expectTypeOf(outcomes.explore).toEqualTypeOf<NodeOutcome<NodeOutcome<number>[]>>();
    expect(outcomes.explore.status).toBe('succeeded');
    const value = (outcomes.explore as { value: NodeOutcome<number>[] }).value;
    expect(value.map((o) => o.status)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(Object.keys(outcomes)).toEqual(expect.arrayContaining(['explore/src/a.ts', 'explore/src/b.ts', 'explore/src/c.ts']));
  });

  it('join all fails the node with CHILDREN_FAILED naming the children; { atLeast } accepts enough of them', async () => {
    const build = (join: 'all' | { atLeast: number }) =>
      graph()
        .forEach('n', { items: () => [1, 2, 3, 4], join, run: ({ item }) => (item % 2 === 0 ? Promise.reject(new Error(`bad ${item}`)) : Promise.resolve(item)) })
        .build();
    const all = await collect(execute(build('all')));
    expect(all.outcomes.n).toMatchObject({ status: 'failed', error: { name: 'DynamicNodeError', code: 'CHILDREN_FAILED' } });
    expect((all.outcomes.n as { error: { message: string } }).error.message).toContain(`'n[1]', 'n[3]'`);
    expect((await collect(execute(build({ atLeast: 2 })))).outcomes.n).toMatchObject({ status: 'succeeded', value: [1, 3] });
    expect((await collect(execute(build({ atLeast: 3 })))).outcomes.n).toMatchObject({ status: 'failed' });
  });

  it('an empty list gives [] at once; items that are not a list fail the node with NOT_A_LIST, naming it, and skip its dependents', async () => {
    const empty = graph().forEach('none', { items: () => [] as number[], run: () => [1] }).build();
    expect((await collect(execute(empty))).outcomes.none).toMatchObject({ status: 'succeeded', value: [] });
    const bad = graph()
      .node('plan', { run: () => [{ paths: 'not a list' }] })
      .forEach('explore', { deps: ['plan'], items: ({ plan }) => plan.paths as unknown as string[], run: () => [1] })
      .node('after', { deps: ['explore'], run: () => [1] })
      .build();
    let error: unknown;
    const result = await collect(
      execute(bad).pipe(
        map((e) => {
          if (e.type === 'node.failed') error = e.error;
          return e;
        }),
      ),
    );
    expect(error).toMatchObject({ code: 'NOT_A_LIST', message: expect.stringContaining(`fan-out 'explore': 'items' must return an array, got 'not a list'`) });
    expect(result.outcomes.after).toMatchObject({ status: 'skipped', cause: { kind: 'upstream', upstream: 'explore' } });
  });

  it('duplicate keys fail the node with DUPLICATE_KEY before any child runs', async () => {
    let ran = 0;
    const g = graph()
      .forEach('n', { items: () => ['x', 'y', 'x'], key: (k) => k, run: () => [++ran] })
      .build();
    const run = await collect(execute(g));
    expect(run.outcomes.n).toMatchObject({ status: 'failed', error: { code: 'DUPLICATE_KEY' } });
    expect(ran).toBe(0);
    expect(isDynamicNodeError(new (await import('rx-orchestra')).DynamicNodeError('NOT_A_LIST', 'n', 'x'))).toBe(true);
  });

  it('bad settings are refused at build time, naming the node and the field', () => {
    expect(() => graph().forEach('n', { items: 'no' as never, run: () => [1] }).build()).toThrow(expect.objectContaining({ code: 'INVALID_NODE', nodeId: 'n', details: expect.objectContaining({ field: 'items' }) }));
    expect(() => graph().forEach('n', { items: () => [1], join: { atLeast: -1 }, run: () => [1] }).build()).toThrow(/'join' must be/);
    expect(() => graph().forEach('n', { items: () => [1], key: 3 as never, run: () => [1] }).build()).toThrow(/'key' must be a function/);
  });

  it('types: item has the element type; the value is the list of child values (with the fallback type)', () => {
    const g = graph()
      .node('plan', { run: () => [{ paths: ['a'] as string[] }] })
      .forEach('explore', {
        deps: ['plan'],
        items: ({ plan }) => plan.paths,
        run: ({ item, index }) => {
          expectTypeOf(item).toEqualTypeOf<string>();
          expectTypeOf(index).toEqualTypeOf<number>();
          return Promise.resolve(item.length);
        },
        fallback: { value: null },
      })
      .node('use', {
        deps: ['explore'],
        run: ({ inputs }) => {
          expectTypeOf(inputs.explore).toEqualTypeOf<(number | null)[]>();
          return [inputs.explore.length];
        },
      })
      .build();
    expect(g.nodes.map((n) => n.id)).toEqual(['plan', 'explore', 'use']);
    void NEVER;
  });
});

describe('resuming inside a fan-out or a subgraph', () => {
  it('children that succeeded are restored, only the others run again, and the parent joins them all', async () => {
    const calls: string[] = [];
    let broken = true;
    const build = () =>
      graph()
        .node('plan', { run: () => (calls.push('plan'), [['a', 'b', 'c']]) })
        .forEach('explore', {
          deps: ['plan'],
          items: ({ plan }) => plan,
          key: (k) => k,
          run: ({ item, nodeId }) => {
            calls.push(nodeId);
            return item === 'b' && broken ? Promise.reject(new Error('b is down')) : Promise.resolve(item.toUpperCase());
          },
        })
        .build();
    const first = await collect(execute(build(), { runId: 'r' }));
    expect(first.outcomes.explore.status).toBe('failed');
    broken = false;
    calls.length = 0;
    const restore = Object.fromEntries(Object.entries(first.outcomes).filter(([, o]) => o.status === 'succeeded'));
    const events: RunEvent[] = [];
    const second = await collect(execute(build(), { runId: 'r', restore }).pipe(map((e) => (events.push(e), e))));
    expect(calls).toEqual(['explore/b']); // plan, explore/a and explore/c restored
    expect(second.outcomes.explore).toMatchObject({ status: 'succeeded', value: ['A', 'B', 'C'] });
    expect(events.filter((e) => e.type === 'node.succeeded' && e.restored).map((e) => (e as { nodeId: string }).nodeId)).toEqual(['plan', 'explore/a', 'explore/c']);
    expect(second.summary).toMatchObject({ status: 'succeeded', restored: 3 });
  });

  it('restore refuses ids the graph cannot have, but accepts children of its fan-outs and subgraphs', () => {
    const g = graph().forEach('n', { items: () => [1], run: () => [1] }).build();
    const ok = { status: 'succeeded', value: 1, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 } as const;
    expect(() => execute(g, { restore: { 'n[0]': ok } })).not.toThrow();
    expect(() => execute(g, { restore: { 'm[0]': ok } })).toThrow(/'restore' names nodes this graph does not have: 'm\[0\]'/);
    expect(() => execute(g, { restore: { 'n[x]': ok } })).toThrow(/'n\[x\]'/);
  });
});

describe('fan-out ids and stops', () => {
  it('a node id that could collide with the children of a fan-out or subgraph is refused at build time', () => {
    expect(() => graph().forEach('explore', { items: () => [1], run: () => [1] }).node('explore[0]', { run: () => [1] }).build()).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_ID', nodeId: 'explore[0]', message: expect.stringContaining("fan-out 'explore'") }),
    );
  });

  it('a run stopped by a fail policy skips a fan-out after its running children, saying it was running', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .forEach('fan', { items: () => [1, 2], run: ({ item }) => work(10, item) })
        .node('bad', { run: () => timer(5).pipe(mergeMap(() => throwError(() => new Error('x')))) })
        .node('after', { deps: ['bad'], onUpstreamFailure: 'fail', run: () => [1] })
        .build();
      const events = record(execute(g));
      flush();
      expect(eventTimeline(events, { only: ['node.skipped'] })).toEqual([
        't=5 node.skipped fan[1] (run failed at bad)',
        't=5 node.skipped fan[0] (run failed at bad)',
        't=5 node.skipped fan (run failed at bad)',
        't=5 node.skipped after (run failed at bad)',
      ]);
      expect(events.find((e) => e.type === 'node.skipped' && e.nodeId === 'fan')).toMatchObject({ cause: { wasRunning: true } });
    });
  });
});

describe('fan-out in a shared run', () => {
  it("a late subscriber's snapshot lists the children with their parent", () => {
    testScheduler().run(({ flush }) => {
      const g = graph().forEach('kids', { items: () => ['a', 'b'], run: ({ item }) => work(10, item) }).build();
      const shared = shareRun(execute(g));
      shared.connect();
      let snapshot: ReturnType<typeof shared.snapshot>;
      timer(5).subscribe(() => (snapshot = shared.snapshot()));
      flush();
      expect(snapshot!.nodes).toEqual([{ id: 'kids', deps: [] }, { id: 'kids[0]', deps: [], parent: 'kids' }, { id: 'kids[1]', deps: [], parent: 'kids' }]);
      expect(snapshot!.states['kids[0]']?.state).toBe('running');
      expect(RunEventSchema.parse(snapshot!)).toMatchObject({ nodes: [{ id: 'kids' }, { parent: 'kids' }, { parent: 'kids' }] });
    });
  });
});

describe('fan-out of llm() children', () => {
  it("run: llm({ prompt: (_, { item }) => ... }) makes one call per element, with llm()'s own deadline and cost estimate", async () => {
    const { llm, simulatedModel } = await import('rx-orchestra');
    const g = graph()
      .node('plan', { run: () => [['alpha', 'beta', 'gamma']] })
      .forEach('ask', { deps: ['plan'], items: ({ plan }) => plan, run: llm({ prompt: (_inputs, { item }) => `Say ${String(item)}`, maxTokens: 16 }) })
      .build();
    const explore = g.nodes.find((n) => n.id === 'ask')!;
    expect(explore.timeout).toBe(false); // llm()'s defaultTimeout: its call deadline lives inside
    expect(typeof explore.costEstimate).toBe('function');
    const model = simulatedModel();
    const seen: string[] = [];
    const spy = { ...model, stream: (request: Parameters<typeof model.stream>[0], signal?: AbortSignal) => (seen.push(String(request.prompt)), model.stream(request, signal)) };
    const { outcomes } = await collect(execute(g, { model: spy }));
    expect(outcomes.ask.status).toBe('succeeded');
    expect((outcomes.ask as { value: string[] }).value).toHaveLength(3);
    expect(seen.sort()).toEqual(['Say alpha', 'Say beta', 'Say gamma']);
  });
});
