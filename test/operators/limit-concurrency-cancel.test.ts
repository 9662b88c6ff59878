/**
 * Issue 10, item 1, for the `limitConcurrency` operator: given the call's AbortSignal, a call that
 * ends because its signal aborted frees its slot as `cancelled` (handed on after the teardown in
 * progress), and a queued call whose signal aborted is never granted one. Virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Observable, asyncScheduler, defer, map, type Subscription } from 'rxjs';
import { execute, graphFromNodes, simulatedModel } from 'rx-orchestra';
import { ConcurrencyLimiter, limitConcurrency, type CallFeedback } from 'rx-orchestra/operators';
import { testScheduler } from '../run/virtual-run.js';

describe('limitConcurrency with a signal', () => {
  it('nodes sharing a ConcurrencyLimiter of 1: cancelling the run starts none of the queued calls', () => {
    const spy = testScheduler().run(({ flush }) => {
      const raw = simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, model: 'claude-haiku-4-5' });
      const spy = { started: 0, startedAfterCancel: 0, cancelling: false };
      const shared = new ConcurrencyLimiter(1);
      const g = graphFromNodes(
        Array.from({ length: 3 }, (_, i) => ({
          id: `n${i}`,
          // The provider call fails with the abort reason when the run aborts the node's signal.
          run: ({ signal }: { signal: AbortSignal }) =>
            defer(() => {
              spy.started += 1;
              if (spy.cancelling) spy.startedAfterCancel += 1;
              return raw.complete({ prompt: `p${i}` }, signal);
            }).pipe(limitConcurrency(shared, { signal })),
          retry: 0,
          timeout: false as const,
        })),
      );
      const subscription: Subscription = execute(g, { concurrency: Infinity }).subscribe();
      asyncScheduler.schedule(() => {
        spy.cancelling = true;
        subscription.unsubscribe();
      }, 500);
      flush();
      expect(shared.inFlight).toBe(0);
      expect(shared.waiting).toBe(0);
      return spy;
    });
    expect(spy.started).toBe(1);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('a call that fails because its signal aborted is released as cancelled, and an aborted waiter errors with the reason without running', () => {
    testScheduler().run(({ cold, flush }) => {
      const feedback: CallFeedback['kind'][] = [];
      const shared = new ConcurrencyLimiter(1);
      const acquire = shared.acquire.bind(shared);
      shared.acquire = (signal?: AbortSignal) =>
        acquire(signal).pipe(map((slot) => ({ startedAt: slot.startedAt, release: (f: CallFeedback) => (feedback.push(f.kind), slot.release(f)) })));
      const holder = new AbortController();
      const waiter = new AbortController();
      const ran: string[] = [];
      const errors: unknown[] = [];
      const abortable = (name: string, signal: AbortSignal) =>
        new Observable<string>((subscriber) => {
          ran.push(name);
          signal.addEventListener('abort', () => subscriber.error(signal.reason), { once: true });
        });
      abortable('holder', holder.signal).pipe(limitConcurrency(shared, { signal: holder.signal })).subscribe({ error: (e: unknown) => errors.push(e) });
      abortable('waiter', waiter.signal).pipe(limitConcurrency(shared, { signal: waiter.signal })).subscribe({ error: (e: unknown) => errors.push(e) });
      cold('1ms (x|)').subscribe(() => {
        holder.abort(new Error('holder aborted'));
        waiter.abort(new Error('waiter aborted'));
      });
      flush();
      expect(ran).toEqual(['holder']);
      expect(feedback).toEqual(['cancelled']);
      expect(errors).toEqual([new Error('holder aborted'), new Error('waiter aborted')]);
      expect([shared.inFlight, shared.waiting]).toEqual([0, 0]);
    });
  });
});
