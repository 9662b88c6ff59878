/**
 * The SQLite store answers synchronously, so a checkpointed run stays a marble-testable stream in
 * virtual time: same event times as without checkpoints, checkpoints stamped with virtual time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import { executeDurable, resume, sqliteStore } from 'rx-orchestra/store';
import { graph, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { tempDir } from './stores.js';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.remove());

describe('checkpointing in virtual time (SQLite)', () => {
  it('keeps the timeline, stamps checkpoints with virtual time, and resumes in virtual time', () => {
    const store = sqliteStore(join(dir.path, 'virtual.db'));
    let failB = true;
    const build = (cold: TestScheduler['createColdObservable']) =>
      graph()
        .node('a', { run: () => cold('--(x|)', { x: 'A' }) })
        .node('b', { deps: ['a'], run: ({ inputs }) => (failB ? cold('---#', {}, new Error('boom')) : cold('----(y|)', { y: `${inputs.a}B` })) })
        .node('c', { run: () => cold('-------(z|)', { z: 'C' }) })
        .build();
    const only = ['node.started', 'node.succeeded', 'node.failed', 'run.completed'] as RunEvent['type'][];

    const first: RunEvent[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold }) => {
      executeDurable(store, build(cold), { runId: 'v1' }).subscribe((e) => first.push(e));
    });
    expect(eventTimeline(first, { only })).toEqual([
      't=0 node.started a #1', // longest remaining path first
      't=0 node.started c #1',
      't=2 node.succeeded a',
      't=2 node.started b #1',
      't=5 node.failed b',
      't=7 node.succeeded c',
      't=7 run.completed partial',
    ]);
    const saved = store.loadRun('v1') as Exclude<ReturnType<typeof store.loadRun>, Promise<unknown>>;
    expect(Object.fromEntries(Object.entries(saved!.nodes).map(([id, n]) => [id, n.savedAt]))).toEqual({ a: 2, b: 5, c: 7 });

    failB = false;
    const second: RunEvent[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold }) => {
      resume(store, 'v1', build(cold)).subscribe((e) => second.push(e));
    });
    expect(eventTimeline(second, { only })).toEqual(['t=0 node.succeeded a', 't=0 node.succeeded c', 't=0 node.started b #1', 't=4 node.succeeded b', 't=4 run.completed succeeded']);
    store.close();
  });
});
