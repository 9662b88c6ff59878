/** agent() refuses bad settings when it is called, naming the field; tools retry by their own settings. */
import { describe, expect, it } from 'vitest';
import { timer, map, of } from 'rxjs';
import { z } from 'zod';
import { execute, graph, isOptionsError } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { AgentNodeError, ToolCallError, isAgentNodeError, isToolCallError } from '../../src/agents/errors.js';
import { LlmNodeError } from '../../src/nodes/errors.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel } from './fake-model.js';
import type { Model, ModelEvent } from '../../src/models/model.js';
import { agentFrames } from './support.js';

const echo = tool({ name: 'echo', description: 'Echoes', input: z.object({ text: z.string() }), run: ({ text }) => text });

function refusal(make: () => unknown): string {
  try {
    make();
  } catch (error) {
    return isOptionsError(error) ? `${error.field}: ${error.message}` : `not an OptionsError: ${String(error)}`;
  }
  return 'accepted';
}

describe('agent(): settings', () => {
  it('refuses bad settings, naming the field', () => {
    expect(refusal(() => agent({ prompt: () => 'x', maxSteps: 0 }))).toBe("maxSteps: agent: 'maxSteps' must be an integer >= 1, got 0");
    expect(refusal(() => agent({ prompt: () => 'x', maxConsecutiveToolErrors: -1 }))).toBe("maxConsecutiveToolErrors: agent: 'maxConsecutiveToolErrors' must be an integer >= 0, got -1");
    expect(refusal(() => agent({ prompt: () => 'x', repairs: 1.5 }))).toBe("repairs: agent: 'repairs' must be an integer >= 0, got 1.5");
    expect(refusal(() => agent({ prompt: () => 'x', timeout: 0 }))).toMatch(/^timeout: agent: 'timeout' must be/);
    expect(refusal(() => agent({ prompt: () => 'x', thinking: { budgetTokens: 100 } }))).toBe("thinking.budgetTokens: agent: 'thinking.budgetTokens' must be an integer >= 1024, got 100");
    expect(refusal(() => agent({ prompt: () => 'x', tools: [echo, echo] }))).toBe("tools.1: agent: two tools are named 'echo': the model could not tell them apart");
    expect(refusal(() => agent({ prompt: () => 'x', output: z.object({ at: z.date() }) }))).toMatch(/^output: agent: its output schema cannot be expressed as JSON Schema/);
    expect(refusal(() => agent({ prompt: () => 'x', onToolError: 'ignore' as 'fail' }))).toBe("onToolError: agent: 'onToolError' must be 'report' or 'fail', got ignore");
    expect(refusal(() => agent({ prompt: () => 'x', tools: [echo], maxSteps: 3, transcript: 'value' }))).toBe('accepted');
  });

  it('guards tell the agent errors apart from each other and from llm() errors', () => {
    const nodeError = new AgentNodeError('MAX_STEPS', 'a', 'x', { transcript: [] });
    const callError = new ToolCallError('TIMED_OUT', 'slow', 'x');
    expect([isAgentNodeError(nodeError), isAgentNodeError(callError), isAgentNodeError(new LlmNodeError('INVALID_OUTPUT', 'a', 'x'))]).toEqual([true, false, false]);
    expect([isToolCallError(callError), isToolCallError(nodeError)]).toEqual([true, false]);
    expect([nodeError.retryable, callError.retryable, new ToolCallError('INVALID_INPUT', 't', 'x').retryable]).toEqual([false, true, false]);
  });

  it("retries a failing tool call up to the tool's `retry`, before the model hears of it", () => {
    let runs = 0;
    const flaky = tool({
      name: 'flaky',
      description: 'Fails once',
      input: z.object({}),
      retry: 2,
      run: (_input, { scheduler }) =>
        timer(5, scheduler).pipe(
          map(() => {
            runs += 1;
            if (runs === 1) throw new Error('transient');
            return 'ok';
          }),
        ),
    });
    const model = fakeModel([{ toolUse: [{ name: 'flaky', input: {}, id: 'f' }] }, { text: 'done' }]);
    const events = testScheduler().run(() => record(execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [flaky], governed: false }) }).build(), { model })));
    expect(runs).toBe(2);
    expect(model.requests[1]!.prompt).toEqual([{ type: 'tool_result', toolUseId: 'f', content: 'ok' }]);
    expect(agentFrames(events, ['tool.failed'])).toEqual([]);
  });

  it('a long loop of synchronous steps (instant model and tools) does not grow the stack', () => {
    let calls = 0;
    const instant: Model = {
      model: 'simulated',
      stream: (): ReturnType<Model['stream']> => {
        calls += 1;
        const last = calls === 3000;
        const content = last ? [{ type: 'text' as const, text: 'done' }] : [{ type: 'tool_use' as const, id: `t${calls}`, name: 'echo', input: { text: String(calls) } }];
        return of<ModelEvent>({ type: 'completion', completion: { text: last ? 'done' : '', content, usage: { inputTokens: 1, outputTokens: 1 }, latencyMs: 0, model: 'simulated', stopReason: last ? 'end_turn' : 'tool_use' } });
      },
      complete: () => {
        throw new Error('not used');
      },
    };
    let value: unknown;
    // No scheduler involved: every step completes synchronously inside the previous one's callback.
    agent({ prompt: () => 'x', tools: [echo], maxSteps: 3000, governed: false, timeout: false, transcript: 'none' })({
      inputs: {},
      upstream: {},
      signal: new AbortController().signal,
      attempt: 1,
      nodeId: 'deep',
      runId: 'r',
      context: undefined,
      scheduler: { now: () => 0, schedule: () => { throw new Error('no timers expected'); } } as never,
      model: instant,
      emit: () => undefined,
    }).subscribe((v) => (value = v));
    expect([calls, value]).toEqual([3000, 'done']);
  });
});
