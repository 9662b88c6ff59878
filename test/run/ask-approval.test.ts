import { describe, expect, it } from 'vitest';
import { timer, map } from 'rxjs';
import { z } from 'zod';
import { agent, execute, graph, tool, type RunEvent } from 'rx-orchestra';
import { eventTimeline, scriptedModel } from 'rx-orchestra/testing';
import { record, testScheduler } from './virtual-run.js';

describe('asking a person while a node runs (waitForApproval), and tools that need approval', () => {
  it('a running node waits for a decision, holding its slot, and goes on with it', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('deploy', {
          run: ({ waitForApproval }) => waitForApproval!({ action: 'deploy v2' }).pipe(map((d) => (d.approve ? `deployed by ${d.by}` : 'held'))),
          timeout: false,
        })
        .build();
      const run$ = execute(g);
      const events = record(run$);
      timer(30).subscribe(() => run$.decide('deploy', { approve: true, by: 'ops' }));
      flush();
      expect(eventTimeline(events, { only: ['node.started', 'node.waiting', 'node.decided', 'node.succeeded'] })).toEqual([
        't=0 node.started deploy #1',
        't=0 node.waiting deploy',
        't=30 node.decided deploy',
        't=30 node.succeeded deploy',
      ]);
      expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'deployed by ops' });
    });
  });

  it('past its timeout the request gets a rejection with the reason', () => {
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('n', { run: ({ waitForApproval }) => waitForApproval!('ok?', { timeout: 50 }).pipe(map((d) => `${d.approve} ${d.reason}`)), timeout: false })
        .build();
      const events = record(execute(g));
      flush();
      expect(events.find((e) => e.type === 'node.decided')).toMatchObject({ at: 50, approve: false, by: 'timeout' });
      expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 'false no decision within 50 ms' });
    });
  });

  it("a tool with `approve: true` asks before each call; a rejection reaches the model as the refusal's reason", () => {
    testScheduler().run(({ flush }) => {
      const calls: string[] = [];
      const remove = tool({
        name: 'delete_file',
        description: 'Deletes a file',
        input: z.object({ path: z.string() }),
        approve: true,
        run: ({ path }) => (calls.push(path), [`deleted ${path}`]),
      });
      const model = scriptedModel([
        { toolUse: [{ name: 'delete_file', input: { path: 'a.txt' } }] },
        { toolUse: [{ name: 'delete_file', input: { path: 'b.txt' } }] },
        { text: 'done' },
      ]);
      const g = graph().node('janitor', { run: agent({ tools: [remove], prompt: () => 'clean up', governed: false }) }).build();
      const run$ = execute(g, { model });
      const events: RunEvent[] = record(run$);
      timer(10).subscribe(() => run$.decide('janitor', { approve: true, by: 'ana' }));
      timer(20).subscribe(() => run$.decide('janitor', { approve: false, reason: 'b.txt is still needed', by: 'ana' }));
      flush();
      expect(calls).toEqual(['a.txt']);
      const waits = events.filter((e) => e.type === 'node.waiting');
      expect(waits.map((e) => (e as { payload: unknown }).payload)).toEqual([
        { tool: 'delete_file', input: { path: 'a.txt' }, toolUseId: expect.any(String) },
        { tool: 'delete_file', input: { path: 'b.txt' }, toolUseId: expect.any(String) },
      ]);
      expect(events.filter((e) => e.type === 'tool.failed')).toMatchObject([{ tool: 'delete_file', handling: expect.any(String), error: { message: expect.stringContaining('b.txt is still needed') } }]);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });
});
