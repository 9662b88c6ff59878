import { percentile } from '../../observe/percentile.js';
import { RoutingError } from './errors.js';
import { routingEvents, type RoutingLog } from './routing-log.js';

/**
 * One request of an experiment (one supervisor loop), as {@link experimentReport} saw it.
 *
 * ## Example
 * ```ts
 * import { experimentReport } from 'rx-orchestra/patterns';
 * const slow = experimentReport(events).requests.filter((r) => (r.latencyMs ?? 0) > 5_000);
 * ```
 */
export interface ExperimentRequest {
  readonly arm: string;
  readonly runId: string;
  readonly nodeId: string;
  readonly supervisor: string;
  /** How the loop ended; `undefined` when no `supervisor.finished` was seen (failed, cancelled, still running). */
  readonly reason: 'FINISH' | 'maxTurns' | 'failed' | undefined;
  /** From the assignment to the loop's end, in scheduler ms; `undefined` when it did not end. */
  readonly latencyMs: number | undefined;
  readonly routingCalls: number;
  /** Worker turns that failed. */
  readonly workerFailures: number;
  /** The rewards of its bandit choices (`router.rewarded`). */
  readonly rewards: readonly number[];
  /** The request's node's model cost (`node.usage`) while it ran, plus the arms' declared costs. */
  readonly costUsd: number;
  readonly success: boolean;
}

/**
 * One arm of an experiment, summarised.
 *
 * ## Example
 * ```ts
 * import type { ExperimentArmReport } from 'rx-orchestra/patterns';
 * const line = (a: ExperimentArmReport) => `${a.arm}: ${(a.successRate * 100).toFixed(1)}% [${a.successInterval.map((x) => (x * 100).toFixed(1)).join(', ')}]`;
 * ```
 */
export interface ExperimentArmReport {
  readonly arm: string;
  readonly requests: number;
  readonly successes: number;
  readonly successRate: number;
  /** The success rate's 95% confidence interval (Wilson score). */
  readonly successInterval: readonly [number, number];
  /** The mean of the arm's rewards; NaN when none were recorded. */
  readonly meanReward: number;
  /** Total cost in USD, and per request. */
  readonly costUsd: number;
  readonly costPerRequest: number;
  /** Request latency percentiles over requests that ended (NaN when none did). */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly routingCallsPerRequest: number;
}

/**
 * What {@link experimentReport} returns.
 *
 * ## Example
 * ```ts
 * import { experimentReport, type ExperimentReport } from 'rx-orchestra/patterns';
 * const report: ExperimentReport = experimentReport('runs.jsonl');
 * console.table(report.arms);
 * ```
 */
export interface ExperimentReport {
  readonly experiment: string;
  /** By arm, in order of first assignment. */
  readonly arms: readonly ExperimentArmReport[];
  readonly requests: readonly ExperimentRequest[];
}

/**
 * Settings of {@link experimentReport}.
 *
 * ## Example
 * ```ts
 * import { experimentReport } from 'rx-orchestra/patterns';
 * experimentReport(events, { experiment: 'bandit-vs-llm', success: (r) => r.reason === 'FINISH' && r.costUsd < 0.05 });
 * ```
 */
export interface ExperimentReportOptions {
  /** The experiment to report. @default the only one in the log */
  experiment?: string;
  /** A request with rewards succeeds only if their mean reaches this. @default 0.5 */
  successThreshold?: number;
  /**
   * Whether a request succeeded. @default it finished with `FINISH`, no worker failed, and the mean
   * of its rewards (if any) is at least `successThreshold`
   */
  success?: (request: Omit<ExperimentRequest, 'success'>) => boolean;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Open = Omit<Mutable<ExperimentRequest>, 'success' | 'latencyMs' | 'rewards'> & { startedAt: number; latencyMs: number | undefined; rewards: number[]; open: boolean };

/**
 * The A/B report of an {@link experiment} from a run's events or a run log: per arm, requests,
 * success rate with a 95% confidence interval, mean reward, cost, p50/p95 latency and routing
 * calls per request. A request is one supervisor loop, from its `experiment.assigned` to its
 * `supervisor.finished`; its cost is its node's `node.usage` in between plus its arms' declared
 * costs (`router.rewarded` with `costSource: 'declared'`). Pure.
 *
 * ## Example
 * ```ts
 * import { experimentReport } from 'rx-orchestra/patterns';
 * for (const arm of experimentReport('runs.jsonl').arms) {
 *   console.log(arm.arm, arm.requests, arm.successRate, arm.successInterval, arm.costPerRequest, arm.latencyP95Ms);
 * }
 * ```
 * @throws {RoutingError} `INVALID_LOG` when the log has no experiment, or several and none is named
 */
export function experimentReport(log: RoutingLog, options: ExperimentReportOptions = {}): ExperimentReport {
  const events = routingEvents(log);
  const names = [...new Set(events.flatMap((e) => (e.type === 'experiment.assigned' ? [e.experiment] : [])))];
  const experiment = options.experiment ?? (names.length === 1 ? names[0] : undefined);
  if (experiment === undefined || !names.includes(experiment)) {
    const why = names.length === 0 ? 'it has no experiment.assigned events' : options.experiment ? `it has no requests of experiment '${options.experiment}' (found: ${names.join(', ')})` : `it has several experiments (${names.join(', ')}): name one`;
    throw new RoutingError('INVALID_LOG', options.experiment ?? 'experiment', `cannot report: ${why}`);
  }
  const { successThreshold = 0.5 } = options;
  const requests: Open[] = [];
  const byLoop = new Map<string, Open>();
  const byNode = new Map<string, Open>();
  const loopOf = (e: { runId: string; nodeId: string }, supervisor: string) => byLoop.get(`${e.runId}\u0000${e.nodeId}\u0000${supervisor}`);
  const nodeOf = (e: { runId: string; nodeId: string }) => byNode.get(`${e.runId}\u0000${e.nodeId}`);
  for (const event of events) {
    switch (event.type) {
      case 'experiment.assigned': {
        if (event.experiment !== experiment) break;
        const request: Open = { arm: event.arm, runId: event.runId, nodeId: event.nodeId, supervisor: event.supervisor, reason: undefined, latencyMs: undefined, routingCalls: 0, workerFailures: 0, rewards: [], costUsd: 0, startedAt: event.at, open: true };
        requests.push(request);
        byLoop.set(`${event.runId}\u0000${event.nodeId}\u0000${event.supervisor}`, request);
        byNode.set(`${event.runId}\u0000${event.nodeId}`, request);
        break;
      }
      case 'supervisor.routed': {
        const request = loopOf(event, event.supervisor);
        if (request?.open) request.routingCalls += 1;
        break;
      }
      case 'supervisor.worker': {
        const request = loopOf(event, event.supervisor);
        if (request?.open && event.status === 'failed') request.workerFailures += 1;
        break;
      }
      case 'supervisor.finished': {
        const request = loopOf(event, event.supervisor);
        if (request?.open) {
          request.reason = event.reason;
          request.latencyMs = event.at - request.startedAt;
          request.open = false;
        }
        break;
      }
      case 'router.rewarded': {
        const request = nodeOf(event);
        if (request && (event.experiment === undefined || event.experiment.name === experiment)) {
          request.rewards.push(event.reward);
          if (event.costSource === 'declared' && event.costUsd !== undefined) request.costUsd += event.costUsd;
        }
        break;
      }
      case 'node.usage': {
        const request = nodeOf(event);
        if (request?.open) request.costUsd += event.costUsd;
        break;
      }
      default:
        break;
    }
  }
  const decide =
    options.success ??
    ((r: Omit<ExperimentRequest, 'success'>) => r.reason === 'FINISH' && r.workerFailures === 0 && (r.rewards.length === 0 || mean(r.rewards) >= successThreshold));
  const finished: ExperimentRequest[] = requests.map(({ startedAt: _, open: __, ...rest }) => ({ ...rest, success: decide(rest) }));
  const arms = [...new Set(finished.map((r) => r.arm))].map((arm) => armReport(arm, finished.filter((r) => r.arm === arm)));
  return { experiment, arms, requests: finished };
}

function armReport(arm: string, requests: readonly ExperimentRequest[]): ExperimentArmReport {
  const n = requests.length;
  const successes = requests.filter((r) => r.success).length;
  const rewards = requests.flatMap((r) => r.rewards);
  const latencies = requests.flatMap((r) => (r.latencyMs === undefined ? [] : [r.latencyMs]));
  const costUsd = requests.reduce((sum, r) => sum + r.costUsd, 0);
  return {
    arm,
    requests: n,
    successes,
    successRate: n ? successes / n : Number.NaN,
    successInterval: wilson(successes, n),
    meanReward: rewards.length ? mean(rewards) : Number.NaN,
    costUsd,
    costPerRequest: n ? costUsd / n : Number.NaN,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    routingCallsPerRequest: n ? requests.reduce((sum, r) => sum + r.routingCalls, 0) / n : Number.NaN,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** The Wilson score interval of a proportion, 95%. @internal */
export function wilson(successes: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = successes / n;
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
