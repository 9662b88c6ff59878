/**
 * Durable runs in one process, against both real stores: checkpoints per node as nodes end,
 * resume re-running only what did not succeed, refusal of a checkpoint of another graph, and values
 * that cannot be stored failing the node that produced them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defer, lastValueFrom, of, timer, toArray, map, NEVER, type Observable } from 'rxjs';
import {
  checkpoint,
  executeDurable,
  isCheckpointMismatchError,
  isStoreError,
  resume,
  type DurableStore,
} from 'rx-orchestra/store';
import {
  collect,
  execute,
  graph,
  type NodeContext,
  type RunEvent,
} from 'rx-orchestra';
import { redisKind, sqliteKind } from './stores.js';

const all = (run$: Observable<RunEvent>) => lastValueFrom(run$.pipe(toArray()));
const errorOf = (run$: Observable<RunEvent>) => lastValueFrom(run$.pipe(toArray())).then(
  () => undefined,
  (e: unknown) => e,
);
const ran = (events: RunEvent[]) => events.filter((e) => e.type === 'node.started').map((e) => (e as { nodeId: string }).nodeId);
const restoredIds = (events: RunEvent[]) => events.filter((e) => 'restored' in e && e.restored).map((e) => (e as { nodeId: string }).nodeId);

/** A node that reports a model call's usage, then answers. */
const paid =
  (value: unknown, costUsd = 0.01) =>
  (ctx: NodeContext<unknown>) => {
    ctx.emit({ type: 'node.usage', model: 'claude-haiku-4-5', usage: { inputTokens: 100, outputTokens: 20 }, costUsd });
    return of(value);
  };

describe.each([sqliteKind(), redisKind()])('durable runs on the $name store', (kind) => {
  let stores: DurableStore[] = [];
  const open = () => {
    const { store, reopen } = kind.open();
    stores.push(store);
    return {
      store,
      reopen: () => {
        const other = reopen();
        stores.push(other);
        return other;
      },
    };
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('checkpoints each node as it ends: value, status, attempts, error, usage and cost; then the run status', async () => {
    const { store } = open();
    let flaky = 0;
    const g = graph()
      .node('facts', { run: paid({ facts: ['a', 'b'] }, 0.02) })
      .node('flaky', {
        run: (ctx) => {
          ctx.emit({ type: 'node.usage', model: 'claude-haiku-4-5', usage: { inputTokens: 10, outputTokens: 1 }, costUsd: 0.001 });
          return ++flaky === 1 ? Promise.reject(Object.assign(new Error('overloaded'), { status: 529 })) : Promise.resolve('ok');
        },
        retry: { count: 2, initialDelay: 1, jitter: 0 },
      })
      .node('broken', { run: () => Promise.reject(Object.assign(new Error('bad request'), { code: 'BAD_REQUEST', retryable: false })) })
      .node('after', { deps: ['broken'], run: () => ['never'] })
      .build();
    const result = await collect(executeDurable(store, g, { runId: 'r1' }));
    expect(result.summary.status).toBe('partial');
    const saved = (await store.loadRun('r1'))!;
    expect(saved).toMatchObject({ runId: 'r1', status: 'partial' });
    expect(saved.fingerprint.nodes.map((n) => n.id)).toEqual(['after', 'broken', 'facts', 'flaky']);
    expect(saved.nodes.facts).toMatchObject({
      outcome: { status: 'succeeded', value: { facts: ['a', 'b'] }, attempts: 1 },
      usage: { calls: 1, inputTokens: 100, outputTokens: 20, costUsd: 0.02 },
    });
    expect(saved.nodes.flaky).toMatchObject({ outcome: { status: 'succeeded', value: 'ok', attempts: 2 }, usage: { calls: 2, inputTokens: 20, costUsd: 0.002 } });
    expect(saved.nodes.broken).toMatchObject({ outcome: { status: 'failed', attempts: 1, error: { message: 'bad request', code: 'BAD_REQUEST', retryable: false } } });
    expect(saved.nodes.after).toMatchObject({ outcome: { status: 'skipped', cause: { kind: 'upstream', upstream: 'broken' } } });
    // The stored outcomes are the ones the run reported.
    for (const [id, outcome] of Object.entries(result.outcomes)) expect(saved.nodes[id]!.outcome).toEqual(outcome);
  });

  it('lets a node-end event through only once its checkpoint is written', async () => {
    const { store, reopen } = open();
    const reader = reopen();
    const g = graph()
      .node('a', { run: () => timer(5).pipe(map(() => 'A')) })
      .node('b', { deps: ['a'], run: () => timer(5).pipe(map(() => 'B')) })
      .build();
    const seen: Promise<unknown>[] = [];
    const done = executeDurable(store, g, { runId: 'r1' });
    await lastValueFrom(
      done.pipe(
        map((event) => {
          if (event.type === 'node.succeeded') seen.push(Promise.resolve(reader.loadRun('r1')).then((cp) => cp?.nodes[event.nodeId]?.outcome.status));
          return event;
        }),
      ),
    );
    expect(await Promise.all(seen)).toEqual(['succeeded', 'succeeded']);
  });

  it('resume runs only the nodes that did not succeed; restored ones are marked, feed their dependents and cost nothing', async () => {
    const { store, reopen } = open();
    const calls: string[] = [];
    let fixed = false;
    const build = () =>
      graph()
        .node('research', { run: (ctx) => (calls.push('research'), paid('notes')(ctx)) })
        .node('outline', {
          deps: ['research'],
          run: (ctx) => (calls.push('outline'), fixed ? paid({ sections: [`from ${ctx.inputs.research}`] })(ctx) : Promise.reject(new Error('529'))),
        })
        .node('draft', { deps: ['outline'], run: ({ inputs }) => (calls.push('draft'), of(`draft of ${(inputs.outline as { sections: string[] }).sections[0]}`)) })
        .node('title', { deps: ['research'], run: (ctx) => (calls.push('title'), paid('A title')(ctx)) })
        .build();
    const first = await collect(executeDurable(store, build(), { runId: 'r1' }));
    expect(first.summary.counts).toMatchObject({ succeeded: 2, failed: 1, skipped: 1 });
    expect(calls.sort()).toEqual(['outline', 'research', 'title']);

    calls.length = 0;
    fixed = true;
    const events = await all(resume(reopen(), 'r1', build())); // e.g. a new process
    expect(calls.sort()).toEqual(['draft', 'outline']);
    expect(restoredIds(events).sort()).toEqual(['research', 'title']);
    expect(ran(events).sort()).toEqual(['draft', 'outline']);
    const succeeded = events.filter((e) => e.type === 'node.succeeded');
    expect(succeeded.map((e) => e.nodeId).sort()).toEqual(['draft', 'outline', 'research', 'title']); // each exactly once
    expect(succeeded.find((e) => e.nodeId === 'draft')).toMatchObject({ value: 'draft of from notes' });
    const summary = events.at(-1)!;
    expect(summary).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 2, usage: { total: { calls: 1 }, byNode: { outline: { calls: 1 } } } } });
    const saved = (await store.loadRun('r1'))!;
    expect(saved.status).toBe('succeeded');
    expect(Object.values(saved.nodes).map((n) => n.outcome.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(saved.nodes.research!.usage.costUsd).toBe(0.01); // kept from the first run

    calls.length = 0;
    const again = await all(resume(store, 'r1', build()));
    expect(calls).toEqual([]);
    expect(restoredIds(again)).toHaveLength(4);
  });

  it('refuses a checkpoint written by a different graph, naming what changed, before anything runs or is restored', async () => {
    const { store } = open();
    const run = () => ['x'];
    const v1 = graph().node('a', { run }).node('b', { deps: ['a'], run }).node('c', { deps: ['b'], run }).build();
    await collect(executeDurable(store, v1, { runId: 'r1' }));
    const before = await store.loadRun('r1');
    const started: string[] = [];
    const v2 = graph()
      .node('a', { run: () => (started.push('a'), ['x']) })
      .node('c', { deps: ['a'], run: () => (started.push('c'), ['x']) })
      .node('d', { deps: ['c'], run: () => (started.push('d'), ['x']) })
      .build();
    const seen: RunEvent[] = [];
    const error = await errorOf(resume(store, 'r1', v2).pipe(map((e) => (seen.push(e), e))));
    expect(isCheckpointMismatchError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'CHECKPOINT_MISMATCH',
      runId: 'r1',
      changes: { added: ['d'], removed: ['b'], changedDeps: [{ nodeId: 'c', before: ['b'], after: ['a'] }] },
    });
    expect((error as Error).message).toMatch(/added 'd'; removed 'b'; deps of 'c' \[b\] -> \[a\]/);
    expect(seen).toEqual([]);
    expect(started).toEqual([]);
    expect(await store.loadRun('r1')).toEqual(before);
    // A different user version is a different graph too.
    expect(await errorOf(resume(store, 'r1', v1, { version: 'prompts-v2' }))).toMatchObject({ code: 'CHECKPOINT_MISMATCH', changes: { version: { before: undefined, after: 'prompts-v2' } } });
  });

  it('refuses to resume a run it has no checkpoint of, and to start a durable run over an existing one', async () => {
    const { store } = open();
    const g = graph().node('a', { run: () => ['x'] }).build();
    expect(await errorOf(resume(store, 'nope', g))).toMatchObject({ code: 'CHECKPOINT_NOT_FOUND', runId: 'nope' });
    await collect(executeDurable(store, g, { runId: 'r1' }));
    const error = await errorOf(executeDurable(store, g, { runId: 'r1' }));
    expect(isStoreError(error) && error.code).toBe('RUN_EXISTS');
  });

  it('fails the node whose value cannot be stored (typed, naming node and path, not retried); the rest goes on and a resume re-runs it', async () => {
    const { store } = open();
    let attempts = 0;
    let fixed = false;
    const build = () =>
      graph()
        .node('ok', { run: () => of('fine') })
        .node('dates', { run: () => (++attempts, of(fixed ? { at: '1970-01-01T00:00:00.000Z' } : { at: new Date(0) })), retry: { count: 2, initialDelay: 1 } })
        .node('uses', { deps: ['dates'], run: ({ inputs }) => of(`at ${inputs.dates.at}`) })
        .build();
    const first = await collect(executeDurable(store, build(), { runId: 'r1' }));
    expect(attempts).toBe(1);
    expect(first.outcomes.dates).toMatchObject({
      status: 'failed',
      error: { name: 'ValueNotSerializableError', code: 'UNSERIALIZABLE_VALUE', retryable: false, message: expect.stringMatching(/^node 'dates': .*value\.at is a Date instance/) },
    });
    expect(first.outcomes.uses.status).toBe('skipped');
    expect(first.outcomes.ok.status).toBe('succeeded');
    const saved = (await store.loadRun('r1'))!;
    expect(saved.nodes.dates!.outcome).toMatchObject({ status: 'failed', error: { code: 'UNSERIALIZABLE_VALUE' } });
    expect(saved.nodes.ok!.outcome).toMatchObject({ status: 'succeeded', value: 'fine' });

    fixed = true;
    const events = await all(resume(store, 'r1', build()));
    expect(ran(events).sort()).toEqual(['dates', 'uses']);
    expect(events.at(-1)).toMatchObject({ summary: { status: 'succeeded', restored: 1 } });
  });

  it('checks fallback values too: a function fallback that yields one fails the node; a constant one is refused up front', async () => {
    const { store } = open();
    const g = graph()
      .node('a', { run: () => Promise.reject(new Error('down')), fallback: () => new Map([['k', 1]]) })
      .node('b', { run: () => Promise.reject(new Error('down')), fallback: [() => Promise.reject(new Error('also down')), async () => 'cheap answer'] })
      .build();
    const result = await collect(executeDurable(store, g, { runId: 'r1' }));
    expect(result.outcomes.a).toMatchObject({ status: 'failed', error: { code: 'UNSERIALIZABLE_VALUE', message: expect.stringContaining('a Map instance') } });
    expect(result.outcomes.b).toMatchObject({ status: 'fellBack', value: 'cheap answer', via: 1 });
    expect((await store.loadRun('r1'))!.nodes.b!.outcome).toMatchObject({ status: 'fellBack', value: 'cheap answer' });

    const constant = graph().node('c', { run: () => ['x'], fallback: { value: 10n } }).build();
    expect(() => executeDurable(store, constant, { runId: 'r2' })).toThrow(expect.objectContaining({ code: 'UNSERIALIZABLE_VALUE', nodeId: 'c' }));
  });

  it('the bare checkpoint operator stops the run on a value it cannot store, naming the node; what was written stays', async () => {
    const { store } = open();
    let aborted = false;
    const g = graph()
      .node('first', { run: () => of('stored') })
      .node('bad', { deps: ['first'], run: () => timer(5).pipe(map(() => ({ n: 1n }))) })
      .node('slow', {
        run: ({ signal }) =>
          defer(() => {
            signal.addEventListener('abort', () => (aborted = true));
            return NEVER;
          }),
        timeout: false,
      })
      .build();
    const error = await errorOf(execute(g, { runId: 'r1' }).pipe(checkpoint(store, 'r1', g)));
    expect(error).toMatchObject({ name: 'ValueNotSerializableError', code: 'UNSERIALIZABLE_VALUE', nodeId: 'bad', runId: 'r1', path: 'value.n' });
    expect(aborted).toBe(true); // the run was cancelled
    const saved = (await store.loadRun('r1'))!;
    expect(Object.keys(saved.nodes)).toEqual(['first']);
    expect(saved.status).toBe('running');
  });

  it('fails the stream with a typed STORE_FAILED error when the store fails mid-run, cancelling the run', async () => {
    const { store } = open();
    let aborted = false;
    const g = graph()
      .node('a', { run: () => of('A') })
      .node('b', { deps: ['a'], run: () => defer(async () => (await store.close(), 'B')) })
      .node('slow', {
        run: ({ signal }) =>
          defer(() => {
            signal.addEventListener('abort', () => (aborted = true));
            return NEVER;
          }),
        timeout: false,
      })
      .build();
    const error = await errorOf(executeDurable(store, g, { runId: 'r1' }));
    expect(isStoreError(error) && [error.code, error.retryable]).toEqual(['STORE_FAILED', true]);
    expect((error as Error).message).toMatch(/cannot checkpoint node 'b' of run 'r1'/);
    expect(aborted).toBe(true);
  });

  it('refuses events of another run id (execute without the same runId)', async () => {
    const { store } = open();
    const g = graph().node('a', { run: () => ['x'] }).build();
    const error = await errorOf(execute(g, { runId: 'other' }).pipe(checkpoint(store, 'r1', g)));
    expect(error).toMatchObject({ code: 'RUN_ID_MISMATCH', runId: 'r1' });
    expect((error as Error).message).toContain("execute(graph, { runId: 'r1' })");
  });
});
