import { z } from 'zod';
import { ErrorInfoSchema, base, idKeyed, nodeBase, type StampedField } from './event-fields.js';
import { ConcurrencyChangedEventSchema, CircuitEventSchema, RateLimitWaitingEventSchema } from '../models/governance-events.js';
import { CacheHitEventSchema } from '../store/cache-events.js';
import { SupervisorFinishedEventSchema, SupervisorRoutedEventSchema, SupervisorWorkerEventSchema } from '../patterns/supervisor/events.js';
import {
  AgentFinishedEventSchema,
  AgentRetryingEventSchema,
  AgentStepEventSchema,
  NodeThinkingEventSchema,
  ToolCalledEventSchema,
  ToolFailedEventSchema,
  ToolSucceededEventSchema,
} from '../agents/events.js';
import { NodeIterationEventSchema } from '../nodes/loop-events.js';
import { BatchSubmittedEventSchema, BatchPolledEventSchema, BatchEndedEventSchema } from '../models/batch/batch-events.js';
import { ExperimentAssignedEventSchema, RouterChoseEventSchema, RouterRewardedEventSchema } from '../patterns/routing/events.js';
import { PeerFinishedEventSchema, PeerTurnEventSchema } from '../patterns/collaboration/events.js';

export { ErrorInfoSchema, type ErrorInfo } from './event-fields.js';

/** Why a node was skipped: an upstream did not succeed, or the run stopped (policy `fail`). */
export const SkipCauseSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('upstream'), upstream: z.string() }),
  z.object({ kind: z.literal('runFailed'), failedNode: z.string(), wasRunning: z.boolean() }),
  z.object({ kind: z.literal('budget'), spentUsd: z.number(), maxUsd: z.number(), wasRunning: z.boolean() }),
  /** A branch node (`node`) chose other dependents (`chose`): not a failure. */
  z.object({ kind: z.literal('branch'), node: z.string(), chose: z.array(z.string()) }),
]);
/** Why a node was skipped: an upstream did not succeed, the run stopped, the budget, or a branch chose other dependents. */
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

const ended = { attempts: z.number().int(), startedAt: z.number(), durationMs: z.number() };

/** A node as `run.started` describes it: id, dependencies and its `meta` labels. */
export const NodeInfoSchema = z.object({
  id: z.string(),
  deps: z.array(z.string()),
  meta: z.record(z.string(), z.unknown()).optional(),
  /** For a node a fan-out or subgraph added at run time (`node.expanded`): that node's id. */
  parent: z.string().optional(),
});

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
 * The reports nodes emit for the code they run, each declared next to the code that emits it:
 * the governed model's traffic control (src/models/governance-events.ts), the model cache
 * (src/store/cache-events.ts), the supervisor (src/patterns/supervisor/events.ts) and agent nodes
 * with their tools (src/agents/events.ts). The run
 * stamps them (`runId`, `nodeId`, `attempt`, `at`) and passes them on without knowing them; they
 * are merged into {@link RunEventSchema} and {@link NodeReport} here. Those declarations are leaf
 * modules (zod and ./event-fields.ts only, checked by dependency-cruiser), so the run depends on
 * their shapes, not on the code that emits them. A new report: declare it next to its emitter and
 * add it to this list.
 */
const DECLARED_REPORT_SCHEMAS = [
  RateLimitWaitingEventSchema,
  ConcurrencyChangedEventSchema,
  CacheHitEventSchema,
  SupervisorRoutedEventSchema,
  SupervisorWorkerEventSchema,
  SupervisorFinishedEventSchema,
  RouterChoseEventSchema,
  RouterRewardedEventSchema,
  ExperimentAssignedEventSchema,
  CircuitEventSchema,
  AgentStepEventSchema,
  ToolCalledEventSchema,
  ToolSucceededEventSchema,
  ToolFailedEventSchema,
  NodeThinkingEventSchema,
  AgentFinishedEventSchema,
  AgentRetryingEventSchema,
  BatchSubmittedEventSchema,
  BatchPolledEventSchema,
  BatchEndedEventSchema,
  NodeIterationEventSchema,
  PeerTurnEventSchema,
  PeerFinishedEventSchema,
] as const;

const CostEstimateSchema = z.object({ totalUsd: z.number(), maxUsd: z.number(), byNode: idKeyed(z.number()), unestimated: z.array(z.string()) });
const BudgetExceededEventSchema = z.object({ type: z.literal('budget.exceeded'), ...base, spentUsd: z.number(), maxUsd: z.number(), nodeId: z.string() });

/** Every event but `run.snapshot` (what a snapshot's node history holds). @internal */
const LiveEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run.started'),
    ...base,
    /** The run's concurrency cap; null when unbounded (Infinity does not survive JSON). */
    concurrency: z.number().nullable(),
    nodes: z.array(NodeInfoSchema),
    /** The pre-run cost estimate, when the run has a budget. */
    costEstimate: CostEstimateSchema.optional(),
  }),
  z.object({ type: z.literal('node.queued'), ...nodeBase, priority: z.number() }),
  z.object({
    type: z.literal('node.expanded'),
    ...nodeBase,
    /** A fan-out (`forEach`) or a subgraph. */
    kind: z.enum(['forEach', 'subgraph']),
    /** The nodes added to the run (ids carry the path: `explore[3]`, `research/outline`); `deps` are full ids. */
    nodes: z.array(NodeInfoSchema.required({ parent: true })),
  }),
  z.object({
    type: z.literal('node.waiting'),
    ...nodeBase,
    /** What the person is asked to approve (the node's `approve.request(inputs)`). */
    payload: z.unknown(),
    /** How long it waits, in ms; null for ever. */
    timeoutMs: z.number().nullable(),
  }),
  z.object({ type: z.literal('node.decided'), ...nodeBase, approve: z.boolean(), value: z.unknown().optional(), reason: z.string().optional(), by: z.string().optional() }),
  z.object({ type: z.literal('node.started'), ...nodeBase, attempt: z.number().int() }),
  z.object({
    type: z.literal('node.retrying'),
    ...nodeBase,
    attempt: z.number().int(),
    delayMs: z.number(),
    error: ErrorInfoSchema,
  }),
  z.object({ type: z.literal('node.token'), ...nodeBase, attempt: z.number().int(), text: z.string() }),
  ...DECLARED_REPORT_SCHEMAS,
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
  BudgetExceededEventSchema,
  z.object({ type: z.literal('run.completed'), ...base, summary: RunSummarySchema }),
]);

/** Per-node view kept by {@link shareRun}: what a late subscriber receives in `run.snapshot`. */
export const NodeViewSchema = z.object({
  state: z.enum(['pending', 'waiting', 'queued', 'running', 'retrying', 'succeeded', 'failed', 'timedOut', 'skipped', 'fellBack']),
  attempts: z.number().int(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  /** The agent the node's calls count under, when it is neither its `meta.agent` nor its id (a fan-out's child counts as the fan-out's agent). */
  agent: z.string().optional(),
  /** Input + output tokens of the node's model calls so far. */
  tokens: z.number().optional(),
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  costUsd: z.number().optional(),
  /** While the node waits for a decision: what it asks (`node.waiting`'s payload) and how long it waits. */
  waiting: z.object({ payload: z.unknown(), timeoutMs: z.number().nullable() }).optional(),
  /** Model calls answered from the response cache. */
  cacheHits: z.number().int().optional(),
  /** Retries so far (`node.retrying`). */
  retries: z.number().int().optional(),
  /** Characters streamed (`node.token`) and thought (`node.thinking`) in all. */
  streamedChars: z.number().int().optional(),
  thinkingChars: z.number().int().optional(),
  /**
   * The tail of the streamed text (attempts after the first begin with `[attempt N]`), at most
   * the tracker's `maxTextPerNode` characters; `textCut` says when it is not all of it: `tail` (the
   * head was cut) or `evicted` (dropped to keep the run's total text in bounds).
   */
  text: z.string().optional(),
  textCut: z.enum(['tail', 'evicted']).optional(),
  /** Agent nodes: model calls ended (`agent.step`), tool calls started and failed, the tool called last. */
  agentSteps: z.number().int().optional(),
  toolCalls: z.number().int().optional(),
  toolFailures: z.number().int().optional(),
  lastTool: z.string().optional(),
  /** The latest error: of a retried attempt, or of the end. */
  lastError: ErrorInfoSchema.optional(),
  /**
   * The node's own events so far, oldest first, except streamed text and thinking, usage (folded
   * into the counts above), its end (in the snapshot's `ended`) and `node.expanded` (its children
   * are in `nodes`): starts, retries with their backoff, rate-limit waits, agent steps, tool calls,
   * approvals, circuit changes. At most the tracker's `maxHistoryPerNode`; `historyCut` counts the
   * oldest dropped.
   */
  history: z.array(LiveEventSchema).optional(),
  historyCut: z.number().int().optional(),
});
/** One node's state in a `run.snapshot`: lifecycle state, attempts, times, tokens, cost, streamed text and recent events so far. */
export type NodeView = z.infer<typeof NodeViewSchema>;

const CallTallySchema = z.object({
  calls: z.number().int(),
  succeeded: z.number().int(),
  failures: z.number().int(),
  retries: z.number().int(),
  fellBack: z.number().int(),
  /** Durations of ended executions (ms), the latest ones as a ring once full (`durationCount` in all). */
  durations: z.array(z.number()),
  durationCount: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
});

/** A run's totals so far, as `run.snapshot` carries them. */
export const RunTotalsSchema = z.object({
  calls: z.number().int(),
  retries: z.number().int(),
  cacheHits: z.number().int(),
  savedUsd: z.number(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  tokens: z.number().int(),
  costUsd: z.number(),
});

/** Per-agent and per-tool call tallies, supervisor routing and the failures routed around, as `run.snapshot` carries them. */
export const RunTalliesSchema = z.object({
  agents: z.array(CallTallySchema.extend({ agent: z.string() })),
  tools: z.array(z.object({ tool: z.string(), calls: z.number().int(), failures: z.number().int(), durations: z.array(z.number()), durationCount: z.number().int() })),
  routing: z.object({ requests: z.number().int(), calls: z.number().int() }),
  routedAround: z.array(z.object({ nodeId: z.string(), agent: z.string(), how: z.enum(['fallback', 'rerouted']), error: z.string() })),
});

/**
 * Zod schema of every event on a run's stream: validate events that crossed a socket with
 * `RunEventSchema.parse(json)`. Events are a discriminated union on `type`; all carry `runId`
 * and `at` (the scheduler's `now()`, exact in virtual time). It is the union of the run's own
 * events and the reports declared next to the code that emits them (supervisor, cache, circuit
 * breaker and quota of a governed model).
 *
 * ## Example
 * ```ts
 * import { RunEventSchema } from 'rx-orchestra';
 * source.onmessage = (m) => render(RunEventSchema.parse(JSON.parse(m.data)));
 * ```
 */
export const RunEventSchema = z.discriminatedUnion('type', [
  ...LiveEventSchema.options,
  z.object({
    type: z.literal('run.snapshot'),
    ...base,
    nodes: z.array(NodeInfoSchema),
    states: idKeyed(NodeViewSchema),
    /** The end event of every node that has ended so far. */
    ended: z.array(NodeEndEventSchema),
    /** Present once the run has completed. */
    summary: RunSummarySchema.optional(),
    /** The run's concurrency cap (null: unbounded), and the adaptive limit when a governed model reports one. */
    concurrency: z.number().nullable().optional(),
    concurrencyLimit: z.number().optional(),
    /** `run.started`'s pre-run cost estimate (runs with a budget). */
    costEstimate: CostEstimateSchema.optional(),
    /** Set when the run's spend crossed its budget. */
    budgetExceeded: BudgetExceededEventSchema.optional(),
    /** Calls, retries, cache hits, tokens (in and out) and cost over the whole run so far. */
    totals: RunTotalsSchema.optional(),
    /** Per-agent and per-tool tallies, supervisor routing, failures routed around. */
    tallies: RunTalliesSchema.optional(),
    /**
     * Nodes whose value in `ended` is a short preview: the dashboard keeps snapshots small (a page
     * joining a large run gets the values it shows on demand, `GET /value?node=<id>`).
     */
    cutValues: z.array(z.string()).optional(),
    /** The bounds the tracker kept within: what a view may say was cut. */
    bounds: z.object({ maxHistoryPerNode: z.number().int(), maxTextPerNode: z.number().int(), maxTextTotal: z.number().int() }).optional(),
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

/** `Omit` applied to each member of a union separately, so each keeps its own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * What a node may report while it runs (`ctx.emit`): streamed text, the usage of a model call, and
 * the reports declared next to the code that emits them (traffic control, cache hits, supervisor
 * turns). The executor adds `runId`, `nodeId`, `attempt` and `at`.
 */
export type NodeReport =
  | { type: 'node.token'; text: string }
  | DistributiveOmit<EventOf<'node.usage'>, StampedField>
  | DistributiveOmit<z.infer<(typeof DECLARED_REPORT_SCHEMAS)[number]>, StampedField>;

/** True when the event ends a node. */
export function isNodeEndEvent(event: RunEvent): event is NodeEndEvent {
  return event.type in STATUS_OF_END_EVENT;
}
