import type { RunEvent } from '../run/events.js';
import { percentile } from './percentile.js';
import { idRecord } from '../run/id-record.js';
import { RunState, type CallTally, type ToolTally } from '../run/run-state.js';

/** Figures for one agent or one node. */
export interface CallStats {
  /** Attempts made (first tries and retries). */
  calls: number;
  /** Node executions that ended with a value (succeeded or fell back). */
  succeeded: number;
  failures: number;
  retries: number;
  fellBack: number;
  /** Node durations in ms (all attempts included). */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Figures for one tool (by name), over every agent node that called it. */
export interface ToolStats {
  /** Calls started (`tool.called`). */
  calls: number;
  /** Calls that failed, timed out, were refused or had invalid input (`tool.failed`). */
  failures: number;
  /** Durations in ms of the calls that ended (succeeded or failed). */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** Seed 004's questions, answered from one run's (or many runs') events. */
export interface RunMetrics {
  byAgent: Record<string, CallStats>;
  byNode: Record<string, CallStats>;
  /** Per tool called by agent nodes: calls, failures, p50/p95 durations. */
  tools: Record<string, ToolStats>;
  /** The agent with the highest p95 duration. */
  slowestAgent: string | undefined;
  /** The agent with the most calls. */
  mostCalledAgent: string | undefined;
  /** Routing calls per supervised request (`supervisor.finished`), on average. */
  routingCallsPerRequest: number | undefined;
  /** Failures that did not fail the work: a fallback answered, or a supervisor routed to another worker next. */
  routedAround: { nodeId: string; agent: string; how: 'fallback' | 'rerouted'; error: string }[];
}

/**
 * Per-agent and per-node metrics from run events (calls, p50/p95 latency, failures, retries,
 * tokens, cost), per-tool figures of agent nodes (calls, failures, p50/p95 durations) and seed 004's questions in one call: slowest agent, most-called agent, routing
 * calls per request, and which failures were routed around. An agent is a node's `meta.agent`
 * (else its id); supervisor workers count as agents too.
 *
 * ## Example
 * ```ts
 * import { runMetrics } from 'rx-orchestra/observe';
 * const events = await lastValueFrom(execute(g).pipe(toArray()));
 * const { slowestAgent, byAgent } = runMetrics(events);
 * ```
 */
export function runMetrics(events: Iterable<RunEvent>): RunMetrics {
  const run = new RunState({ acrossRuns: true, tallies: { agentsFrom: 'use', byNode: true, tools: true } });
  for (const event of events) if (event.type !== 'run.snapshot') run.apply(event); // a snapshot tells states, not calls
  const stats = (map: ReadonlyMap<string, CallTally>) => idRecord([...map].map(([key, t]) => [key, statsOf(t)] as const));
  const agentStats = stats(run.agents);
  const pick = (score: (s: CallStats) => number) =>
    Object.entries(agentStats).reduce<[string | undefined, number]>((best, [name, s]) => (score(s) > best[1] ? [name, score(s)] : best), [undefined, -Infinity])[0];
  const { requests, calls } = run.routing;
  return {
    byAgent: agentStats,
    byNode: stats(run.byNode),
    tools: idRecord([...run.tools].map(([name, t]) => [name, toolStatsOf(t)] as const)),
    slowestAgent: pick((s) => (Number.isNaN(s.p95Ms) ? -Infinity : s.p95Ms)),
    mostCalledAgent: pick((s) => s.calls),
    routingCallsPerRequest: requests > 0 ? calls / requests : undefined,
    routedAround: run.routedAround,
  };
}

function statsOf(t: CallTally): CallStats {
  return {
    calls: t.calls,
    succeeded: t.succeeded,
    failures: t.failures,
    retries: t.retries,
    fellBack: t.fellBack,
    p50Ms: percentile(t.durations, 50),
    p95Ms: percentile(t.durations, 95),
    maxMs: t.durations.length ? Math.max(...t.durations) : Number.NaN,
    inputTokens: t.inputTokens,
    outputTokens: t.outputTokens,
    costUsd: t.costUsd,
  };
}

function toolStatsOf(t: ToolTally): ToolStats {
  return {
    calls: t.calls,
    failures: t.failures,
    p50Ms: percentile(t.durations, 50),
    p95Ms: percentile(t.durations, 95),
    maxMs: t.durations.length ? Math.max(...t.durations) : Number.NaN,
  };
}
