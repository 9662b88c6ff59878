/**
 * Issue 11 (review): the lease's renewal is an endless timer. On the run's virtual scheduler it
 * would keep `TestScheduler.run`'s flush going for ever once a node never settles (a `NEVER`, a
 * Promise nobody resolves, `timeout: false`). By default it runs on a real-time scheduler of its
 * own, independent of the run's (and of `TestScheduler.run`'s virtualisation of asyncScheduler).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { NEVER, lastValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { graph } from 'rx-orchestra';
import { executeDurable, sqliteStore } from 'rx-orchestra/store';
import { tempDir } from './stores.js';

describe('lease renewal and virtual time', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  it('a durable run whose node never settles leaves nothing on the virtual clock: flush() ends', () => {
    const store = sqliteStore(join(dir.path, 'never.db'));
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const seen: { pendingVirtualActions: number; nodeStarted: boolean } = { pendingVirtualActions: -1, nodeStarted: false };
    scheduler.run(() => {
      const g = graph().node('stuck', { run: () => NEVER, timeout: false }).build();
      const run = executeDurable(store, g, { runId: 'never' }).subscribe((e) => e.type === 'node.started' && (seen.nodeStarted = true));
      // A watchdog far in virtual time: with the renewal on the virtual clock, a renewal is still
      // pending here (and without this watchdog flush() would never return).
      scheduler.schedule(() => {
        seen.pendingVirtualActions = scheduler.actions.length;
        run.unsubscribe();
      }, 24 * 3_600_000);
    });
    expect(seen).toEqual({ pendingVirtualActions: 0, nodeStarted: true });
    store.close();
  });

  it('by default the lease is renewed on real timers: a run outliving its TTL keeps it, and releases it at the end', async () => {
    const file = join(dir.path, 'real.db');
    const owner = sqliteStore(file);
    const rival = sqliteStore(file);
    let finish!: (value: string) => void;
    const g = graph().node('long', { run: () => new Promise<string>((resolve) => (finish = resolve)), timeout: false }).build();
    const done = lastValueFrom(executeDurable(owner, g, { runId: 'real', lease: { ttlMs: 150, renewEveryMs: 50 } }));
    await new Promise((resolve) => setTimeout(resolve, 450)); // three TTLs
    expect(rival.acquireLease('real', 'rival', 10_000)).toMatchObject({ acquired: false });
    finish('L');
    expect(await done).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    expect(rival.acquireLease('real', 'rival', 10_000)).toEqual({ acquired: true });
    owner.close();
    rival.close();
  });
});
