/** The workflow runner in virtual time: parallel ready tasks, bus publications, typed errors before anything runs. */
import { describe, expect, it } from 'vitest';
import { NEVER, from, map, timer } from 'rxjs';
import { z } from 'zod';
import { collect } from 'rx-orchestra';
import {
  createAgentPool,
  createBus,
  defineAgent,
  isWorkflowError,
  runWorkflow,
  WORKFLOW_TOPICS,
  type AgentResult,
  type AgentService,
  type AgentTask,
  type BusEvent,
  type EventBus,
  type WorkflowTopics,
} from 'rx-orchestra/patterns';
import { record, testScheduler } from '../../run/virtual-run.js';

/** How long each task takes, by id (default 10 ms); a task listed in `fail` returns success: false. */
interface Script {
  ms?: Record<string, number>;
  fail?: string[];
}

/** Records every `execute` call (`<agent> <task>`) and the inputs each task received. */
interface Calls {
  ran: string[];
  inputs: Record<string, Readonly<Record<string, unknown>>>;
  aborted: string[];
}

function service(name: string, capabilities: string[], script: Script, calls: Calls, extra: Partial<AgentService<unknown, string>> = {}): AgentService<unknown, string> {
  return {
    name,
    version: '1.0.0',
    capabilities,
    model: 'claude-haiku-4-5',
    execute: (task, { scheduler, inputs, signal }) => {
      calls.ran.push(`${name} ${task.id}`);
      calls.inputs[task.id] = inputs;
      signal.addEventListener('abort', () => calls.aborted.push(task.id));
      if (script.ms?.[task.id] === Infinity) return NEVER;
      return timer(script.ms?.[task.id] ?? 10, scheduler).pipe(
        map(() => {
          if (script.fail?.includes(task.id)) throw new Error(`${task.id} broke`);
          return { output: `out ${task.id}`, tokensUsed: 100 };
        }),
      );
    },
    ...extra,
  };
}

function team(script: Script = {}, extra: Partial<AgentService<unknown, string>> = {}) {
  const calls: Calls = { ran: [], inputs: {}, aborted: [] };
  const agents = [
    defineAgent(service('spec-agent', ['spec'], script, calls)),
    defineAgent(service('architect', ['design'], script, calls)),
    defineAgent(service('coder', ['code'], script, calls, { maxConcurrency: 4, ...extra })),
    defineAgent(service('reviewer', ['review'], script, calls)),
  ];
  return { agents, calls };
}

const t = (id: string, type: string, dependsOn: string[] = [], extra: Partial<AgentTask> = {}): AgentTask => ({ id, type, payload: {}, dependsOn, ...extra });

/** spec → design → (code-api, code-db) → review */
const PLAN: AgentTask[] = [
  t('spec', 'spec'),
  t('design', 'design', ['spec']),
  t('code-api', 'code', ['design']),
  t('code-db', 'code', ['design']),
  t('review', 'review', ['code-api', 'code-db']),
];

/** `t=<at> <topic> <task or status>` for each bus event. */
function busLine(e: BusEvent<WorkflowTopics>): string {
  const p = e.payload as Record<string, unknown>;
  const what =
    e.topic === 'task.completed'
      ? `${(p.result as AgentResult).taskId} ${(p.result as AgentResult).success ? 'ok' : 'failed'}`
      : e.topic === 'workflow.completed'
        ? String(p.status)
        : e.topic === 'workflow.started'
          ? `${(p.tasks as unknown[]).length} tasks`
          : String(p.taskId);
  return `t=${e.at} ${e.topic} ${what}`;
}

function runVirtually(tasks: AgentTask[], script: Script = {}, options: { concurrency?: number; correlationId?: string } = {}) {
  return testScheduler().run(() => {
    const bus = createBus({ topics: WORKFLOW_TOPICS });
    const { agents, calls } = team(script);
    const events = record(runWorkflow(tasks, { agents, bus, runId: 'run-1', ...options }));
    return { bus, calls, events };
  });
}

describe('runWorkflow: running tasks over dependsOn', () => {
  it('runs ready tasks in parallel and publishes each completion as it happens', () => {
    const { bus } = runVirtually(PLAN, { ms: { design: 20, 'code-api': 30, 'code-db': 15 } });
    expect(bus.log.query().map(busLine)).toEqual([
      't=0 workflow.started 5 tasks',
      't=0 task.started spec',
      't=10 task.completed spec ok',
      't=10 task.started design',
      't=30 task.completed design ok',
      't=30 task.started code-api', // both code tasks start the moment design is done
      't=30 task.started code-db',
      't=45 task.completed code-db ok', // completion order, not definition order
      't=60 task.completed code-api ok',
      't=60 task.started review',
      't=70 task.completed review ok',
      't=70 workflow.completed succeeded',
    ]);
  });

  it('gives each task the outputs of the tasks it depends on', () => {
    const { calls } = runVirtually(PLAN);
    expect(calls.inputs.review).toEqual({ 'code-api': 'out code-api', 'code-db': 'out code-db' });
    expect(calls.inputs.spec).toEqual({});
    expect(calls.ran).toEqual(['spec-agent spec', 'architect design', 'coder code-api', 'coder code-db', 'reviewer review']);
  });

  it('stamps every event with the correlation id (by default the run id) and source orchestrator', () => {
    const given = runVirtually(PLAN, {}, { correlationId: 'feat-7' }).bus.log.query();
    expect(new Set(given.map((e) => `${e.correlationId} ${e.source}`))).toEqual(new Set(['feat-7 orchestrator']));
    const byDefault = runVirtually(PLAN).bus.log.query();
    expect(new Set(byDefault.map((e) => e.correlationId))).toEqual(new Set(['run-1']));
  });

  it('is the engine run: outcomes carry the agent results, the summary counts tasks, and the bus totals the tokens', async () => {
    const { events, bus } = runVirtually(PLAN);
    const { outcomes, summary } = await collect(from(events));
    expect(summary).toMatchObject({ status: 'succeeded', counts: { succeeded: 5 }, makespanMs: 40 });
    expect(outcomes.review).toMatchObject({ status: 'succeeded', value: { taskId: 'review', success: true, output: 'out review', agent: 'reviewer@1.0.0' } });
    expect(bus.log.query({ topic: 'workflow.completed' })[0]!.payload).toEqual({ runId: 'run-1', status: 'succeeded', counts: summary.counts, makespanMs: 40, tokensUsed: 500, failed: [] });
  });

  it('respects the run concurrency', () => {
    const { bus } = runVirtually(PLAN, {}, { concurrency: 1 });
    expect(bus.log.query({ topic: 'task.started' }).map((e) => `t=${e.at} ${e.payload.taskId}`)).toEqual(['t=0 spec', 't=10 design', 't=20 code-api', 't=30 code-db', 't=40 review']);
  });

  it('a failed task is published as completed with success false; its dependents are skipped', async () => {
    const { bus, events, calls } = runVirtually(PLAN, { fail: ['code-db'] });
    expect(bus.log.query({ topic: ['task.completed', 'task.skipped', 'workflow.completed'] }).map(busLine)).toEqual([
      't=10 task.completed spec ok',
      't=20 task.completed design ok',
      't=30 task.completed code-api ok',
      't=30 task.completed code-db failed',
      't=30 task.skipped review',
      't=30 workflow.completed partial',
    ]);
    expect(bus.log.query({ topic: 'task.skipped' })[0]!.payload).toMatchObject({ upstream: 'code-db', reason: 'upstream code-db' });
    expect(bus.log.query({ topic: 'workflow.completed' })[0]!.payload).toMatchObject({ failed: ['code-db'], tokensUsed: 300 });
    const { outcomes } = await collect(from(events));
    expect(outcomes['code-db']).toMatchObject({ status: 'failed', error: { code: 'TASK_FAILED', message: "agent 'coder' failed task 'code-db': code-db broke" } });
    expect(calls.ran).not.toContain('reviewer review');
  });

  it("a task that outlives its agent's timeoutMs fails with a TIMEOUT result", () => {
    const { bus, calls } = testScheduler().run(() => {
      const bus = createBus({ topics: WORKFLOW_TOPICS });
      const { agents, calls } = team({ ms: { 'code-api': Infinity } }, { timeoutMs: 100 });
      record(runWorkflow(PLAN, { agents, bus }));
      return { bus, calls };
    });
    const apiResult = bus.log.query({ topic: 'task.completed' }).find((e) => e.payload.taskId === 'code-api')!;
    expect(apiResult.at).toBe(120);
    expect(apiResult.payload.result).toMatchObject({ success: false, durationMs: 100, error: { code: 'TIMEOUT' } });
    expect(calls.aborted).toEqual(['code-api']);
  });

  it('a task whose deadline passes while its agent is busy is rejected without running', () => {
    const { bus, calls } = testScheduler().run(() => {
      const bus = createBus({ topics: WORKFLOW_TOPICS });
      const { agents, calls } = team({ ms: { 'code-api': 30 } }, { maxConcurrency: 1 });
      const tasks = [t('code-api', 'code'), t('code-db', 'code', [], { deadline: 25 }), t('code-ui', 'code', [], { deadline: 40 })];
      record(runWorkflow(tasks, { agents, bus }));
      return { bus, calls };
    });
    expect(bus.log.query().map(busLine)).toEqual([
      't=0 workflow.started 3 tasks',
      't=0 task.started code-api',
      't=30 task.completed code-api ok',
      't=30 task.rejected code-db', // its deadline (25) passed while code-api held the only slot
      't=30 task.started code-ui',
      't=40 task.completed code-ui ok',
      't=40 workflow.completed partial',
    ]);
    expect(bus.log.query({ topic: 'task.rejected' })[0]!.payload.error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(calls.ran).toEqual(['coder code-api', 'coder code-ui']);
  });

  it('runs tasks on a pool, which serves its queue by priority', () => {
    const { bus, poolOrder } = testScheduler().run(() => {
      const bus = createBus({ topics: WORKFLOW_TOPICS });
      const calls: Calls = { ran: [], inputs: {}, aborted: [] };
      const pool = createAgentPool({ size: 1, create: () => service('coder', ['code'], {}, calls) });
      const poolOrder: string[] = [];
      pool.events$.subscribe((e) => e.type === 'started' && poolOrder.push(`t=${e.at} ${e.taskId} waited ${e.waitMs}`));
      const tasks = [t('first', 'code'), t('low', 'code', [], { priority: 'low' }), t('normal', 'code'), t('high', 'code', [], { priority: 'high' })];
      record(runWorkflow(tasks, { agents: [pool], bus }));
      return { bus, poolOrder };
    });
    expect(poolOrder).toEqual(['t=0 first waited 0', 't=10 high waited 10', 't=20 normal waited 20', 't=30 low waited 30']);
    expect(bus.log.query({ topic: 'task.started' }).map((e) => `${e.payload.taskId} ${e.payload.agent} ${e.payload.priority}`)).toEqual([
      'first coder normal',
      'high coder high',
      'normal coder normal',
      'low coder low',
    ]);
  });

  it('unsubscribing cancels the run: in-flight agents are aborted, nothing more is published', () => {
    const { bus, calls } = testScheduler().run(({ cold }) => {
      const bus = createBus({ topics: WORKFLOW_TOPICS });
      const { agents, calls } = team({ ms: { design: 100 } });
      const subscription = runWorkflow(PLAN, { agents, bus }).subscribe();
      cold('50ms x').subscribe(() => subscription.unsubscribe());
      return { bus, calls };
    });
    expect(calls.aborted).toEqual(['design']);
    expect(bus.log.query().map((e) => e.topic)).toEqual(['workflow.started', 'task.started', 'task.completed', 'task.started']);
  });
});

describe('runWorkflow: typed errors before anything runs', () => {
  /** Calls runWorkflow and returns its error; checks nothing ran and nothing was published. */
  function refusal(tasks: AgentTask[], busTopics: Record<string, z.ZodType> = WORKFLOW_TOPICS) {
    const bus = createBus({ topics: busTopics });
    const { agents, calls } = team();
    let error: unknown;
    try {
      runWorkflow(tasks, { agents, bus: bus as unknown as EventBus<WorkflowTopics> });
    } catch (e) {
      error = e;
    }
    expect(isWorkflowError(error)).toBe(true);
    expect(calls.ran).toEqual([]);
    expect(bus.log.size).toBe(0);
    return error as Error & { code: string; taskId?: string; path?: readonly string[]; details: Record<string, unknown> };
  }

  it('a dependency cycle, with its path', () => {
    const error = refusal([t('spec', 'spec'), t('design', 'design', ['spec', 'review']), t('code', 'code', ['design']), t('review', 'review', ['code'])]);
    expect(error).toMatchObject({ name: 'WorkflowError', code: 'CYCLE', path: ['design', 'review', 'code', 'design'] });
    expect(error.message).toBe('runWorkflow: dependency cycle: design -> review -> code -> design');
  });

  it('a task no agent can handle', () => {
    const error = refusal([t('spec', 'spec'), t('deploy', 'deploy', ['spec']), t('docs', 'docs')]);
    expect(error).toMatchObject({ code: 'NO_AGENT', taskId: 'deploy', details: { type: 'deploy' } });
    expect(error.message).toBe("runWorkflow: no agent can handle task 'deploy' of type 'deploy', task 'docs' of type 'docs' (agents: spec-agent, architect, coder, reviewer)");
  });

  it('unknown dependencies, self-dependencies, duplicate ids, no tasks', () => {
    expect(refusal([t('a', 'spec', ['ghost'])])).toMatchObject({ code: 'UNKNOWN_DEPENDENCY', taskId: 'a', message: "runWorkflow: task 'a' depends on unknown task 'ghost'" });
    expect(refusal([t('a', 'spec', ['a'])])).toMatchObject({ code: 'SELF_DEPENDENCY', taskId: 'a' });
    expect(refusal([t('a', 'spec'), t('a', 'code')])).toMatchObject({ code: 'DUPLICATE_ID', taskId: 'a' });
    expect(refusal([])).toMatchObject({ code: 'EMPTY_GRAPH' });
  });

  it('malformed tasks, missing bus topics', () => {
    expect(refusal([t('a', 'spec', [], { priority: 'asap' as never })])).toMatchObject({ code: 'INVALID_TASK', taskId: 'a', details: { field: 'priority' } });
    expect(refusal([t('a', 'spec')], { 'task.completed': WORKFLOW_TOPICS['task.completed'] })).toMatchObject({ code: 'MISSING_TOPIC', details: { topic: 'workflow.started' } });
  });

  it('bad options', () => {
    const bus = createBus({ topics: WORKFLOW_TOPICS });
    expect(() => runWorkflow(PLAN, { agents: [], bus })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', details: { field: 'agents' } }));
    expect(() => runWorkflow(PLAN, { agents: [{ name: 'x' } as never], bus })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', details: { field: 'agents.0' } }));
    expect(() => runWorkflow(PLAN, { agents: team().agents, bus, correlationId: '' })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION' }));
    expect(() => runWorkflow(PLAN, { agents: team().agents, bus, concurrency: 0 })).toThrowError(expect.objectContaining({ code: 'INVALID_OPTION', field: 'concurrency' }));
  });

  it('accepts a bus that declares more topics than the workflow needs', () => {
    const bus = createBus({ topics: { ...WORKFLOW_TOPICS, 'feature.requested': z.object({ title: z.string() }) } });
    expect(() => runWorkflow(PLAN, { agents: team().agents, bus })).not.toThrow();
  });
});
