import type { RunEvent } from '../run/events.js';
import { percentile } from './percentile.js';
import { idRecord } from '../run/id-record.js';

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

/** Seed 004's questions, answered from one run's (or many runs') events. */
export interface RunMetrics {
  byAgent: Record<string, CallStats>;
  byNode: Record<string, CallStats>;
  /** The agent with the highest p95 duration. */
  slowestAgent: string | undefined;
  /** The agent with the most calls. */
  mostCalledAgent: string | undefined;
  /** Routing calls per supervised request (`supervisor.finished`), on average. */
  routingCallsPerRequest: number | undefined;
  /** Failures that did not fail the work: a fallback answered, or a supervisor routed to another worker next. */
  routedAround: { nodeId: string; agent: string; how: 'fallback' | 'rerouted'; error: string }[];
}

interface Tally {
  calls: number;
  succeeded: number;
  failures: number;
  retries: number;
  fellBack: number;
  durations: number[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

const tally = (): Tally => ({ calls: 0, succeeded: 0, failures: 0, retries: 0, fellBack: 0, durations: [], inputTokens: 0, outputTokens: 0, costUsd: 0 });

/**
 * Per-agent and per-node metrics from run events (calls, p50/p95 latency, failures, retries,
 * tokens, cost) and seed 004's questions in one call: slowest agent, most-called agent, routing
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
  const agents = new Map<string, string>();
  const byAgent = new Map<string, Tally>();
  const byNode = new Map<string, Tally>();
  const routedAround: RunMetrics['routedAround'] = [];
  const failedWorkers = new Map<string, { worker: string; error: string }>();
  let requests = 0;
  let routingCalls = 0;
  const both = (nodeId: string, agent: string, change: (t: Tally) => void) => {
    for (const [map, key] of [[byNode, nodeId], [byAgent, agent]] as const) {
      let t = map.get(key);
      if (!t) map.set(key, (t = tally()));
      change(t);
    }
  };
  for (const event of events) {
    if (event.type === 'run.started') {
      for (const node of event.nodes) agents.set(node.id, typeof node.meta?.agent === 'string' ? node.meta.agent : node.id);
      continue;
    }
    if (!('nodeId' in event)) continue;
    const agent = agents.get(event.nodeId) ?? event.nodeId;
    switch (event.type) {
      case 'node.started':
        both(event.nodeId, agent, (t) => (t.calls += 1));
        break;
      case 'node.retrying':
        both(event.nodeId, agent, (t) => (t.retries += 1));
        break;
      case 'node.succeeded':
        both(event.nodeId, agent, (t) => ((t.succeeded += 1), t.durations.push(event.durationMs)));
        break;
      case 'node.fellBack':
        both(event.nodeId, agent, (t) => ((t.succeeded += 1), (t.fellBack += 1), t.durations.push(event.durationMs)));
        routedAround.push({ nodeId: event.nodeId, agent, how: 'fallback', error: event.error.message });
        break;
      case 'node.failed':
      case 'node.timedOut':
        both(event.nodeId, agent, (t) => ((t.failures += 1), t.durations.push(event.durationMs)));
        break;
      case 'node.usage':
        both(event.nodeId, agent, (t) => ((t.inputTokens += event.usage.inputTokens), (t.outputTokens += event.usage.outputTokens), (t.costUsd += event.costUsd)));
        break;
      case 'supervisor.worker': {
        const workerAgent = event.worker;
        if (event.status === 'started') both(`${event.supervisor}/${event.worker}`, workerAgent, (t) => (t.calls += 1));
        else if (event.status === 'succeeded') both(`${event.supervisor}/${event.worker}`, workerAgent, (t) => ((t.succeeded += 1), t.durations.push(event.durationMs ?? 0)));
        else {
          both(`${event.supervisor}/${event.worker}`, workerAgent, (t) => ((t.failures += 1), t.durations.push(event.durationMs ?? 0)));
          failedWorkers.set(event.supervisor, { worker: event.worker, error: event.error?.message ?? 'failed' });
        }
        break;
      }
      case 'supervisor.routed': {
        const failed = failedWorkers.get(event.supervisor);
        if (failed && event.next !== failed.worker && event.next !== 'FINISH') {
          routedAround.push({ nodeId: event.nodeId, agent: failed.worker, how: 'rerouted', error: failed.error });
        }
        failedWorkers.delete(event.supervisor);
        break;
      }
      case 'supervisor.finished':
        if (!event.supervisor.includes('/')) {
          requests += 1;
          routingCalls += event.routingCalls;
        }
        break;
      default:
        break;
    }
  }
  const stats = (map: Map<string, Tally>) => idRecord([...map].map(([key, t]) => [key, statsOf(t)] as const));
  const agentStats = stats(byAgent);
  const pick = (score: (s: CallStats) => number) =>
    Object.entries(agentStats).reduce<[string | undefined, number]>((best, [name, s]) => (score(s) > best[1] ? [name, score(s)] : best), [undefined, -Infinity])[0];
  return {
    byAgent: agentStats,
    byNode: stats(byNode),
    slowestAgent: pick((s) => (Number.isNaN(s.p95Ms) ? -Infinity : s.p95Ms)),
    mostCalledAgent: pick((s) => s.calls),
    routingCallsPerRequest: requests > 0 ? routingCalls / requests : undefined,
    routedAround,
  };
}

function statsOf(t: Tally): CallStats {
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
