/**
 * Seed 001's code-generation team as agent services on an event bus: spec → architect → two coders
 * (a pool of two instances, in parallel) → tests → review. A developer publishes
 * `feature.requested`; the orchestrator, subscribed to it, runs the team's workflow on the engine,
 * and every step lands on the bus (and its log). Offline, each agent answers from its own
 * simulated model with scripted replies; with a real provider, every agent calls it. Used by
 * `examples/code-team.ts` and its test.
 */
import { asyncScheduler, firstValueFrom, mergeMap, type Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  createAgentPool,
  createBus,
  modelAgent,
  PoolEventSchema,
  runWorkflow,
  WORKFLOW_TOPICS,
  type AgentTask,
  type BusEvent,
  type EventBus,
  type TaskHandler,
} from 'rx-orchestra/patterns';
import { simulatedModel, type LatencyProfile, type Model, type RunEvent } from 'rx-orchestra';

/** What a developer asks the team for. */
export const FeatureSchema = z.object({ id: z.string(), title: z.string(), description: z.string() });
export type Feature = z.infer<typeof FeatureSchema>;

/** The bus's topics: the workflow's own, the developer's request, and the coder pool's queue. */
export const CODE_TEAM_TOPICS = { ...WORKFLOW_TOPICS, 'feature.requested': FeatureSchema, 'pool.event': PoolEventSchema };
export type CodeTeamTopics = typeof CODE_TEAM_TOPICS;
export type CodeTeamEvent = BusEvent<CodeTeamTopics>;

export const FAST_MODEL = 'claude-haiku-4-5';
export const SMART_MODEL = 'claude-sonnet-4-6';

/** Each agent's role, model, time budget, simulated latency and scripted reply. */
const ROLES = {
  spec: {
    system: 'You are spec-agent: turn a feature request into a short, testable specification.',
    model: FAST_MODEL,
    timeoutMs: 20_000,
    latency: { medianMs: 800, p95Ms: 1_000 },
    reply: 'SPEC: POST /password-reset {email} -> 202 always; token (32 bytes, 30 min TTL) e-mailed; POST /password-reset/confirm {token, password} -> 204 or 400.',
  },
  architect: {
    system: 'You are architect-agent: make the design decisions for a specification.',
    model: SMART_MODEL,
    timeoutMs: 30_000,
    latency: { medianMs: 1_200, p95Ms: 1_500 },
    reply: 'DESIGN: ResetController (api) -> ResetService -> TokenStore (storage: hashed tokens, expiry index) + Mailer port. Constant-time token compare.',
  },
  coder: {
    system: 'You are coder-agent: implement one component of the design in TypeScript.',
    model: FAST_MODEL,
    timeoutMs: 30_000,
    latency: { medianMs: 1_000, p95Ms: 1_300 },
    reply: 'export class Component { /* implementation following the design */ }',
  },
  tester: {
    system: 'You are test-agent: write vitest tests for the implementation.',
    model: FAST_MODEL,
    timeoutMs: 20_000,
    latency: { medianMs: 900, p95Ms: 1_100 },
    reply: "describe('password reset', () => { it('answers 202 for unknown e-mails'); it('rejects expired tokens'); });",
  },
  reviewer: {
    system: 'You are reviewer-agent: review the code and tests, then approve or ask for changes.',
    model: SMART_MODEL,
    timeoutMs: 30_000,
    latency: { medianMs: 1_100, p95Ms: 1_400 },
    reply: 'LGTM with one nit: rate-limit POST /password-reset per e-mail.',
  },
} as const satisfies Record<string, { system: string; model: string; timeoutMs: number; latency: LatencyProfile; reply: string }>;

type Role = keyof typeof ROLES;

/** What each task needs from the ones it depends on, as prompt text. */
const upstreamText = (inputs: Readonly<Record<string, unknown>>) =>
  Object.entries(inputs)
    .map(([id, output]) => `## ${id}\n${String(output)}`)
    .join('\n');

/**
 * The team's workflow for a feature: the seed's spec → architect → coder → test → reviewer, with
 * the coding split into two components that run in parallel on the coder pool.
 */
export function planFeature(feature: Feature): AgentTask<{ feature: Feature; component?: string }>[] {
  const task = (id: string, type: string, dependsOn: string[], component?: string) => ({
    id,
    type,
    payload: { feature, ...(component ? { component } : {}) },
    priority: 'normal' as const,
    dependsOn,
  });
  return [
    { ...task('spec', 'spec', []), priority: 'high' },
    task('design', 'design', ['spec']),
    task('code-api', 'code', ['design'], 'api'),
    task('code-storage', 'code', ['design'], 'storage'),
    task('tests', 'test', ['code-api', 'code-storage']),
    task('review', 'review', ['code-api', 'code-storage', 'tests']),
  ];
}

/** Settings of {@link createCodeTeam}. */
export interface CodeTeamOptions {
  /** The clock of the bus, the agents and their simulated models. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Seed of the simulated models. @default 1 */
  seed?: number;
  /** A real provider (e.g. `anthropicModel()`): when given, every agent calls it. */
  provider?: Model;
}

/** The team: its bus, its agents, and the orchestrator that turns requests into workflow runs. */
export interface CodeTeam {
  readonly bus: EventBus<CodeTeamTopics>;
  readonly agents: readonly TaskHandler[];
  /** Subscribe to start listening for `feature.requested`: each request becomes one workflow run. */
  readonly orchestrator$: Observable<RunEvent>;
  /** Publishes a feature request as the developer. */
  request(feature: Feature): void;
}

/**
 * Builds the team on one bus. Each agent is a model agent (`modelAgent`) on its own simulated
 * model (or the given provider); the coder is a pool of two instances; the pool's queue events
 * are published on the bus as `pool.event`.
 */
export function createCodeTeam(options: CodeTeamOptions = {}): CodeTeam {
  const { scheduler = asyncScheduler, seed = 1, provider } = options;
  const bus = createBus({ topics: CODE_TEAM_TOPICS, scheduler, logSize: 500 });
  let models = 0;
  const modelFor = (role: Role): Model =>
    provider ?? simulatedModel({ latency: ROLES[role].latency, seed: seed * 100 + models++, scheduler, model: ROLES[role].model, respond: () => ROLES[role].reply });
  const agent = (role: Role, name: string, capability: string) =>
    modelAgent<{ feature: Feature; component?: string }>({
      name,
      version: '1.0.0',
      capabilities: [capability],
      model: ROLES[role].model,
      timeoutMs: ROLES[role].timeoutMs,
      system: ROLES[role].system,
      maxTokens: 1024,
      provider: modelFor(role),
      prompt: (task, { inputs }) =>
        [`Feature ${task.payload.feature.id}: ${task.payload.feature.title}`, task.payload.feature.description, task.payload.component ? `Component: ${task.payload.component}` : '', upstreamText(inputs)]
          .filter(Boolean)
          .join('\n'),
    });
  const coders = createAgentPool({ size: 2, scheduler, name: 'coder-pool', create: () => agent('coder', 'coder-agent', 'code') });
  coders.events$.subscribe((event) => bus.publish('pool.event', event, { source: 'coder-pool' }));
  const agents: TaskHandler[] = [
    agent('spec', 'spec-agent', 'spec'),
    agent('architect', 'architect-agent', 'design'),
    coders,
    agent('tester', 'test-agent', 'test'),
    agent('reviewer', 'reviewer-agent', 'review'),
  ];
  const orchestrator$ = bus
    .subscribe('feature.requested')
    .pipe(
      mergeMap((request) =>
        runWorkflow(planFeature(request.payload), { agents, bus, scheduler, correlationId: request.correlationId ?? request.payload.id, runId: `run-${request.payload.id}` }),
      ),
    );
  return {
    bus,
    agents,
    orchestrator$,
    request: (feature) => void bus.publish('feature.requested', feature, { correlationId: feature.id, source: 'developer' }),
  };
}

/** The feature the demo asks for. */
export const DEMO_FEATURE: Feature = {
  id: 'feat-42',
  title: 'Password reset by e-mail',
  description: 'Users who forgot their password get a one-time link by e-mail and set a new password.',
};

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** One line of the bus log: time since `origin`, sequence number, topic, correlation id and what happened. */
export function formatBusEvent(event: CodeTeamEvent, origin = 0): string {
  const head = `${seconds(event.at - origin).padStart(7)}  #${String(event.seq).padEnd(3)} ${event.topic.padEnd(18)} ${(event.correlationId ?? '-').padEnd(8)}`;
  return `${head} ${describeEvent(event)}`;
}

function describeEvent(event: CodeTeamEvent): string {
  switch (event.topic) {
    case 'feature.requested':
      return `${event.source ?? ''}: ${event.payload.title}`;
    case 'workflow.started':
      return event.payload.tasks.map((t) => `${t.id}→${t.agent}`).join(', ');
    case 'task.started':
      return `${event.payload.taskId} on ${event.payload.agent}`;
    case 'task.completed': {
      const { result } = event.payload;
      return result.success
        ? `${result.taskId} ✓ ${result.agent} ${seconds(result.durationMs)} ${result.tokensUsed} tokens`
        : `${result.taskId} ✗ ${result.agent} ${result.error.code ?? result.error.name}: ${result.error.message}`;
    }
    case 'task.rejected':
      return `${event.payload.taskId} rejected: ${event.payload.error.message}`;
    case 'task.skipped':
      return `${event.payload.taskId} skipped (${event.payload.reason})`;
    case 'workflow.completed': {
      const { status, makespanMs, tokensUsed, counts } = event.payload;
      return `${status}, ${counts.succeeded ?? 0} tasks ok, ${seconds(makespanMs)}, ${tokensUsed} tokens`;
    }
    case 'pool.event': {
      const e = event.payload;
      const extra = e.type === 'started' ? ` instance ${e.instance} after ${e.waitMs} ms` : e.type === 'completed' ? ` instance ${e.instance}` : '';
      return `${e.pool} ${e.type} ${e.taskId}${extra} (depth ${e.depth}, busy ${e.busy})`;
    }
  }
}

/** What {@link runCodeTeam} returns. */
export interface CodeTeamRun {
  team: CodeTeam;
  /** The `workflow.completed` event. */
  completed: BusEvent<CodeTeamTopics, 'workflow.completed'>;
  /** The whole bus log, oldest first. */
  log: CodeTeamEvent[];
}

/**
 * The demo: builds the team, starts the orchestrator, publishes the request, prints each completed
 * task as it happens, and once the workflow is done prints the bus log.
 */
export async function runCodeTeam(options: CodeTeamOptions & { feature?: Feature; write?: (line: string) => void } = {}): Promise<CodeTeamRun> {
  const { feature = DEMO_FEATURE, write = console.log } = options;
  const team = createCodeTeam(options);
  const completed = firstValueFrom(team.bus.subscribe('workflow.completed', { correlationId: feature.id }));
  const off = team.bus.on('task.completed', ({ payload: { result } }) => write(`  ${result.success ? '✓' : '✗'} ${result.taskId} (${result.agent})`));
  const runs = team.orchestrator$.subscribe(); // listens for requests; each becomes a workflow run
  team.request(feature);
  const done = await completed;
  runs.unsubscribe();
  off();
  const log = team.bus.log.query();
  write(`\nBus log (${log.length} events, ${team.bus.log.evicted} evicted):`);
  const origin = log[0]?.at ?? 0;
  for (const event of log) write(formatBusEvent(event, origin));
  return { team, completed: done, log };
}
