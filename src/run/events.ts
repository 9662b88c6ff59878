import { z } from 'zod';

/** An error as it travels in events: plain data, safe to serialize. */
export const ErrorInfoSchema = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  retryable: z.boolean().optional(),
  /** HTTP status, when the error came from an HTTP call. */
  status: z.number().int().optional(),
  /** How long the failing service asked to wait (retry-after), in ms. */
  retryAfterMs: z.number().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** Why a node was skipped: an upstream did not succeed, or the run stopped (policy `fail`). */
export const SkipCauseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('upstream'), upstream: z.string() }),
  z.object({ kind: z.literal('runFailed'), failedNode: z.string(), wasRunning: z.boolean() }),
]);
export type SkipCause = z.infer<typeof SkipCauseSchema>;

/** The five ways a node ends. */
export const NodeStatusSchema = z.enum(['succeeded', 'failed', 'timedOut', 'skipped', 'fellBack']);
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** How a run ended: every node ok; some nodes not ok but the run went on; stopped by a `fail` policy. */
export const RunStatusSchema = z.enum(['succeeded', 'partial', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunSummarySchema = z.object({
  status: RunStatusSchema,
  /** Nodes in the graph. */
  nodes: z.number().int(),
  counts: z.record(NodeStatusSchema, z.number().int()),
  /** Time from run start to completion, in scheduler ms. */
  makespanMs: z.number(),
  /** Attempts over all nodes (first tries plus retries). */
  attempts: z.number().int(),
  retries: z.number().int(),
  /** The node whose failure stopped the run (status `failed`). */
  failedNode: z.string().optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

const base = { runId: z.string(), at: z.number() };
const nodeBase = { ...base, nodeId: z.string() };
const ended = { attempts: z.number().int(), startedAt: z.number(), durationMs: z.number() };

export const NodeInfoSchema = z.object({
  id: z.string(),
  deps: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/** Per-node view kept by {@link shareRun}: what a late subscriber receives in `run.snapshot`. */
export const NodeViewSchema = z.object({
  state: z.enum(['pending', 'queued', 'running', 'retrying', 'succeeded', 'failed', 'timedOut', 'skipped', 'fellBack']),
  attempts: z.number().int(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
});
export type NodeView = z.infer<typeof NodeViewSchema>;

/**
 * Zod schema of every event on a run's stream: validate events that crossed a socket with
 * `RunEventSchema.parse(json)`. Events are a discriminated union on `type`; all carry `runId`
 * and `at` (the scheduler's `now()`, exact in virtual time).
 *
 * ## Example
 * ```ts
 * import { RunEventSchema } from 'rx-orchestra';
 * source.onmessage = (m) => render(RunEventSchema.parse(JSON.parse(m.data)));
 * ```
 */
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run.started'), ...base, concurrency: z.number(), nodes: z.array(NodeInfoSchema) }),
  z.object({ type: z.literal('node.queued'), ...nodeBase, priority: z.number() }),
  z.object({ type: z.literal('node.started'), ...nodeBase, attempt: z.number().int() }),
  z.object({
    type: z.literal('node.retrying'),
    ...nodeBase,
    attempt: z.number().int(),
    delayMs: z.number(),
    error: ErrorInfoSchema,
  }),
  z.object({ type: z.literal('node.succeeded'), ...nodeBase, ...ended, value: z.unknown() }),
  z.object({ type: z.literal('node.failed'), ...nodeBase, ...ended, error: ErrorInfoSchema }),
  z.object({ type: z.literal('node.timedOut'), ...nodeBase, ...ended, timeoutMs: z.number(), error: ErrorInfoSchema }),
  z.object({
    type: z.literal('node.fellBack'),
    ...nodeBase,
    ...ended,
    value: z.unknown(),
    reason: z.enum(['failed', 'timedOut']),
    error: ErrorInfoSchema,
  }),
  z.object({ type: z.literal('node.skipped'), ...nodeBase, cause: SkipCauseSchema }),
  z.object({ type: z.literal('run.completed'), ...base, summary: RunSummarySchema }),
  z.object({
    type: z.literal('run.snapshot'),
    ...base,
    nodes: z.array(NodeInfoSchema),
    states: z.record(z.string(), NodeViewSchema),
    /** Present once the run has completed. */
    summary: RunSummarySchema.optional(),
  }),
]);

/** Every event on a run's stream. Narrow on `type`. */
export type RunEvent = z.infer<typeof RunEventSchema>;
/** All event type names. */
export type RunEventType = RunEvent['type'];
/** The event of one type, e.g. `EventOf<'node.retrying'>`. */
export type EventOf<K extends RunEventType> = Extract<RunEvent, { type: K }>;
/** The events that end a node. */
export type NodeEndEvent = EventOf<'node.succeeded' | 'node.failed' | 'node.timedOut' | 'node.fellBack' | 'node.skipped'>;

/** Maps an end event's type to the node status it means. */
export const STATUS_OF_END_EVENT = {
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.timedOut': 'timedOut',
  'node.fellBack': 'fellBack',
  'node.skipped': 'skipped',
} as const satisfies Record<NodeEndEvent['type'], NodeStatus>;

/** True when the event ends a node. */
export function isNodeEndEvent(event: RunEvent): event is NodeEndEvent {
  return event.type in STATUS_OF_END_EVENT;
}
