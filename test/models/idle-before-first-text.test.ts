/**
 * Issue 10, item 2: `idleTimeout` catches a stream that stalls before its first text. Any event of
 * the stream counts as life; silence longer than the idle timeout from the call's start fails the
 * call retryably and closes the HTTP request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NEVER, Observable, concat, lastValueFrom, of, timer, map, toArray, type SchedulerLike } from 'rxjs';
import { anthropicModel, execute, governedModel, graph, llm, simulatedModel, type Completion, type Model, type ModelEvent, type RunEvent } from 'rx-orchestra';
import { timeout, TimeoutError } from 'rx-orchestra/operators';
import { eventTimeline, startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

const completion = (text: string): Completion => ({ text, usage: { inputTokens: 1, outputTokens: 1 }, latencyMs: 0, model: 'claude-haiku-4-5' });

/** A provider whose every call plays `script` (built on the scheduler of the run). */
function scripted(script: () => Observable<ModelEvent>): Model {
  return {
    model: 'claude-haiku-4-5',
    stream: () => script(),
    complete: () => script().pipe(map(() => completion('unused'))),
  };
}

const at = (ms: number, event: ModelEvent, scheduler?: SchedulerLike) => timer(ms, scheduler).pipe(map(() => event));
const liveness = (event: string): ModelEvent => ({ type: 'liveness', event });

describe('timeout operator: idle counts from subscription', () => {
  it('fails a source silent from the start after `idle` ms', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-----a|');
      expectObservable(source.pipe(timeout({ idle: 3 }))).toBe('---#', undefined, new TimeoutError('idle', 3));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('`meetsFirst` picks what meets the first deadline, while every value resets idle', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('-p-p-p-p-p-t|'); // keep-alives every 2 ms, text at 11
      const isText = (v: string) => v === 't';
      expectObservable(source.pipe(timeout({ first: 8, idle: 3, meetsFirst: isText }))).toBe('-p-p-p-p#', { p: 'p' }, new TimeoutError('first', 8));
      expectObservable(source.pipe(timeout({ first: 20, idle: 3, meetsFirst: isText }))).toBe('-p-p-p-p-p-t|');
    });
  });
});

describe('a governed call that stalls before its first text (virtual time)', () => {
  it('liveness at the start, then silence: fails with the idle timeout 300 ms after the call started', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = governedModel(scripted(() => concat(of(liveness('message_start')), NEVER)), { concurrency: 1 });
      expectObservable(model.stream({ prompt: 'go', idleMs: 300 })).toBe('g 299ms #', { g: liveness('message_start') }, expect.objectContaining({ code: 'TIMEOUT', kind: 'idle', ms: 300, retryable: true }));
    });
  });

  it('nothing at all: fails with the idle timeout too (not only after a first chunk)', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = governedModel(scripted(() => NEVER), { concurrency: 1 });
      expectObservable(model.stream({ prompt: 'go', idleMs: 300 })).toBe('300ms #', undefined, expect.objectContaining({ code: 'TIMEOUT', kind: 'idle' }));
    });
  });

  it('keep-alives keep a slow first token alive, but do not meet the first-token deadline', () => {
    testScheduler().run(({ expectObservable }) => {
      const pings = (n: number) => Array.from({ length: n }, (_, i) => at(i === 0 ? 0 : 200, liveness('ping')));
      const slow = scripted(() => concat(...pings(3), at(200, { type: 'text', text: 'hi' }), of<ModelEvent>({ type: 'completion', completion: completion('hi') })));
      expectObservable(governedModel(slow).stream({ prompt: 'go', idleMs: 300 }).pipe(map((e) => e.type[0]))).toBe('l 199ms l 199ms l 199ms (tc|)');
      expectObservable(governedModel(slow).stream({ prompt: 'go', idleMs: 300, firstTokenMs: 500 }).pipe(map((e) => e.type[0]))).toBe(
        'l 199ms l 199ms l 99ms #',
        undefined,
        expect.objectContaining({ code: 'TIMEOUT', kind: 'first', ms: 500 }),
      );
    });
  });

  it('an llm() node times out (retryably) and never shows liveness as a node event, governed or not', () => {
    for (const governed of [true, false]) {
      const events = testScheduler().run(() => {
        const provider = scripted(() => concat(of(liveness('message_start')), of(liveness('content_block_start')), NEVER));
        const g = graph()
          .node('n', { run: llm({ prompt: () => 'go', idleTimeout: 300, timeout: false, provider, governed }), timeout: false, retry: 0 })
          .build();
        return record(execute(g));
      });
      expect(eventTimeline(events, { only: ['node.timedOut', 'node.failed', 'node.succeeded'] })).toEqual(['t=300 node.timedOut n']);
      expect(events.find((e) => e.type === 'node.timedOut')).toMatchObject({ error: { code: 'TIMEOUT', retryable: true } });
      expect(events.some((e) => (e.type as string).includes('liveness'))).toBe(false);
    }
  });

  it('does not disturb the simulated model (no liveness events, same answers)', () => {
    const events = testScheduler().run(() => {
      const model = governedModel(simulatedModel({ latency: { medianMs: 200, p95Ms: 200 }, model: 'claude-haiku-4-5' }), { concurrency: 2 });
      const g = graph().node('n', { run: llm({ prompt: () => 'go', idleTimeout: 300 }), retry: 0 }).build();
      return record(execute(g, { model }));
    });
    expect(eventTimeline(events, { only: ['node.succeeded', 'node.failed', 'node.timedOut'] })).toEqual(['t=200 node.succeeded n']);
  });
});

describe('the real SDK over HTTP: a stream that stalls after message_start', () => {
  let server: FakeAnthropic | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fails with the idle timeout, closes the HTTP request, and the retry succeeds', { timeout: 10_000 }, async () => {
    server = await startFakeAnthropic();
    server.reply({ text: 'never sent', stallAfterChunks: 0 }, { text: 'recovered' }); // message_start, content_block_start, ping; then silence
    const claude = anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-haiku-4-5' });
    const g = graph()
      .node('stream', { run: llm({ prompt: () => 'go', idleTimeout: 300, timeout: false }), timeout: false, retry: { count: 1, initialDelay: 5, jitter: 0 } })
      .build();
    const events: RunEvent[] = await lastValueFrom(execute(g, { model: claude }).pipe(toArray()));
    expect(events.find((e) => e.type === 'node.retrying')).toMatchObject({ error: { code: 'TIMEOUT', retryable: true } });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'recovered', attempts: 2 });
    expect(events.some((e) => (e.type as string).includes('liveness'))).toBe(false);
    const until = performance.now() + 2_000;
    while (!server.requests[0]!.clientClosed && performance.now() < until) await new Promise((resolve) => setImmediate(resolve));
    expect(server.requests[0]!.clientClosed).toBe(true);
  });
});
