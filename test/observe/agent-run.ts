/**
 * One agent run in virtual time, shared by the observe, CLI and dashboard tests: node `scout`
 * (agent `explorer`) thinks, calls `lookup` (5 ms) and `grep` (fails after 3 ms) in parallel at step
 * 1, `lookup` again (7 ms) at step 2, and answers at step 3; node `plain` is no agent.
 */
import { map, throwError, timer } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import { z } from 'zod';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import { fakeModel } from '../agents/fake-model.js';
import { record, testScheduler, work } from '../run/virtual-run.js';

export function agentRun(): RunEvent[] {
  return testScheduler().run(() => {
    let lookups = 0;
    const lookup = tool({
      name: 'lookup',
      description: 'Looks a word up',
      input: z.object({ q: z.string() }),
      run: ({ q }, { scheduler }) => timer(++lookups === 1 ? 5 : 7, scheduler).pipe(map(() => `found ${q}`)),
    });
    const grep = tool({
      name: 'grep',
      description: 'Searches the code',
      input: z.object({ pattern: z.string() }),
      run: (_input, { scheduler }) => timer(3, scheduler).pipe(mergeMap(() => throwError(() => new Error('grep: no such file')))),
    });
    const model = fakeModel(
      [
        { after: 10, thinking: 'Let me look.', toolUse: [{ name: 'lookup', input: { q: 'rxjs' }, id: 'toolu_1' }, { name: 'grep', input: { pattern: 'x' }, id: 'toolu_2' }], usage: { inputTokens: 100, outputTokens: 20 } },
        { after: 10, toolUse: [{ name: 'lookup', input: { q: 'zod' }, id: 'toolu_3' }], usage: { inputTokens: 150, outputTokens: 15 } },
        { after: 10, text: 'done', usage: { inputTokens: 200, outputTokens: 5 } },
      ],
      { model: 'claude-sonnet-4-5' },
    );
    const g = graph()
      .node('scout', { run: agent({ prompt: () => 'explore', tools: [lookup, grep] }), meta: { agent: 'explorer' } })
      .node('plain', { run: () => work(4, 1) })
      .build();
    return record(execute(g, { runId: 'agent-7', model }));
  });
}
