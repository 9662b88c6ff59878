/**
 * Node ids are data, never object keys with a meaning: a node called `__proto__` (or `constructor`)
 * is checkpointed, loaded and restored like any other, on both real stores, and does not run again
 * on resume.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { executeDurable, graphFingerprint, loadRestore, resume, type DurableStore, type NodeCheckpoint } from 'rx-orchestra/store';
import { graph, type RunEvent } from 'rx-orchestra';
import { redisKind, sqliteKind } from './stores.js';

const all = (run$: Observable<RunEvent>) => lastValueFrom(run$.pipe(toArray()));
const started = (events: RunEvent[]) => events.filter((e) => e.type === 'node.started').map((e) => (e as { nodeId: string }).nodeId);
const restored = (events: RunEvent[]) => events.filter((e) => 'restored' in e && e.restored).map((e) => (e as { nodeId: string }).nodeId);

const ODD_IDS = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];

describe.each([sqliteKind(), redisKind()])('node ids that are Object.prototype names on the $name store', (kind) => {
  let stores: DurableStore[] = [];
  const open = () => {
    const { store } = kind.open();
    stores.push(store);
    return store;
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('loads a checkpoint of nodes named __proto__, constructor, ... as own entries', async () => {
    const store = open();
    const g = ODD_IDS.reduce((b, id) => b.node(id, { run: () => [id] }), graph() as ReturnType<typeof graph>).build();
    await store.openRun({ runId: 'r1', fingerprint: graphFingerprint(g), createdAt: 0 });
    const usage = { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 };
    for (const id of ODD_IDS) {
      const node: NodeCheckpoint = { nodeId: id, outcome: { status: 'succeeded', value: `v-${id}`, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 }, usage, savedAt: 1 };
      await store.saveNode('r1', node);
    }
    const saved = (await store.loadRun('r1'))!;
    expect(Object.keys(saved.nodes).sort()).toEqual([...ODD_IDS].sort());
    for (const id of ODD_IDS) expect(Object.hasOwn(saved.nodes, id) && saved.nodes[id]!.outcome).toMatchObject({ status: 'succeeded', value: `v-${id}` });
    const restore = await loadRestore(store, 'r1', g);
    expect(Object.keys(restore).sort()).toEqual([...ODD_IDS].sort());
    expect(Object.hasOwn(restore, '__proto__') && restore['__proto__']).toMatchObject({ value: 'v-__proto__' });
  });

  it('restores a node called __proto__ on resume instead of running it again', async () => {
    const store = open();
    const runs = { proto: 0, after: 0 };
    let failAfter = true;
    const g = graph()
      .node('__proto__', { run: () => (runs.proto++, ['P']) })
      .node('after', {
        deps: ['__proto__'],
        run: ({ inputs }) => {
          runs.after++;
          if (failAfter) return Promise.reject(Object.assign(new Error('not yet'), { retryable: false }));
          return [`${String((inputs as Record<string, unknown>)['__proto__'])}!`];
        },
      })
      .build();
    await all(executeDurable(store, g, { runId: 'r1' }));
    failAfter = false;
    const events = await all(resume(store, 'r1', g));
    expect(restored(events)).toEqual(['__proto__']);
    expect(started(events)).toEqual(['after']);
    expect(runs).toEqual({ proto: 1, after: 2 });
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'after')).toMatchObject({ value: 'P!' });
    const again = await all(resume(store, 'r1', g));
    expect(started(again)).toEqual([]); // everything restored, nothing re-runs
    expect(runs).toEqual({ proto: 1, after: 2 });
  });
});
