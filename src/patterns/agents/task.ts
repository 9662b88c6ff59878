import { AgentError } from './errors.js';

/**
 * How urgent a task is; pools serve `high` before `normal` before `low`.
 *
 * ## Example
 * ```ts
 * import type { TaskPriority } from 'rx-orchestra/patterns';
 * const urgent: TaskPriority = 'high';
 * ```
 */
export type TaskPriority = 'high' | 'normal' | 'low';

/**
 * The priorities, most urgent first.
 *
 * ## Example
 * ```ts
 * import { TASK_PRIORITIES } from 'rx-orchestra/patterns';
 * TASK_PRIORITIES.indexOf('high') < TASK_PRIORITIES.indexOf('low'); // true: lower index, served first
 * ```
 */
export const TASK_PRIORITIES: readonly TaskPriority[] = ['high', 'normal', 'low'];

/**
 * A unit of work for an agent (seed 001's `AgentTask`, plus `dependsOn` for workflows).
 *
 * ## Example
 * ```ts
 * import type { AgentTask } from 'rx-orchestra/patterns';
 * const task: AgentTask<{ feature: string }> = {
 *   id: 'spec', type: 'spec', payload: { feature: 'password reset' }, priority: 'high', deadline: 60_000,
 * };
 * ```
 */
export interface AgentTask<P = unknown> {
  /** Unique within a workflow. */
  readonly id: string;
  /** What kind of work it is; agents choose tasks by it (`canHandle`, by default `capabilities.includes(type)`). */
  readonly type: string;
  readonly payload: P;
  /** @default 'normal' */
  readonly priority?: TaskPriority;
  /**
   * Latest time the task may start, on the scheduler's clock (epoch ms for the default scheduler,
   * virtual ms in tests); a `Date` is taken as epoch ms. A task that has not started when
   * `now >= deadline` is rejected with a `DEADLINE_EXCEEDED` {@link AgentError}, without running.
   * A started task is bounded by its agent's `timeoutMs` instead. @default none
   */
  readonly deadline?: number | Date;
  /** Ids of the tasks of the same workflow whose outputs this one needs. @default [] */
  readonly dependsOn?: readonly string[];
}

/**
 * The task's deadline in ms on the scheduler's clock, or undefined.
 *
 * ## Example
 * ```ts
 * import { deadlineOf } from 'rx-orchestra/patterns';
 * deadlineOf({ id: 'a', type: 'x', payload: null, deadline: new Date(0) }); // 0
 * ```
 */
export function deadlineOf(task: AgentTask): number | undefined {
  return task.deadline instanceof Date ? task.deadline.getTime() : task.deadline;
}

/**
 * Checks a task's shape; throws an `INVALID_TASK` {@link AgentError} naming the task and the field.
 *
 * ## Example
 * ```ts
 * import { checkTask } from 'rx-orchestra/patterns';
 * checkTask({ id: 'a', type: 'code', payload: {}, priority: 'urgent' as never }, 'submit'); // throws: field 'priority'
 * ```
 */
export function checkTask(task: AgentTask, where: string): void {
  const bad = (field: string, rule: string, value: unknown) =>
    new AgentError('INVALID_TASK', `${where}: task ${typeof task?.id === 'string' ? `'${task.id}'` : '(no id)'}: '${field}' must be ${rule}, got ${describe(value)}`, {
      ...(typeof task?.id === 'string' ? { taskId: task.id } : {}),
      field,
    });
  if (typeof task !== 'object' || task === null) throw bad('task', 'an object', task);
  if (!(typeof task.id === 'string' && task.id.length > 0)) throw bad('id', 'a non-empty string', task.id);
  if (!(typeof task.type === 'string' && task.type.length > 0)) throw bad('type', 'a non-empty string', task.type);
  if (task.priority !== undefined && !TASK_PRIORITIES.includes(task.priority)) throw bad('priority', `one of ${TASK_PRIORITIES.join(', ')}`, task.priority);
  const deadline = deadlineOf(task);
  if (task.deadline !== undefined && !(typeof deadline === 'number' && !Number.isNaN(deadline))) throw bad('deadline', 'a number of ms or a valid Date', task.deadline);
  if (task.dependsOn !== undefined && !(Array.isArray(task.dependsOn) && task.dependsOn.every((d) => typeof d === 'string'))) {
    throw bad('dependsOn', 'an array of task ids', task.dependsOn);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
