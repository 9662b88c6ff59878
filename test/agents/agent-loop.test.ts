/**
 * agent() nodes in virtual time, against a hand-written scripted model: the loop's frames (model
 * calls, tool calls, results fed back), parallel tools and their limits, tool failures by policy,
 * MAX_STEPS with the transcript, structured output with repairs, cancellation, approval, thinking
 * blocks passed back.
 */
import { describe, expect, it } from 'vitest';
import { map, timer } from 'rxjs';
import { z } from 'zod';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { isAgentNodeError, type AgentNodeError } from '../../src/agents/errors.js';
import type { ChatTurn, ContentBlock } from '../../src/models/model.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel, type FakeModel } from './fake-model.js';
import { agentFrames, asAny, expectValidAgentEvents } from './support.js';

/** A tool that answers after `ms` of virtual time, counting runs and aborted signals. */
function slowTool(name: string, ms: number, options: { concurrency?: number; timeout?: number | false; fail?: boolean } = {}) {
  const stats = { runs: 0, aborted: 0, inputs: [] as unknown[] };
  const t = tool({
    name,
    description: `${name} things`,
    input: z.object({ q: z.string() }),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    run: ({ q }, { signal, scheduler }) => {
      stats.runs += 1;
      stats.inputs.push(q);
      signal.addEventListener('abort', () => (stats.aborted += 1));
      return timer(ms, scheduler).pipe(
        map(() => {
          if (options.fail) throw new Error(`${name} exploded on ${q}`);
          return `${name}(${q})`;
        }),
      );
    },
  });
  return { tool: t, stats };
}

/** A node's settings in these tests: the agent's run, and a timeout or a fallback. */
interface AgentNode {
  run: ReturnType<typeof agent>;
  timeout?: number;
  fallback?: (error: unknown) => unknown;
}

/** Runs a one-node graph in virtual time and returns its events. */
function runAgent(model: FakeModel, node: AgentNode): RunEvent[] {
  return testScheduler().run(() => record(execute(graph().node('a', node).build(), { model })));
}

/** Captures the node's error through a fallback that returns it. */
const keepError = { fallback: (error: unknown) => error };

const valueOf = (events: RunEvent[]) => (asAny(events).find((e) => e.type === 'node.succeeded' || e.type === 'node.fellBack') as { value: unknown } | undefined)?.value;

describe('agent(): the loop', () => {
  it('runs a 3-step loop: model call -> tool -> tool_result -> next call, with exact frames', () => {
    const lookup = slowTool('lookup', 5);
    const model = fakeModel([
      { after: 10, text: 'Let me look.', toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }] },
      { after: 10, toolUse: [{ name: 'lookup', input: { q: 'schedulers' }, id: 'toolu_2' }] },
      { after: 10, text: 'RxJS has schedulers.' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'Tell me about RxJS', tools: [lookup.tool], governed: false }) });
    expect(agentFrames(events)).toEqual([
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=10 tool.called a lookup toolu_1',
      't=15 tool.succeeded a lookup toolu_1 5ms',
      't=25 agent.step a #2 tool_use calls=1 10ms',
      't=25 tool.called a lookup toolu_2',
      't=30 tool.succeeded a lookup toolu_2 5ms',
      't=40 agent.step a #3 end_turn calls=0 10ms',
      't=40 agent.finished a end_turn steps=3 calls=2',
      't=40 node.succeeded a',
    ]);
    expect(valueOf(events)).toBe('RxJS has schedulers.');
    expectValidAgentEvents(events);
    // Each call resends the conversation: history = every earlier turn, prompt = the newest user turn.
    const [, second, third] = model.requests;
    expect(second!.history).toEqual([
      { role: 'user', content: 'Tell me about RxJS' },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'rxjs' } }] },
    ]);
    expect(second!.prompt).toEqual([{ type: 'tool_result', toolUseId: 'toolu_1', content: 'lookup(rxjs)' }]);
    expect(third!.history).toHaveLength(4);
    expect(third!.prompt).toEqual([{ type: 'tool_result', toolUseId: 'toolu_2', content: 'lookup(schedulers)' }]);
    // Tools, caching and deadlines on every call.
    for (const request of model.requests) {
      expect(request.tools).toEqual([{ name: 'lookup', description: 'lookup things', inputSchema: expect.objectContaining({ type: 'object' }) }]);
      expect(request.cache).toBe(true);
      expect(request.timeoutMs).toBe(30_000);
    }
    // Usage per step, and the transcript on agent.finished.
    expect(asAny(events).filter((e) => e.type === 'node.usage')).toHaveLength(3);
    const finished = asAny(events).find((e) => e.type === 'agent.finished')!;
    expect((finished.transcript as ChatTurn[]).map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(asAny(events).filter((e) => e.type === 'node.token').map((e) => e.text)).toEqual(['Let me look.', 'RxJS has schedulers.']);
  });

  it('runs one step’s tool calls in parallel, and a tool concurrency limit of 1 serialises them', () => {
    const calls = [
      { name: 'fetch', input: { q: 'a' }, id: 't1' },
      { name: 'fetch', input: { q: 'b' }, id: 't2' },
    ];
    const script = [{ after: 10, toolUse: calls }, { after: 10, text: 'done' }];
    const free = slowTool('fetch', 10);
    const parallel = runAgent(fakeModel(script), { run: agent({ prompt: () => 'go', tools: [free.tool], governed: false }) });
    expect(agentFrames(parallel, ['tool.called', 'tool.succeeded', 'agent.step'])).toEqual([
      't=10 agent.step a #1 tool_use calls=2 10ms',
      't=10 tool.called a fetch t1',
      't=10 tool.called a fetch t2',
      't=20 tool.succeeded a fetch t1 10ms',
      't=20 tool.succeeded a fetch t2 10ms',
      't=30 agent.step a #2 end_turn calls=0 10ms',
    ]);
    const limited = slowTool('fetch', 10, { concurrency: 1 });
    const model = fakeModel(script);
    const serial = runAgent(model, { run: agent({ prompt: () => 'go', tools: [limited.tool], governed: false }) });
    expect(agentFrames(serial, ['tool.called', 'tool.succeeded', 'agent.step'])).toEqual([
      't=10 agent.step a #1 tool_use calls=2 10ms',
      't=10 tool.called a fetch t1',
      't=10 tool.called a fetch t2',
      't=20 tool.succeeded a fetch t1 10ms',
      't=30 tool.succeeded a fetch t2 20ms', // waited 10 ms for the slot
      't=40 agent.step a #2 end_turn calls=0 10ms',
    ]);
    // Results go back in tool_use order.
    expect(model.requests[1]!.prompt).toEqual([
      { type: 'tool_result', toolUseId: 't1', content: 'fetch(a)' },
      { type: 'tool_result', toolUseId: 't2', content: 'fetch(b)' },
    ]);
  });

  it('one limiter per tool object is shared by every agent using it', () => {
    const shared = slowTool('fetch', 10, { concurrency: 1 });
    const events = testScheduler().run(() => {
      const script = [{ after: 10, toolUse: [{ name: 'fetch', input: { q: 'x' } }] }, { after: 10, text: 'ok' }];
      const g = graph()
        .node('a', { run: agent({ prompt: () => 'a', tools: [shared.tool], governed: false, provider: fakeModel(script) }) })
        .node('b', { run: agent({ prompt: () => 'b', tools: [shared.tool], governed: false, provider: fakeModel(script) }) })
        .build();
      return record(execute(g));
    });
    expect(agentFrames(events, ['tool.succeeded'])).toEqual(['t=20 tool.succeeded a fetch toolu_1 10ms', 't=30 tool.succeeded b fetch toolu_1 20ms']);
  });

  it('sends invalid input and unknown tools back as is_error results with the issues, without running anything', () => {
    const lookup = slowTool('lookup', 5);
    const model = fakeModel([
      {
        toolUse: [
          { name: 'lookup', input: { q: 42 }, id: 'bad' },
          { name: 'serach', input: { q: 'x' }, id: 'unknown' },
        ],
      },
      { text: 'sorry' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'go', tools: [lookup.tool], governed: false }) });
    expect(lookup.stats.runs).toBe(0);
    expect(agentFrames(events, ['tool.failed'])).toEqual(['t=10 tool.failed a lookup bad 0ms INVALID_INPUT reported', 't=10 tool.failed a serach unknown 0ms UNKNOWN_TOOL reported']);
    const [bad, unknown] = model.requests[1]!.prompt as Extract<ContentBlock, { type: 'tool_result' }>[];
    expect(bad).toMatchObject({ toolUseId: 'bad', isError: true });
    expect(bad!.content).toContain('q: Invalid input: expected string, received number');
    expect(unknown).toEqual({ type: 'tool_result', toolUseId: 'unknown', isError: true, content: "Unknown tool 'serach'. Available tools: lookup." });
    expect(valueOf(events)).toBe('sorry');
    expectValidAgentEvents(events);
  });

  it('a tool that outlives its timeout is aborted and becomes an is_error result', () => {
    const slow = slowTool('slow', 100, { timeout: 50 });
    const model = fakeModel([{ toolUse: [{ name: 'slow', input: { q: 'x' }, id: 's' }] }, { text: 'gave up on it' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'go', tools: [slow.tool], governed: false }) });
    expect(agentFrames(events, ['tool.failed', 'agent.step'])).toEqual([
      't=10 agent.step a #1 tool_use calls=1 10ms',
      't=60 tool.failed a slow s 50ms TIMED_OUT reported',
      't=70 agent.step a #2 end_turn calls=0 10ms',
    ]);
    expect(slow.stats.aborted).toBe(1);
    expect(model.requests[1]!.prompt).toEqual([{ type: 'tool_result', toolUseId: 's', isError: true, content: "Tool 'slow' timed out after 50 ms." }]);
  });

  it("onToolError 'fail': a throwing tool fails the node with TOOL_FAILED and aborts the other running calls", () => {
    const broken = slowTool('broken', 5, { fail: true });
    const other = slowTool('other', 50);
    const model = fakeModel([
      {
        toolUse: [
          { name: 'broken', input: { q: 'x' }, id: 'b' },
          { name: 'other', input: { q: 'y' }, id: 'o' },
        ],
      },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'go', tools: [broken.tool, other.tool], onToolError: 'fail', governed: false }), ...keepError });
    expect(agentFrames(events, ['tool.failed', 'agent.finished', 'node.fellBack'])).toEqual([
      't=15 tool.failed a broken b 5ms Error fatal',
      't=15 agent.finished a failed steps=1 calls=2',
      't=15 node.fellBack a',
    ]);
    expect(other.stats.aborted).toBe(1);
    const error = valueOf(events) as AgentNodeError;
    expect(isAgentNodeError(error)).toBe(true);
    expect(error.code).toBe('TOOL_FAILED');
    expect(error.details).toMatchObject({ tool: 'broken', toolUseId: 'b', steps: 1 });
    expect((error.cause as Error).message).toBe('broken exploded on x');
    expect(error.transcript).toHaveLength(2);
    expect(error.retryable).toBe(true); // the tool's own error did not say otherwise
  });

  it("onToolError 'report' is bounded by maxConsecutiveToolErrors; a success resets the count", () => {
    const broken = slowTool('broken', 5, { fail: true });
    const fine = slowTool('fine', 5);
    const call = (name: string) => ({ toolUse: [{ name, input: { q: 'x' } }] });
    // broken, fine (reset), broken, broken -> 2 in a row: allowed with max 2; the third in a row fails.
    const model = fakeModel([call('broken'), call('fine'), call('broken'), call('broken'), call('broken'), { text: 'never' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'go', tools: [broken.tool, fine.tool], maxConsecutiveToolErrors: 2, governed: false }), ...keepError });
    const error = valueOf(events) as AgentNodeError;
    expect(error.code).toBe('TOO_MANY_TOOL_ERRORS');
    expect(error.message).toBe("node 'a': 3 tool calls in a row failed (maxConsecutiveToolErrors 2)");
    expect(model.requests).toHaveLength(5);
    expect(agentFrames(events, ['tool.failed']).every((line) => line.endsWith('Error reported'))).toBe(true);
    // The model saw the thrown error's message as an is_error result.
    expect(model.requests[1]!.prompt).toEqual([{ type: 'tool_result', toolUseId: 'toolu_1', isError: true, content: "Tool 'broken' failed: broken exploded on x" }]);
  });

  it('MAX_STEPS: a model that keeps asking for tools fails the node, and the error keeps the transcript', () => {
    const lookup = slowTool('lookup', 5);
    const model = fakeModel(() => ({ toolUse: [{ name: 'lookup', input: { q: 'more' } }] }));
    const events = runAgent(model, { run: agent({ prompt: () => 'loop forever', tools: [lookup.tool], maxSteps: 3, governed: false }), ...keepError });
    const error = valueOf(events) as AgentNodeError;
    expect(error.code).toBe('MAX_STEPS');
    expect(error.retryable).toBe(false);
    expect(model.requests).toHaveLength(3);
    expect(lookup.stats.runs).toBe(2); // the last step's calls are not run: no step is left to read them
    expect(error.transcript!.map((turn) => turn.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(error.transcript![0]).toEqual({ role: 'user', content: 'loop forever' });
    expect(agentFrames(events, ['agent.finished'])).toEqual(['t=40 agent.finished a max_steps steps=3 calls=2']);
    const finished = asAny(events).find((e) => e.type === 'agent.finished')!;
    expect(finished.transcript).toEqual(JSON.parse(JSON.stringify(error.transcript)));
  });

  it('parses the output schema, repairing an invalid answer, and asks for the JSON schema on every call', () => {
    const Answer = z.object({ city: z.string(), celsius: z.number() });
    const lookup = slowTool('lookup', 5);
    const model = fakeModel([
      { toolUse: [{ name: 'lookup', input: { q: 'weather' } }] },
      { text: '{"city": "Oslo", "celsius": "cold"}' },
      { text: '{"city": "Oslo", "celsius": -3}' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'weather?', tools: [lookup.tool], output: Answer, governed: false }) });
    expect(valueOf(events)).toEqual({ city: 'Oslo', celsius: -3 });
    expect(model.requests.every((request) => (request.jsonSchema as { type?: string } | undefined)?.type === 'object')).toBe(true);
    expect(model.requests[2]!.prompt).toMatch(/^Your previous reply did not match the required JSON schema:\n- celsius: /);
    expect(agentFrames(events, ['agent.finished'])).toEqual(['t=35 agent.finished a output steps=3 calls=1']);
  });

  it('INVALID_OUTPUT after every repair keeps the raw text', () => {
    const model = fakeModel(() => ({ text: 'not json' }));
    const events = runAgent(model, { run: agent({ prompt: () => 'json please', output: z.object({ n: z.number() }), repairs: 1, governed: false }), ...keepError });
    const error = valueOf(events) as AgentNodeError;
    expect(error.code).toBe('INVALID_OUTPUT');
    expect(error.rawText).toBe('not json');
    expect(model.requests).toHaveLength(2);
  });

  it('NO_ANSWER when the model ends its turn with neither text nor tool calls; PROMPT_FAILED before any call', () => {
    const empty = fakeModel([{ text: '', stopReason: 'refusal' }]);
    const error = valueOf(runAgent(empty, { run: agent({ prompt: () => 'x', governed: false }), ...keepError })) as AgentNodeError;
    expect(error.code).toBe('NO_ANSWER');
    expect(error.message).toContain('(refusal)');
    const unused = fakeModel([]);
    const thrown = valueOf(
      runAgent(unused, {
        run: agent({
          prompt: () => {
            throw new Error('no inputs');
          },
          governed: false,
        }),
        ...keepError,
      }),
    ) as AgentNodeError;
    expect(thrown.code).toBe('PROMPT_FAILED');
    expect(unused.requests).toHaveLength(0);
  });

  it('cancellation (the node timeout) aborts the model call in flight', () => {
    const model = fakeModel([{ after: 100, text: 'too late' }]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', governed: false }), timeout: 30 });
    expect(agentFrames(events, ['node.timedOut'])).toEqual(['t=30 node.timedOut a']);
    expect(model.cancelled).toBe(1);
    expect(model.aborted).toBe(1);
  });

  it('cancellation aborts every running tool, and no further model call starts', () => {
    const a = slowTool('a', 100);
    const b = slowTool('b', 100);
    const model = fakeModel([
      {
        toolUse: [
          { name: 'a', input: { q: '1' } },
          { name: 'b', input: { q: '2' } },
          { name: 'a', input: { q: '3' } },
        ],
      },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'x', tools: [a.tool, b.tool], governed: false }), timeout: 50 });
    expect(agentFrames(events, ['node.timedOut'])).toEqual(['t=50 node.timedOut a']);
    expect(a.stats.aborted + b.stats.aborted).toBe(3);
    expect(model.requests).toHaveLength(1);
    // Cancelling the run (unsubscribing) does the same: at t=5 the model call is in flight, at t=20 two tools.
    const cancelAt = (ms: number) => {
      const c = slowTool('c', 100);
      const model = fakeModel([{ toolUse: [{ name: 'c', input: { q: '1' } }, { name: 'c', input: { q: '2' } }] }]);
      testScheduler().run(() => {
        const run = execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [c.tool], governed: false }) }).build(), { model }).subscribe();
        timer(ms).subscribe(() => run.unsubscribe());
      });
      return { model, tools: c.stats };
    };
    const duringCall = cancelAt(5);
    expect([duringCall.model.aborted, duringCall.model.cancelled, duringCall.tools.runs]).toEqual([1, 1, 0]);
    const duringTools = cancelAt(20);
    expect([duringTools.model.requests.length, duringTools.tools.runs, duringTools.tools.aborted]).toEqual([1, 2, 2]);
  });

  it('an approve hook that refuses: the tool never runs and the model reads the reason', () => {
    const runs: string[] = [];
    const remove = tool({
      name: 'remove',
      description: 'Deletes a file',
      input: z.object({ path: z.string() }),
      approve: ({ path }) => (path.startsWith('/tmp/') ? true : `only files under /tmp may be removed, not ${path}`),
      run: ({ path }) => (runs.push(path), 'removed'),
    });
    const model = fakeModel([
      {
        toolUse: [
          { name: 'remove', input: { path: '/etc/passwd' }, id: 'r1' },
          { name: 'remove', input: { path: '/tmp/x' }, id: 'r2' },
        ],
      },
      { text: 'ok' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'clean up', tools: [remove], maxConsecutiveToolErrors: 0, governed: false }) });
    expect(runs).toEqual(['/tmp/x']);
    expect(model.requests[1]!.prompt).toEqual([
      { type: 'tool_result', toolUseId: 'r1', isError: true, content: 'Refused: only files under /tmp may be removed, not /etc/passwd' },
      { type: 'tool_result', toolUseId: 'r2', content: 'removed' },
    ]);
    expect(agentFrames(events, ['tool.failed', 'tool.succeeded'])).toEqual(['t=10 tool.failed a remove r1 0ms REFUSED reported', 't=10 tool.succeeded a remove r2 0ms']);
    expect(valueOf(events)).toBe('ok'); // a refusal is no tool error: maxConsecutiveToolErrors 0 still passes
  });

  it('passes thinking blocks back unchanged (signature included) and streams thinking as node.thinking, never into the value', () => {
    const lookup = slowTool('lookup', 5);
    const model = fakeModel([
      { thinking: 'I should look it up.', toolUse: [{ name: 'lookup', input: { q: 'x' }, id: 'l1' }] },
      { thinking: 'Now I know.', text: 'The answer.' },
    ]);
    const events = runAgent(model, { run: agent({ prompt: () => 'q', tools: [lookup.tool], thinking: { budgetTokens: 2048 }, maxTokens: 4096, governed: false }) });
    expect(model.requests[1]!.history![1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should look it up.', signature: 'sig-1' },
        { type: 'tool_use', id: 'l1', name: 'lookup', input: { q: 'x' } },
      ],
    });
    expect(model.requests.every((r) => r.thinking?.budgetTokens === 2048)).toBe(true);
    expect(asAny(events).filter((e) => e.type === 'node.thinking').map((e) => `t=${e.at} ${String(e.text)}`)).toEqual(['t=10 I should look it up.', 't=25 Now I know.']);
    expect(valueOf(events)).toBe('The answer.');
    expectValidAgentEvents(events);
  });

  it("transcript: 'value' returns { answer, transcript }; 'none' leaves it off agent.finished", () => {
    const withValue = runAgent(fakeModel([{ text: 'hi' }]), { run: agent({ prompt: () => 'hello', transcript: 'value', governed: false }) });
    expect(valueOf(withValue)).toEqual({
      answer: 'hi',
      transcript: [
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: [{ type: 'text', text: 'hi' }] },
      ],
    });
    const none = runAgent(fakeModel([{ text: 'hi' }]), { run: agent({ prompt: () => 'hello', transcript: 'none', cache: false, governed: false }) });
    expect(asAny(none).find((e) => e.type === 'agent.finished')).not.toHaveProperty('transcript');
  });

  it('cache: false sends no cache breakpoints', () => {
    const model = fakeModel([{ text: 'hi' }]);
    runAgent(model, { run: agent({ prompt: () => 'hello', cache: false, governed: false }) });
    expect(model.requests[0]!.cache).toBe(false);
  });
});

describe('agent() against scriptedModel (rx-orchestra/testing), which refuses what the API refuses', () => {
  it('a loop with thinking, parallel calls, an invalid input and an unknown tool sends only valid requests', async () => {
    const { scriptedModel } = await import('../../src/testing/scripted-model.js');
    const lookup = slowTool('lookup', 5);
    const model = scriptedModel(
      [
        { after: 10, thinking: 'Two lookups at once.', toolUse: [{ name: 'lookup', input: { q: 'a' } }, { name: 'lookup', input: { q: 'b' } }] },
        { after: 10, thinking: 'One more, badly.', toolUse: [{ name: 'lookup', input: { q: 1 } }, { name: 'nope', input: {} }] },
        { after: 10, text: 'All done.' },
      ],
      { validate: true },
    );
    const events = testScheduler().run(() =>
      record(execute(graph().node('a', { run: agent({ prompt: () => 'go', tools: [lookup.tool], thinking: { budgetTokens: 1024 }, maxTokens: 2048, governed: false }) }).build(), { model })),
    );
    expect(model.calls.map((call) => call.result)).toEqual(['replied', 'replied', 'replied']);
    expect(valueOf(events)).toBe('All done.');
    expect(agentFrames(events, ['agent.step', 'agent.finished'])).toEqual([
      't=10 agent.step a #1 tool_use calls=2 10ms',
      't=25 agent.step a #2 tool_use calls=2 10ms',
      't=35 agent.step a #3 end_turn calls=0 10ms',
      't=35 agent.finished a end_turn steps=3 calls=4',
    ]);
    expectValidAgentEvents(events);
  });
});
