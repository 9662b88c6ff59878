import { describe, expect, it, vi } from 'vitest';
import { NEVER, Observable, filter, firstValueFrom, take, timer, map, lastValueFrom, toArray } from 'rxjs';
import { collect, execute, graph, isRunIncompleteError, shareRun, type RunEvent } from 'rx-orchestra';
import { timeout } from 'rx-orchestra/operators';
import { eventTimeline } from 'rx-orchestra/testing';
import { failAfter, record, testScheduler, work } from './virtual-run.js';

/** Work that never ends, recording whether it was unsubscribed and whether its signal aborted. */
function watched(signal: AbortSignal, seen: { unsubscribed?: boolean; aborted?: boolean }) {
  signal.addEventListener('abort', () => (seen.aborted = true));
  return new Observable<never>(() => () => (seen.unsubscribed = true));
}

describe('cancellation from inside the run’s own events', () => {
  it('tears down a node whose node.started made the consumer unsubscribe', async () => {
    const seen: { unsubscribed?: boolean; aborted?: boolean } = {};
    const g = graph()
      .node('a', { run: () => timer(1).pipe(map(() => 1)) })
      .node('b', { deps: ['a'], run: ({ signal }) => watched(signal, seen) })
      .build();
    await firstValueFrom(execute(g).pipe(filter((e) => e.type === 'node.started' && e.nodeId === 'b')));
    expect(seen).toEqual({ unsubscribed: true, aborted: true });
  });

  it('starts nothing when the consumer unsubscribes on run.started', async () => {
    const run = vi.fn(() => [1]);
    const g = graph().node('a', { run }).node('b', { run }).build();
    const events = await lastValueFrom(execute(g).pipe(take(1), toArray()));
    expect(events.map((e) => e.type)).toEqual(['run.started']);
    expect(run).not.toHaveBeenCalled();
  });
});

describe('shareRun edge cases', () => {
  it('cancelling the shared run rejects its result and errors its watchers with RunIncompleteError', async () => {
    const shared = shareRun(execute(graph().node('slow', { run: () => NEVER, timeout: false }).build()));
    const watcherError = new Promise((resolve) => shared.events$.subscribe({ error: resolve }));
    shared.connect().unsubscribe();
    await expect(shared.result).rejects.toSatisfy(isRunIncompleteError);
    expect(isRunIncompleteError(await watcherError)).toBe(true);
  });

  it('collect on a late subscription starts from the snapshot, so no outcome is missing', () => {
    const result = testScheduler().run(({ cold, flush }) => {
      const g = graph()
        .node('a', { run: () => work(5, 'A') })
        .node('b', { deps: ['a'], run: () => work(5, 'B') })
        .build();
      const shared = shareRun(execute(g));
      shared.connect();
      let late: Promise<unknown> | undefined;
      cold('7ms x').subscribe(() => (late = collect(shared.events$)));
      flush();
      return late!;
    });
    return expect(result).resolves.toMatchObject({
      outcomes: { a: { status: 'succeeded', value: 'A' }, b: { status: 'succeeded', value: 'B' } },
      summary: { status: 'succeeded' },
    });
  });
});

describe('node results and deadlines', () => {
  it('takes a plain string returned by run as one value, not its last character', async () => {
    const result = await collect(execute(graph().node('text', { run: () => 'Hello world' }).build()));
    expect(result.outcomes.text).toMatchObject({ status: 'succeeded', value: 'Hello world' });
  });

  it('reports a timeout inside the node’s own work as failed, not as the node’s deadline', () => {
    const events = testScheduler().run(() =>
      record(execute(graph().node('inner', { run: () => NEVER.pipe(timeout(5)), timeout: 1000 }).build())),
    );
    expect(eventTimeline(events, { only: ['node.failed', 'node.timedOut'] })).toEqual(['t=5 node.failed inner']);
  });

  it('bounds a fallback by the node’s deadline and aborts it, so the run always completes', () => {
    const seen: { unsubscribed?: boolean; aborted?: boolean } = {};
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('primary', { run: () => failAfter(10), timeout: 100, fallback: (_error, { signal }) => watched(signal, seen) })
            .build(),
        ),
      ),
    );
    expect(eventTimeline(events, { only: ['node.failed', 'run.completed'] })).toEqual(['t=110 node.failed primary', 't=110 run.completed failed']);
    expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ error: { name: 'TimeoutError', code: 'TIMEOUT' } });
    expect(seen).toEqual({ unsubscribed: true, aborted: true });
  });

  it("names the root failure in summary.failedNode when a skip chain reaches a 'fail' node", () => {
    const events: RunEvent[] = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('a', { run: () => failAfter(1) })
            .node('b', { deps: ['a'], run: () => work(1, 1) })
            .node('c', { deps: ['b'], onUpstreamFailure: 'fail', run: () => work(1, 1) })
            .build(),
        ),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'failed', failedNode: 'a' } });
  });
});
