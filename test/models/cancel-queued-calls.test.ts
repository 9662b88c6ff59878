/**
 * Issue 10, item 1: cancelling must not start calls that were queued behind a shared limit.
 * Every test counts the calls the provider itself saw start after cancellation began: 0.
 */
import { describe, expect, it } from 'vitest';
import { asyncScheduler, defer, lastValueFrom, merge, type Subscription } from 'rxjs';
import { execute, governedModel, graphFromNodes, llm, simulatedModel, type Model } from 'rx-orchestra';
import { ConcurrencyLimiter, RateLimiter } from 'rx-orchestra/operators';
import { testScheduler } from '../run/virtual-run.js';

const FIXED = { medianMs: 1_000, p95Ms: 1_000 };

/** A simulated provider that counts the calls it started, and those started after `cancelling`. */
function spied() {
  const raw = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5' });
  const spy = { started: 0, startedAfterCancel: 0, cancelling: false };
  const model: Model = {
    model: raw.model,
    stream: (request, signal) =>
      defer(() => {
        spy.started += 1;
        if (spy.cancelling) spy.startedAfterCancel += 1;
        return raw.stream(request, signal);
      }),
    complete: (request, signal) =>
      defer(() => {
        spy.started += 1;
        if (spy.cancelling) spy.startedAfterCancel += 1;
        return raw.complete(request, signal);
      }),
  };
  return { model, spy };
}

const llmNodes = (prefix: string, n: number) =>
  graphFromNodes(Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, run: llm({ prompt: () => `${prefix} ${i}` }), retry: 0, timeout: false as const })));

describe('cancelling runs that share a governed model', () => {
  it('one run, concurrency 1, three calls queued: cancelling starts none of them', () => {
    const spy = testScheduler().run(({ flush }) => {
      const { model: raw, spy } = spied();
      const model = governedModel(raw, { concurrency: 1 });
      const subscription = execute(llmNodes('n', 4), { model, concurrency: Infinity }).subscribe();
      cancelAt(500, subscription, spy);
      flush();
      expect(model.concurrency.inFlight).toBe(0);
      expect(model.concurrency.waiting).toBe(0);
      return spy;
    });
    expect(spy.started).toBe(1);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('two runs in one subscription, concurrency 2, calls of both queued: cancelling starts none of them', () => {
    const spy = testScheduler().run(({ flush }) => {
      const { model: raw, spy } = spied();
      const model = governedModel(raw, { concurrency: 2 });
      const subscription = merge(execute(llmNodes('a', 3), { model, concurrency: Infinity }), execute(llmNodes('b', 3), { model, concurrency: Infinity })).subscribe();
      cancelAt(500, subscription, spy);
      flush();
      expect(model.concurrency.inFlight).toBe(0);
      return spy;
    });
    expect(spy.started).toBe(2);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('two runs in one subscription, a call of one queued for the quota (output tokens): cancelling does not admit it', () => {
    // a0 holds 600 of 1,000 output tokens a minute; b0 (the other run) waits for them. Tearing a0
    // down gives its estimate back: that must not admit b0 before b0's own run is torn down.
    const spy = testScheduler().run(({ flush }) => {
      const { model: raw, spy } = spied();
      const model = governedModel(raw, { concurrency: 10, quota: { outputTokensPerMinute: 1_000 }, expectedOutputTokens: () => 600 });
      const subscription = merge(execute(llmNodes('a', 1), { model, concurrency: Infinity }), execute(llmNodes('b', 1), { model, concurrency: Infinity })).subscribe();
      cancelAt(500, subscription, spy);
      flush();
      expect(model.rateLimiter.queued).toBe(0);
      expect(model.concurrency.inFlight).toBe(0);
      return spy;
    });
    expect(spy.started).toBe(1);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('nodes that only pass their AbortSignal (Promise nodes): aborting one call does not hand its slot to a sibling', () => {
    const spy = testScheduler().run(({ flush }) => {
      const { model: raw, spy } = spied();
      const model = governedModel(raw, { concurrency: 1 });
      const g = graphFromNodes(
        Array.from({ length: 4 }, (_, i) => ({
          id: `p${i}`,
          run: ({ signal }: { signal: AbortSignal }) => lastValueFrom(model.complete({ prompt: `p ${i}` }, signal)).then((c) => c.text),
          retry: 0,
          timeout: false as const,
        })),
      );
      const subscription = execute(g, { concurrency: Infinity }).subscribe();
      cancelAt(500, subscription, spy);
      flush();
      return spy;
    });
    expect(spy.started).toBe(1);
    expect(spy.startedAfterCancel).toBe(0);
  });

  it('an aborted call does not run its node’s fallback while the run is being cancelled', () => {
    const spy = testScheduler().run(({ flush }) => {
      const { model: raw, spy } = spied();
      const model = governedModel(raw, { concurrency: 4 });
      const g = graphFromNodes([
        {
          id: 'main',
          run: ({ signal }: { signal: AbortSignal }) => model.complete({ prompt: 'main' }, signal),
          fallback: (_error: unknown, { signal }: { signal: AbortSignal }) => model.complete({ prompt: 'fallback' }, signal),
          retry: 0,
          timeout: false as const,
        },
      ]);
      const subscription = execute(g, { concurrency: Infinity }).subscribe();
      cancelAt(500, subscription, spy);
      flush();
      return spy;
    });
    expect(spy.started).toBe(1);
    expect(spy.startedAfterCancel).toBe(0);
  });
});

describe('limiters never admit a call whose signal is aborted', () => {
  it('ConcurrencyLimiter: an aborted waiter is skipped and told why; the slot goes to the next live one', () => {
    testScheduler().run(({ flush }) => {
      const limiter = new ConcurrencyLimiter(1);
      let holder: { release: (f: { kind: 'success'; latencyMs: number; startedAt: number }) => void } | undefined;
      limiter.acquire().subscribe((slot) => (holder = slot));
      const aborted = new AbortController();
      const granted: string[] = [];
      const errors: unknown[] = [];
      limiter.acquire(aborted.signal).subscribe({ next: () => granted.push('aborted'), error: (e: unknown) => errors.push(e) });
      limiter.acquire(new AbortController().signal).subscribe(() => granted.push('live'));
      expect(limiter.waiting).toBe(2);
      aborted.abort(new Error('stop'));
      expect(limiter.waiting).toBe(1); // left the queue at once
      holder!.release({ kind: 'success', latencyMs: 1, startedAt: 0 });
      flush();
      expect(granted).toEqual(['live']);
      expect(errors).toEqual([new Error('stop')]);
      const late: unknown[] = [];
      limiter.acquire(AbortSignal.abort(new Error('already'))).subscribe({ error: (e: unknown) => late.push(e) });
      expect(late).toEqual([new Error('already')]);
      expect(limiter.waiting).toBe(0);
    });
  });

  it('ConcurrencyLimiter: a slot freed by a cancellation is handed on after the teardown in progress, not inside it', () => {
    testScheduler().run(({ flush }) => {
      const limiter = new ConcurrencyLimiter(1);
      const slots: string[] = [];
      let first: { release: (f: { kind: 'cancelled'; startedAt: number }) => void } | undefined;
      limiter.acquire().subscribe((slot) => (first = slot));
      const next = limiter.acquire().subscribe(() => slots.push('next'));
      first!.release({ kind: 'cancelled', startedAt: 0 }); // one holder is torn down...
      next.unsubscribe(); // ...and, in the same teardown, the waiter behind it
      flush();
      expect(slots).toEqual([]);
      expect(limiter.inFlight).toBe(0);
      limiter.acquire().subscribe(() => slots.push('later'));
      expect(slots).toEqual(['later']);
    });
  });

  it('RateLimiter: tokens given back by a cancelled call admit waiters after the teardown in progress, not inside it', () => {
    testScheduler().run(({ flush }) => {
      const limiter = new RateLimiter({ outputTokensPerMinute: 1_000 });
      const admitted: string[] = [];
      let first: { settle: (actual: { outputTokens?: number }, options?: { cancelled?: boolean }) => void } | undefined;
      limiter.acquire({ outputTokens: 600 }).subscribe((permit) => (first = permit));
      const next = limiter.acquire({ outputTokens: 600 }).subscribe(() => admitted.push('next'));
      first!.settle({ outputTokens: 0 }, { cancelled: true }); // one holder is torn down...
      expect(admitted).toEqual([]);
      next.unsubscribe(); // ...and, in the same teardown, the waiter behind it
      flush();
      expect(admitted).toEqual([]);
      limiter.acquire({ outputTokens: 600 }).subscribe(() => admitted.push('later'));
      expect(admitted).toEqual(['later']);
    });
  });

  it('RateLimiter: an aborted waiter leaves the queue with its reason and is never admitted', () => {
    testScheduler().run(({ flush }) => {
      const limiter = new RateLimiter({ requestsPerMinute: 1 });
      const admitted: string[] = [];
      const errors: unknown[] = [];
      limiter.acquire({}).subscribe(() => admitted.push('first'));
      const controller = new AbortController();
      limiter.acquire({}, undefined, controller.signal).subscribe({ next: () => admitted.push('aborted'), error: (e: unknown) => errors.push(e) });
      limiter.acquire({}).subscribe(() => admitted.push('third'));
      controller.abort(new Error('stop'));
      expect(limiter.queued).toBe(1);
      flush();
      expect(admitted).toEqual(['first', 'third']);
      expect(errors).toEqual([new Error('stop')]);
      limiter.acquire({}, undefined, AbortSignal.abort(new Error('already'))).subscribe({ error: (e: unknown) => errors.push(e) });
      expect(errors).toEqual([new Error('stop'), new Error('already')]);
    });
  });
});

/** Unsubscribes at virtual time `ms` (inside TestScheduler.run, asyncScheduler is virtual), flagging that cancellation began. */
function cancelAt(ms: number, subscription: Subscription, spy: { cancelling: boolean }): void {
  asyncScheduler.schedule(() => {
    spy.cancelling = true;
    subscription.unsubscribe();
  }, ms);
}
