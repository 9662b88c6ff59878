/** Cancellation: unsubscribing (or a node deadline) aborts the in-flight worker or routing call. */
import { describe, expect, it } from 'vitest';
import { NEVER, timer } from 'rxjs';
import { execute, graph, simulatedModel, type RunEvent } from 'rx-orchestra';
import { llmRouter, sequenceRouter, supervisor, supervisorTimeline } from 'rx-orchestra/patterns';
import { scriptedAgent } from 'rx-orchestra/testing';
import { endOf, record, testScheduler, workerContext, type Report } from './helpers.js';

describe('supervisor: cancellation', () => {
  it('unsubscribing mid-worker unsubscribes the worker and aborts its signal', () => {
    const signals: AbortSignal[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const recommender = cold('20ms (a|)', { a: 'PT_ID' });
      const auditor = cold('50ms (a|)', { a: 'audited' });
      const team = supervisor({
        name: 'data-team',
        workers: {
          recommender: { run: () => recommender },
          auditor: { run: (_input: unknown, ctx) => (signals.push(ctx.signal), auditor) },
        },
        router: sequenceRouter(['recommender', 'auditor']),
      });
      const reports: Report[] = [];
      expectObservable(team('go', workerContext(reports)), '^ 35ms !').toBe('');
      expectSubscriptions(recommender.subscriptions).toBe('^ 19ms !');
      expectSubscriptions(auditor.subscriptions).toBe('20ms ^ 15ms !'); // cut 15 ms into the auditor's 50
    });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toMatchObject({ name: 'AbortError' });
  });

  it('a node deadline mid-worker aborts the worker (a scripted agent that hangs)', () => {
    const agent = scriptedAgent<string, string>([{ reply: 'PT_ID', after: 20 }, { hang: true }]);
    const events = testScheduler().run(() => {
      const run = supervisor({ name: 'data-team', workers: { a: { run: (q: string, { signal }) => agent.call(q, signal) }, b: { run: (q: string, { signal }) => agent.call(q, signal) } }, router: sequenceRouter(['a', 'b']) });
      return record(execute(graph().node('standardize', { run, timeout: 100 }).build()));
    });
    expect(supervisorTimeline(events, { rationale: false })).toEqual([
      't=0 data-team #1 → a',
      't=0 data-team #1 ▶ a',
      't=20 data-team #1 ✓ a 20ms',
      't=20 data-team #2 → b',
      't=20 data-team #2 ▶ b',
    ]);
    expect(endOf(events)).toMatchObject({ type: 'node.timedOut', at: 100 });
    expect(agent.calls.map((c) => [c.result, c.signalAborted, c.endedAt])).toEqual([
      ['replied', false, 20],
      ['cancelled', true, 100],
    ]);
  });

  it('unsubscribing from the run mid-routing aborts the LLM routing call', () => {
    const signals: (AbortSignal | undefined)[] = [];
    const events = testScheduler().run(() => {
      const model = simulatedModel({ latency: { medianMs: 100, p95Ms: 100 }, model: 'claude-haiku-4-5' });
      const spied = { ...model, stream: (request: Parameters<typeof model.stream>[0], signal?: AbortSignal) => (signals.push(signal), model.stream(request, signal)) };
      const run = supervisor({ name: 't', workers: { w: { run: () => NEVER } }, router: llmRouter({ system: 'route', provider: spied, governed: false }) });
      const seen: RunEvent[] = [];
      const subscription = execute(graph().node('standardize', { run }).build()).subscribe((e) => seen.push(e));
      timer(50).subscribe(() => subscription.unsubscribe()); // the routing call takes 100 ms
      return seen;
    });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'node.queued', 'node.started']); // no decision was made
  });
});
