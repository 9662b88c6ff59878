import type { EventOf, RunEvent } from '../../run/events.js';

/**
 * Routing figures of one supervisor (by path).
 *
 * ## Example
 * ```ts
 * import { routingStats } from 'rx-orchestra/patterns';
 * const team = routingStats(events).bySupervisor['platform/data-team'];
 * console.log(team?.routingCallsPerRequest, team?.choices.auditor, team?.endings.maxTurns);
 * ```
 */
export interface SupervisorRoutingStats {
  /** Loops run (requests the supervisor handled: one per first routing decision). */
  requests: number;
  /** Router invocations (`supervisor.routed`), `FINISH` decisions included. */
  routingCalls: number;
  /** `routingCalls / requests`: seed 004's routing cost. */
  routingCallsPerRequest: number;
  /** How often each worker (and `FINISH`) was chosen. */
  choices: Record<string, number>;
  /** How loops ended: `FINISH`, `maxTurns` (forced finish), or not at all (failed or cancelled). */
  endings: { FINISH: number; maxTurns: number; failed: number; unfinished: number };
}

/**
 * One cell of seed 004's agent x node timing: who spent how long at which turn.
 *
 * ## Example
 * ```ts
 * import { routingStats } from 'rx-orchestra/patterns';
 * for (const t of routingStats(events).timings) log.info({ agent: t.agent, supervisor: t.supervisor, turn: t.turn, ms: t.ms });
 * ```
 */
export interface TurnTiming {
  runId: string;
  nodeId: string;
  /** The supervisor's path. */
  supervisor: string;
  turn: number;
  /** `routing`: the supervisor deciding; `worker`: a worker running. */
  kind: 'routing' | 'worker';
  /** The worker's name, or `supervisor` for a routing decision (as in seed 004's logs). */
  agent: string;
  /** When it ended (scheduler ms). */
  at: number;
  ms: number;
  status: 'succeeded' | 'failed';
}

/**
 * Timing of one agent (a supervisor's routing, or one worker of one supervisor).
 *
 * ## Example
 * ```ts
 * import { routingStats } from 'rx-orchestra/patterns';
 * const slowest = routingStats(events).agents.toSorted((a, b) => b.meanMs - a.meanMs)[0]; // the bottleneck
 * ```
 */
export interface AgentTiming {
  supervisor: string;
  kind: 'routing' | 'worker';
  agent: string;
  calls: number;
  failures: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
}

/**
 * What {@link routingStats} computes.
 *
 * ## Example
 * ```ts
 * import { routingStats, type RoutingStats } from 'rx-orchestra/patterns';
 * const stats: RoutingStats = routingStats(events);
 * ```
 */
export interface RoutingStats {
  /** By supervisor path (`platform`, `platform/data-team`). */
  bySupervisor: Record<string, SupervisorRoutingStats>;
  /** By supervisor and agent, in order of first appearance. */
  agents: AgentTiming[];
  /** Every routing decision and worker turn with its duration, in the order they ended. */
  timings: TurnTiming[];
}

/**
 * Seed 004's supervisor metrics from a run's events: routing calls per request, how often each
 * worker was chosen, how loops ended, and per-agent x per-turn timing (routing time included: the
 * time from the supervisor starting, or its previous worker ending, to the decision). Pure; feed it
 * the events of one run or of many. For per-agent latency percentiles, tokens and cost across the
 * whole run see `runMetrics`.
 *
 * ## Example
 * ```ts
 * import { execute } from 'rx-orchestra';
 * import { routingStats } from 'rx-orchestra/patterns';
 * import { lastValueFrom, toArray } from 'rxjs';
 * const events = await lastValueFrom(execute(g).pipe(toArray()));
 * const { bySupervisor, agents } = routingStats(events);
 * console.log(bySupervisor['data-team']?.routingCallsPerRequest, agents.toSorted((a, b) => b.meanMs - a.meanMs)[0]);
 * ```
 */
export function routingStats(events: Iterable<RunEvent>): RoutingStats {
  const bySupervisor: Record<string, SupervisorRoutingStats> = {};
  const agents = new Map<string, AgentTiming>();
  const timings: TurnTiming[] = [];
  /** When each loop's current routing began, by run, node and supervisor path. */
  const clock = new Map<string, number>();
  const nodeStarted = new Map<string, number>();
  const key = (event: { runId: string; nodeId: string }, path: string) => `${event.runId}\u0000${event.nodeId}\u0000${path}`;
  const statsOf = (path: string) =>
    (bySupervisor[path] ??= { requests: 0, routingCalls: 0, routingCallsPerRequest: 0, choices: {}, endings: { FINISH: 0, maxTurns: 0, failed: 0, unfinished: 0 } });
  const time = (row: TurnTiming) => {
    timings.push(row);
    const id = `${row.supervisor}\u0000${row.kind}\u0000${row.agent}`;
    let agent = agents.get(id);
    if (!agent) agents.set(id, (agent = { supervisor: row.supervisor, kind: row.kind, agent: row.agent, calls: 0, failures: 0, totalMs: 0, meanMs: 0, maxMs: 0 }));
    agent.calls += 1;
    if (row.status === 'failed') agent.failures += 1;
    agent.totalMs += row.ms;
    agent.maxMs = Math.max(agent.maxMs, row.ms);
    agent.meanMs = agent.totalMs / agent.calls;
  };
  const routed = (event: EventOf<'supervisor.routed'>) => {
    const stats = statsOf(event.supervisor);
    if (event.turn === 1) stats.requests += 1;
    stats.routingCalls += 1;
    stats.choices[event.next] = (stats.choices[event.next] ?? 0) + 1;
    const k = key(event, event.supervisor);
    const since = clock.get(k) ?? (event.supervisor.includes('/') ? undefined : nodeStarted.get(key(event, '')));
    if (since !== undefined) {
      time({ runId: event.runId, nodeId: event.nodeId, supervisor: event.supervisor, turn: event.turn, kind: 'routing', agent: 'supervisor', at: event.at, ms: event.at - since, status: 'succeeded' });
    }
    clock.delete(k);
  };
  for (const event of events) {
    switch (event.type) {
      case 'node.started':
        nodeStarted.set(key(event, ''), event.at);
        break;
      case 'supervisor.routed':
        routed(event);
        break;
      case 'supervisor.worker':
        if (event.status === 'started') {
          clock.set(key(event, `${event.supervisor}/${event.worker}`), event.at); // a team under this worker name starts routing now
        } else {
          const ms = event.durationMs ?? 0;
          time({ runId: event.runId, nodeId: event.nodeId, supervisor: event.supervisor, turn: event.turn, kind: 'worker', agent: event.worker, at: event.at, ms, status: event.status });
          clock.set(key(event, event.supervisor), event.at); // the next routing starts when the worker ended
        }
        break;
      case 'supervisor.finished':
        statsOf(event.supervisor).endings[event.reason] += 1;
        clock.delete(key(event, event.supervisor));
        break;
      default:
        break;
    }
  }
  for (const stats of Object.values(bySupervisor)) {
    stats.routingCallsPerRequest = stats.requests ? stats.routingCalls / stats.requests : 0;
    stats.endings.unfinished = Math.max(0, stats.requests - stats.endings.FINISH - stats.endings.maxTurns);
  }
  return { bySupervisor, agents: [...agents.values()], timings };
}

