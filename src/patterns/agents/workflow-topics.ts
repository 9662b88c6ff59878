import { z } from 'zod';
import { ErrorInfoSchema, NodeStatusSchema, RunStatusSchema } from '../../run/events.js';
import { AgentResultSchema } from './result.js';

const PrioritySchema = z.enum(['high', 'normal', 'low']);
const taskRef = { runId: z.string(), taskId: z.string(), type: z.string() };

/**
 * The topics a workflow run publishes on its bus (declare them by spreading this object into your
 * bus's topics). Every event carries the run's correlation id (by default its `runId`):
 * - `workflow.started`: the tasks, each with the agent chosen for it;
 * - `task.started`: an agent actually started a task (after any queueing);
 * - `task.completed`: a task ran to an {@link AgentResult} (`result.success` says how it went);
 * - `task.rejected`: a task was refused without running (its deadline passed);
 * - `task.skipped`: a task did not run because a task it depends on did not succeed;
 * - `workflow.completed`: status, tasks by outcome, makespan and tokens used.
 *
 * ## Example
 * ```ts
 * import { createBus, WORKFLOW_TOPICS } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const bus = createBus({ topics: { ...WORKFLOW_TOPICS, 'feature.requested': z.object({ title: z.string() }) } });
 * ```
 */
export const WORKFLOW_TOPICS = {
  'workflow.started': z.object({
    runId: z.string(),
    tasks: z.array(z.object({ id: z.string(), type: z.string(), agent: z.string(), priority: PrioritySchema, dependsOn: z.array(z.string()) })),
  }),
  'task.started': z.object({ ...taskRef, agent: z.string(), priority: PrioritySchema }),
  'task.completed': z.object({ ...taskRef, result: AgentResultSchema }),
  'task.rejected': z.object({ ...taskRef, agent: z.string(), error: ErrorInfoSchema }),
  'task.skipped': z.object({ ...taskRef, reason: z.string(), upstream: z.string().optional() }),
  'workflow.completed': z.object({
    runId: z.string(),
    status: RunStatusSchema,
    counts: z.record(NodeStatusSchema, z.number().int()),
    makespanMs: z.number(),
    tokensUsed: z.number(),
    /** Tasks that failed or were rejected. */
    failed: z.array(z.string()),
  }),
};

/**
 * The type of {@link WORKFLOW_TOPICS}; a workflow's bus must declare at least these.
 *
 * ## Example
 * ```ts
 * import type { EventBus, WorkflowTopics } from 'rx-orchestra/patterns';
 * function watch(bus: EventBus<WorkflowTopics>) { bus.subscribe('task.completed').subscribe(console.log); }
 * ```
 */
export type WorkflowTopics = typeof WORKFLOW_TOPICS;
