/**
 * The RunStore / ResponseCacheStore contract, against both real stores: SQLite on a temp file and
 * Redis on a real redis-server. What one handle writes, another handle (another process) reads.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { graph } from 'rx-orchestra';
import { graphFingerprint, isStoreError, type CachedResponse, type DurableStore, type NodeCheckpoint } from 'rx-orchestra/store';
import { redisKind, sqliteKind } from './stores.js';

const g = graph()
  .node('a', { run: () => ['A'] })
  .node('b', { deps: ['a'], run: () => ['B'] })
  .build();
const fingerprint = graphFingerprint(g, 'v1');
const usage = { calls: 2, inputTokens: 100, outputTokens: 40, cacheCreationInputTokens: 0, cacheReadInputTokens: 10, costUsd: 0.0012 };

const checkpoints: NodeCheckpoint[] = [
  { nodeId: 'a', outcome: { status: 'succeeded', value: { title: 'T', tags: ['x', 'y'], n: 1.5, ok: true, none: null }, attempts: 2, startedAt: 10, endedAt: 30, durationMs: 20 }, usage, savedAt: 31 },
  { nodeId: 'b', outcome: { status: 'failed', error: { name: 'ModelCallError', message: 'overloaded', code: 'OVERLOADED', retryable: true, status: 529 }, gaveUp: 'exhausted', attempts: 3, startedAt: 30, endedAt: 90, durationMs: 60 }, usage, savedAt: 91 },
  { nodeId: 'c', outcome: { status: 'skipped', cause: { kind: 'upstream', upstream: 'b' }, endedAt: 90 }, usage: { ...usage, calls: 0, costUsd: 0 }, savedAt: 92 },
  { nodeId: 'd', outcome: { status: 'fellBack', value: 'default', reason: 'timedOut', via: 1, error: { name: 'NodeDeadlineError', message: 'late', code: 'TIMEOUT' }, attempts: 1, startedAt: 0, endedAt: 5, durationMs: 5 }, usage, savedAt: 6 },
  { nodeId: 'e', outcome: { status: 'timedOut', timeoutMs: 100, error: { name: 'NodeDeadlineError', message: 'late' }, attempts: 1, startedAt: 0, endedAt: 100, durationMs: 100 }, usage, savedAt: 101 },
  { nodeId: 'f', outcome: { status: 'succeeded', value: null, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 }, usage, savedAt: 2 },
  { nodeId: 'g', outcome: { status: 'succeeded', value: 'text with "quotes" and ünïcødé', attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 }, usage, savedAt: 2 },
];

const entry = (key: string, storedAt: number, expiresAt: number | null = null): CachedResponse => ({
  key,
  model: 'claude-haiku-4-5',
  text: `answer ${key}`,
  usage: { inputTokens: 10, outputTokens: 5 },
  stopReason: 'end_turn',
  storedAt,
  expiresAt,
});

describe.each([sqliteKind(), redisKind()])('$name store', (kind) => {
  let open: DurableStore[] = [];
  const fresh = () => {
    const { store, reopen } = kind.open();
    open.push(store);
    return {
      store,
      reopen: () => {
        const other = reopen();
        open.push(other);
        return other;
      },
    };
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(open.map((s) => s.close()));
    open = [];
  });

  it('creates a run header once, atomically, and returns an existing one unchanged', async () => {
    const { store } = fresh();
    expect(await store.openRun({ runId: 'r1', fingerprint, createdAt: 1000 })).toEqual({
      created: true,
      header: { runId: 'r1', fingerprint, status: 'running', createdAt: 1000, updatedAt: 1000 },
    });
    await store.setRunStatus('r1', 'partial', 2000);
    const other = graphFingerprint(g, 'v2');
    expect(await store.openRun({ runId: 'r1', fingerprint: other, createdAt: 3000 })).toEqual({
      created: false,
      header: { runId: 'r1', fingerprint, status: 'partial', createdAt: 1000, updatedAt: 2000 },
    });
  });

  it('round-trips every kind of node outcome, with usage, as another handle reads it', async () => {
    const { store, reopen } = fresh();
    await store.openRun({ runId: 'r1', fingerprint, createdAt: 0 });
    for (const node of checkpoints) await store.saveNode('r1', node);
    const loaded = await reopen().loadRun('r1');
    expect(loaded).toMatchObject({ runId: 'r1', fingerprint, status: 'running', createdAt: 0 });
    expect(loaded!.nodes).toEqual(Object.fromEntries(checkpoints.map((node) => [node.nodeId, node])));
  });

  it('overwrites a node checkpoint (a resumed run re-running a failed node), keeps other runs apart, and deletes', async () => {
    const { store } = fresh();
    await store.openRun({ runId: 'r1', fingerprint, createdAt: 0 });
    await store.openRun({ runId: 'r2', fingerprint, createdAt: 0 });
    await store.saveNode('r1', checkpoints[1]!);
    const fixed: NodeCheckpoint = { ...checkpoints[0]!, nodeId: 'b' };
    await store.saveNode('r1', fixed);
    await store.saveNode('r2', checkpoints[0]!);
    expect((await store.loadRun('r1'))!.nodes).toEqual({ b: fixed });
    await store.setRunStatus('r1', 'succeeded', 50);
    expect(await store.loadRun('r1')).toMatchObject({ status: 'succeeded', updatedAt: 50 });
    await store.deleteRun('r1');
    expect(await store.loadRun('r1')).toBeUndefined();
    expect(Object.keys((await store.loadRun('r2'))!.nodes)).toEqual(['a']);
    expect(await store.loadRun('never')).toBeUndefined();
  });

  it('lists the headers of its runs (with a lease and waiting nodes beside them), and forgets a deleted one', async () => {
    const { store, reopen } = fresh();
    expect(await store.listRuns!()).toEqual([]);
    await store.openRun({ runId: 'nightly:1', fingerprint, createdAt: 5 });
    await store.openRun({ runId: 'r*2', fingerprint, createdAt: 7 });
    await store.saveNode('nightly:1', checkpoints[0]!);
    await store.acquireLease('nightly:1', 'me', 60_000);
    await store.saveWaiting!('r*2', 'a', { nodeId: 'a', payload: { ok: true }, timeoutMs: null, since: 8 });
    await store.setRunStatus('r*2', 'failed', 9);
    const runs = (await reopen().listRuns!()).sort((a, b) => a.createdAt - b.createdAt);
    expect(runs).toEqual([
      { runId: 'nightly:1', fingerprint, status: 'running', createdAt: 5, updatedAt: expect.any(Number) },
      { runId: 'r*2', fingerprint, status: 'failed', createdAt: 7, updatedAt: 9 },
    ]);
    await store.deleteRun('r*2');
    expect((await store.listRuns!()).map((r) => r.runId)).toEqual(['nightly:1']);
  });

  it('records the nodes waiting for a decision, clears them, refuses without a header, and deletes them with the run', async () => {
    const { store, reopen } = fresh();
    await store.openRun({ runId: 'r1', fingerprint, createdAt: 0 });
    await store.saveWaiting!('r1', 'approve', { nodeId: 'approve', payload: { draft: 'v1' }, timeoutMs: null, since: 5 });
    await store.saveWaiting!('r1', 'deploy', { nodeId: 'deploy', payload: 'go?', timeoutMs: 60_000, since: 7 });
    expect((await reopen().loadRun('r1'))?.waiting).toEqual({
      approve: { nodeId: 'approve', payload: { draft: 'v1' }, timeoutMs: null, since: 5 },
      deploy: { nodeId: 'deploy', payload: 'go?', timeoutMs: 60_000, since: 7 },
    });
    await store.saveWaiting!('r1', 'approve', undefined);
    expect(Object.keys((await store.loadRun('r1'))?.waiting ?? {})).toEqual(['deploy']);
    await store.saveWaiting!('r1', 'deploy', undefined);
    expect(await store.loadRun('r1')).not.toHaveProperty('waiting'); // absent when nothing waits
    await expect(Promise.resolve().then(() => store.saveWaiting!('nope', 'n', { nodeId: 'n', payload: 1, timeoutMs: null, since: 0 }))).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await store.saveWaiting!('r1', 'approve', { nodeId: 'approve', payload: 1, timeoutMs: null, since: 9 });
    await store.deleteRun('r1');
    await store.openRun({ runId: 'r1', fingerprint, createdAt: 10 });
    expect(await store.loadRun('r1')).not.toHaveProperty('waiting');
  });

  it('caches answers: get, replace, expiry by the caller’s clock, size bound evicting the oldest stored', async () => {
    const { store, reopen } = fresh();
    expect(await store.getCached('k1', 0)).toBeUndefined();
    await store.putCached(entry('k1', 0, 100), 3);
    expect(await reopen().getCached('k1', 99)).toEqual(entry('k1', 0, 100));
    expect(await store.getCached('k1', 100)).toBeUndefined(); // expired: deleted
    expect(await store.cacheSize()).toBe(0);
    for (const key of ['k1', 'k2', 'k3']) await store.putCached(entry(key, 1), 3);
    await store.putCached(entry('k1', 2), 3); // replaced: now the newest
    await store.putCached(entry('k4', 3), 3); // evicts k2, the oldest stored
    expect(await store.cacheSize()).toBe(3);
    expect(await store.getCached('k2', 5)).toBeUndefined();
    expect((await store.getCached('k1', 5))!.storedAt).toBe(2);
    await store.putCached(entry('k5', 4), 1); // a tighter bound evicts all but the newest
    expect(await store.cacheSize()).toBe(1);
    expect(await store.getCached('k5', 5)).toBeDefined();
    await store.putCached(entry('k6', 5), Infinity);
    expect(await store.cacheSize()).toBe(2);
    await store.clearCache();
    expect(await store.cacheSize()).toBe(0);
  });

  it('refuses to write a node or a status under a run whose header is gone (STORE_FAILED naming run and node), writing nothing', async () => {
    const { store, reopen } = fresh();
    await store.openRun({ runId: 'r1', fingerprint, createdAt: 0 });
    await store.saveNode('r1', checkpoints[0]!);
    await reopen().deleteRun('r1'); // another process (or an empty Redis after a restart)
    const saveError = await (async () => store.saveNode('r1', checkpoints[1]!))().catch((e: unknown) => e);
    expect(isStoreError(saveError) && [saveError.code, saveError.runId, saveError.nodeId]).toEqual(['STORE_FAILED', 'r1', 'b']);
    const statusError = await (async () => store.setRunStatus('r1', 'succeeded', 9))().catch((e: unknown) => e);
    expect(isStoreError(statusError) && [statusError.code, statusError.runId]).toEqual(['STORE_FAILED', 'r1']);
    expect(await store.loadRun('r1')).toBeUndefined();
  });

  it('fails with a typed STORE_FAILED error once closed', async () => {
    const { store } = fresh();
    await store.close();
    const error = await (async () => store.loadRun('r1'))().catch((e: unknown) => e);
    expect(isStoreError(error) && error.code).toBe('STORE_FAILED');
    expect(isStoreError(error) && error.retryable).toBe(true);
  });
});
