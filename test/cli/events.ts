/** Builders of run events for the CLI's unit tests. */
import type { EventOf, RunEvent, RunSummary } from 'rx-orchestra';

export const RUN = 'run-1';

export const started = (ids: readonly string[], at = 0, deps: Record<string, string[]> = {}): EventOf<'run.started'> => ({
  type: 'run.started',
  runId: RUN,
  at,
  concurrency: 4,
  nodes: ids.map((id) => ({ id, deps: deps[id] ?? [] })),
});
export const queued = (nodeId: string, at: number): RunEvent => ({ type: 'node.queued', runId: RUN, at, nodeId, priority: 1 });
export const start = (nodeId: string, at: number, attempt = 1): RunEvent => ({ type: 'node.started', runId: RUN, at, nodeId, attempt });
export const usage = (nodeId: string, at: number, inputTokens: number, outputTokens: number, costUsd: number): RunEvent => ({
  type: 'node.usage',
  runId: RUN,
  at,
  nodeId,
  attempt: 1,
  model: 'claude-haiku-4-5',
  usage: { inputTokens, outputTokens },
  costUsd,
});
export const overloaded = { name: 'ModelCallError', code: 'OVERLOADED', status: 529, message: 'overloaded_error', retryable: true };
export const retrying = (nodeId: string, at: number, attempt: number, delayMs: number): RunEvent => ({ type: 'node.retrying', runId: RUN, at, nodeId, attempt, delayMs, error: overloaded });
export const succeeded = (nodeId: string, at: number, startedAt: number, attempts = 1): RunEvent => ({
  type: 'node.succeeded',
  runId: RUN,
  at,
  nodeId,
  attempts,
  startedAt,
  durationMs: at - startedAt,
  value: `${nodeId} done`,
});
export const failed = (nodeId: string, at: number, startedAt: number, attempts = 3): RunEvent => ({
  type: 'node.failed',
  runId: RUN,
  at,
  nodeId,
  attempts,
  startedAt,
  durationMs: at - startedAt,
  error: overloaded,
  gaveUp: 'exhausted',
});
export const skipped = (nodeId: string, at: number, upstream: string): RunEvent => ({ type: 'node.skipped', runId: RUN, at, nodeId, cause: { kind: 'upstream', upstream } });

const emptyUsage = { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 };
export const summary = (change: Partial<RunSummary>): RunSummary => ({
  status: 'succeeded',
  nodes: 3,
  counts: { succeeded: 3, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 },
  makespanMs: 2500,
  attempts: 3,
  retries: 0,
  usage: { total: { ...emptyUsage, calls: 3, inputTokens: 900, outputTokens: 300, costUsd: 0.0123 }, byNode: {}, byModel: {} },
  ...change,
});
export const completed = (at: number, change: Partial<RunSummary> = {}): RunEvent => ({ type: 'run.completed', runId: RUN, at, summary: summary(change) });
