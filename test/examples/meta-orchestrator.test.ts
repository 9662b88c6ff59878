import { describe, expect, it } from 'vitest';
import { VirtualTimeScheduler, tap } from 'rxjs';
import { collect, execute, type RunEvent } from 'rx-orchestra';
import { seededRandom } from 'rx-orchestra';
import { buildMetaOrchestrator, SUB_AGENT_IDS } from '../../examples/meta-orchestrator-graph.js';

/** Runs the demo's graph in virtual time: one scheduler for the models and the executor. */
async function runVirtually(concurrency: number, seed = 28, failureRate?: number) {
  const scheduler = new VirtualTimeScheduler();
  const events: RunEvent[] = [];
  const run$ = execute(buildMetaOrchestrator({ seed, scheduler, ...(failureRate !== undefined ? { failureRate } : {}) }), { concurrency, scheduler, random: seededRandom(seed), runId: `virtual-${concurrency}` });
  const result = collect(run$.pipe(tap((event) => events.push(event))));
  scheduler.flush();
  const { outcomes, summary } = await result;
  const latencyOf = (id: string) => {
    const outcome = outcomes[id];
    if (outcome?.status !== 'succeeded') throw new Error(`${id} did not succeed: ${outcome?.status}`);
    return outcome.durationMs; // one attempt: the model's latency
  };
  return { outcomes, summary, events, subAgentLatencies: SUB_AGENT_IDS.map(latencyOf), synthesisLatency: latencyOf('synthesize') };
}

describe('examples/meta-orchestrator (seed 002)', () => {
  it('runs all seven nodes to success, sequentially and in parallel', async () => {
    for (const concurrency of [1, 6]) {
      const { summary, outcomes } = await runVirtually(concurrency);
      expect(summary.status).toBe('succeeded');
      expect(summary.counts.succeeded).toBe(7);
      expect(Object.keys(outcomes).sort()).toEqual([...SUB_AGENT_IDS, 'synthesize'].sort());
    }
  });

  it('takes the sum of the sub-agent latencies plus synthesis when sequential', async () => {
    const { summary, subAgentLatencies, synthesisLatency } = await runVirtually(1);
    const sum = subAgentLatencies.reduce((a, b) => a + b, 0);
    expect(summary.makespanMs).toBe(sum + synthesisLatency);
    expect(subAgentLatencies.every((ms) => ms >= 800 && ms <= 2000)).toBe(true);
  });

  it('takes the slowest sub-agent plus synthesis when parallel', async () => {
    const { summary, subAgentLatencies, synthesisLatency } = await runVirtually(6);
    expect(summary.makespanMs).toBe(Math.max(...subAgentLatencies) + synthesisLatency);
  });

  it('replays the same draws in both modes; over 20 seeds without faults, parallel cuts latency by 70 % or more', async () => {
    const sequential = await runVirtually(1);
    const parallel = await runVirtually(6);
    expect(parallel.subAgentLatencies).toEqual(sequential.subAgentLatencies);
    const reductions: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const [seq, par] = [await runVirtually(1, seed, 0), await runVirtually(6, seed, 0)];
      reductions.push(1 - par.summary.makespanMs / seq.summary.makespanMs);
    }
    // Six independent ~1.1-1.5 s agents plus a ~0.4 s synthesis: at best 1 - (max + s) / (sum + s).
    expect(Math.min(...reductions)).toBeGreaterThanOrEqual(0.7);
  });

  it('recovers an injected transient 529 with a retry (seed 5), at the cost of the critical path', async () => {
    const { summary, events, subAgentLatencies, synthesisLatency, outcomes } = await runVirtually(6, 5);
    expect(summary).toMatchObject({ status: 'succeeded', retries: 1, attempts: 8 });
    const retry = events.find((event) => event.type === 'node.retrying');
    expect(retry).toMatchObject({ nodeId: 'context_summary', attempt: 1, error: { code: 'OVERLOADED', retryable: true } });
    const retried = outcomes.context_summary!;
    expect(retried).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(summary.makespanMs).toBe(('durationMs' in retried ? retried.durationMs : NaN) + synthesisLatency);
    // the retry (failed attempt + backoff + second attempt) made context_summary the slowest sub-agent
    expect(Math.max(...subAgentLatencies)).toBe('durationMs' in retried ? retried.durationMs : NaN);
  });
});
