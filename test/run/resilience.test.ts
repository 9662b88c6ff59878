import { describe, expect, it } from 'vitest';
import { execute, graph, run } from 'rx-orchestra';
import { eventTimeline, scriptedAgent } from 'rx-orchestra/testing';
import { failAfter, record, testScheduler, work } from './virtual-run.js';

const overloaded = () => Object.assign(new Error('overloaded'), { status: 529 });

// Inside TestScheduler.run, Promises settle only after the virtual flush, so marble tests use
// Observables for timed work; tests that need Promises run on the real scheduler with `run`.
describe('retry with backoff, timeouts and fallbacks inside a run', () => {
  it('retries at exact backoff times and reports each retry with attempt, delay and error', () => {
    const agent = scriptedAgent<string, string>([
      { fail: overloaded(), after: 10 },
      { fail: overloaded(), after: 10 },
      { reply: 'ok', after: 10 },
    ]);
    const events = testScheduler().run(() => {
      const g = graph()
        .node('call', {
          run: ({ signal }) => agent.call('q', signal),
          retry: { count: 3, initialDelay: 100, factor: 2, jitter: 0 },
        })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, { only: ['node.started', 'node.retrying', 'node.succeeded'] })).toEqual([
      't=0 node.started call #1',
      't=10 node.retrying call #1 wait=100',
      't=110 node.started call #2',
      't=120 node.retrying call #2 wait=200',
      't=320 node.started call #3',
      't=330 node.succeeded call',
    ]);
    const retrying = events.find((e) => e.type === 'node.retrying');
    expect(retrying).toMatchObject({ error: { name: 'Error', message: 'overloaded' } });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { attempts: 3, retries: 2 } });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ attempts: 3, startedAt: 0, durationMs: 330 });
  });

  it('draws jitter from the run’s random source', () => {
    const events = testScheduler().run(() => {
      const agent = scriptedAgent<string, string>([{ fail: overloaded(), after: 0 }, { reply: 'ok', after: 0 }]);
      const g = graph()
        .node('call', { run: () => agent.call('q'), retry: { count: 1, initialDelay: 100, jitter: 0.5 } })
        .build();
      return record(execute(g, { random: () => 0.5 }));
    });
    // delay drawn from [50, 100]: 100 * (1 - 0.5 * 0.5)
    expect(eventTimeline(events, { only: ['node.retrying', 'node.succeeded'] })).toEqual([
      't=0 node.retrying call #1 wait=75',
      't=75 node.succeeded call',
    ]);
  });

  it('does not retry an error marked retryable: false', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('auth', { run: () => failAfter(5, Object.assign(new Error('401'), { retryable: false })), retry: 3 })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, { only: ['node.started', 'node.retrying', 'node.failed'] })).toEqual([
      't=0 node.started auth #1',
      't=5 node.failed auth',
    ]);
  });

  it('times out each attempt, aborts its signal, retries, then ends timedOut (the seed’s __TIMEOUT__, typed)', () => {
    const agent = scriptedAgent<string, string>([{ hang: true }, { hang: true }]);
    const events = testScheduler().run(() => {
      const g = graph()
        .node('slow', { run: ({ signal }) => agent.call('q', signal), timeout: 50, retry: { count: 1, initialDelay: 10, jitter: 0 } })
        .node('report', {
          deps: ['slow'],
          onUpstreamFailure: 'partial',
          run: ({ inputs, upstream }) => [inputs.slow ?? `slow ${upstream.slow?.status}`],
        })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, { only: ['node.started', 'node.retrying', 'node.timedOut', 'node.succeeded'] })).toEqual([
      't=0 node.started slow #1',
      't=50 node.retrying slow #1 wait=10',
      't=60 node.started slow #2',
      't=110 node.timedOut slow',
      't=110 node.started report #1',
      't=110 node.succeeded report',
    ]);
    expect(events.find((e) => e.type === 'node.timedOut')).toMatchObject({
      timeoutMs: 50,
      attempts: 2,
      error: { name: 'TimeoutError', code: 'TIMEOUT' },
    });
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'report')).toMatchObject({ value: 'slow timedOut' });
    expect(agent.calls.map((c) => [c.startedAt, c.endedAt, c.result, c.signalAborted])).toEqual([
      [0, 50, 'cancelled', true],
      [60, 110, 'cancelled', true],
    ]);
  });

  it('applies the 30 s default timeout when a node sets none', () => {
    const events = testScheduler().run(() => record(execute(graph().node('hang', { run: () => new Promise<never>(() => {}) }).build())));
    expect(eventTimeline(events, { only: ['node.timedOut'] })).toEqual(['t=30000 node.timedOut hang']);
  });

  it('falls back to a value when every attempt failed, and dependents receive it', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('live', { run: () => failAfter(5, overloaded()), retry: { count: 1, initialDelay: 10 }, fallback: { value: 'cached answer' } })
        .node('use', { deps: ['live'], run: ({ inputs }) => [inputs.live.toUpperCase()] })
        .build();
      return record(execute(g));
    });
    expect(events.find((e) => e.type === 'node.fellBack')).toMatchObject({
      nodeId: 'live',
      value: 'cached answer',
      reason: 'failed',
      error: { message: 'overloaded' },
    });
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ nodeId: 'use', value: 'CACHED ANSWER' });
    expect(events.at(-1)).toMatchObject({ summary: { status: 'succeeded', counts: { fellBack: 1, succeeded: 1 } } });
  });

  it('falls back through a function of the error, which may itself take time; reason says timedOut', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('opus', {
          run: () => new Promise<string>(() => {}),
          timeout: 100,
          fallback: (error) => work(20, `haiku after ${(error as Error).name}`),
        })
        .build();
      return record(execute(g));
    });
    expect(eventTimeline(events, { only: ['node.fellBack'] })).toEqual(['t=120 node.fellBack opus']);
    expect(events.find((e) => e.type === 'node.fellBack')).toMatchObject({ reason: 'timedOut', value: 'haiku after TimeoutError' });
  });

  it('fails the node with the fallback’s own error when the fallback throws', async () => {
    const result = await run(
      graph()
        .node('x', {
          run: () => Promise.reject(new Error('primary')),
          fallback: () => {
            throw new Error('fallback broke');
          },
        })
        .build(),
    );
    expect(result.outcomes.x).toMatchObject({ status: 'failed', error: { message: 'fallback broke' } });
  });

  it('fails a node that completes without a value, with a typed error and no retry', async () => {
    const { EMPTY } = await import('rxjs');
    const result = await run(graph().node('empty', { run: () => EMPTY, retry: 3 }).build());
    expect(result.outcomes.empty).toMatchObject({ status: 'failed', attempts: 1, error: { name: 'NodeRunError', code: 'NO_VALUE' } });
  });

  it('turns a run function that throws synchronously, or returns a non-ObservableInput, into a failed node', async () => {
    const result = await run(
      graph()
        .node('throws', {
          run: () => {
            throw new Error('bad prompt');
          },
        })
        .node('garbage', { run: () => 42 as never })
        .build(),
    );
    expect(result.outcomes.throws).toMatchObject({ status: 'failed', error: { message: 'bad prompt' } });
    expect(result.outcomes.garbage).toMatchObject({ status: 'failed', error: { code: 'INVALID_RESULT' } });
  });
});
