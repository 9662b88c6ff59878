/**
 * The run's budget stop, as nodes see it: their signal aborts with a BudgetStopError (an
 * AttemptAbortError), and what they report from the abort listener, synchronously, still reaches the
 * stream before they are skipped; an agent uses it to emit agent.finished { reason: 'budget' } with
 * its transcript. Every other stop (node timeout, run cancelled, run failed) stays silent.
 */
import { describe, expect, it } from 'vitest';
import { NEVER, map, timer } from 'rxjs';
import { z } from 'zod';
import { execute, graph, type NodeContext, type RunEvent } from 'rx-orchestra';
import { isAttemptAbortError, AttemptHandle } from '../../operators/attempt.js';
import { BudgetStopError, isBudgetStopError } from '../../src/budget/errors.js';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel } from './fake-model.js';
import { agentFrames, asAny, expectValidAgentEvents } from './support.js';

/** A tool answering `found <q>` after `ms` of virtual time. */
const lookupTool = (ms: number) => tool({ name: 'lookup', description: 'Looks a word up', input: z.object({ q: z.string() }), run: ({ q }, { scheduler }) => timer(ms, scheduler).pipe(map(() => `found ${q}`)) });

/** A node that hangs, recording its signal's abort reason and reporting a token from its abort listener. */
function listeningNode(seen: unknown[]) {
  return ({ signal, emit }: NodeContext<Record<string, unknown>, unknown>) => {
    signal.addEventListener('abort', () => {
      seen.push(signal.reason);
      emit({ type: 'node.token', text: 'last words' });
    });
    return NEVER;
  };
}

/** A node that reports spending `inputTokens` on Haiku at `ms` and succeeds. */
const spender =
  (ms: number, inputTokens: number) =>
  ({ emit }: NodeContext<Record<string, unknown>, unknown>) =>
    timer(ms).pipe(
      map(() => {
        emit({ type: 'node.usage', model: 'claude-haiku-4-5', usage: { inputTokens, outputTokens: 0 }, costUsd: inputTokens / 1e6 });
        return 'spent';
      }),
    );

describe('the budget stop', () => {
  it("aborts running nodes' signals with a BudgetStopError, and lets reports from their abort listeners through before they are skipped", () => {
    const seen: unknown[] = [];
    const events = testScheduler().run(() =>
      record(
        execute(graph().node('spend', { run: spender(10, 10_000) }).node('wait', { run: listeningNode(seen) }).node('retried', { run: listeningNode(seen), retry: 2 }).build(), {
          budget: { maxUsd: 0.005 },
        }),
      ),
    );
    expect(seen).toHaveLength(2);
    for (const reason of seen) {
      expect(isBudgetStopError(reason)).toBe(true);
      expect(isAttemptAbortError(reason)).toBe(true); // code that treats any abort as a cancellation still does
      expect(reason).toMatchObject({ name: 'AbortError', code: 'CANCELLED', spentUsd: 0.01, maxUsd: 0.005, message: 'the run was stopped: it spent $0.010, over its budget of $0.005' });
    }
    const frames = asAny(events).filter((e) => e.at === 10).map((e) => `${e.type} ${e.nodeId ?? ''}`);
    expect(frames).toEqual([
      'node.usage spend',
      'budget.exceeded spend',
      'node.succeeded spend', // the node that crossed the budget keeps its result
      'node.token wait',
      'node.token retried',
      'node.skipped wait',
      'node.skipped retried',
      'run.completed ',
    ]);
  });

  it('every other stop stays silent: a node timeout, the run failed by a node, the run cancelled', () => {
    const seen: unknown[] = [];
    const timedOut = testScheduler().run(() => record(execute(graph().node('wait', { run: listeningNode(seen), timeout: 20 }).build())));
    const failed = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('boom', { run: () => timer(10).pipe(map(() => { throw new Error('boom'); })) })
            .node('after', { deps: ['boom'], run: async () => 1, onUpstreamFailure: 'fail' })
            .node('wait', { run: listeningNode(seen) })
            .build(),
        ),
      ),
    );
    const cancelled: RunEvent[] = [];
    testScheduler().run(() => {
      const subscription = execute(graph().node('wait', { run: listeningNode(seen) }).build()).subscribe((e) => cancelled.push(e));
      timer(5).subscribe(() => subscription.unsubscribe());
    });
    expect(seen).toHaveLength(3);
    expect(seen.some(isBudgetStopError)).toBe(false);
    for (const events of [timedOut, failed, cancelled]) expect(events.some((e) => e.type === 'node.token')).toBe(false);
  });

  it('AttemptHandle.stop(reason): the signal aborts with it (also when read later), reports are let through only while it aborts', () => {
    const handle = new AttemptHandle();
    const states: boolean[] = [];
    handle.signal.addEventListener('abort', () => states.push(handle.ended, handle.silenced));
    const reason = new BudgetStopError({ spentUsd: 2, maxUsd: 1 });
    handle.stop(reason);
    expect(handle.signal.reason).toBe(reason);
    expect(states).toEqual([true, false]); // ended (no outcome passes), not silenced (its reports do)
    expect([handle.ended, handle.silenced]).toEqual([true, true]);

    const unread = new AttemptHandle();
    unread.stop(reason);
    expect(unread.signal.reason).toBe(reason);
    const plain = new AttemptHandle();
    const silencedDuring: boolean[] = [];
    plain.signal.addEventListener('abort', () => silencedDuring.push(plain.silenced));
    plain.stop();
    expect(silencedDuring).toEqual([true]);
    expect(isAttemptAbortError(plain.signal.reason) && !isBudgetStopError(plain.signal.reason)).toBe(true);
  });
});

describe('agent(): stopped by the budget', () => {
  it('every agent running when the budget stops says so: agent.finished { reason: budget } with its transcript, mid-tools or mid-call', () => {
    // 'a' crosses the budget with its first call (10,000 tokens at t=10) and is running its tool at the stop;
    // 'b' is in its second model call (its tool took 1 ms); 'c' answered before.
    const modelA = fakeModel([{ after: 10, toolUse: [{ name: 'lookup', input: { q: 'a' } }], usage: { inputTokens: 10_000, outputTokens: 10 } }, { text: 'never' }]);
    const modelB = fakeModel([{ after: 5, toolUse: [{ name: 'lookup', input: { q: 'b' } }], usage: { inputTokens: 1, outputTokens: 1 } }, { after: 100, text: 'never' }]);
    const modelC = fakeModel([{ after: 2, text: 'quick', usage: { inputTokens: 1, outputTokens: 1 } }]);
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('a', { run: agent({ prompt: () => 'a', tools: [lookupTool(50)], provider: modelA, governed: false, maxSteps: 3, maxTokens: 100, estimatedInputTokens: 10, estimatedToolResultTokens: 0 }) })
            .node('b', { run: agent({ prompt: () => 'b', tools: [lookupTool(1)], provider: modelB, governed: false, maxSteps: 3, maxTokens: 100, estimatedInputTokens: 10, estimatedToolResultTokens: 0, transcript: 'none' }) })
            .node('c', { run: agent({ prompt: () => 'c', provider: modelC, governed: false, maxTokens: 100, estimatedInputTokens: 10 }) })
            .build(),
          { budget: { maxUsd: 0.005 } },
        ),
      ),
    );
    expect(agentFrames(events, ['agent.finished', 'node.succeeded', 'node.skipped'])).toEqual([
      't=2 agent.finished c end_turn steps=1 calls=0', // ended before the stop: its own reason
      't=2 node.succeeded c',
      't=10 agent.finished a budget steps=1 calls=1',
      't=10 agent.finished b budget steps=2 calls=1',
      't=10 node.skipped a',
      't=10 node.skipped b',
    ]);
    const finished = asAny(events).filter((e) => e.type === 'agent.finished');
    expect((finished[1]!.transcript as unknown[]).length).toBe(2); // the prompt and the turn that asked for the tool
    expect(finished[2]!.transcript).toBeUndefined(); // transcript: 'none'
    expect([modelA.aborted, modelB.aborted]).toEqual([0, 1]); // b's call in flight was aborted
    expectValidAgentEvents(events);
  });
});
