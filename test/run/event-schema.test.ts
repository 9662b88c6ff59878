/**
 * The run's schema is the union of its own events and the reports declared next to the code that
 * emits them (supervisor, cache, governed model: circuit breaker, quota, concurrency). Every event
 * type has an example that must validate; and the events real code emits (a supervisor, a cached
 * model, a breaker opening, a quota wait, a concurrency change, a retry, a shared run's snapshot)
 * all validate against `RunEventSchema`, as the dashboard and the run-log reader parse them.
 */
import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import { RunEventSchema, execute, governedModel, graph, graphFromNodes, llm, shareRun, simulatedModel, type RunEvent, type RunEventType } from 'rx-orchestra';
import { consecutiveFailures } from 'rx-orchestra/operators';
import { sequenceRouter, supervisor } from 'rx-orchestra/patterns';
import { cachedModel, sqliteStore } from 'rx-orchestra/store';
import { record, testScheduler } from './virtual-run.js';

const stamp = { runId: 'r', at: 0 };
const node = { ...stamp, nodeId: 'n' };
const report = { ...node, attempt: 1 };
const ended = { attempts: 1, startedAt: 0, durationMs: 1 };
const error = { name: 'Error', message: 'boom', code: 'X', retryable: true, status: 529, retryAfterMs: 10 };
const totals = { calls: 1, inputTokens: 2, outputTokens: 3, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0.01 };
const summary = {
  status: 'succeeded',
  nodes: 1,
  counts: { succeeded: 1, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 },
  makespanMs: 1,
  attempts: 1,
  retries: 0,
  usage: { total: totals, byNode: { n: totals }, byModel: { m: totals } },
  retryBudget: { calls: 1, retries: 0, denied: 0, limit: 10 },
} as const;

/** The event of type `K` (unlike `EventOf`, also one of a member whose `type` is a union, as the circuit events). */
type Example<K extends RunEventType> = RunEvent extends infer E ? (E extends { type: infer T } ? (K extends T ? E & { type: K } : never) : never) : never;

/** One example of every event type (a missing type does not compile). */
const EXAMPLES: { [K in RunEventType]: Example<K> } = {
  'run.started': { type: 'run.started', ...stamp, concurrency: null, nodes: [{ id: 'n', deps: [], meta: { model: 'm' } }], costEstimate: { totalUsd: 1, maxUsd: 2, byNode: { n: 1 }, unestimated: [] } },
  'node.queued': { type: 'node.queued', ...node, priority: 1 },
  'node.expanded': { type: 'node.expanded', ...node, kind: 'forEach', nodes: [{ id: 'n[0]', deps: [], parent: 'n', meta: { agent: 'explorer' } }] },
  'node.waiting': { type: 'node.waiting', ...node, payload: { draft: 'Dear team' }, timeoutMs: null },
  'batch.submitted': { type: 'batch.submitted', ...report, batchId: 'msgbatch_sim_1', customId: 'outline-560d8b10216154fa', requests: 1, provider: 'simulated', resumed: false },
  'batch.polled': { type: 'batch.polled', ...report, batchId: 'msgbatch_sim_1', processingStatus: 'in_progress', requestCounts: { processing: 1, succeeded: 0, errored: 0, canceled: 0, expired: 0 }, poll: 1, nextPollMs: 15000 },
  'batch.ended': { type: 'batch.ended', ...report, batchId: 'msgbatch_sim_1', customId: 'outline-560d8b10216154fa', result: 'succeeded', requestCounts: { processing: 0, succeeded: 1, errored: 0, canceled: 0, expired: 0 }, waitedMs: 83250 },
  'node.iteration': { type: 'node.iteration', ...report, iteration: 2, maxIterations: 5, converged: false, durationMs: 40, preview: 'score 6: Schedulers decide when work runs.' },
  'peer.turn': { type: 'peer.turn', ...report, collaboration: 'article', turn: 3, from: 'writer', to: 'critic', chars: 42, preview: 'Schedulers decide when RxJS work runs.', durationMs: 20 },
  'peer.finished': { type: 'peer.finished', ...report, collaboration: 'article', turns: 4, reason: 'until' },
  'node.decided': { type: 'node.decided', ...node, approve: false, reason: 'tone', by: 'ana' },
  'node.started': { type: 'node.started', ...node, attempt: 1 },
  'node.retrying': { type: 'node.retrying', ...node, attempt: 1, delayMs: 100, error },
  'node.token': { type: 'node.token', ...report, text: 'hi' },
  'ratelimit.waiting': { type: 'ratelimit.waiting', ...report, waitMs: 10, limitedBy: 'inputTokens', queued: 2 },
  'concurrency.changed': { type: 'concurrency.changed', ...report, limit: 4, previous: 8, reason: 'overload' },
  'cache.hit': { type: 'cache.hit', ...report, key: 'k', model: 'm', savedUsd: 0.01 },
  'supervisor.routed': { type: 'supervisor.routed', ...report, supervisor: 'platform/data-team', turn: 1, next: 'FINISH', rationale: 'done', durationMs: 3 },
  'supervisor.worker': { type: 'supervisor.worker', ...report, supervisor: 's', turn: 1, worker: 'w', status: 'failed', durationMs: 2, error },
  'supervisor.finished': { type: 'supervisor.finished', ...report, supervisor: 's', turns: 1, routingCalls: 2, reason: 'FINISH' },
  'router.chose': { type: 'router.chose', ...report, router: 'pick', choice: 'r/n/1/team#1', supervisor: 'team', turn: 1, context: 'default', arm: 'cheap', sampled: { cheap: 0.81, expensive: 0.62 }, propensity: 0.93, explored: false, experiment: { name: 'ab', arm: 'bandit' } },
  'router.rewarded': { type: 'router.rewarded', ...report, router: 'pick', choice: 'r/n/1/team#1', context: 'default', arm: 'cheap', reward: 1, source: 'scorer', failed: false, durationMs: 240, costUsd: 0.0002, costSource: 'metered', experiment: { name: 'ab', arm: 'bandit' } },
  'experiment.assigned': { type: 'experiment.assigned', ...report, experiment: 'ab', arm: 'bandit', bucket: 0.42, supervisor: 'team', turn: 1 },
  'circuit.opened': { type: 'circuit.opened', ...report, breaker: 'b', failures: 5 },
  'circuit.halfOpened': { type: 'circuit.halfOpened', ...report, breaker: 'b' },
  'circuit.closed': { type: 'circuit.closed', ...report, breaker: 'b' },
  'agent.step': { type: 'agent.step', ...report, step: 1, stopReason: 'tool_use', toolCalls: 2, tokens: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 8 }, durationMs: 3 },
  'tool.called': { type: 'tool.called', ...report, step: 1, tool: 'read_file', toolUseId: 'toolu_1', input: { path: 'a.ts' } },
  'tool.succeeded': { type: 'tool.succeeded', ...report, step: 1, tool: 'read_file', toolUseId: 'toolu_1', durationMs: 2, resultChars: 120 },
  'tool.failed': { type: 'tool.failed', ...report, step: 1, tool: 'read_file', toolUseId: 'toolu_2', durationMs: 2, error, handling: 'reported' },
  'node.thinking': { type: 'node.thinking', ...report, text: 'Let me look' },
  'agent.retrying': { type: 'agent.retrying', ...report, step: 2, callAttempt: 1, delayMs: 1000, error },
  'agent.finished': { type: 'agent.finished', ...report, steps: 2, reason: 'end_turn', toolCalls: 2, transcript: [{ role: 'user', content: 'q' }] },
  'node.usage': { type: 'node.usage', ...report, model: 'm', usage: { inputTokens: 1, outputTokens: 2 }, costUsd: 0.001, rateLimit: { requests: { limit: 50, remaining: 49, resetAt: 60_000 } } },
  'node.succeeded': { type: 'node.succeeded', ...node, ...ended, value: { any: 'thing' }, restored: true },
  'node.failed': { type: 'node.failed', ...node, ...ended, error, gaveUp: 'budget' },
  'node.timedOut': { type: 'node.timedOut', ...node, ...ended, timeoutMs: 30_000, error, gaveUp: 'exhausted' },
  'node.fellBack': { type: 'node.fellBack', ...node, ...ended, value: 1, reason: 'timedOut', via: 0, error },
  'node.skipped': { type: 'node.skipped', ...node, cause: { kind: 'upstream', upstream: 'a' } },
  'budget.exceeded': { type: 'budget.exceeded', ...stamp, nodeId: 'n', spentUsd: 3, maxUsd: 2 },
  'run.completed': { type: 'run.completed', ...stamp, summary },
  'run.snapshot': {
    type: 'run.snapshot',
    ...stamp,
    nodes: [{ id: 'n', deps: [] }],
    states: { n: { state: 'succeeded', attempts: 1, startedAt: 0, endedAt: 1, tokens: 3, costUsd: 0.01 } },
    ended: [{ type: 'node.succeeded', ...node, ...ended, value: 1 }],
    summary,
  },
};

/** Every `type` the schema accepts. */
function schemaTypes(): string[] {
  return RunEventSchema.options.flatMap((option) => {
    const type = option.shape.type;
    return 'options' in type ? [...type.options] : [type.value];
  });
}

/** Each event validates; the ones that do not are listed with zod's first issue. */
function invalid(events: readonly unknown[]): string[] {
  return events.flatMap((event) => {
    const parsed = RunEventSchema.safeParse(JSON.parse(JSON.stringify(event)));
    return parsed.success ? [] : [`${(event as { type: string }).type}: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}`];
  });
}

describe('RunEventSchema: the run events and the reports declared next to their emitters', () => {
  it('has one example for each type it accepts, and accepts every example', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(schemaTypes().sort());
    expect(invalid(Object.values(EXAMPLES))).toEqual([]);
  });

  it('accepts the declared reports (supervisor, cache, circuit, quota, concurrency) and checks their fields', () => {
    for (const type of ['supervisor.routed', 'supervisor.worker', 'supervisor.finished', 'cache.hit', 'circuit.opened', 'ratelimit.waiting', 'concurrency.changed', 'agent.step', 'tool.called', 'tool.succeeded', 'tool.failed', 'node.thinking', 'agent.finished'] as const) {
      expect(schemaTypes()).toContain(type);
      expect(RunEventSchema.safeParse({ ...EXAMPLES[type], attempt: 'one' }).success).toBe(false);
    }
  });

  it('accepts every event a supervisor, a governed model (breaker, quota, adaptive limit) and a shared run emit', () => {
    const events = testScheduler().run(({ flush }) => {
      const team = supervisor({ name: 'team', workers: { echo: { run: (input: unknown) => of(`echo ${String(input)}`) } }, router: sequenceRouter(['echo']) });
      const failing = governedModel(simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, model: 'claude-haiku-4-5', failureRate: 1 }), {
        concurrency: 1,
        breaker: { policy: consecutiveFailures(2) },
      });
      const quota = { requestsPerMinute: 2 };
      const paced = governedModel(simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, model: 'claude-haiku-4-5', quota: { requestsPerMinute: 4 } }), {
        concurrency: { initial: 8, min: 1, max: 8 },
      });
      const quoted = governedModel(simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, model: 'claude-haiku-4-5', quota }), { quota, concurrency: 10 });
      const g = graph()
        .node('request', { run: () => ['standardize the ids'] })
        .node('team', { deps: ['request'], run: team })
        .node('flaky', { run: () => Promise.reject(new Error('once')), retry: 1, fallback: { value: 'fallback' } })
        .build();
      const fails = graphFromNodes(Array.from({ length: 4 }, (_, i) => ({ id: `f${i}`, run: llm({ prompt: () => `task ${i}` }), timeout: false as const })));
      const waits = graphFromNodes(Array.from({ length: 4 }, (_, i) => ({ id: `w${i}`, run: llm({ prompt: () => `task ${i}` }), timeout: false as const })));
      const overload = graphFromNodes(Array.from({ length: 8 }, (_, i) => ({ id: `o${i}`, run: llm({ prompt: () => `task ${i}`.padEnd(400, '.') }), retry: 5, timeout: false as const })));
      const shared = shareRun(execute(g, { random: () => 0 }));
      const all = [
        record(shared.events$),
        record(execute(fails, { model: failing, concurrency: 1 })),
        record(execute(waits, { model: quoted, concurrency: Infinity })),
        record(execute(overload, { model: paced, concurrency: Infinity, random: () => 0, retryBudget: false })),
      ];
      shared.connect();
      flush();
      const late = record(shared.events$); // a late subscriber gets run.snapshot
      return [...all.flat(), ...late];
    });
    const types = new Set(events.map((e) => e.type));
    for (const type of ['supervisor.routed', 'supervisor.worker', 'supervisor.finished', 'circuit.opened', 'ratelimit.waiting', 'concurrency.changed', 'node.retrying', 'node.fellBack', 'node.failed', 'node.usage', 'run.completed', 'run.snapshot']) {
      expect(types, type).toContain(type);
    }
    expect(invalid(events)).toEqual([]);
  });

  it('accepts the cache.hit a cached model emits', async () => {
    const store = sqliteStore(':memory:');
    try {
      const model = cachedModel(simulatedModel({ latency: { medianMs: 1, p95Ms: 1 }, model: 'claude-haiku-4-5' }), store);
      const g = graph()
        .node('facts', { run: llm({ prompt: () => 'three facts', temperature: 0, provider: model }) })
        .build();
      const run = () => lastValueFrom(execute(g).pipe(toArray()));
      await run();
      const second: RunEvent[] = await run();
      expect(second.map((e) => e.type)).toContain('cache.hit');
      expect(invalid(second)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
