/**
 * agent({ tools }) with tool sources (the ToolSource contract that mcpTools() implements), in virtual
 * time against a fake source that counts who holds it: each node run takes every source when it
 * starts and before its first model call, merges its tools with the plain ones, and releases it when
 * the run ends, whichever way it ends.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY, lastValueFrom, map, of, timer, toArray, type Observable } from 'rxjs';
import { z } from 'zod';
import { estimateRunCost, execute, graph, isOptionsError, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool, type Tool, type ToolSource, type ToolSourceContext } from '../../src/agents/tool.js';
import { isAgentNodeError, type AgentNodeError } from '../../src/agents/errors.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel, type FakeModel } from './fake-model.js';
import { agentFrames, asAny } from './support.js';

/** A tool answering `name(q)` after `ms` of virtual time. */
function echoTool(name: string, ms = 5): Tool {
  return tool({ name, description: `${name} things`, input: z.object({ q: z.string() }), run: ({ q }, { scheduler }) => timer(ms, scheduler).pipe(map(() => `${name}(${q})`)) }) as Tool;
}

/** What the fake source saw: each lease's take and release (scheduler ms), and the lease's abort reasons. */
interface SourceLog {
  taken: number[];
  released: number[];
  reasons: unknown[];
  schedulers: unknown[];
}

/**
 * A ToolSource that "opens" in `openMs` of virtual time and answers `tools` (or fails with `fail`),
 * logging every lease: when it was taken and when its signal aborted.
 */
function fakeSource(name: string, tools: readonly Tool[], options: { openMs?: number; fail?: unknown; answer?: 'promise' | 'throw' } = {}): ToolSource & { log: SourceLog } {
  const log: SourceLog = { taken: [], released: [], reasons: [], schedulers: [] };
  return {
    name,
    log,
    tools({ signal, scheduler }: ToolSourceContext): Observable<readonly Tool[]> | Promise<readonly Tool[]> {
      log.taken.push(scheduler.now());
      log.schedulers.push(scheduler);
      signal.addEventListener(
        'abort',
        () => {
          log.released.push(scheduler.now());
          log.reasons.push(signal.reason);
        },
        { once: true },
      );
      if (options.answer === 'throw') throw options.fail;
      if (options.answer === 'promise') return Promise.reject(options.fail);
      if (options.fail !== undefined) return timer(options.openMs ?? 0, scheduler).pipe(map(() => { throw options.fail; }));
      return timer(options.openMs ?? 0, scheduler).pipe(map(() => tools));
    },
    close: async () => undefined,
  };
}

type Built = ReturnType<ReturnType<typeof graph>['build']>;

/** Runs a graph (built inside the virtual time) and returns its events. */
function run(model: FakeModel, build: () => Built): RunEvent[] {
  return testScheduler().run(() => record(execute(build(), { model })));
}

const keepError = { fallback: (error: unknown) => error };
const errorOf = (events: RunEvent[], nodeId = 'a') => (asAny(events).find((e) => e.type === 'node.fellBack' && e.nodeId === nodeId) as { value: unknown } | undefined)?.value;

describe('agent({ tools }) with tool sources', () => {
  it('takes the source when the node run starts, calls the model once it answered, merges its tools with the plain ones, and releases it at the end', () => {
    const source = fakeSource('calc', [echoTool('add')], { openMs: 5 });
    const model = fakeModel([{ after: 10, toolUse: [{ name: 'add', input: { q: '1+1' }, id: 'toolu_1' }, { name: 'lookup', input: { q: 'x' }, id: 'toolu_2' }] }, { after: 10, text: 'two' }]);
    const events = run(model, () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [echoTool('lookup'), source], governed: false }) }).build());
    // taken at 0, open at 5: the first call starts at 5; tools at 15-20; answer at 30.
    expect(source.log.taken).toEqual([0]);
    expect(model.startedAt).toEqual([5, 20]);
    expect(agentFrames(events, ['tool.succeeded', 'agent.finished', 'node.succeeded'])).toEqual([
      't=20 tool.succeeded a add toolu_1 5ms',
      't=20 tool.succeeded a lookup toolu_2 5ms',
      't=30 agent.finished a end_turn steps=2 calls=2',
      't=30 node.succeeded a',
    ]);
    // The model reads every tool, plain ones first, on every call.
    for (const request of model.requests) expect(request.tools?.map((t) => t.name)).toEqual(['lookup', 'add']);
    // Released once, when the run ended, with the run's scheduler; the lease's reason says why.
    expect(source.log.released).toEqual([30]);
    expect(source.log.reasons[0]).toMatchObject({ name: 'AbortError', code: 'CANCELLED' });
    expect(String((source.log.reasons[0] as Error).message)).toMatch(/node run ended/);
  });

  it('each node run takes and releases its own lease: two agents on one source, and a node retried', () => {
    const source = fakeSource('calc', [echoTool('add')]);
    const script = (request: { history?: readonly unknown[] }) => (request.history?.length ? { after: 10, text: 'done' } : { after: 10, toolUse: [{ name: 'add', input: { q: '1' } }] });
    const model = fakeModel(script);
    run(model, () => graph().node('a', { run: agent({ prompt: () => 'a', tools: [source], governed: false }) }).node('b', { run: agent({ prompt: () => 'b', tools: [source], governed: false }) }).build());
    expect(source.log.taken).toEqual([0, 0]);
    expect(source.log.released).toEqual([25, 25]);

    // A retried node: every attempt is a node run, with its own lease (the first model call fails,
    // and `callRetry: 0` leaves the retry to the node).
    const flaky = fakeSource('calc', [echoTool('add')]);
    const failingFirst = fakeModel((_, index) => (index === 0 ? (undefined as never) : { after: 10, text: 'ok' }));
    const events = run(failingFirst, () => graph().node('a', { run: agent({ prompt: () => 'a', tools: [flaky], governed: false, callRetry: 0 }), retry: { count: 1, initialDelay: 1, jitter: 0 } }).build());
    const retriedAt = asAny(events).find((e) => e.type === 'node.started' && e.attempt === 2)!.at;
    expect(agentFrames(events, ['node.succeeded'])).toEqual([`t=${retriedAt + 10} node.succeeded a`]);
    expect(flaky.log.taken).toEqual([0, retriedAt]);
    expect(flaky.log.released).toEqual([0, retriedAt + 10]);
  });

  it('a source that fails to open fails the node with its own error, before any model call, and its lease is released', () => {
    const refused = new Error('could not start the server');
    for (const answer of ['observable', 'throw'] as const) {
      const source = fakeSource('calc', [], { fail: refused, openMs: 5, ...(answer === 'throw' ? { answer } : {}) });
      const model = fakeModel([{ text: 'never' }]);
      const events = run(model, () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [source], governed: false }), ...keepError }).build());
      expect(errorOf(events), answer).toBe(refused);
      expect(model.requests, answer).toHaveLength(0);
      expect(source.log.released, answer).toEqual([answer === 'throw' ? 0 : 5]);
      expect(asAny(events).some((e) => e.type === 'agent.finished')).toBe(false);
    }
  });

  it('a source whose tools() Promise rejects fails the node with that error (real time)', async () => {
    const refused = new Error('could not start the server');
    const source = fakeSource('calc', [], { fail: refused, answer: 'promise' });
    const model = fakeModel([{ text: 'never' }]);
    const events = await lastValueFrom(execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [source], governed: false }), ...keepError }).build(), { model }).pipe(toArray()));
    expect(errorOf(events)).toBe(refused);
    expect(model.requests).toHaveLength(0);
    expect(source.log.released).toHaveLength(1);
  });

  it('two tools of one name (a plain one and a source’s, or two sources’) fail the node run with TOOL_NAME_CLASH naming both', () => {
    const first = fakeSource('fs', [echoTool('read')]);
    const second = fakeSource('web', [echoTool('read')]);
    const model = fakeModel([{ text: 'never' }]);
    const events = run(model, () => graph()
        .node('a', { run: agent({ prompt: () => 'x', tools: [echoTool('read'), first], governed: false }), ...keepError })
        .node('b', { run: agent({ prompt: () => 'x', tools: [first, second], governed: false }), ...keepError }).build());
    const a = errorOf(events, 'a') as AgentNodeError;
    expect(isAgentNodeError(a) && a.code).toBe('TOOL_NAME_CLASH');
    expect(a.message).toBe(
      "node 'a': two tools are named 'read': the tool 'read' of agent({ tools }) and the tool 'read' of the tool source 'fs'; the model could not tell them apart (rename one, e.g. mcpTools({ prefix: true }))",
    );
    expect(a.details.tool).toBe('read');
    const b = errorOf(events, 'b') as AgentNodeError;
    expect(b.code).toBe('TOOL_NAME_CLASH');
    expect(b.message).toContain("the tool 'read' of the tool source 'fs' and the tool 'read' of the tool source 'web'");
    expect(model.requests).toHaveLength(0);
    expect([first.log.released, second.log.released]).toEqual([[0, 0], [0]]);
  });

  it('a source answering no list, a non-tool or nothing fails with TOOL_SOURCE_INVALID; an empty list is fine', () => {
    const sourceOf = (name: string, answer: Observable<unknown>): ToolSource => ({ name, tools: () => answer as Observable<readonly Tool[]>, close: async () => undefined });
    const empty = fakeSource('empty', []);
    const model = fakeModel([{ text: 'ok' }]);
    const events = run(model, () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [empty], governed: false }) }).build());
    expect(agentFrames(events, ['node.succeeded'])).toEqual(['t=10 node.succeeded a']);
    expect(model.requests[0]!.tools).toBeUndefined();

    const cases: [ToolSource, string][] = [
      [sourceOf('number', of(1)), "node 'a': the tool source 'number' answered number, not a list of tools"],
      [sourceOf('odd', of([{ name: 'x' }])), "node 'a': the tool source 'odd' answered object as its tool #1, not a tool"],
      [sourceOf('none', EMPTY), "node 'a': the tool source 'none' completed without answering its tools"],
    ];
    for (const [source, message] of cases) {
      const bad = run(fakeModel([{ text: 'never' }]), () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [source], governed: false }), ...keepError }).build());
      expect(errorOf(bad)).toMatchObject({ name: 'AgentNodeError', code: 'TOOL_SOURCE_INVALID', message });
    }
  });

  it('cancellation releases the lease: the node timeout while the source opens, during a tool call, and the run unsubscribed', () => {
    const opening = fakeSource('slow', [echoTool('add')], { openMs: 100 });
    const model = fakeModel([{ text: 'never' }]);
    const events = run(model, () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [opening], governed: false }), timeout: 30 }).build());
    expect(agentFrames(events, ['node.timedOut'])).toEqual(['t=30 node.timedOut a']);
    expect([opening.log.taken, opening.log.released, model.requests.length]).toEqual([[0], [30], 0]);

    const busy = fakeSource('calc', [echoTool('add', 100)]);
    const calling = fakeModel([{ after: 10, toolUse: [{ name: 'add', input: { q: '1' } }] }]);
    run(calling, () => graph().node('a', { run: agent({ prompt: () => 'x', tools: [busy], governed: false }), timeout: 50 }).build());
    expect(busy.log.released).toEqual([50]);

    const unsubscribed = fakeSource('calc', [echoTool('add', 100)]);
    testScheduler().run(() => {
      const subscription = execute(graph().node('a', { run: agent({ prompt: () => 'x', tools: [unsubscribed], governed: false }) }).build(), {
        model: fakeModel([{ after: 10, toolUse: [{ name: 'add', input: { q: '1' } }] }]),
      }).subscribe();
      timer(20).subscribe(() => subscription.unsubscribe());
    });
    expect(unsubscribed.log.released).toEqual([20]);
  });

  it('refuses a source listed twice; the estimate counts maxSteps calls for an agent with only sources, without their unknown definitions', () => {
    const source = fakeSource('calc', [echoTool('add')]);
    const error = (() => {
      try {
        agent({ prompt: () => 'x', tools: [source, source] });
      } catch (e) {
        return e;
      }
    })();
    expect(isOptionsError(error) && error.message).toBe("agent: 'tools[1]' is the tool source 'calc' again: list each source once");
    const g = graph()
      .node('sourced', { run: agent({ prompt: () => 'x', tools: [source], maxSteps: 4, maxTokens: 100, estimatedToolResultTokens: 0, model: 'claude-haiku-4-5' }) })
      .node('bare', { run: agent({ prompt: () => 'x', maxSteps: 4, maxTokens: 100, model: 'claude-haiku-4-5' }) })
      .build();
    const byNode = Object.fromEntries(estimateRunCost(g.nodes).byNode.map((n) => [n.nodeId, n]));
    expect(byNode.sourced).toMatchObject({ calls: 4 });
    expect(byNode.bare).toMatchObject({ calls: 1 });
    // Nothing of the source's tools in the first call's input: 100 (prompt allowance), growing by 100 a step.
    expect(byNode.sourced!.inputTokens).toBe(4 * Math.ceil(100 + (3 * 100) / 2));
    expect(source.log.taken).toEqual([]); // estimating never opens a source
  });
});

