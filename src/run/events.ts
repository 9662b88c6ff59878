import { z } from 'zod';

/**
 * A record keyed by node id, as `z.record(z.string(), value)` but keeping every key: zod drops a
 * `__proto__` key, and `__proto__` is a valid node id. Parses into a record without a prototype.
 */
function idKeyed<V extends z.ZodType>(value: V) {
  return z.unknown().transform((raw, ctx): Record<string, z.output<V>> => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      ctx.addIssue({ code: 'custom', message: 'expected an object keyed by id', input: raw });
      return z.NEVER;
    }
    const record = Object.create(null) as Record<string, z.output<V>>;
    for (const [key, entry] of Object.entries(raw)) {
      const parsed = value.safeParse(entry);
      if (parsed.success) record[key] = parsed.data;
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path], input: entry });
    }
    return record;
  });
}

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
/** An error as it travels in events: name, message, and code/retryable/status/retryAfterMs when known. */
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** Why a node was skipped: an upstream did not succeed, or the run stopped (policy `fail`). */
export const SkipCauseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('upstream'), upstream: z.string() }),
  z.object({ kind: z.literal('runFailed'), failedNode: z.string(), wasRunning: z.boolean() }),
  z.object({ kind: z.literal('budget'), spentUsd: z.number(), maxUsd: z.number(), wasRunning: z.boolean() }),
]);
/** Why a node was skipped: `{ kind: 'upstream', upstream }` or `{ kind: 'runFailed', failedNode, wasRunning }`. */
export type SkipCause = z.infer<typeof SkipCauseSchema>;

/** The five ways a node ends. */
export const NodeStatusSchema = z.enum(['succeeded', 'failed', 'timedOut', 'skipped', 'fellBack']);
/** How a node ended: `succeeded | failed | timedOut | skipped | fellBack`. */
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/** How a completed run ended: see {@link RunStatus}. */
export const RunStatusSchema = z.enum(['succeeded', 'partial', 'failed']);
/**
 * How a completed run ended (nodes restored from a checkpoint count as values):
 * - `succeeded`: every node has a value (succeeded or fell back);
 * - `partial`: the run went on to the end, and some nodes have a value, some do not (failed,
 *   timed out, or skipped);
 * - `failed`: no node has a value (e.g. a one-node graph that threw), or the run was stopped: by a
 *   `'fail'` policy (`summary.failedNode` names the node whose failure stopped it) or by its budget
 *   (`summary.stoppedBy: 'budget'`), even if some nodes have values.
 * A cancelled run (unsubscribed) has no status: it never emits `run.completed`.
 */
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** Tokens of one model call, as reported by the provider. */
export const TokenUsageSchema = z.object({
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheCreationInputTokens: z.number().int().optional(),
  cacheReadInputTokens: z.number().int().optional(),
});

/** Calls, tokens and cost added up (per node, per model, or for the whole run). */
export const UsageTotalsSchema = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheCreationInputTokens: z.number().int(),
  cacheReadInputTokens: z.number().int(),
  costUsd: z.number(),
});
export type UsageTotals = z.infer<typeof UsageTotalsSchema>;

/** A run's spend: in total, by node id and by model id. */
export const RunUsageSchema = z.object({
  total: UsageTotalsSchema,
  byNode: idKeyed(UsageTotalsSchema),
  byModel: idKeyed(UsageTotalsSchema),
});
export type RunUsage = z.infer<typeof RunUsageSchema>;

const RateLimitWindowSchema = z.object({ limit: z.number().optional(), remaining: z.number().optional(), resetAt: z.number().optional() });

/** Quota state a provider reported with a response (`anthropic-ratelimit-*` headers). */
export const RateLimitSnapshotSchema = z.object({
  requests: RateLimitWindowSchema.optional(),
  tokens: RateLimitWindowSchema.optional(),
  inputTokens: RateLimitWindowSchema.optional(),
  outputTokens: RateLimitWindowSchema.optional(),
});

/** Why retrying stopped: the retry budget was spent, the error was not retryable, or retries ran out. */
export const GaveUpSchema = z.enum(['budget', 'notRetryable', 'exhausted']);

/** Zod schema of `run.completed`'s summary. */
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
  /** The node whose failure stopped the run through a `'fail'` policy (status `failed`); absent when the run failed because no node has a value. */
  failedNode: z.string().optional(),
  /** Nodes whose outcome came from a checkpoint (counted in `counts` by their status). */
  restored: z.number().int().optional(),
  /** Set when the run was stopped because its spend crossed `budget.maxUsd` (status `failed`). */
  stoppedBy: z.literal('budget').optional(),
  /** Model calls, tokens and cost, from the nodes' `node.usage` reports. */
  usage: RunUsageSchema,
  /** The run's retry budget at the end: calls, retries granted, retries denied, the limit reached. */
  retryBudget: z.object({ calls: z.number().int(), retries: z.number().int(), denied: z.number().int(), limit: z.number() }).optional(),
});
/**
 * The summary of a completed run: status, node counts by status, makespan (scheduler ms),
 * attempts and retries, the node that stopped a failed run, and model usage and cost.
 *
 * ## Example
 * ```ts
 * const { summary } = await run(g);
 * console.log(summary.status, summary.makespanMs, summary.usage.total.costUsd);
 * ```
 */
export type RunSummary = z.infer<typeof RunSummarySchema>;

const base = { runId: z.string(), at: z.number() };
const nodeBase = { ...base, nodeId: z.string() };
const ended = { attempts: z.number().int(), startedAt: z.number(), durationMs: z.number() };

/** A node as `run.started` describes it: id, dependencies and its `meta` labels. */
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
  /** Input + output tokens of the node's model calls so far. */
  tokens: z.number().optional(),
  costUsd: z.number().optional(),
});
/** One node's state in a `run.snapshot`: lifecycle state, attempts, times, tokens and cost so far. */
export type NodeView = z.infer<typeof NodeViewSchema>;

/** Zod schema of the events that end a node (one per node per run). */
export const NodeEndEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('node.succeeded'),
    ...nodeBase,
    ...ended,
    value: z.unknown(),
    /** Set when the outcome was restored from a checkpoint instead of run again. */
    restored: z.literal(true).optional(),
  }),
  z.object({ type: z.literal('node.failed'), ...nodeBase, ...ended, error: ErrorInfoSchema, gaveUp: GaveUpSchema.optional() }),
  z.object({ type: z.literal('node.timedOut'), ...nodeBase, ...ended, timeoutMs: z.number(), error: ErrorInfoSchema, gaveUp: GaveUpSchema.optional() }),
  z.object({
    type: z.literal('node.fellBack'),
    ...nodeBase,
    ...ended,
    value: z.unknown(),
    reason: z.enum(['failed', 'timedOut']),
    /** Which step of the fallback chain answered (0 for a single fallback). */
    via: z.number().int(),
    error: ErrorInfoSchema,
    /** Set when the outcome was restored from a checkpoint instead of run again. */
    restored: z.literal(true).optional(),
  }),
  z.object({ type: z.literal('node.skipped'), ...nodeBase, cause: SkipCauseSchema }),
]);

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
  z.object({
    type: z.literal('run.started'),
    ...base,
    /** The run's concurrency cap; null when unbounded (Infinity does not survive JSON). */
    concurrency: z.number().nullable(),
    nodes: z.array(NodeInfoSchema),
    /** The pre-run cost estimate, when the run has a budget. */
    costEstimate: z.object({ totalUsd: z.number(), maxUsd: z.number(), byNode: idKeyed(z.number()), unestimated: z.array(z.string()) }).optional(),
  }),
  z.object({ type: z.literal('node.queued'), ...nodeBase, priority: z.number() }),
  z.object({ type: z.literal('node.started'), ...nodeBase, attempt: z.number().int() }),
  z.object({
    type: z.literal('node.retrying'),
    ...nodeBase,
    attempt: z.number().int(),
    delayMs: z.number(),
    error: ErrorInfoSchema,
  }),
  z.object({ type: z.literal('node.token'), ...nodeBase, attempt: z.number().int(), text: z.string() }),
  z.object({
    type: z.literal('ratelimit.waiting'),
    ...nodeBase,
    attempt: z.number().int(),
    waitMs: z.number(),
    limitedBy: z.enum(['requests', 'inputTokens', 'outputTokens', 'retryAfter', 'concurrency']),
    queued: z.number().int(),
  }),
  z.object({
    type: z.literal('concurrency.changed'),
    ...nodeBase,
    attempt: z.number().int(),
    limit: z.number().int(),
    previous: z.number().int(),
    reason: z.enum(['increase', 'overload', 'latency']),
  }),
  z.object({
    type: z.literal('cache.hit'),
    ...nodeBase,
    attempt: z.number().int(),
    /** The cache key (a hash of model, messages and parameters). */
    key: z.string(),
    model: z.string(),
    /** What the call would have cost. */
    savedUsd: z.number(),
  }),
  z.object({
    type: z.literal('supervisor.routed'),
    ...nodeBase,
    attempt: z.number().int(),
    /** The supervisor's path, outermost first, e.g. `platform/data-team`. */
    supervisor: z.string(),
    turn: z.number().int(),
    /** The worker chosen, or `FINISH`. */
    next: z.string(),
    rationale: z.string().optional(),
    /** How long the routing decision took. */
    durationMs: z.number().optional(),
  }),
  z.object({
    type: z.literal('supervisor.worker'),
    ...nodeBase,
    attempt: z.number().int(),
    supervisor: z.string(),
    turn: z.number().int(),
    worker: z.string(),
    status: z.enum(['started', 'succeeded', 'failed']),
    durationMs: z.number().optional(),
    error: ErrorInfoSchema.optional(),
  }),
  z.object({
    type: z.literal('supervisor.finished'),
    ...nodeBase,
    attempt: z.number().int(),
    supervisor: z.string(),
    turns: z.number().int(),
    routingCalls: z.number().int(),
    reason: z.enum(['FINISH', 'maxTurns', 'failed']),
  }),
  z.object({
    type: z.enum(['circuit.opened', 'circuit.halfOpened', 'circuit.closed']),
    ...nodeBase,
    attempt: z.number().int(),
    breaker: z.string(),
    failures: z.number().int().optional(),
  }),
  z.object({
    type: z.literal('node.usage'),
    ...nodeBase,
    attempt: z.number().int(),
    model: z.string(),
    usage: TokenUsageSchema,
    costUsd: z.number(),
    rateLimit: RateLimitSnapshotSchema.optional(),
  }),
  ...NodeEndEventSchema.options,
  z.object({ type: z.literal('budget.exceeded'), ...base, spentUsd: z.number(), maxUsd: z.number(), nodeId: z.string() }),
  z.object({ type: z.literal('run.completed'), ...base, summary: RunSummarySchema }),
  z.object({
    type: z.literal('run.snapshot'),
    ...base,
    nodes: z.array(NodeInfoSchema),
    states: idKeyed(NodeViewSchema),
    /** The end event of every node that has ended so far. */
    ended: z.array(NodeEndEventSchema),
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
export type NodeEndEvent = z.infer<typeof NodeEndEventSchema>;

/** Maps an end event's type to the node status it means. */
export const STATUS_OF_END_EVENT = {
  'node.succeeded': 'succeeded',
  'node.failed': 'failed',
  'node.timedOut': 'timedOut',
  'node.fellBack': 'fellBack',
  'node.skipped': 'skipped',
} as const satisfies Record<NodeEndEvent['type'], NodeStatus>;

/**
 * What a node may report while it runs (`ctx.emit`): streamed text and the usage of a model call.
 * The executor adds `runId`, `nodeId`, `attempt` and `at`.
 */
/** `Omit` applied to each member of a union separately, so each keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type NodeReport =
  | { type: 'node.token'; text: string }
  | DistributiveOmit<EventOf<'node.usage'>, 'runId' | 'nodeId' | 'at' | 'attempt'>
  | DistributiveOmit<
      EventOf<
        | 'ratelimit.waiting'
        | 'concurrency.changed'
        | 'circuit.opened'
        | 'circuit.halfOpened'
        | 'circuit.closed'
        | 'supervisor.routed'
        | 'supervisor.worker'
        | 'supervisor.finished'
        | 'cache.hit'
      >,
      'runId' | 'nodeId' | 'at' | 'attempt'
    >;

/** True when the event ends a node. */
export function isNodeEndEvent(event: RunEvent): event is NodeEndEvent {
  return event.type in STATUS_OF_END_EVENT;
}
