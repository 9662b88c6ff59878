/** Traffic control around a model, in virtual time against the simulated provider. */
import { describe, expect, it } from 'vitest';
import { Observable, merge } from 'rxjs';
import { execute, governedModel, graphFromNodes, llm, simulatedModel, type Model, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { consecutiveFailures } from 'rx-orchestra/operators';
import { record, testScheduler } from '../run/virtual-run.js';

const FIXED = { medianMs: 1_000, p95Ms: 1_000 };
const tasks = (n: number, retry = 0) =>
  graphFromNodes(Array.from({ length: n }, (_, i) => ({ id: `t${i}`, run: llm({ prompt: () => `task ${i}`.padEnd(400, '.') }), retry, timeout: false as const })));

/** Wraps a model to count calls in flight. */
function counting(model: Model): Model & { peak: () => number } {
  let inFlight = 0;
  let peak = 0;
  const track = <T>(call: Observable<T>) =>
    new Observable<T>((subscriber) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      let open = true;
      const end = () => open && ((open = false), (inFlight -= 1));
      const inner = call.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => (end(), subscriber.error(error)), // the call is over before anyone hears of it
        complete: () => (end(), subscriber.complete()),
      });
      return () => (end(), inner.unsubscribe());
    });
  return { model: model.model, stream: (r, s) => track(model.stream(r, s)), complete: (r, s) => track(model.complete(r, s)), peak: () => peak };
}

describe('governedModel', () => {
  it('keeps a declared quota: no 429s, calls wait for the bucket and say so', () => {
    const events = testScheduler().run(() => {
      const quota = { requestsPerMinute: 3 };
      const model = governedModel(simulatedModel({ latency: FIXED, quota, model: 'claude-haiku-4-5' }), { quota, concurrency: 10 });
      return record(execute(tasks(5), { model, concurrency: Infinity }));
    });
    expect(events.some((e) => e.type === 'node.retrying' || e.type === 'node.failed')).toBe(false);
    expect(eventTimeline(events, { only: ['node.succeeded'] })).toEqual([
      't=1000 node.succeeded t0',
      't=1000 node.succeeded t1',
      't=1000 node.succeeded t2',
      't=21000 node.succeeded t3', // one request refills every 20 s
      't=41000 node.succeeded t4',
    ]);
    expect(events.filter((e) => e.type === 'ratelimit.waiting').map((e) => [e.nodeId, e.limitedBy, e.waitMs])).toEqual([
      ['t3', 'requests', 20_000],
      ['t4', 'requests', 20_000],
    ]);
  });

  it('shares one concurrency budget between runs: two runs of 6 with a limit of 3 never exceed 3', () => {
    const { peak, events } = testScheduler().run(({ flush }) => {
      const raw = counting(simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5' }));
      const model = governedModel(raw, { concurrency: 3 });
      const events: RunEvent[] = [];
      merge(execute(tasks(6), { model, concurrency: 6 }), execute(tasks(6), { model, concurrency: 6 })).subscribe((e) => events.push(e));
      flush();
      return { peak: raw.peak(), events };
    });
    expect(peak).toBe(3);
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(2);
    expect(Math.max(...events.filter((e) => e.type === 'run.completed').map((e) => e.at))).toBe(4_000); // 12 calls, 3 at a time
  });

  it('halves an adaptive limit on a 429 and pauses everyone for its retry-after, when the quota is not declared', () => {
    const events = testScheduler().run(() => {
      const raw = simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5', quota: { requestsPerMinute: 4 } });
      const model = governedModel(raw, { concurrency: { initial: 8, min: 1, max: 8 } });
      return record(execute(tasks(8, 5), { model, concurrency: Infinity, random: () => 0, retryBudget: false }));
    });
    expect(events.filter((e) => e.type === 'concurrency.changed')[0]).toMatchObject({ previous: 8, limit: 4, reason: 'overload' });
    const retries = events.filter((e) => e.type === 'node.retrying');
    expect(retries.length).toBe(4); // the four calls over the quota, once each: the pause holds the rest
    expect(retries.every((e) => e.error.code === 'RATE_LIMITED' && e.error.retryAfterMs === 15_000)).toBe(true);
    expect(events.at(-1)).toMatchObject({ summary: { status: 'succeeded', counts: { succeeded: 8 } } });
  });

  it('opens the breaker after 5 provider failures in a row; later calls fail fast without reaching the provider', () => {
    const { events, calls } = testScheduler().run(({ flush }) => {
      const raw = counting(simulatedModel({ latency: FIXED, model: 'claude-haiku-4-5', failureRate: 1 }));
      let calls = 0;
      const spy: Model = { model: raw.model, stream: (r, s) => (calls++, raw.stream(r, s)), complete: raw.complete };
      const model = governedModel(spy, { concurrency: 1, breaker: { policy: consecutiveFailures(5) } });
      const events: RunEvent[] = [];
      execute(tasks(8), { model, concurrency: 1 }).subscribe((e) => events.push(e));
      flush();
      return { events, calls };
    });
    expect(calls).toBe(5);
    expect(events.find((e) => e.type === 'circuit.opened')).toMatchObject({ nodeId: 't4', breaker: 'claude-haiku-4-5', failures: 5 });
    const fastFails = events.filter((e): e is Extract<RunEvent, { type: 'node.failed' }> => e.type === 'node.failed' && e.error.code === 'CIRCUIT_OPEN');
    expect(fastFails.map((e) => e.nodeId)).toEqual(['t5', 't6', 't7']);
    expect(fastFails.every((e) => e.durationMs === 0)).toBe(true);
  });
});
