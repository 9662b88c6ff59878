import { catchError, defer, finalize, map, tap, throwError, type Observable, type SchedulerLike } from 'rxjs';
import { graphFromNodes } from '../../graph/builder.js';
import { isGraphError } from '../../graph/errors.js';
import type { Graph } from '../../graph/graph.js';
import { execute, type RunStream } from '../../run/execute.js';
import type { RunEvent } from '../../run/events.js';
import { describeSkip, errorInfo } from '../../run/outcome.js';
import type { Model } from '../../models/model.js';
import type { EventBus } from '../bus/bus.js';
import { AgentError, isAgentError } from './errors.js';
import { checkTask, type AgentTask } from './task.js';
import type { AgentResult } from './result.js';
import type { TaskHandler } from './agent-service.js';
import { WORKFLOW_TOPICS, type WorkflowTopics } from './workflow-topics.js';
import { WorkflowError, type WorkflowErrorCode } from './workflow-errors.js';

/**
 * Settings of {@link runWorkflow}.
 *
 * ## Example
 * ```ts
 * import { runWorkflow, type WorkflowOptions, type WorkflowTopics } from 'rx-orchestra/patterns';
 * const options: WorkflowOptions<WorkflowTopics> = { agents: [specAgent, coderPool], bus, correlationId: 'req-42', concurrency: 4 };
 * runWorkflow(tasks, options).subscribe();
 * ```
 */
export interface WorkflowOptions<T extends WorkflowTopics> {
  /** Who may run the tasks: each task goes to the first one whose `canHandle(task)` is true. */
  agents: readonly TaskHandler[];
  /** Where the run's events go; it must declare {@link WORKFLOW_TOPICS}. */
  bus: EventBus<T>;
  /** Carried by every event the run publishes. @default the run's id */
  correlationId?: string;
  /** The run's id (engine events and bus payloads). @default a random UUID per subscription */
  runId?: string;
  /** Tasks in flight at most (agents and pools also have their own limits). @default 64 */
  concurrency?: number;
  /** Clock of the run and of the agents. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Model provider handed to agents as `ctx.provider`. @default none (agents use their own) */
  provider?: Model;
  /** The `source` of the events it publishes. @default 'orchestrator' */
  source?: string;
}

/** What a run keeps while it runs: tokens and failed tasks, for `workflow.completed`. */
interface RunState {
  tokensUsed: number;
  failed: string[];
}

/**
 * Runs a workflow of agent tasks (seed 001's `AgentOrchestrator.executeWorkflow`) on the engine:
 * the tasks become a graph (`dependsOn` → dependencies) run by `execute`, so a task starts the
 * moment the tasks it depends on have succeeded, ready tasks run in parallel, and a task whose
 * upstream failed is skipped with its cause. Each task goes to the first agent (or pool) whose
 * `canHandle` accepts it, with the outputs of its dependencies as `ctx.inputs`. The run publishes
 * on the bus (see {@link WORKFLOW_TOPICS}): `workflow.started`, `task.started` when an agent really
 * starts, `task.completed` as each result arrives (in completion order), `task.rejected`,
 * `task.skipped` and `workflow.completed`.
 *
 * Returns the engine's cold run stream: subscribing runs the workflow, unsubscribing cancels it,
 * `collect()` gives every task's outcome (the value of a succeeded task is its {@link AgentResult}; a
 * task whose agent returned `success: false` fails with a `TASK_FAILED` {@link AgentError}).
 *
 * ## Example
 * ```ts
 * import { createBus, runWorkflow, WORKFLOW_TOPICS } from 'rx-orchestra/patterns';
 * import { collect } from 'rx-orchestra';
 * const bus = createBus({ topics: WORKFLOW_TOPICS });
 * bus.subscribe('task.completed').subscribe((e) => console.log(e.payload.taskId, e.payload.result.success));
 * const { outcomes, summary } = await collect(runWorkflow([
 *   { id: 'spec', type: 'spec', payload: { feature: 'login' } },
 *   { id: 'design', type: 'design', payload: {}, dependsOn: ['spec'] },
 *   { id: 'code', type: 'code', payload: {}, dependsOn: ['design'] },
 * ], { agents: [specAgent, architect, coderPool], bus, correlationId: 'req-42' }));
 * ```
 * @throws {WorkflowError} before anything runs: `CYCLE` (with its path), `UNKNOWN_DEPENDENCY`,
 * `DUPLICATE_ID`, `NO_AGENT` (no agent can handle a task), `INVALID_TASK`, `INVALID_OPTION`, `MISSING_TOPIC`
 */
export function runWorkflow<T extends WorkflowTopics>(tasks: readonly AgentTask[], options: WorkflowOptions<T>): RunStream<Record<string, AgentResult>> {
  const { agents, correlationId, provider, source = 'orchestrator' } = checkOptions(options);
  const bus = options.bus as unknown as EventBus<WorkflowTopics>;
  if (!Array.isArray(tasks)) throw new WorkflowError('INVALID_TASK', `runWorkflow: 'tasks' must be an array of tasks`, { field: 'tasks' });
  for (const task of tasks) {
    try {
      checkTask(task, 'runWorkflow');
    } catch (error) {
      throw new WorkflowError('INVALID_TASK', (error as Error).message, { ...(isAgentError(error) ? { taskId: error.taskId, field: error.field } : {}) }, { cause: error });
    }
  }
  const states = new Map<string, RunState>();
  const handlers = new Map<string, TaskHandler>();
  const graph = compile(tasks, (task) => (ctx) => {
    const handler = handlers.get(task.id)!;
    const state = states.get(ctx.runId);
    const publishing = { correlationId: correlationId ?? ctx.runId, source };
    const ref = { runId: ctx.runId, taskId: task.id, type: task.type };
    const inputs = Object.fromEntries(Object.entries(ctx.inputs).map(([id, result]) => [id, (result as AgentResult).output]));
    const handleOptions = {
      scheduler: ctx.scheduler,
      inputs,
      correlationId: publishing.correlationId,
      ...(provider ? { provider } : {}),
      onStart: () => void bus.publish('task.started', { ...ref, agent: handler.name, priority: task.priority ?? 'normal' }, publishing),
    };
    // deferred: a refusal at call time is reported like any other
    return defer(() => handler.handle(task, handleOptions)).pipe(
      catchError((error: unknown) => {
        state?.failed.push(task.id);
        bus.publish('task.rejected', { ...ref, agent: handler.name, error: errorInfo(error) }, publishing);
        return throwError(() => error);
      }),
      map((result) => {
        if (state) state.tokensUsed += result.tokensUsed;
        bus.publish('task.completed', { ...ref, result }, publishing);
        if (result.success) return result;
        state?.failed.push(task.id);
        throw new AgentError('TASK_FAILED', `agent '${handler.name}' failed task '${task.id}': ${result.error.message}`, { agent: handler.name, taskId: task.id, result });
      }),
    );
  });
  const unhandled = tasks.filter((task) => {
    const handler = agents.find((agent) => agent.canHandle(task));
    if (handler) handlers.set(task.id, handler);
    return !handler;
  });
  if (unhandled.length > 0) {
    const first = unhandled[0]!;
    throw new WorkflowError('NO_AGENT', `runWorkflow: no agent can handle ${unhandled.map((t) => `task '${t.id}' of type '${t.type}'`).join(', ')} (agents: ${agents.map((a) => a.name).join(', ')})`, {
      taskId: first.id,
      type: first.type,
    });
  }
  const run$ = execute(graph, {
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
  });
  const byId = new Map(tasks.map((task) => [task.id, task] as const));
  return defer(() => {
    let runId: string | undefined;
    const publishing = () => ({ correlationId: correlationId ?? runId!, source });
    const onEvent = (event: RunEvent) => {
      switch (event.type) {
        case 'run.started':
          runId = event.runId;
          states.set(runId, { tokensUsed: 0, failed: [] });
          bus.publish(
            'workflow.started',
            {
              runId,
              tasks: tasks.map((t) => ({ id: t.id, type: t.type, agent: handlers.get(t.id)!.name, priority: t.priority ?? 'normal', dependsOn: [...(t.dependsOn ?? [])] })),
            },
            publishing(),
          );
          break;
        case 'node.skipped': {
          const task = byId.get(event.nodeId)!;
          const upstream = event.cause.kind === 'upstream' ? { upstream: event.cause.upstream } : {};
          bus.publish('task.skipped', { runId: event.runId, taskId: task.id, type: task.type, reason: describeSkip(event.cause), ...upstream }, publishing());
          break;
        }
        case 'run.completed': {
          const state = states.get(event.runId) ?? { tokensUsed: 0, failed: [] };
          const { status, counts, makespanMs } = event.summary;
          bus.publish('workflow.completed', { runId: event.runId, status, counts, makespanMs, tokensUsed: state.tokensUsed, failed: state.failed }, publishing());
          break;
        }
      }
    };
    return run$.pipe(
      tap(onEvent),
      finalize(() => {
        if (runId !== undefined) states.delete(runId);
      }),
    );
  }) as Observable<RunEvent> as RunStream<Record<string, AgentResult>>;
}

/** The tasks as a graph (validated by the engine: duplicates, unknown dependencies, cycles). */
function compile(tasks: readonly AgentTask[], runOf: (task: AgentTask) => (ctx: Parameters<Graph['nodes'][number]['run']>[0]) => Observable<AgentResult>): Graph {
  try {
    return graphFromNodes(
      tasks.map((task) => ({
        id: task.id,
        deps: [...(task.dependsOn ?? [])],
        run: runOf(task),
        timeout: false as const, // the agent's own timeoutMs bounds the work, once it has started
        meta: { type: task.type, priority: task.priority ?? 'normal' },
      })),
    );
  } catch (error) {
    if (!isGraphError(error) || error.code === 'INVALID_NODE') throw error;
    const { nodeId, path, details } = error;
    const message = {
      EMPTY_GRAPH: 'the workflow has no tasks',
      DUPLICATE_ID: `duplicate task id '${nodeId}'`,
      SELF_DEPENDENCY: `task '${nodeId}' depends on itself`,
      UNKNOWN_DEPENDENCY: `task '${nodeId}' depends on unknown task '${details.dependency}'`,
      CYCLE: `dependency cycle: ${path?.join(' -> ')}`,
    }[error.code];
    throw new WorkflowError(error.code as WorkflowErrorCode, `runWorkflow: ${message}`, {
      ...(nodeId !== undefined ? { taskId: nodeId } : {}),
      ...(path ? { path } : {}),
      ...(details.dependency !== undefined ? { dependency: details.dependency } : {}),
    }, { cause: error });
  }
}

function checkOptions<T extends WorkflowTopics>(options: WorkflowOptions<T>): WorkflowOptions<T> {
  const bad = (field: string, message: string) => new WorkflowError('INVALID_OPTION', `runWorkflow: ${message}`, { field });
  if (typeof options !== 'object' || options === null) throw bad('options', `'options' must be an object with 'agents' and 'bus'`);
  const { agents, bus } = options;
  if (!(Array.isArray(agents) && agents.length > 0)) throw bad('agents', `'agents' must be a non-empty array of agents or pools`);
  agents.forEach((agent, i) => {
    if (typeof agent?.canHandle !== 'function' || typeof agent.handle !== 'function') throw bad(`agents.${i}`, `'agents[${i}]' is not an agent or pool (use defineAgent or createAgentPool)`);
  });
  if (typeof bus?.publish !== 'function' || !Array.isArray(bus.topics)) throw bad('bus', `'bus' must be an event bus (createBus)`);
  const missing = Object.keys(WORKFLOW_TOPICS).filter((topic) => !(bus.topics as readonly string[]).includes(topic));
  if (missing.length > 0) {
    throw new WorkflowError('MISSING_TOPIC', `runWorkflow: the bus does not declare ${missing.map((t) => `'${t}'`).join(', ')} (spread WORKFLOW_TOPICS into its topics)`, { topic: missing[0]!, field: 'bus' });
  }
  for (const field of ['correlationId', 'source'] as const) {
    const value = options[field];
    if (value !== undefined && !(typeof value === 'string' && value.length > 0)) throw bad(field, `'${field}' must be a non-empty string`);
  }
  return options;
}
