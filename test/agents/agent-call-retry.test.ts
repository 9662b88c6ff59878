/**
 * agent({ callRetry }): a retryable model error at step N (529, 429 with retry-after, a call
 * deadline) is retried inside the loop, in virtual time, without running the tools of earlier steps
 * again; non-retryable errors and a cancelled node are not retried; retries spent fail the node with
 * the model's error (still retryable, so a node `retry` can restart the loop). Each retry is an
 * `agent.retrying` event.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Observable, asyncScheduler, map, timer, type Subscription } from 'rxjs';
import { z } from 'zod';
import { RunEventSchema, execute, graph, isOptionsError, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { ModelCallError, isModelCallError } from '../../src/models/model-error.js';
import { isRetryAfterTooLongError } from '../../operators/retry.js';
import type { Completion, CompletionRequest, ContentBlock, Model, ModelEvent } from '../../src/models/model.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { agentFrames, asAny, type AnyEvent } from './support.js';

/** One answer of the script: text and tool calls after `after` ms, or `error` (after streaming `text`, if any). */
interface Turn {
  after?: number;
  text?: string;
  toolUse?: readonly { name: string; input: unknown; id: string }[];
  error?: unknown;
  /** Error with this when the call's signal aborts (as an SDK whose socket is torn down may). */
  onAbort?: unknown;
}

interface ScriptedModel extends Model {
  readonly requests: CompletionRequest[];
  readonly startedAt: number[];
}

/** A model answering `script[i]` to its i-th call, in virtual time. */
function scripted(script: readonly Turn[]): ScriptedModel {
  const requests: CompletionRequest[] = [];
  const startedAt: number[] = [];
  const stream = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> =>
    new Observable<ModelEvent>((subscriber) => {
      const index = requests.length;
      requests.push(structuredClone(request));
      startedAt.push(asyncScheduler.now());
      const turn = script[index];
      if (!turn) return void subscriber.error(new ModelCallError('BAD_REQUEST', `no turn ${index + 1} in the script`));
      if (turn.onAbort !== undefined) signal?.addEventListener('abort', () => subscriber.error(turn.onAbort));
      const timer: Subscription = asyncScheduler.schedule(() => {
        if (turn.text !== undefined) subscriber.next({ type: 'text', text: turn.text });
        if (turn.error !== undefined) return subscriber.error(turn.error);
        const content: ContentBlock[] = turn.text !== undefined ? [{ type: 'text', text: turn.text }] : [];
        for (const use of turn.toolUse ?? []) content.push({ type: 'tool_use', ...use });
        const completion: Completion = {
          text: turn.text ?? '',
          content,
          usage: { inputTokens: 100, outputTokens: 10 },
          latencyMs: turn.after ?? 10,
          model: 'claude-haiku-4-5',
          stopReason: turn.toolUse?.length ? 'tool_use' : 'end_turn',
        };
        subscriber.next({ type: 'completion', completion });
        subscriber.complete();
      }, turn.after ?? 10);
      return () => timer.unsubscribe();
    });
  return { model: 'claude-haiku-4-5', requests, startedAt, stream, complete: () => { throw new Error('not used'); } };
}

const overloaded = () => new ModelCallError('OVERLOADED', 'claude-haiku-4-5 is overloaded', { status: 529 });
const rateLimited = (retryAfterMs: number) => new ModelCallError('RATE_LIMITED', 'rate limited', { status: 429, retryAfterMs });

/** A tool that answers after 5 ms, counting its runs. */
function lookupTool() {
  const stats = { runs: 0 };
  const lookup = tool({
    name: 'lookup',
    description: 'Looks things up',
    input: z.object({ q: z.string() }),
    run: ({ q }, { scheduler }) => (stats.runs += 1, timer(5, scheduler).pipe(map(() => `found ${q}`))),
  });
  return { lookup, stats };
}

/** Agent, retry and end frames, one line each. */
function frames(events: readonly RunEvent[], extra: readonly string[] = []): string[] {
  return asAny(events)
    .filter((e) => ['agent.retrying', 'node.retrying', 'agent.step', 'tool.called', 'tool.succeeded', 'agent.finished', 'node.succeeded', 'node.failed', 'node.timedOut', 'node.fellBack', ...extra].includes(e.type))
    .map((e: AnyEvent) => {
      if (e.type === 'agent.retrying') {
        const error = e.error as { code?: string; name: string };
        return `t=${e.at} agent.retrying ${e.nodeId} #${String(e.step)} call=${String(e.callAttempt)} ${String(e.delayMs)}ms ${error.code ?? error.name}`;
      }
      if (e.type === 'node.retrying') return `t=${e.at} node.retrying ${e.nodeId} attempt=${String(e.attempt)}`;
      if (e.type === 'node.fellBack') return `t=${e.at} node.fellBack ${e.nodeId}`;
      if (e.type === 'node.token') return `t=${e.at} node.token ${e.nodeId} ${JSON.stringify(e.text)}`;
      if (e.type === 'node.usage') return `t=${e.at} node.usage ${e.nodeId}`;
      return agentFrames([e as unknown as RunEvent], [e.type])[0]!;
    });
}

interface AgentNode {
  run: ReturnType<typeof agent>;
  timeout?: number;
  retry?: number;
  fallback?: (error: unknown) => unknown;
}

function runAgent(model: Model, node: AgentNode): RunEvent[] {
  const events = testScheduler().run(() => record(execute(graph().node('a', node).build(), { model })));
  const invalid = events.filter((e) => !RunEventSchema.safeParse(JSON.parse(JSON.stringify(e))).success).map((e) => e.type);
  expect(invalid).toEqual([]);
  return events;
}

/** Captures the node's error through a fallback that returns it. */
const keepError = { fallback: (error: unknown) => error };
const fellBackValue = (events: RunEvent[]) => (asAny(events).find((e) => e.type === 'node.fellBack') as { value: unknown } | undefined)?.value;
const succeededValue = (events: RunEvent[]) => (asAny(events).find((e) => e.type === 'node.succeeded') as { value: unknown } | undefined)?.value;

const steady = { initialDelay: 1000, jitter: 0 };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('agent({ callRetry }): a failed model call is retried inside the loop', () => {
  it('a 529 at step 2 is retried after the backoff; the tools of step 1 run once, the same request is sent again', () => {
    const { lookup, stats } = lookupTool();
    const model = scripted([
      { after: 10, toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }] },
      { after: 10, text: 'Half an ans', error: overloaded() },
      { after: 10, text: 'RxJS has schedulers.' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'Tell me about RxJS', tools: [lookup], governed: false, callRetry: { count: 3, ...steady } }) });
    expect(frames(events, ['node.token', 'node.usage'])).toEqual([
      't=10 node.usage a',
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=10 tool.called a lookup toolu_1',
      't=15 tool.succeeded a lookup toolu_1 5ms',
      // The failed attempt's text stays on the stream; agent.retrying marks where it ends.
      't=25 node.token a "Half an ans"',
      't=25 agent.retrying a #2 call=1 1000ms OVERLOADED',
      't=1035 node.token a "RxJS has schedulers."',
      't=1035 node.usage a',
      // The step's duration counts from its first attempt: retries and their waits included.
      't=1035 agent.step a #2 end_turn calls=0 1020ms',
      't=1035 agent.finished a end_turn steps=2 calls=1',
      't=1035 node.succeeded a',
    ]);
    expect(stats.runs).toBe(1);
    expect(model.startedAt).toEqual([0, 15, 1025]);
    expect(model.requests[2]).toEqual(model.requests[1]);
    // The value is the successful attempt's text only.
    expect(succeededValue(events)).toBe('RxJS has schedulers.');
    const retrying = asAny(events).find((e) => e.type === 'agent.retrying');
    expect(retrying).toMatchObject({ step: 2, callAttempt: 1, attempt: 1, delayMs: 1000, error: { name: 'ModelCallError', code: 'OVERLOADED', retryable: true, status: 529 } });
  });

  it('the default is 3 retries with the engine backoff (1 s, 2 s, 4 s before jitter)', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // no jitter drawn: the delays are the base ones
    const model = scripted([{ error: overloaded() }, { error: overloaded() }, { error: overloaded() }, { text: 'finally' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false }) });
    expect(frames(events)).toEqual([
      't=10 agent.retrying a #1 call=1 1000ms OVERLOADED',
      't=1020 agent.retrying a #1 call=2 2000ms OVERLOADED',
      't=3030 agent.retrying a #1 call=3 4000ms OVERLOADED',
      't=7040 agent.step a #1 end_turn calls=0 7040ms',
      't=7040 agent.finished a end_turn steps=1 calls=0',
      't=7040 node.succeeded a',
    ]);
  });

  it("a 429 with retry-after 5 s waits 5 s (longer than the backoff); one longer than maxRetryAfter fails at once", () => {
    const model = scripted([{ after: 20, error: rateLimited(5_000) }, { text: 'ok' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false, callRetry: { count: 3, ...steady } }) });
    expect(frames(events)).toEqual([
      't=20 agent.retrying a #1 call=1 5000ms RATE_LIMITED',
      't=5030 agent.step a #1 end_turn calls=0 5030ms',
      't=5030 agent.finished a end_turn steps=1 calls=0',
      't=5030 node.succeeded a',
    ]);
    expect(model.startedAt).toEqual([0, 5020]);

    const tooLong = scripted([{ after: 20, error: rateLimited(120_000) }, { text: 'never' }]);
    const refused = runAgent(tooLong, { run: agent({ prompt: () => 'x', governed: false, callRetry: { ...steady, maxRetryAfter: 60_000 } }), ...keepError });
    expect(frames(refused)).toEqual(['t=20 agent.finished a failed steps=1 calls=0', 't=20 node.fellBack a']);
    const error = fellBackValue(refused);
    expect(isRetryAfterTooLongError(error) && [error.code, error.retryAfterMs, error.maxMs, isModelCallError(error.cause)]).toEqual(['RETRY_AFTER_TOO_LONG', 120_000, 60_000, true]);
    expect(tooLong.requests).toHaveLength(1);
  });

  it('under the governed model (the default), the 429 pauses the quota for the same 5 s: no double wait', () => {
    const model = scripted([{ after: 20, error: rateLimited(5_000) }, { text: 'ok' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', callRetry: { count: 3, ...steady } }) });
    expect(frames(events)).toEqual([
      't=20 agent.retrying a #1 call=1 5000ms RATE_LIMITED',
      't=5030 agent.step a #1 end_turn calls=0 5030ms',
      't=5030 agent.finished a end_turn steps=1 calls=0',
      't=5030 node.succeeded a',
    ]);
  });

  it('a call deadline is retried like a dropped connection', () => {
    const model = scripted([{ after: 500, text: 'slow' }, { error: new ModelCallError('CONNECTION', 'socket hang up') }, { after: 10, text: 'fast' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false, timeout: 100, callRetry: { count: 2, initialDelay: 50, jitter: 0 } }) });
    expect(frames(events)).toEqual([
      't=100 agent.retrying a #1 call=1 50ms TIMEOUT',
      't=160 agent.retrying a #1 call=2 100ms CONNECTION',
      't=270 agent.step a #1 end_turn calls=0 270ms',
      't=270 agent.finished a end_turn steps=1 calls=0',
      't=270 node.succeeded a',
    ]);
    expect(succeededValue(events)).toBe('fast');
  });

  it('a 400 is not retried: the node fails with it at once', () => {
    const { lookup, stats } = lookupTool();
    const model = scripted([
      { toolUse: [{ name: 'lookup', input: { q: 'a' }, id: 'toolu_1' }] },
      { error: new ModelCallError('BAD_REQUEST', 'tool_result without tool_use', { status: 400 }) },
      { text: 'never' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', tools: [lookup], governed: false, callRetry: { count: 3, ...steady } }), ...keepError });
    expect(frames(events)).toEqual([
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=10 tool.called a lookup toolu_1',
      't=15 tool.succeeded a lookup toolu_1 5ms',
      't=25 agent.finished a failed steps=2 calls=1',
      't=25 node.fellBack a',
    ]);
    expect(model.requests).toHaveLength(2);
    expect(stats.runs).toBe(1);
    expect(fellBackValue(events)).toMatchObject({ code: 'BAD_REQUEST', retryable: false });
  });

  it('retries spent: the node fails with the model error, still retryable, and a node retry restarts the loop', () => {
    const model = scripted([{ error: overloaded() }, { error: overloaded() }, { error: overloaded() }, { text: 'second attempt of the node' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false, callRetry: { count: 2, initialDelay: 100, jitter: 0 } }), retry: 1 });
    expect(frames(events)).toEqual([
      't=10 agent.retrying a #1 call=1 100ms OVERLOADED',
      't=120 agent.retrying a #1 call=2 200ms OVERLOADED',
      't=330 agent.finished a failed steps=1 calls=0',
      't=330 node.retrying a attempt=1',
      expect.stringMatching(/^t=\d+ agent\.step a #1 end_turn calls=0 10ms$/),
      expect.stringMatching(/^t=\d+ agent\.finished a end_turn steps=1 calls=0$/),
      expect.stringMatching(/^t=\d+ node\.succeeded a$/),
    ]);

    const failing = scripted([{ error: overloaded() }, { error: overloaded() }, { error: overloaded() }]);
    const failed = runAgent(failing, { run: agent({ prompt: () => 'x', governed: false, callRetry: { count: 2, initialDelay: 100, jitter: 0 } }), ...keepError });
    const error = fellBackValue(failed);
    expect(isModelCallError(error) && [error.code, error.retryable, error.status]).toEqual(['OVERLOADED', true, 529]);
    expect(failing.requests).toHaveLength(3);
  });

  it('callRetry: 0 turns it off (a model error fails the node as before)', () => {
    const model = scripted([{ error: overloaded() }, { text: 'never' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false, callRetry: 0 }), ...keepError });
    expect(frames(events)).toEqual(['t=10 agent.finished a failed steps=1 calls=0', 't=10 node.fellBack a']);
    expect(model.requests).toHaveLength(1);
  });

  it('cancellation during the backoff wait aborts cleanly: no further call, nothing reported after the stop', () => {
    const { lookup, stats } = lookupTool();
    const script = (): Turn[] => [{ toolUse: [{ name: 'lookup', input: { q: 'a' }, id: 'toolu_1' }] }, { error: overloaded() }, { text: 'never' }];
    const model = scripted(script());
    // Node timeout at 500, inside the 1 s wait that started at 25.
    const events = runAgent(model, { run: agent({ prompt: () => 'x', tools: [lookup], governed: false, callRetry: { count: 3, ...steady } }), timeout: 500 });
    expect(frames(events)).toEqual([
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=10 tool.called a lookup toolu_1',
      't=15 tool.succeeded a lookup toolu_1 5ms',
      't=25 agent.retrying a #2 call=1 1000ms OVERLOADED',
      't=500 node.timedOut a',
    ]);
    expect(model.requests).toHaveLength(2);
    expect(stats.runs).toBe(1);
    expect(asAny(events).at(-1)!.type).toBe('run.completed');

    // Unsubscribing the run during the wait: the wait's timer is cleared, no call is made after it.
    const unsubscribed = scripted(script());
    const scheduler = testScheduler();
    scheduler.run(({ flush }) => {
      const run = execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [lookup], governed: false, callRetry: { count: 3, ...steady } }) }).build(), { model: unsubscribed }).subscribe();
      timer(300).subscribe(() => run.unsubscribe());
      flush();
    });
    expect(unsubscribed.requests).toHaveLength(2);
    expect(scheduler.actions).toHaveLength(0);
  });

  it('a node whose signal aborted does not retry the error its call then fails with', () => {
    const controller = new AbortController();
    const model = scripted([{ after: 100, onAbort: new ModelCallError('CONNECTION', 'socket closed') }, { text: 'never' }]);
    const reports: string[] = [];
    let failure: unknown;
    testScheduler().run(() => {
      agent({ prompt: () => 'x', governed: false, callRetry: { count: 3, ...steady } })({
        inputs: {},
        upstream: {},
        signal: controller.signal,
        attempt: 1,
        nodeId: 'a',
        runId: 'r',
        context: undefined,
        scheduler: asyncScheduler,
        model,
        emit: (report) => reports.push(report.type),
      }).subscribe({ error: (error: unknown) => (failure = error) });
      timer(20).subscribe(() => controller.abort());
    });
    expect(isModelCallError(failure) && failure.code).toBe('CONNECTION');
    expect(model.requests).toHaveLength(1);
    expect(reports).not.toContain('agent.retrying');
  });

  it('refuses a bad callRetry, naming the field', () => {
    const refusal = (callRetry: unknown) => {
      try {
        agent({ prompt: () => 'x', callRetry: callRetry as number });
        return 'accepted';
      } catch (error) {
        return isOptionsError(error) ? `${error.field}: ${error.message}` : `not an OptionsError: ${String(error)}`;
      }
    };
    expect(refusal(-1)).toBe("callRetry.count: agent: 'callRetry.count' must be an integer >= 0, got -1");
    expect(refusal({ count: 2, jitter: 2 })).toBe("callRetry.jitter: agent: 'callRetry.jitter' must be between 0 and 1, got 2");
    expect(refusal({ maxRetryAfter: -5 })).toMatch(/^callRetry\.maxRetryAfter: agent: 'callRetry\.maxRetryAfter' must be/);
    expect(refusal('3')).toBe("callRetry: agent: 'callRetry' must be a number of retries or { count, initialDelay, factor, maxDelay, jitter, maxRetryAfter }, got 3");
    expect(refusal({ count: 1, initialDelay: 10, factor: 3, maxDelay: 100, jitter: 0.2, maxRetryAfter: 1000 })).toBe('accepted');
  });
});
