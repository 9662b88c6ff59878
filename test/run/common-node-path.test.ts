import { describe, expect, it } from 'vitest';
import { NEVER, Observable, VirtualTimeScheduler, of, throwError } from 'rxjs';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { isAttemptAbortError } from '../../operators/attempt.js';
import { record } from './virtual-run.js';

/**
 * The common node (no retries, no fallback) runs through one execution object instead of an
 * operator chain (src/run/node-execution.ts): these pin what that path must keep doing exactly as
 * the chain did.
 */
describe('the common node path', () => {
  it('counts every call in the retry budget, also of nodes that may not retry', () => {
    const scheduler = new VirtualTimeScheduler();
    let failures = 0;
    const g = graph()
      .node('a', { run: () => of(1) })
      .node('b', { run: () => of(2) })
      .node('flaky', { retry: { count: 1, initialDelay: 1, jitter: 0 }, run: () => (failures++ === 0 ? throwError(() => new Error('once')) : of(3)) })
      .build();
    const events = record(execute(g, { scheduler }));
    scheduler.flush();
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', attempts: 4, retries: 1, retryBudget: { calls: 3, retries: 1 } } });
  });

  it('times out at the deadline: the attempt is torn down (its signal aborts with an AttemptAbortError) before node.timedOut', () => {
    const scheduler = new VirtualTimeScheduler();
    const seen: string[] = [];
    let signal: AbortSignal | undefined;
    const g = graph()
      .node('slow', {
        timeout: 50,
        run: (ctx) => {
          signal = ctx.signal;
          signal.addEventListener('abort', () => seen.push(`aborted at ${scheduler.now()}`));
          return NEVER;
        },
      })
      .build();
    execute(g, { scheduler }).subscribe((event) => {
      if (event.type === 'node.timedOut') seen.push(`${event.type} at ${event.at} (${event.timeoutMs} ms, ${event.error.name})`);
    });
    scheduler.flush();
    expect(seen).toEqual(['aborted at 50', 'node.timedOut at 50 (50 ms, TimeoutError)']);
    expect(isAttemptAbortError(signal!.reason)).toBe(true);
  });

  it('arms no deadline for a node that finishes synchronously, and none for timeout: false', () => {
    const scheduler = new VirtualTimeScheduler();
    const g = graph()
      .node('instant', { run: () => of(1) })
      .node('open', { timeout: false, deps: ['instant'], run: () => new Observable<number>((s) => void scheduler.schedule(() => (s.next(2), s.complete()), 10_000_000)) })
      .build();
    const events = record(execute(g, { scheduler }));
    expect(scheduler.actions).toHaveLength(1); // only the open node's own work
    scheduler.flush();
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
  });

  it('turns a synchronous throw, an empty result and an invalid result into failures, leaving the signal alone', () => {
    const signals: AbortSignal[] = [];
    const g = graph()
      .node('throws', {
        run: ({ signal }) => {
          signals.push(signal);
          throw new Error('bad input');
        },
      })
      .node('empty', { run: ({ signal }) => (signals.push(signal), new Observable<never>((s) => s.complete())) })
      .node('invalid', { run: ({ signal }) => (signals.push(signal), 42 as never) })
      .build();
    const events = record(execute(g, { scheduler: new VirtualTimeScheduler() }));
    const failed = events.filter((e): e is Extract<RunEvent, { type: 'node.failed' }> => e.type === 'node.failed');
    expect(failed.map((e) => [e.nodeId, e.error.message, e.error.code])).toEqual([
      ['throws', 'bad input', undefined],
      ['empty', "node 'empty' completed without a value", 'NO_VALUE'],
      ['invalid', "node 'invalid': run returned number, not an Observable, Promise or iterable", 'INVALID_RESULT'],
    ]);
    expect(signals.map((s) => s.aborted)).toEqual([false, false, false]);
  });

  it('aborts every in-flight signal before it tears any node down when the run is unsubscribed', () => {
    const order: string[] = [];
    const hanging = (id: string) => ({
      run: ({ signal }: { signal: AbortSignal }) => {
        signal.addEventListener('abort', () => order.push(`abort ${id}`));
        return new Observable<never>(() => () => order.push(`teardown ${id}`));
      },
    });
    const g = graph().node('a', hanging('a')).node('b', hanging('b')).build();
    const subscription = execute(g, { scheduler: new VirtualTimeScheduler() }).subscribe();
    subscription.unsubscribe();
    expect(order).toEqual(['abort a', 'abort b', 'teardown a', 'teardown b']);
  });
});
