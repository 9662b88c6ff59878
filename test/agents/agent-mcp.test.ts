/**
 * agent() with mcpTools() end to end: a real MCP server process over stdio (test/mcp/fixtures), an
 * agent driven by scriptedModel that calls its tools, and the connection's lifetime following the
 * node run: closed (the process gone) once the run ended, and once it was cancelled mid-call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import type { ChatTurn } from '../../src/models/model.js';
import { mcpTools, type McpToolset } from '../../src/mcp/index.js';
import { scriptedModel } from '../../src/testing/scripted-model.js';
import { exited, marker, markerDir, stdioOptions } from '../mcp/support.js';
import { agentFrames, asAny, expectValidAgentEvents } from './support.js';

const opened: McpToolset[] = [];
afterAll(async () => {
  await Promise.all(opened.map((toolset) => toolset.close()));
});

/** The test server over stdio, closing 50 ms after its last user left. */
function calcServer(markers: string): McpToolset {
  const toolset = mcpTools({ ...stdioOptions(markers), keepAlive: 50 });
  opened.push(toolset);
  return toolset;
}

const closed = (toolset: McpToolset) => vi.waitFor(() => expect(toolset.status).toBe('closed'), { timeout: 20_000, interval: 10 });

describe('agent() with mcpTools() over stdio', () => {
  it("calls the server's tools in a loop; the connection closes once the run ended", async () => {
    const calc = calcServer(markerDir());
    const model = scriptedModel([
      {
        toolUse: [
          { name: 'add', input: { a: 2, b: 3 } },
          { name: 'pid', input: {} },
        ],
      },
      { toolUse: [{ name: 'add', input: { a: 'two' } }] }, // invalid input: checked against the server's schema
      { text: '2 + 3 = 5' },
    ]);
    const g = graph()
      .node('calc', { run: agent({ system: 'You add numbers.', prompt: () => 'What is 2 + 3?', tools: [calc], maxSteps: 4 }) })
      .build();
    const events: RunEvent[] = await lastValueFrom(execute(g, { model }).pipe(toArray()));

    expect(agentFrames(events, ['tool.called', 'tool.succeeded', 'tool.failed', 'agent.finished', 'node.succeeded']).map((frame) => frame.replace(/^t=\d+ /, '').replace(/ \d+ms/, ''))).toEqual([
      'tool.called calc add toolu_1',
      'tool.called calc pid toolu_2',
      expect.stringMatching(/^tool\.succeeded calc (add toolu_1|pid toolu_2)$/),
      expect.stringMatching(/^tool\.succeeded calc (add toolu_1|pid toolu_2)$/),
      'tool.called calc add toolu_3',
      'tool.failed calc add toolu_3 INVALID_INPUT reported',
      'agent.finished calc end_turn steps=3 calls=3',
      'node.succeeded calc',
    ]);
    expectValidAgentEvents(events);
    expect(asAny(events).find((e) => e.type === 'node.succeeded')).toMatchObject({ value: '2 + 3 = 5' });
    // The model read the server's tools (name, description, JSON Schema) on every call, and their results.
    for (const call of model.calls) expect(call.request.tools?.map((t) => t.name)).toEqual(['add', 'echo', 'slow', 'fail', 'pid']);
    expect(model.calls[0]!.request.tools![0]).toEqual({ name: 'add', description: 'Adds two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } });
    const transcript = asAny(events).find((e) => e.type === 'agent.finished')!.transcript as ChatTurn[];
    const results = transcript[2]!.content as { type: string; toolUseId: string; content: string }[];
    expect(results[0]).toEqual({ type: 'tool_result', toolUseId: 'toolu_1', content: '5' });
    const pid = Number(results[1]!.content);
    expect(pid).toBeGreaterThan(0);
    expect(transcript[4]!.content).toEqual([expect.objectContaining({ type: 'tool_result', toolUseId: 'toolu_3', isError: true, content: expect.stringContaining('a: must be number') })]);

    // The run ended: the node released the toolset, which closes after keepAlive; the process exits.
    expect(calc.users).toBe(0);
    await closed(calc);
    await exited(pid);
  });

  it('a cancelled run aborts the tool call on the server and closes the connection', async () => {
    const markers = markerDir();
    const calc = calcServer(markers);
    const model = scriptedModel([{ toolUse: [{ name: 'slow', input: { ms: 60_000, tag: 'agent' } }] }, { text: 'never' }]);
    const g = graph().node('calc', { run: agent({ prompt: () => 'wait a minute', tools: [calc] }) }).build();
    const events: RunEvent[] = [];
    const subscription = execute(g, { model }).subscribe((event) => events.push(event));
    await marker(markers, 'slow-started-agent');
    const pid = Number(readFileSync(join(markers, 'slow-started-agent'), 'utf8'));
    expect(calc.users).toBe(1);

    subscription.unsubscribe();
    await marker(markers, 'slow-cancelled-agent'); // the server was told to stop the call
    expect(calc.users).toBe(0);
    await closed(calc);
    await exited(pid);
    expect(model.calls).toHaveLength(1);
    expect(events.some((e) => e.type === 'run.completed')).toBe(false);
  });

  it('a server that cannot start fails the node with its CONNECT_FAILED error, before any model call', async () => {
    const calc = mcpTools({ ...stdioOptions(markerDir(), { FAIL_AT_START: '1' }), keepAlive: 0 });
    opened.push(calc);
    const model = scriptedModel([{ text: 'never' }]);
    const g = graph().node('calc', { run: agent({ prompt: () => 'x', tools: [calc] }), fallback: (error: unknown) => error }).build();
    const events: RunEvent[] = await lastValueFrom(execute(g, { model }).pipe(toArray()));
    const error = (asAny(events).find((e) => e.type === 'node.fellBack') as unknown as { value: unknown }).value;
    expect(error).toMatchObject({ name: 'McpError', code: 'CONNECT_FAILED', server: 'calc' });
    expect((error as Error).message).toContain('config error: no API key');
    expect(model.calls).toHaveLength(0);
    expect(calc.status).toBe('closed');
    expect(calc.users).toBe(0);
  });
});
