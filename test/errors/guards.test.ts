import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

/**
 * Every error class and guard of the package, loaded by dynamic import so that the same table can
 * be loaded twice: once as this copy, once (after `vi.resetModules()`) as a second copy of the
 * package, the way a duplicate `rx-orchestra` under another dependency's `node_modules` would be.
 */
async function load() {
  const [base, options, timeout, retry, breaker, graph, nodes, run, budget, modelError, models, pricing, anthropic, store, distributed, bus, agents, workflow, supervisor, cli, runLog, testing, attempt, peer, mcp, agentNodes, collaboration, routing, batchErrors] =
    await Promise.all([
      import('../../src/errors/rx-orchestra-error.js'),
      import('../../src/errors/options-error.js'),
      import('../../operators/timeout.js'),
      import('../../operators/retry.js'),
      import('../../operators/circuit-breaker.js'),
      import('../../src/graph/errors.js'),
      import('../../src/nodes/errors.js'),
      import('../../src/run/errors.js'),
      import('../../src/budget/errors.js'),
      import('../../src/models/model-error.js'),
      import('../../src/models/errors.js'),
      import('../../src/models/pricing.js'),
      import('../../src/models/anthropic/anthropic-model.js'),
      import('../../src/store/errors.js'),
      import('../../src/distributed/errors.js'),
      import('../../src/patterns/bus/errors.js'),
      import('../../src/patterns/agents/errors.js'),
      import('../../src/patterns/agents/workflow-errors.js'),
      import('../../src/patterns/supervisor/errors.js'),
      import('../../src/cli/errors.js'),
      import('../../src/observe/run-log-file.js'),
      import('../../src/testing/scripted-agent.js'),
      import('../../operators/attempt.js'),
      import('../../src/peer/errors.js'),
      import('../../src/mcp/errors.js'),
      import('../../src/agents/errors.js'),
      import('../../src/patterns/collaboration/errors.js'),
      import('../../src/patterns/routing/errors.js'),
      import('../../src/models/batch/errors.js'),
    ]);
  const { OptionsError } = options;
  /** One instance of every error class (and of every `OptionsError` scope), by label. */
  const instances: Record<string, Error> = {
    BusError: new bus.BusError('UNKNOWN_TOPIC', 'x'),
    SupervisorError: new supervisor.SupervisorError('MAX_TURNS', 'team', 'x'),
    WorkflowError: new workflow.WorkflowError('CYCLE', 'x'),
    AgentError: new agents.AgentError('TIMEOUT', 'x'),
    GraphError: new graph.GraphError('CYCLE', 'x'),
    RunLogError: new runLog.RunLogError('runs.jsonl', 1, 'x'),
    LlmNodeError: new nodes.LlmNodeError('NO_MODEL', 'a', 'x'),
    BudgetExceededError: new budget.BudgetExceededError({ estimateUsd: 1, maxUsd: 0.5, topNodes: [] }),
    CostEstimateError: new budget.CostEstimateError('a', 'model', 'x'),
    UnknownModelPriceError: new pricing.UnknownModelPriceError('m'),
    ModelCallError: new modelError.ModelCallError('TIMEOUT', 'x'),
    'ModelCallError(ABORTED)': new modelError.ModelCallError('ABORTED', 'x'),
    CallDeadlineError: new modelError.CallDeadlineError('total', 10),
    MissingApiKeyError: new anthropic.MissingApiKeyError(),
    SimulatedModelError: new models.SimulatedModelError('OVERLOADED', 'x'),
    ModelAbortError: new models.ModelAbortError('r'),
    CliError: new cli.CliError('USAGE', 'x'),
    StoreError: new store.StoreError('STORE_FAILED', 'x'),
    CheckpointMismatchError: new store.CheckpointMismatchError('r', { added: [], removed: [], changedDeps: [] }),
    ValueNotSerializableError: new store.ValueNotSerializableError('n', 'value', 'a Date instance'),
    RunLockedError: new store.RunLockedError('r', 'owner', 10),
    DistributedError: new distributed.DistributedError('CLOSED', 'x'),
    RemoteAgentError: new distributed.RemoteAgentError('agent', 'job', { name: 'Error', message: 'x' }),
    NodeRunError: new run.NodeRunError('NO_VALUE', 'a', 'x'),
    NodeDeadlineError: new run.NodeDeadlineError('a', 10),
    RunIncompleteError: new run.RunIncompleteError('x'),
    RetryAfterTooLongError: new retry.RetryAfterTooLongError(1000, 10),
    TimeoutError: new timeout.TimeoutError('total', 10),
    CircuitOpenError: new breaker.CircuitOpenError('b', 10),
    ScriptExhaustedError: new testing.ScriptExhaustedError('x'),
    AttemptAbortError: new attempt.AttemptAbortError(),
    AttemptResultError: new attempt.AttemptResultError('EMPTY_RESULT', 'x'),
    MissingPeerError: new peer.MissingPeerError('bullmq', 'rx-orchestra/distributed'),
    McpError: new mcp.McpError('SERVER_CLOSED', 'fs', 'x'),
    AgentNodeError: new agentNodes.AgentNodeError('MAX_STEPS', 'a', 'x'),
    ToolCallError: new agentNodes.ToolCallError('UNKNOWN_TOOL', 'read', 'x'),
    BudgetStopError: new budget.BudgetStopError({ spentUsd: 1, maxUsd: 0.5 }),
    DynamicNodeError: new run.DynamicNodeError('NOT_A_LIST', 'a', 'x'),
    ApprovalError: new run.ApprovalError('APPROVAL_REJECTED', 'a', 'x'),
    LoopError: new nodes.LoopError('MAX_ITERATIONS', 'a', 'x', { iterations: 1, lastValue: 'draft' }),
    CollaborationError: new collaboration.CollaborationError('MAX_TURNS', 'team', 'x'),
    RoutingError: new routing.RoutingError('INVALID_OPTIONS', 'pick', 'x'),
    BatchCallError: new batchErrors.BatchCallError('BATCH_EXPIRED', 'msgbatch_1', 'a-0123456789abcdef'),
    OptionsError: new OptionsError('f', 'x'),
    'OptionsError(operators)': new OptionsError('f', 'x', 'operators'),
    'OptionsError(execute)': new OptionsError('f', 'x', 'execute'),
    'OptionsError(models)': new OptionsError('f', 'x', 'models'),
    'OptionsError(budget)': new OptionsError('maxUsd', 'x', 'budget'),
    'OptionsError(dashboard)': new OptionsError('f', 'x', 'dashboard'),
  };
  /** Each class guard with the class it answers for (its subclasses included). */
  const classGuards: [string, (e: unknown) => boolean, abstract new (...args: never[]) => Error][] = [
    ['isRxOrchestraError', base.isRxOrchestraError, base.RxOrchestraError],
    ['isOptionsError', options.isOptionsError, OptionsError],
    ['isTimeoutError', timeout.isTimeoutError, timeout.TimeoutError],
    ['isRetryAfterTooLongError', retry.isRetryAfterTooLongError, retry.RetryAfterTooLongError],
    ['isCircuitOpenError', breaker.isCircuitOpenError, breaker.CircuitOpenError],
    ['isAttemptAbortError', attempt.isAttemptAbortError, attempt.AttemptAbortError],
    ['isAttemptResultError', attempt.isAttemptResultError, attempt.AttemptResultError],
    ['isMissingPeerError', peer.isMissingPeerError, peer.MissingPeerError],
    ['isMcpError', mcp.isMcpError, mcp.McpError],
    ['isAgentNodeError', agentNodes.isAgentNodeError, agentNodes.AgentNodeError],
    ['isToolCallError', agentNodes.isToolCallError, agentNodes.ToolCallError],
    ['isBudgetStopError', budget.isBudgetStopError, budget.BudgetStopError],
    ['isGraphError', graph.isGraphError, graph.GraphError],
    ['isLlmNodeError', nodes.isLlmNodeError, nodes.LlmNodeError],
    ['isNodeRunError', run.isNodeRunError, run.NodeRunError],
    ['isRunIncompleteError', run.isRunIncompleteError, run.RunIncompleteError],
    ['isDynamicNodeError', run.isDynamicNodeError, run.DynamicNodeError],
    ['isApprovalError', run.isApprovalError, run.ApprovalError],
    ['isLoopError', nodes.isLoopError, nodes.LoopError],
    ['isCollaborationError', collaboration.isCollaborationError, collaboration.CollaborationError],
    ['isRoutingError', routing.isRoutingError, routing.RoutingError],
    ['isBatchCallError', batchErrors.isBatchCallError, batchErrors.BatchCallError],
    ['isBudgetExceededError', budget.isBudgetExceededError, budget.BudgetExceededError],
    ['isCostEstimateError', budget.isCostEstimateError, budget.CostEstimateError],
    ['isModelCallError', modelError.isModelCallError, modelError.ModelCallError],
    ['isSimulatedModelError', models.isSimulatedModelError, models.SimulatedModelError],
    ['isModelAbortError', models.isModelAbortError, models.ModelAbortError],
    ['isStoreError', store.isStoreError, store.StoreError],
    ['isCheckpointMismatchError', store.isCheckpointMismatchError, store.CheckpointMismatchError],
    ['isValueNotSerializableError', store.isValueNotSerializableError, store.ValueNotSerializableError],
    ['isRunLockedError', store.isRunLockedError, store.RunLockedError],
    ['isDistributedError', distributed.isDistributedError, distributed.DistributedError],
    ['isRemoteAgentError', distributed.isRemoteAgentError, distributed.RemoteAgentError],
    ['isBusError', bus.isBusError, bus.BusError],
    ['isAgentError', agents.isAgentError, agents.AgentError],
    ['isWorkflowError', workflow.isWorkflowError, workflow.WorkflowError],
    ['isSupervisorError', supervisor.isSupervisorError, supervisor.SupervisorError],
    ['isCliError', cli.isCliError, cli.CliError],
  ];
  /** `isOptionsError(e, scope)` for each part that refuses options, with its scope. */
  const scopes = ['operators', 'execute', 'models', 'budget', 'dashboard'] as const;
  const scopeGuards: [string, (e: unknown) => boolean, string][] = scopes.map((scope) => [`isOptionsError(e, '${scope}')`, (e: unknown) => options.isOptionsError(e, scope), scope]);
  return { base, options, modelError, models, timeout, instances, classGuards, scopeGuards };
}

const local = await load();
vi.resetModules();
const foreign = await load();

const scopeOf = (e: Error) => (e as { scope?: string }).scope;

describe('one error base', () => {
  it.each(Object.keys(local.instances))('%s is an RxOrchestraError with a name, a code, retryable and details', (label) => {
    const error = local.instances[label]!;
    expect(error).toBeInstanceOf(local.base.RxOrchestraError);
    expect(error).toBeInstanceOf(Error);
    const { name, code, retryable, details } = error as InstanceType<typeof local.base.RxOrchestraError>;
    expect(typeof name).toBe('string');
    expect(typeof code).toBe('string');
    expect(retryable === undefined || typeof retryable === 'boolean').toBe(true);
    expect(typeof details).toBe('object');
    // The brand lives on the prototype: an error's own properties are what they were.
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
  });

  it('the table holds every error class of src/ and operators/, each branded with a tag of its own', () => {
    const root = join(import.meta.dirname, '../..');
    const sources = ['src', 'operators'].flatMap((dir) => readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(root, dir, f)));
    const declared = sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^export (?:abstract )?class (\w+Error) extends /gm)].map((m) => m[1]!));
    const tabled = Object.keys(local.instances).filter((label) => !label.includes('('));
    expect(declared.filter((name) => name !== 'RxOrchestraError').sort()).toEqual(tabled.sort());
    for (const label of tabled) {
      const tags = (local.instances[label] as unknown as Record<symbol, readonly string[]>)[Symbol.for('rx-orchestra.error')];
      expect(tags?.[0]).toBe('RxOrchestraError');
      expect(tags?.at(-1), label).toBe(label);
    }
  });

  it('details defaults to a shared, frozen {} that is not an own property', () => {
    const { TimeoutError } = local.timeout;
    const error = new TimeoutError('total', 10);
    expect(error.details).toEqual({});
    expect(Object.isFrozen(error.details)).toBe(true);
    expect(Object.keys(error)).not.toContain('details');
  });

  it('cause is the ES2022 cause', () => {
    const cause = new Error('socket hang up');
    expect(new local.modelError.ModelCallError('CONNECTION', 'x', { cause }).cause).toBe(cause);
  });
});

describe('each guard says yes to its own class (and subclasses) and no to every other', () => {
  /** The labels of the instances `guard` says yes to, and of those it should: `instanceof` is the oracle. */
  const verdicts = (instances: Record<string, Error>, guard: (e: unknown) => boolean, should: (e: Error) => boolean) => ({
    yes: Object.keys(instances).filter((label) => guard(instances[label])),
    expected: Object.keys(instances).filter((label) => should(instances[label]!)),
  });

  it.each(local.classGuards)('%s', (_, guard, errorClass) => {
    const { yes, expected } = verdicts(local.instances, guard, (e) => e instanceof errorClass);
    expect(yes).toEqual(expected);
    expect(yes.length).toBeGreaterThan(0);
  });

  it.each(local.scopeGuards)('%s, the guard of one OptionsError scope', (_, guard, scope) => {
    const { yes, expected } = verdicts(local.instances, guard, (e) => e instanceof local.options.OptionsError && scopeOf(e) === scope);
    expect(yes).toEqual(expected);
    expect(yes).toHaveLength(1);
  });

  it('guards that said yes to the wrong class no longer do', () => {
    const { ModelCallError } = local.modelError;
    expect(local.timeout.isTimeoutError(new ModelCallError('TIMEOUT', 'request timed out'))).toBe(false);
    expect(local.models.isModelAbortError(new ModelCallError('ABORTED', 'request aborted'))).toBe(false);
  });

  it('a lookalike without the brand is not recognized, whatever its name and code', () => {
    const lookalikes = [
      Object.assign(new Error('x'), { name: 'TimeoutError', code: 'TIMEOUT', retryable: true }),
      Object.assign(new Error('x'), { name: 'AbortError', code: 'ABORTED' }),
      Object.assign(new Error('x'), { name: 'AbortError', code: 'CANCELLED' }),
      Object.assign(new Error('x'), { name: 'GraphError', code: 'CYCLE' }),
      { name: 'StoreError', code: 'STORE_FAILED', message: 'x' },
    ];
    for (const lookalike of lookalikes) {
      for (const [name, guard] of [...local.classGuards, ...local.scopeGuards]) expect(guard(lookalike), `${name}(${lookalike.name})`).toBe(false);
    }
    for (const value of [undefined, null, 'TIMEOUT', 42, {}]) expect(local.base.isRxOrchestraError(value)).toBe(false);
  });
});

describe('guards work across duplicate copies of the package', () => {
  it('the second copy has classes of its own', () => {
    expect(foreign.base.RxOrchestraError).not.toBe(local.base.RxOrchestraError);
    expect(foreign.instances.GraphError).not.toBeInstanceOf(local.base.RxOrchestraError);
  });

  it.each(local.classGuards)('%s of this copy judges errors of the other copy as their own guard does', (name, guard) => {
    const [, , foreignClass] = foreign.classGuards.find(([other]) => other === name)!;
    const yes = Object.keys(foreign.instances).filter((label) => guard(foreign.instances[label]));
    expect(yes).toEqual(Object.keys(foreign.instances).filter((label) => foreign.instances[label] instanceof foreignClass));
    expect(yes.length).toBeGreaterThan(0);
  });

  it.each(local.scopeGuards)('%s of this copy, on errors of the other copy', (_, guard, scope) => {
    const yes = Object.keys(foreign.instances).filter((label) => guard(foreign.instances[label]));
    expect(yes).toEqual([`OptionsError(${scope})`]);
  });
});

describe('isRxOrchestraError(error, code)', () => {
  it('matches the code when one is given', () => {
    const error = local.instances.GraphError;
    expect(local.base.isRxOrchestraError(error, 'CYCLE')).toBe(true);
    expect(local.base.isRxOrchestraError(error, 'DUPLICATE_ID')).toBe(false);
    expect(local.base.isRxOrchestraError(new Error('x'), 'CYCLE')).toBe(false);
  });
});

describe('SimulatedModelError is a ModelCallError', () => {
  it('shares its guard, fields and retry verdicts', () => {
    const { SimulatedModelError } = local.models;
    const error = new SimulatedModelError('RATE_LIMITED', 'slow down', { retryAfterMs: 30_000, requestId: 'req_sim_1' });
    expect(error).toBeInstanceOf(local.modelError.ModelCallError);
    expect(local.modelError.isModelCallError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'SimulatedModelError', code: 'RATE_LIMITED', status: 429, retryable: true, retryAfterMs: 30_000, requestId: 'req_sim_1' });
    expect(error.details.provider).toBe('simulated');
    expect(new SimulatedModelError('CONNECTION', 'dropped')).toMatchObject({ status: undefined, retryable: true });
    expect(new SimulatedModelError('BAD_REQUEST', 'bad')).toMatchObject({ status: 400, retryable: false });
    expect(new SimulatedModelError('REQUEST_TOO_LARGE', 'big')).toMatchObject({ status: 413, retryable: false });
  });
});

describe('OptionsError', () => {
  it.each([
    [undefined, 'OptionsError', 'INVALID_OPTION'],
    ['operators', 'OperatorConfigError', 'INVALID_CONFIG'],
    ['execute', 'ExecuteOptionsError', 'INVALID_OPTION'],
    ['models', 'ModelOptionsError', 'INVALID_OPTION'],
    ['budget', 'BudgetConfigError', 'INVALID_BUDGET_CONFIG'],
    ['dashboard', 'DashboardOptionsError', 'INVALID_DASHBOARD_OPTIONS'],
  ] as const)('scope %s keeps the name %s and the code %s of the class it replaces', (scope, name, code) => {
    const error = new local.options.OptionsError('field', 'message', scope);
    expect(error).toMatchObject({ name, code, field: 'field', message: 'message', retryable: false });
    expect(local.options.isOptionsError(error)).toBe(true);
    if (scope) expect(local.options.isOptionsError(error, scope)).toBe(true);
    expect(local.options.isOptionsError(error, scope === 'models' ? 'budget' : 'models')).toBe(false);
  });
});
