/**
 * Issue 12 (SQLite side): a database file deleted (or replaced) while a run writes to it must not go
 * unnoticed. Writes to an unlinked file land in an inode no other process (and no resume) can
 * open, so the next node or status write fails the run with STORE_FAILED instead. Real SQLite.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { graph, type RunEvent } from 'rx-orchestra';
import { executeDurable, isStoreError, sqliteStore, type SqliteStore } from 'rx-orchestra/store';
import { tempDir } from './stores.js';

const settle = (run$: ReturnType<typeof executeDurable>) =>
  lastValueFrom(run$.pipe(toArray())).then(
    (events) => ({ events, error: undefined as unknown }),
    (error: unknown) => ({ events: [] as RunEvent[], error }),
  );

describe('SQLite store: the database file disappears mid-run', () => {
  let dir: ReturnType<typeof tempDir>;
  let stores: SqliteStore[] = [];
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    for (const store of stores) store.close();
    stores = [];
    dir.remove();
  });

  const gatedRun = (path: string) => {
    const store = sqliteStore(path);
    stores.push(store);
    const gate = new Subject<string>();
    const g = graph()
      .node('a', { run: () => ['A'] })
      .node('b', { deps: ['a'], run: () => firstValueFrom(gate), timeout: false })
      .build();
    const done = settle(executeDurable(store, g, { runId: 'r' }));
    return { store, gate, done };
  };

  it.each([
    ['deleted (with its -wal and -shm files)', (path: string) => ['', '-wal', '-shm'].forEach((suffix) => rmSync(path + suffix, { force: true }))],
    ['replaced by another file', (path: string) => {
      const other = sqliteStore(`${path}.new`);
      other.close();
      renameSync(`${path}.new`, path);
    }],
  ])('%s: the next write fails the run with STORE_FAILED naming the file', async (_what, remove) => {
    const path = join(dir.path, 'runs.db');
    const { store, gate, done } = gatedRun(path);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(Object.keys((store.loadRun('r') as { nodes: object }).nodes)).toEqual(['a']);
    remove(path);
    gate.next('B');
    const result = await done;
    expect(isStoreError(result.error) && [result.error.code, result.error.runId]).toEqual(['STORE_FAILED', 'r']);
    expect((result.error as Error).message).toContain(path);
    expect((result.error as Error).message).toMatch(/deleted or replaced/);
  });

  it('a file left in place is written as before (the check does not misfire)', async () => {
    const path = join(dir.path, 'kept.db');
    const { gate, done } = gatedRun(path);
    await new Promise((resolve) => setTimeout(resolve, 20));
    gate.next('B');
    const result = await done;
    expect(result.error).toBeUndefined();
    expect(result.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    const reader = sqliteStore(path);
    stores.push(reader);
    expect(reader.loadRun('r')).toMatchObject({ status: 'succeeded' });
  });
});
