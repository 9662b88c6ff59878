import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import type { AgentResult } from 'rx-orchestra/patterns';
import { DEMO_FEATURE, planFeature, runCodeTeam, type CodeTeamEvent } from '../../examples/code-team-setup.js';

/** Runs the demo in virtual time, with its printed lines. */
async function runVirtually(seed = 1) {
  const scheduler = new VirtualTimeScheduler();
  const lines: string[] = [];
  const result = runCodeTeam({ scheduler, seed, write: (line) => lines.push(line) });
  scheduler.flush();
  return { ...(await result), lines };
}

const resultsOf = (log: CodeTeamEvent[]) =>
  log.flatMap((e) => (e.topic === 'task.completed' ? [e.payload.result as AgentResult<string>] : []));

describe('examples/code-team (seed 001)', () => {
  it('runs spec → architect → coders → tests → review to success over the bus', async () => {
    const { completed, log } = await runVirtually();
    expect(completed.payload).toMatchObject({ status: 'succeeded', counts: { succeeded: 6 }, failed: [] });
    expect(resultsOf(log).map((r) => `${r.taskId} ${r.agent}`)).toEqual([
      'spec spec-agent@1.0.0',
      'design architect-agent@1.0.0',
      'code-api coder-agent@1.0.0',
      'code-storage coder-agent@1.0.0',
      'tests test-agent@1.0.0',
      'review reviewer-agent@1.0.0',
    ]);
    expect(resultsOf(log).find((r) => r.taskId === 'review')?.output).toMatch(/^LGTM/);
  });

  it('starts from the developer request and ends with the workflow, every step tied to the feature', async () => {
    const { log } = await runVirtually();
    expect(log[0]).toMatchObject({ topic: 'feature.requested', source: 'developer', correlationId: DEMO_FEATURE.id, at: 0 });
    expect(log.at(-1)).toMatchObject({ topic: 'workflow.completed', correlationId: DEMO_FEATURE.id });
    const workflowEvents = log.filter((e) => e.topic !== 'pool.event');
    expect(new Set(workflowEvents.map((e) => e.correlationId))).toEqual(new Set([DEMO_FEATURE.id]));
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1)); // nothing evicted, in order
  });

  it('runs the two coding tasks in parallel on two pool instances, and the chain back to back', async () => {
    const { log, completed } = await runVirtually();
    const started = log.flatMap((e) => (e.topic === 'pool.event' && e.payload.type === 'started' ? [e.payload] : []));
    expect(started.map((e) => `${e.taskId} #${e.instance} waited ${e.waitMs}`)).toEqual(['code-api #0 waited 0', 'code-storage #1 waited 0']);
    const results = new Map(resultsOf(log).map((r) => [r.taskId, r]));
    const design = results.get('design')!;
    const [api, storage] = [results.get('code-api')!, results.get('code-storage')!];
    expect(api.startedAt).toBe(design.startedAt + design.durationMs);
    expect(storage.startedAt).toBe(api.startedAt);
    // makespan: the critical path, each step starting the moment the previous ends
    const path = ['spec', 'design', 'tests', 'review'].reduce((sum, id) => sum + results.get(id)!.durationMs, 0) + Math.max(api.durationMs, storage.durationMs);
    expect(completed.payload.makespanMs).toBe(path);
    expect(completed.payload.tokensUsed).toBe(resultsOf(log).reduce((sum, r) => sum + r.tokensUsed, 0));
  });

  it('prints each completed task as it happens, then the bus log', async () => {
    const { lines, log } = await runVirtually();
    expect(lines.slice(0, 6)).toEqual(planFeature(DEMO_FEATURE).map((t) => expect.stringContaining(`✓ ${t.id} `)));
    expect(lines[6]).toBe(`\nBus log (${log.length} events, 0 evicted):`);
    expect(lines.slice(7)).toHaveLength(log.length);
    expect(lines.at(-1)).toMatch(/#\d+\s+workflow\.completed\s+feat-42\s+succeeded, 6 tasks ok/);
  });

  it('replays the same timings for the same seed', async () => {
    const first = await runVirtually(3);
    const second = await runVirtually(3);
    expect(second.lines).toEqual(first.lines);
  });
});
