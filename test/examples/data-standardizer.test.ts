import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler, tap } from 'rxjs';
import { collect, execute, hasValue, type RunEvent } from 'rx-orchestra';
import { routingStats, supervisorTimeline, type SupervisorResult } from 'rx-orchestra/patterns';
import { buildDataStandardizer, POST_PROCESSING_MS, WORKERS, type DataStandardizerOptions } from '../../examples/data-standardizer-graph.js';

/** Runs the example's graph in virtual time: one scheduler for the models, the workers and the executor. */
async function runVirtually(options: DataStandardizerOptions = {}) {
  const scheduler = new VirtualTimeScheduler();
  const events: RunEvent[] = [];
  const done = collect(execute(buildDataStandardizer({ ...options, scheduler }), { scheduler, runId: 'virtual' }).pipe(tap((e) => events.push(e))));
  scheduler.flush();
  const { outcomes, summary } = await done;
  const outcome = outcomes.standardize;
  if (!hasValue(outcome)) throw new Error(`standardize ended ${outcome?.status}`);
  return { result: outcome.value as SupervisorResult, summary, events }; // tap drops the run's output types
}

const workersRun = (result: SupervisorResult) => result.trace.flatMap((t) => (t.worker ? [t.worker.name] : []));

describe('examples/data-standardizer (seed 004)', () => {
  it('routes recommender → post_processor → auditor → FINISH with the LLM router, 4 routing calls', async () => {
    const { result, summary, events } = await runVirtually();
    expect(workersRun(result)).toEqual([...WORKERS]);
    expect(result).toMatchObject({ supervisor: 'data-standardizer', reason: 'FINISH', turns: 3, routingCalls: 4 });
    expect(result.trace.at(-1)).toMatchObject({ next: 'FINISH', rationale: 'the answer is complete' });
    expect(summary.status).toBe('succeeded');
    // 4 routing calls + the recommender's and the auditor's model calls; the post-processor is local code
    expect(summary.usage.total.calls).toBe(6);
    const lines = supervisorTimeline(events, { rationale: false }).map((line) => line.replace(/^t=\d+ /, '').replace(/ \d+ms$/, ''));
    expect(lines).toEqual([
      'data-standardizer #1 → recommender',
      'data-standardizer #1 ▶ recommender',
      'data-standardizer #1 ✓ recommender',
      'data-standardizer #2 → post_processor',
      'data-standardizer #2 ▶ post_processor',
      'data-standardizer #2 ✓ post_processor',
      'data-standardizer #3 → auditor',
      'data-standardizer #3 ▶ auditor',
      'data-standardizer #3 ✓ auditor',
      'data-standardizer #4 → FINISH',
      'data-standardizer ■ FINISH turns=3 routingCalls=4',
    ]);
  });

  it('hands the recommender\'s structured output to the post-processor, whose table the auditor checks', async () => {
    const { result } = await runVirtually();
    const [, recommendation, table, audit] = result.messages;
    expect(recommendation).toMatchObject({ name: 'recommender', payload: { physicalName: 'PT_ID', domains: ['clinical encounter', 'patient info'] } });
    expect(table!.content.split('\n').slice(2)).toEqual([
      '| patient identifier | PT_ID | patient info | 1 |', // sorted by domain priority
      '| patient identifier | PT_ID | clinical encounter | 2 |',
    ]);
    expect(audit!.content).toMatch(/^Domain priority verified/);
    expect(result.output).toBe(audit!.content);
  });

  it('times every agent per turn, with the seed\'s latencies (routing ~0.3 s, audit ~1.8 s)', async () => {
    const { events, result, summary } = await runVirtually();
    const { bySupervisor, agents, timings } = routingStats(events);
    expect(bySupervisor['data-standardizer']).toMatchObject({ requests: 1, routingCalls: 4, routingCallsPerRequest: 4, choices: { recommender: 1, post_processor: 1, auditor: 1, FINISH: 1 } });
    expect(timings.map((t) => `${t.turn} ${t.agent}`)).toEqual(['1 supervisor', '1 recommender', '2 supervisor', '2 post_processor', '3 supervisor', '3 auditor', '4 supervisor']);
    const agent = (name: string) => agents.find((a) => a.agent === name)!;
    expect(agent('post_processor').meanMs).toBe(POST_PROCESSING_MS);
    expect(agent('supervisor').meanMs).toBeGreaterThan(200);
    expect(agent('supervisor').meanMs).toBeLessThan(500);
    expect(agent('auditor').meanMs).toBeGreaterThan(1400); // the bottleneck the seed's dashboard should find
    expect(Math.max(...agents.map((a) => a.meanMs))).toBe(agent('auditor').meanMs);
    // routing and workers back to back: the makespan is their sum
    expect(timings.reduce((sum, t) => sum + t.ms, 0)).toBe(summary.makespanMs);
    expect(result.trace.reduce((sum, t) => sum + t.routingMs, 0)).toBe(agent('supervisor').totalMs);
  });

  it("gives the same route with the seed's static if/else, minus the routing calls' time and cost", async () => {
    const llm = await runVirtually();
    const rules = await runVirtually({ router: 'static' });
    expect(workersRun(rules.result)).toEqual([...WORKERS]);
    expect(rules.result).toMatchObject({ reason: 'FINISH', routingCalls: 4 });
    expect(rules.summary.usage.total.calls).toBe(2);
    const routingMs = llm.result.trace.reduce((sum, t) => sum + t.routingMs, 0);
    expect(rules.summary.makespanMs).toBe(llm.summary.makespanMs - routingMs); // same seeded worker latencies
  });

  it('skips the post-processor and the auditor when no table is asked for (the LLM router decides)', async () => {
    const { result } = await runVirtually({ question: 'What is the standard abbreviation for the patient identifier column?' });
    expect(workersRun(result)).toEqual(['recommender']);
    expect(result).toMatchObject({ reason: 'FINISH', routingCalls: 2 });
  });
});
