/**
 * Issue 10, item 1, for the supervisor: with `onWorkerError: 'report'`, a worker that fails because
 * the run was cancelled (its signal aborted) ends the loop: the router is not asked again and no
 * other worker starts. An abort is fatal whatever `onWorkerError` says. Virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Observable, asyncScheduler, type Subscription } from 'rxjs';
import { execute, graphFromNodes, type RunEvent } from 'rx-orchestra';
import { FINISH, supervisor } from 'rx-orchestra/patterns';
import { testScheduler } from './helpers.js';

/** A worker answering after 1 s that fails with its signal's reason when aborted. */
function slowWorker(spy: { cancelling: boolean; workerAfterCancel: number }) {
  return {
    run: (_input: unknown, { signal }: { signal: AbortSignal }) =>
      new Observable<string>((subscriber) => {
        if (spy.cancelling) spy.workerAfterCancel += 1;
        const timer = asyncScheduler.schedule(() => {
          subscriber.next('ok');
          subscriber.complete();
        }, 1_000);
        signal.addEventListener('abort', () => {
          timer.unsubscribe();
          subscriber.error(signal.reason);
        });
      }),
  };
}

describe("supervisor with onWorkerError: 'report': cancellation", () => {
  it('cancelling the run stops the loop: no router call and no worker after the abort', () => {
    const spy = testScheduler().run(({ flush }) => {
      const spy = { routerCalls: 0, routerAfterCancel: 0, workerAfterCancel: 0, cancelling: false };
      const run = supervisor({
        onWorkerError: 'report',
        maxTurns: 5,
        workers: { w: slowWorker(spy) },
        router: () => {
          spy.routerCalls += 1;
          if (spy.cancelling) spy.routerAfterCancel += 1;
          return [{ next: spy.routerCalls > 3 ? FINISH : 'w' }];
        },
      });
      const subscription: Subscription = execute(graphFromNodes([{ id: 's', run, retry: 0, timeout: false as const }]), { concurrency: Infinity }).subscribe();
      asyncScheduler.schedule(() => {
        spy.cancelling = true;
        subscription.unsubscribe();
      }, 500);
      flush();
      return spy;
    });
    expect(spy.routerCalls).toBe(1);
    expect(spy.routerAfterCancel + spy.workerAfterCancel).toBe(0);
  });

  it('a node deadline mid-worker fails the node instead of being reported to the router', () => {
    const { events, spy } = testScheduler().run(({ flush }) => {
      const spy = { routerCalls: 0, workerAfterCancel: 0, cancelling: false };
      const run = supervisor({
        onWorkerError: 'report',
        workers: { w: slowWorker(spy) },
        router: () => {
          spy.routerCalls += 1;
          return [{ next: spy.routerCalls > 3 ? FINISH : 'w' }];
        },
      });
      const events: RunEvent[] = [];
      execute(graphFromNodes([{ id: 's', run, retry: 0, timeout: 500 }])).subscribe((e) => events.push(e));
      flush();
      return { events, spy };
    });
    expect(spy.routerCalls).toBe(1);
    expect(events.filter((e) => e.type === 'supervisor.routed')).toHaveLength(1);
    expect(events.find((e) => e.type === 'node.timedOut')).toMatchObject({ nodeId: 's', at: 500 });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'failed' } });
  });
});
