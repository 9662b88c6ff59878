import { ErrorInfoSchema, RunEventSchema, type ErrorInfo, type NodeReport } from '../run/events.js';

/**
 * What the orchestrator puts in a BullMQ job: the agent to run, its JSON input, and where in which
 * run the job comes from (so a worker's handler sees the same `runId`, `nodeId` and `attempt` as a
 * local node would). @internal
 */
export interface AgentJobData {
  agent: string;
  input: unknown;
  runId: string;
  nodeId: string;
  attempt: number;
}

/**
 * What a worker sends through `job.updateProgress` (and so through the queue's event stream, in
 * order with the job's `completed`/`failed` event): reports of the handler (`node.token`,
 * `node.usage`, ...), batched; or, right before the job fails, the handler's error as plain data
 * (BullMQ's `failed` event only carries the message). @internal
 */
export type ProgressMessage = { reports: NodeReport[] } | { error: ErrorInfo };

/** Report types a handler may send (the {@link NodeReport} union). */
const REPORT_TYPES: ReadonlySet<string> = new Set([
  'node.token',
  'node.usage',
  'ratelimit.waiting',
  'concurrency.changed',
  'circuit.opened',
  'circuit.halfOpened',
  'circuit.closed',
  'supervisor.routed',
  'supervisor.worker',
  'supervisor.finished',
  'cache.hit',
]);

/** The pub/sub channel on which orchestrators tell workers to cancel a job. @internal */
export const cancelChannel = (prefix: string, queue: string) => `${prefix}:${queue}:rx:cancel`;

/** The key that marks a job cancelled, for a worker that takes the job after the message went out. @internal */
export const cancelKey = (prefix: string, queue: string, jobId: string) => `${prefix}:${queue}:rx:cancel:${jobId}`;

/** How long a cancellation mark is kept: longer than any job waits in a queue. @internal */
export const CANCEL_MARK_TTL_MS = 24 * 3600_000;

/** The job data, checked, or a description of what is wrong with it. @internal */
export function parseJobData(data: unknown): AgentJobData | string {
  if (typeof data !== 'object' || data === null) return 'job data is not an object';
  const { agent, input, runId, nodeId, attempt } = data as Partial<AgentJobData>;
  if (typeof agent !== 'string' || agent === '') return 'job data has no agent name';
  if (typeof runId !== 'string' || typeof nodeId !== 'string' || typeof attempt !== 'number') return `job data for agent '${agent}' lacks runId, nodeId or attempt`;
  return { agent, input, runId, nodeId, attempt };
}

/**
 * A progress message, checked: the reports that are valid {@link NodeReport}s (others, e.g. from a
 * worker of another version, are dropped) and the error, if the message carries one. @internal
 */
export function parseProgress(data: unknown): { reports: NodeReport[]; error?: ErrorInfo } {
  if (typeof data !== 'object' || data === null) return { reports: [] };
  const { reports, error } = data as { reports?: unknown; error?: unknown };
  const parsedError = error === undefined ? undefined : ErrorInfoSchema.safeParse(error);
  const valid = Array.isArray(reports) ? reports.filter(isReport) : [];
  return parsedError?.success ? { reports: valid, error: parsedError.data } : { reports: valid };
}

function isReport(report: unknown): report is NodeReport {
  if (typeof report !== 'object' || report === null) return false;
  const { type } = report as { type?: unknown };
  if (typeof type !== 'string' || !REPORT_TYPES.has(type)) return false;
  return RunEventSchema.safeParse({ ...report, runId: '-', nodeId: '-', at: 0, attempt: 1 }).success;
}
