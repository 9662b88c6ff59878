import { describe, expect, it } from 'vitest';
import { NEVER, of, takeWhile, tap, throwError } from 'rxjs';
import { collect, execute, graph, isRunIncompleteError, type NodeOutcome, type RunEvent, type RunSummary } from 'rx-orchestra';
import { failAfter, record, testScheduler, work } from './virtual-run.js';

const summaryOf = (events: RunEvent[]): RunSummary => {
  const last = events.at(-1);
  if (last?.type !== 'run.completed') throw new Error(`expected run.completed, got ${last?.type}`);
  return last.summary;
};

const stored = (value: unknown): NodeOutcome => ({ status: 'succeeded', value, attempts: 1, startedAt: 0, endedAt: 1, durationMs: 1 });

/**
 * RunStatus: 'succeeded' when every node has a value (succeeded, fell back or restored);
 * 'failed' when the run was stopped (a 'fail' policy, the budget) or no node has a value;
 * 'partial' otherwise (some nodes have a value, some do not, and the run went on).
 */
describe('summary.status', () => {
  it("a one-node graph that throws is 'failed', not 'partial'", () => {
    const events = testScheduler().run(() => record(execute(graph().node('only', { run: () => throwError(() => new Error('boom')) }).build())));
    expect(summaryOf(events)).toMatchObject({ status: 'failed', counts: { failed: 1 } });
    expect(summaryOf(events).failedNode).toBeUndefined(); // nothing stopped the run: every node ran
  });

  it("a one-node graph that times out is 'failed'", () => {
    const events = testScheduler().run(() => record(execute(graph().node('stuck', { run: () => NEVER, timeout: 7 }).build())));
    expect(summaryOf(events)).toMatchObject({ status: 'failed', counts: { timedOut: 1 } });
  });

  it("every node failed or was skipped because of a failure: 'failed'", () => {
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('a', { run: () => failAfter(3) })
            .node('b', { run: () => failAfter(5) })
            .node('c', { deps: ['a', 'b'], run: () => work(1, 'c') })
            .build(),
        ),
      ),
    );
    expect(summaryOf(events)).toMatchObject({ status: 'failed', counts: { failed: 2, skipped: 1, succeeded: 0, fellBack: 0 } });
  });

  it("some nodes have a value and some do not: 'partial'", () => {
    const events = testScheduler().run(() =>
      record(execute(graph().node('ok', { run: () => work(2, 1) }).node('bad', { run: () => failAfter(1) }).build())),
    );
    expect(summaryOf(events)).toMatchObject({ status: 'partial', counts: { succeeded: 1, failed: 1 } });
  });

  it("a node that fell back has a value: a graph of one fallen-back node is 'succeeded'", () => {
    const events = testScheduler().run(() =>
      record(execute(graph().node('only', { run: () => failAfter(1), fallback: { value: 'default' } }).build())),
    );
    expect(summaryOf(events)).toMatchObject({ status: 'succeeded', counts: { fellBack: 1 } });
  });

  it("every node restored from a checkpoint: 'succeeded', with summary.restored", () => {
    const g = graph()
      .node('a', { run: () => work(5, 'fresh') })
      .node('b', { deps: ['a'], run: () => work(5, 'fresh') })
      .build();
    const events = testScheduler().run(() => record(execute(g, { restore: { a: stored('A'), b: stored('B') } })));
    expect(summaryOf(events)).toMatchObject({ status: 'succeeded', restored: 2, counts: { succeeded: 2 }, makespanMs: 0 });
  });

  it("restored values count as values: restored nodes plus a failing one is 'partial'", () => {
    const g = graph()
      .node('a', { run: () => work(5, 'fresh') })
      .node('b', { deps: ['a'], run: () => failAfter(1) })
      .build();
    const events = testScheduler().run(() => record(execute(g, { restore: { a: stored('A') } })));
    expect(summaryOf(events)).toMatchObject({ status: 'partial', restored: 1 });
  });

  it("stopped by a 'fail' policy: 'failed' naming failedNode, even when other nodes have values", () => {
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('ok', { run: () => work(1, 1) })
            .node('bad', { run: () => failAfter(2) })
            .node('critical', { deps: ['bad'], onUpstreamFailure: 'fail', run: () => work(1, 1) })
            .build(),
        ),
      ),
    );
    expect(summaryOf(events)).toMatchObject({ status: 'failed', failedNode: 'bad', counts: { succeeded: 1, failed: 1, skipped: 1 } });
  });

  it("stopped by the budget: 'failed' with stoppedBy 'budget', even though the node that crossed it has a value", () => {
    const g = graph()
      .node('spender', {
        run: ({ emit }) => {
          emit({ type: 'node.usage', model: 'claude-haiku-4-5', usage: { inputTokens: 1, outputTokens: 1 }, costUsd: 2 });
          return of('spent');
        },
      })
      .node('later', { deps: ['spender'], run: () => work(1, 'later') })
      .build();
    const events = testScheduler().run(() => record(execute(g, { budget: { maxUsd: 1 } })));
    expect(summaryOf(events)).toMatchObject({ status: 'failed', stoppedBy: 'budget', counts: { succeeded: 1, skipped: 1 } });
  });

  it('a cancelled run has no status: it never completes, and collect rejects with RunIncompleteError', async () => {
    const g = graph().node('slow', { run: () => NEVER, timeout: false }).build();
    const events: RunEvent[] = [];
    // takeWhile unsubscribes from the run (cancelling it) once the node started
    const error = await collect(execute(g).pipe(tap((e) => events.push(e)), takeWhile((e) => e.type !== 'node.started'))).catch((e: unknown) => e);
    expect(isRunIncompleteError(error)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'node.queued', 'node.started']);
  });
});
