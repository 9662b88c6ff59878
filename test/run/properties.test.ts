/**
 * Property tests of the executor on random DAGs, in virtual time.
 *
 * Each sample is a random DAG (node i depends on a random subset of nodes 0..i-1, so it is acyclic)
 * whose nodes are scripted agents: per attempt the agent replies, fails with a retryable error,
 * fails with a non-retryable one, or hangs until the node's deadline. Nodes get random durations,
 * retry settings, deadlines, fallbacks and upstream policies; runs get a random concurrency. The
 * run's events are then checked against invariants and against a sequential model of the outcome.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import {
  DEFAULT_NODE_TIMEOUT_MS,
  RunEventSchema,
  execute,
  graphFromNodes,
  isNodeEndEvent,
  type EventOf,
  type NodeEndEvent,
  type NodeFallback,
  type NodeRetry,
  type RunEvent,
  type UpstreamPolicy,
} from 'rx-orchestra';
import { backoffDelay } from 'rx-orchestra/operators';
import { scriptedAgent, type ScriptStep, type ScriptedAgent } from 'rx-orchestra/testing';

const NUM_RUNS = 200;
const RUN_ID = 'prop-run';

// ---------------------------------------------------------------------------------------------
// The model: random workflows
// ---------------------------------------------------------------------------------------------

/** What one attempt of a node does: reply, fail (retryable), fail (not retryable), or hang. */
type StepKind = 'ok' | 'fail' | 'fatal' | 'hang';

interface NodeModel {
  readonly index: number;
  readonly id: string;
  /** Indices of the dependencies, all lower than `index`. */
  readonly deps: readonly number[];
  /** Latency of every attempt that replies or fails, in virtual ms (0..50). */
  readonly duration: number;
  /** Attempt k plays `steps[min(k, steps.length) - 1]`. */
  readonly steps: readonly StepKind[];
  readonly retry: NodeRetry;
  readonly retries: number;
  /** As given to the node: `undefined` means the default deadline. */
  readonly timeout: number | false | undefined;
  readonly fallback: 'none' | 'value' | 'function';
  readonly policy: UpstreamPolicy;
}

interface Sample {
  readonly nodes: readonly NodeModel[];
  readonly concurrency: number;
}

const stepArb: fc.Arbitrary<StepKind> = fc.oneof(
  { arbitrary: fc.constant('ok' as const), weight: 5 },
  { arbitrary: fc.constant('fail' as const), weight: 3 },
  { arbitrary: fc.constant('fatal' as const), weight: 1 },
  { arbitrary: fc.constant('hang' as const), weight: 1 },
);

const retryArb: fc.Arbitrary<NodeRetry> = fc.oneof(
  // a bare count: default backoff (1000 ms, x2; jitter is neutralised by `random: () => 0`)
  fc.integer({ min: 0, max: 3 }),
  fc.record({
    count: fc.integer({ min: 0, max: 3 }),
    initialDelay: fc.integer({ min: 0, max: 20 }),
    factor: fc.integer({ min: 1, max: 3 }),
    maxDelay: fc.integer({ min: 0, max: 60 }),
    jitter: fc.constantFrom(0, 0.5, 1),
  }),
);

const nodeGenArb = (policies: readonly UpstreamPolicy[]) =>
  fc.record({
    depPicks: fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 4 }),
    duration: fc.integer({ min: 0, max: 50 }),
    steps: fc.array(stepArb, { minLength: 1, maxLength: 3 }),
    retry: retryArb,
    timeoutMode: fc.constantFrom('none', 'default', 'explicit'),
    timeoutExtra: fc.integer({ min: 1, max: 30 }),
    fallback: fc.constantFrom('none', 'none', 'value', 'function'),
    policy: fc.constantFrom(...policies),
  });

type NodeGen = ReturnType<typeof nodeGenArb> extends fc.Arbitrary<infer G> ? G : never;

function toModel(gen: NodeGen, index: number): NodeModel {
  const deps = index === 0 ? [] : [...new Set(gen.depPicks.map((p) => p % index))].sort((a, b) => a - b);
  const hangs = gen.steps.includes('hang');
  // An explicit deadline is always longer than a replying/failing attempt, so only hangs time out.
  const timeout =
    gen.timeoutMode === 'explicit' ? gen.duration + gen.timeoutExtra : gen.timeoutMode === 'default' || hangs ? undefined : false;
  return {
    index,
    id: `n${index}`,
    deps,
    duration: gen.duration,
    steps: gen.steps,
    retry: gen.retry,
    retries: typeof gen.retry === 'number' ? gen.retry : (gen.retry.count ?? 3),
    timeout,
    fallback: gen.fallback,
    policy: gen.policy,
  };
}

const sampleArb = (policies: readonly UpstreamPolicy[]): fc.Arbitrary<Sample> =>
  fc
    .record({
      // size 'max': lengths spread over 1..40 (the default size keeps arrays around 10 long)
      gens: fc.array(nodeGenArb(policies), { minLength: 1, maxLength: 40, size: 'max' }),
      concurrency: fc.integer({ min: 1, max: 6 }),
    })
    .map(({ gens, concurrency }) => ({ concurrency, nodes: gens.map(toModel) }));

// ---------------------------------------------------------------------------------------------
// Running a sample in virtual time
// ---------------------------------------------------------------------------------------------

type Inputs = Record<string, unknown>;

interface Observed {
  readonly events: RunEvent[];
  completed: boolean;
  error: unknown;
  readonly agents: readonly ScriptedAgent<Inputs, string>[];
}

const valueOf = (m: NodeModel) => `v:${m.id}`;
const fallbackValueOf = (m: NodeModel, errorName: string) => (m.fallback === 'value' ? `fb:${m.id}` : `fb:${m.id}:${errorName}`);

function scriptStep(m: NodeModel, kind: StepKind): ScriptStep<string> {
  switch (kind) {
    case 'ok':
      return { reply: valueOf(m), after: m.duration };
    case 'fail':
      return { fail: Object.assign(new Error(`${m.id} transient`), { name: 'TransientError' }), after: m.duration };
    case 'fatal':
      return { fail: Object.assign(new Error(`${m.id} fatal`), { name: 'FatalError', retryable: false }), after: m.duration };
    case 'hang':
      return { hang: true };
  }
}

function fallbackOf(m: NodeModel): NodeFallback<string> | undefined {
  if (m.fallback === 'value') return { value: fallbackValueOf(m, '') };
  if (m.fallback === 'function') return (error: unknown) => fallbackValueOf(m, (error as Error).name);
  return undefined;
}

function simulate({ nodes, concurrency }: Sample): Observed {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const agents = nodes.map((m) =>
    scriptedAgent<Inputs, string>(
      m.steps.map((kind) => scriptStep(m, kind)),
      { scheduler, whenExhausted: 'repeatLast' },
    ),
  );
  const g = graphFromNodes(
    nodes.map((m) => ({
      id: m.id,
      deps: m.deps.map((d) => nodes[d]!.id),
      run: ({ inputs, signal }: { inputs: Inputs; signal: AbortSignal }) => agents[m.index]!.call({ ...inputs }, signal),
      timeout: m.timeout,
      retry: m.retry,
      fallback: fallbackOf(m),
      onUpstreamFailure: m.policy,
    })),
  );
  const observed: Observed = { events: [], completed: false, error: undefined, agents };
  execute(g, { concurrency, scheduler, random: () => 0, runId: RUN_ID, retryBudget: false }).subscribe({ // the model below has no run-wide budget
    next: (event) => observed.events.push(event),
    error: (error: unknown) => (observed.error = error),
    complete: () => (observed.completed = true),
  });
  scheduler.flush();
  return observed;
}

// ---------------------------------------------------------------------------------------------
// Reading a run's events back
// ---------------------------------------------------------------------------------------------

interface At<E> {
  readonly idx: number;
  readonly event: E;
}

interface NodeTrace {
  readonly queued: At<EventOf<'node.queued'>>[];
  readonly starts: At<EventOf<'node.started'>>[];
  readonly retrying: At<EventOf<'node.retrying'>>[];
  readonly ends: At<NodeEndEvent>[];
}

interface Trace {
  readonly nodes: NodeTrace[];
  readonly completed: EventOf<'run.completed'>;
  /** Index of the first `node.skipped` event caused by the run failing (policy `fail`), if any. */
  readonly runFailedAt: number | undefined;
}

const hasValue = (end: NodeEndEvent | undefined) => end?.type === 'node.succeeded' || end?.type === 'node.fellBack';
const isRunFailedSkip = (event: RunEvent): event is EventOf<'node.skipped'> =>
  event.type === 'node.skipped' && event.cause.kind === 'runFailed';

function traceOf(sample: Sample, { events }: Observed): Trace {
  const indexOf = new Map(sample.nodes.map((m) => [m.id, m.index] as const));
  const nodes: NodeTrace[] = sample.nodes.map(() => ({ queued: [], starts: [], retrying: [], ends: [] }));
  let runFailedAt: number | undefined;
  events.forEach((event, idx) => {
    if (!('nodeId' in event)) return;
    const i = indexOf.get(event.nodeId);
    if (i === undefined) throw new Error(`event for unknown node ${event.nodeId}`);
    const node = nodes[i]!;
    if (event.type === 'node.queued') node.queued.push({ idx, event });
    else if (event.type === 'node.started') node.starts.push({ idx, event });
    else if (event.type === 'node.retrying') node.retrying.push({ idx, event });
    else if (isNodeEndEvent(event)) node.ends.push({ idx, event });
    if (runFailedAt === undefined && isRunFailedSkip(event)) runFailedAt = idx;
  });
  const last = events[events.length - 1];
  if (last?.type !== 'run.completed') throw new Error(`the last event is ${last?.type}, not run.completed`);
  return { nodes, completed: last, runFailedAt };
}

/** Longest remaining path with the default estimate 1: the priority `node.queued` reports. */
function ranks(nodes: readonly NodeModel[]): number[] {
  const rank = nodes.map(() => 1);
  for (let i = nodes.length - 1; i >= 0; i--) {
    for (const d of nodes[i]!.deps) rank[d] = Math.max(rank[d]!, 1 + rank[i]!);
  }
  return rank;
}

const stepOf = (m: NodeModel, attempt: number) => m.steps[Math.min(attempt, m.steps.length) - 1]!;

/** How long attempt `attempt` of a node takes: its latency, or its deadline when it hangs. */
function attemptMs(m: NodeModel, attempt: number): number {
  if (stepOf(m, attempt) !== 'hang') return m.duration;
  if (m.timeout === false) throw new Error('a hanging node always has a deadline');
  return m.timeout ?? DEFAULT_NODE_TIMEOUT_MS;
}

/**
 * Replays a run's events and calls `visit` with the set of running nodes after each event
 * (a node runs from its first `node.started` to its end, including backoff waits between attempts).
 */
function replayRunning(sample: Sample, events: readonly RunEvent[], visit: (idx: number, running: ReadonlySet<string>) => void): void {
  const running = new Set<string>();
  events.forEach((event, idx) => {
    switch (event.type) {
      case 'node.started':
        if (event.attempt === 1) {
          same(running.has(event.nodeId), false, () => `${event.nodeId} started twice`);
          running.add(event.nodeId);
        } else {
          ensure(running.has(event.nodeId), () => `${event.nodeId} lost its slot before attempt ${event.attempt}`);
        }
        break;
      case 'node.retrying':
        ensure(running.has(event.nodeId), () => `${event.nodeId} retrying without a slot`);
        break;
      case 'node.skipped': {
        const wasRunning = event.cause.kind === 'runFailed' && event.cause.wasRunning;
        same(running.has(event.nodeId), wasRunning, () => `${event.nodeId} skipped with wasRunning=${wasRunning}`);
        running.delete(event.nodeId);
        break;
      }
      case 'node.succeeded':
      case 'node.failed':
      case 'node.timedOut':
      case 'node.fellBack':
        ensure(running.has(event.nodeId), () => `${event.nodeId} ended (${event.type}) without having started`);
        running.delete(event.nodeId);
        break;
      default:
        break;
    }
    visit(idx, running);
  });
  expect([...running], 'nodes still running at the end of the run').toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

/** Cheap assertions for the per-event loops (`expect` is slow when called thousands of times per run). */
function ensure(condition: unknown, message: () => string): asserts condition {
  if (!condition) throw new Error(message());
}

function same<T>(actual: T, expected: T, label: () => string): void {
  if (!Object.is(actual, expected)) throw new Error(`${label()}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
// ---------------------------------------------------------------------------------------------

/** The stream: starts with run.started, ends with exactly one run.completed, completes, well-formed. */
function checkStream(sample: Sample, observed: Observed): void {
  const { events } = observed;
  expect(observed.error).toBeUndefined();
  same(observed.completed, true, () => 'the stream completed');
  expect(events[0]).toMatchObject({ type: 'run.started', at: 0, concurrency: sample.concurrency });
  expect((events[0] as EventOf<'run.started'>).nodes).toEqual(
    sample.nodes.map((m) => ({ id: m.id, deps: m.deps.map((d) => sample.nodes[d]!.id) })),
  );
  expect(events.filter((e) => e.type === 'run.started')).toHaveLength(1);
  expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(1);
  same(events[events.length - 1]!.type, 'run.completed', () => 'last event');
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    same(event.runId, RUN_ID, () => `runId of event ${i}`);
    if (i > 0) ensure(event.at >= events[i - 1]!.at, () => `time goes backwards at event ${i}`);
    const parsed = RunEventSchema.safeParse(event);
    ensure(parsed.success, () => `event ${i} (${event.type}) does not match RunEventSchema`);
  }
}

/** Every node ends with exactly one end event, and nothing about it comes after that. */
function checkEndsOnce(sample: Sample, observed: Observed): void {
  const trace = traceOf(sample, observed);
  sample.nodes.forEach((m, i) => {
    const node = trace.nodes[i]!;
    ensure(node.ends.length === 1, () => `${m.id} should end exactly once, got [${node.ends.map((e) => e.event.type).join(', ')}]`);
    const endIdx = node.ends[0]!.idx;
    const later = [...node.queued, ...node.starts, ...node.retrying].filter((e) => e.idx > endIdx);
    ensure(later.length === 0, () => `${m.id} has events after its end: ${later.map((e) => e.event.type).join(', ')}`);
  });
}

/**
 * Nodes are queued when their last dependency ends, start only after all their dependencies ended
 * (and, unless the policy is 'partial', only when all of them have a value), and a 'skip' node with
 * a dependency without value is skipped, naming such a dependency.
 */
function checkDependencyOrder(sample: Sample, observed: Observed): void {
  const trace = traceOf(sample, observed);
  sample.nodes.forEach((m, i) => {
    const node = trace.nodes[i]!;
    const depEnds = m.deps.map((d) => trace.nodes[d]!.ends[0]);
    const end = node.ends[0];
    ensure(node.queued.length <= 1, () => `${m.id} queued more than once`);
    const queued = node.queued[0];
    if (queued) {
      for (const [k, depEnd] of depEnds.entries()) {
        ensure(depEnd && depEnd.idx < queued.idx, () => `${m.id} queued before its dep ${sample.nodes[m.deps[k]!]!.id} ended`);
      }
      same(queued.event.at, Math.max(0, ...depEnds.map((e) => e!.event.at)), () => `${m.id} queued late`);
      if (m.policy !== 'partial') {
        ensure(depEnds.every((e) => hasValue(e?.event)), () => `${m.id} (${m.policy}) queued although a dep has no value`);
      }
    } else {
      ensure(node.starts.length === 0, () => `${m.id} started without being queued`);
      if (end) same(end.event.type, 'node.skipped', () => `${m.id} ended without being queued`);
    }
    node.starts.forEach((s, k) => same(s.event.attempt, k + 1, () => `${m.id}: attempt number of start #${k + 1}`));
    const first = node.starts[0];
    if (first) {
      ensure(queued && first.idx > queued.idx, () => `${m.id} started before it was queued`);
      for (const [k, depEnd] of depEnds.entries()) {
        ensure(depEnd && depEnd.idx < first.idx, () => `${m.id} started before its dep ${sample.nodes[m.deps[k]!]!.id} ended`);
      }
      if (m.policy !== 'partial') {
        ensure(depEnds.every((e) => hasValue(e?.event)), () => `${m.id} (${m.policy}) started although a dep has no value`);
      }
    }
    if (m.policy === 'skip' && depEnds.some((e) => e !== undefined && !hasValue(e.event))) {
      ensure(node.starts.length === 0, () => `${m.id} (skip) started although a dep did not succeed`);
      if (end) same(end.event.type, 'node.skipped', () => `${m.id} (skip) has a dep that did not succeed`);
    }
    if (end?.event.type === 'node.skipped' && end.event.cause.kind === 'upstream') {
      const { upstream } = end.event.cause;
      same(m.policy, 'skip', () => `${m.id} skipped for upstream ${upstream} under policy ${m.policy}`);
      const d = m.deps.find((dep) => sample.nodes[dep]!.id === upstream);
      ensure(d !== undefined, () => `${m.id} skipped naming ${upstream}, not one of its deps`);
      const depEnd = trace.nodes[d]!.ends[0];
      ensure(depEnd && depEnd.idx < end.idx && !hasValue(depEnd.event), () => `${m.id} skipped naming ${upstream}, which had not failed yet`);
    }
  });
}

/** At no time are more than `concurrency` nodes running; a retrying node keeps its slot. */
function checkConcurrency(sample: Sample, observed: Observed): void {
  let peak = 0;
  replayRunning(sample, observed.events, (idx, running) => {
    ensure(running.size <= sample.concurrency, () => `${running.size} nodes running after event ${idx}`);
    peak = Math.max(peak, running.size);
  });
  // A node never has two attempts in flight at once.
  for (const [i, agent] of observed.agents.entries()) ensure(agent.maxInFlight <= 1, () => `n${i} had two attempts in flight`);
  expect(peak).toBeLessThanOrEqual(sample.concurrency);
}

/**
 * Work-conserving: once all events of a time have been emitted, if some node is ready (all its deps
 * ended; with a value unless the policy is 'partial') but has not started, every slot is taken.
 */
function checkWorkConserving(sample: Sample, observed: Observed): void {
  const { events } = observed;
  const ended = new Map<string, NodeEndEvent>();
  const started = new Set<string>();
  replayRunning(sample, events, (idx, running) => {
    const event = events[idx]!;
    if (isNodeEndEvent(event)) ended.set(event.nodeId, event);
    if (event.type === 'node.started') started.add(event.nodeId);
    const next = events[idx + 1];
    if (next && next.at === event.at) return;
    const ready = sample.nodes.filter(
      (m) =>
        !ended.has(m.id) &&
        !started.has(m.id) &&
        m.deps.every((d) => ended.has(sample.nodes[d]!.id)) &&
        (m.policy === 'partial' || m.deps.every((d) => hasValue(ended.get(sample.nodes[d]!.id)))),
    );
    if (ready.length > 0) {
      ensure(
        running.size === sample.concurrency,
        () => `t=${event.at}: ${ready.map((m) => m.id).join(', ')} ready but only ${running.size}/${sample.concurrency} running`,
      );
    }
  });
}

/** The queue's priority is the longest remaining path, and the highest-priority ready node starts first. */
function checkPriority(sample: Sample, observed: Observed): void {
  const rank = ranks(sample.nodes);
  const indexOf = new Map(sample.nodes.map((m) => [m.id, m.index] as const));
  const waiting = new Set<number>();
  for (const event of observed.events) {
    if (event.type === 'node.queued') {
      const i = indexOf.get(event.nodeId)!;
      same(event.priority, rank[i], () => `priority of ${event.nodeId}`);
      waiting.add(i);
    } else if (event.type === 'node.started' && event.attempt === 1) {
      const i = indexOf.get(event.nodeId)!;
      waiting.delete(i);
      for (const j of waiting) {
        const first = rank[i]! > rank[j]! || (rank[i] === rank[j] && i < j);
        ensure(first, () => `${event.nodeId} (rank ${rank[i]}) started before n${j} (rank ${rank[j]})`);
      }
    } else if (isNodeEndEvent(event)) {
      waiting.delete(indexOf.get(event.nodeId)!);
    }
  }
}

/** `summary.counts` match the end events. */
function checkSummaryCounts(sample: Sample, observed: Observed): void {
  const { summary } = traceOf(sample, observed).completed;
  const ends = observed.events.filter(isNodeEndEvent);
  const counted = { succeeded: 0, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 };
  for (const end of ends) counted[end.type.slice('node.'.length) as keyof typeof counted] += 1;
  expect(summary.counts).toEqual(counted);
  same(Object.values(summary.counts).reduce((a, b) => a + b, 0), sample.nodes.length, () => 'sum of summary.counts');
}

/** attempts, retries, makespan and status of the summary, and the per-node attempt fields. */
function checkSummary(sample: Sample, observed: Observed): void {
  const trace = traceOf(sample, observed);
  const { summary } = trace.completed;
  const starts = observed.events.filter((e) => e.type === 'node.started');
  same(summary.attempts, starts.length, () => 'summary.attempts');
  same(summary.retries, trace.nodes.reduce((sum, n) => sum + Math.max(0, n.starts.length - 1), 0), () => 'summary.retries');
  same(summary.makespanMs, trace.completed.at, () => 'summary.makespanMs');
  const ends = observed.events.filter(isNodeEndEvent);
  if (trace.runFailedAt !== undefined) {
    same(summary.status, 'failed', () => 'summary.status');
    expect(summary.failedNode).toBeDefined();
  } else {
    expect(summary.failedNode).toBeUndefined();
    const allOk = ends.length === sample.nodes.length && ends.every((e) => hasValue(e));
    const noneOk = !ends.some((e) => hasValue(e));
    same(summary.status, allOk ? 'succeeded' : noneOk ? 'failed' : 'partial', () => 'summary.status');
  }
  for (const node of trace.nodes) {
    for (const { event } of node.ends) {
      if (event.type === 'node.skipped') continue;
      same(event.attempts, node.starts.length, () => `${event.nodeId}: attempts`);
      same(event.startedAt, node.starts[0]!.event.at, () => `${event.nodeId}: startedAt`);
      same(event.durationMs, event.at - event.startedAt, () => `${event.nodeId}: durationMs`);
    }
  }
}

type Prediction =
  | { kind: 'skipped' }
  | { kind: 'runFails' }
  | { kind: 'ran'; status: 'succeeded' | 'failed' | 'timedOut' | 'fellBack'; attempts: number; value?: string; reason?: 'failed' | 'timedOut' };

/** What each node ends with, worked out sequentially from the scripts (timing plays no part). */
function predict(nodes: readonly NodeModel[]): Prediction[] {
  const out: Prediction[] = [];
  for (const m of nodes) {
    const depsOk = m.deps.every((d) => {
      const p = out[d]!;
      return p.kind === 'ran' && (p.status === 'succeeded' || p.status === 'fellBack');
    });
    if (!depsOk && m.policy === 'skip') out.push({ kind: 'skipped' });
    else if (!depsOk && m.policy === 'fail') out.push({ kind: 'runFails' });
    else out.push(predictRun(m));
  }
  return out;
}

function predictRun(m: NodeModel): Prediction {
  for (let attempt = 1; ; attempt++) {
    const step = stepOf(m, attempt);
    if (step === 'ok') return { kind: 'ran', status: 'succeeded', attempts: attempt, value: valueOf(m) };
    if (step === 'fatal' || attempt > m.retries) {
      const failure = step === 'hang' ? 'timedOut' : 'failed';
      if (m.fallback === 'none') return { kind: 'ran', status: failure, attempts: attempt };
      const errorName = step === 'hang' ? 'TimeoutError' : step === 'fatal' ? 'FatalError' : 'TransientError';
      return { kind: 'ran', status: 'fellBack', attempts: attempt, value: fallbackValueOf(m, errorName), reason: failure };
    }
  }
}

/**
 * Outcomes, timing and inputs match the model: every node that ended on its own (not cut short by
 * a run failure) ended as predicted, after the predicted attempts, at the predicted times; retries
 * wait the configured backoff; each attempt got exactly the values of its deps that have one; no
 * agent call is left in flight and every cancelled call saw its signal abort.
 */
function checkModel(sample: Sample, observed: Observed): void {
  const trace = traceOf(sample, observed);
  const prediction = predict(sample.nodes);
  const runFails = prediction.some((p) => p.kind === 'runFails');
  same(trace.completed.summary.failedNode !== undefined, runFails, () => 'the run is stopped iff a fail-policy node has a dep without value');
  sample.nodes.forEach((m, i) => {
    const node = trace.nodes[i]!;
    const p = prediction[i]!;
    const end = node.ends[0]?.event;
    const agent = observed.agents[i]!;
    same(agent.calls.length, node.starts.length, () => `${m.id}: one agent call per attempt`);
    same(agent.inFlight, 0, () => `${m.id}: call left in flight`);
    for (const call of agent.calls) {
      if (call.result === 'cancelled') ensure(call.signalAborted, () => `${m.id}: cancelled call #${call.index} without abort`);
    }
    // Retries: each waits its backoff after the failed attempt's latency or deadline.
    node.retrying.forEach(({ event }, k) => {
      const attempt = k + 1;
      same(event.attempt, attempt, () => `${m.id}: retrying.attempt`);
      same(event.at, node.starts[k]!.event.at + attemptMs(m, attempt), () => `${m.id}: retrying after attempt ${attempt} at`);
      const step = stepOf(m, attempt);
      ensure(step === 'fail' || step === 'hang', () => `${m.id} retried a ${step} attempt`);
      same(event.error.name, step === 'hang' ? 'TimeoutError' : 'TransientError', () => `${m.id}: retried error`);
      const config = typeof m.retry === 'number' ? {} : m.retry;
      same(event.delayMs, backoffDelay(attempt, config, () => 0), () => `${m.id}: backoff before attempt ${attempt + 1}`);
      const next = node.starts[k + 1];
      if (next) same(next.event.at, event.at + event.delayMs, () => `${m.id} attempt ${attempt + 1} did not wait its backoff`);
    });
    // Inputs: exactly the values of the deps that have one.
    const expectedInputs = Object.fromEntries(
      m.deps.flatMap((d) => {
        const depEnd = trace.nodes[d]!.ends[0]?.event;
        return depEnd?.type === 'node.succeeded' || depEnd?.type === 'node.fellBack' ? [[sample.nodes[d]!.id, depEnd.value]] : [];
      }),
    );
    // (entries, not JSON of the object: a key holding `undefined` must count)
    const entriesOf = (inputs: Inputs) => JSON.stringify(Object.entries(inputs).sort(([a], [b]) => a.localeCompare(b)));
    const expected = entriesOf(expectedInputs);
    for (const call of agent.calls) same(entriesOf(call.input), expected, () => `${m.id}: inputs of attempt ${call.index + 1}`);

    if (!end || (end.type === 'node.skipped' && end.cause.kind === 'runFailed')) {
      ensure(runFails, () => `${m.id} did not end on its own, although the run did not fail`);
      return;
    }
    if (end.type === 'node.skipped') {
      same(p.kind, 'skipped', () => `${m.id} was skipped`);
      return;
    }
    same(p.kind, 'ran', () => `${m.id} ran`);
    if (p.kind !== 'ran') return;
    same(end.type, `node.${p.status}` as const, () => `${m.id}: end event`);
    same(end.attempts, p.attempts, () => `${m.id}: attempts`);
    if (end.type === 'node.succeeded' || end.type === 'node.fellBack') same(end.value, p.value, () => `${m.id}: value`);
    if (end.type === 'node.fellBack') same(end.reason, p.reason, () => `${m.id}: fallback reason`);
    const lastStart = node.starts[node.starts.length - 1]!.event;
    same(end.at, lastStart.at + attemptMs(m, p.attempts), () => `${m.id} ended at the wrong time`);
  });
}

/**
 * Policy 'fail': when a fail-policy node's dependency ends without a value, nothing more starts;
 * the remaining events are `node.skipped` with cause `runFailed` naming that dependency, all at
 * that moment, with `wasRunning` telling the in-flight nodes; then `run.completed` (status failed).
 */
function checkRunFailure(sample: Sample, observed: Observed): void {
  const trace = traceOf(sample, observed);
  const { events } = observed;
  const { summary } = trace.completed;
  const F = trace.runFailedAt;
  if (F === undefined) {
    expect(summary.failedNode).toBeUndefined();
    // not stopped: 'failed' only when no node has a value
    same(summary.status === 'failed', !events.some((e) => isNodeEndEvent(e) && hasValue(e)), () => 'summary.status failed iff no value');
    for (const m of sample.nodes) {
      if (m.policy !== 'fail') continue;
      for (const d of m.deps) {
        const depEnd = trace.nodes[d]!.ends[0]?.event;
        ensure(hasValue(depEnd), () => `${m.id} (fail) has dep ${sample.nodes[d]!.id} that ended ${depEnd?.type}, yet the run did not fail`);
      }
    }
    return;
  }
  same(summary.status, 'failed', () => 'summary.status');
  const failedNode = summary.failedNode!;
  const failedAt = events[F]!.at;
  const failed = sample.nodes.find((m) => m.id === failedNode);
  expect(failed, `failedNode ${failedNode}`).toBeDefined();
  const failedEnd = trace.nodes[failed!.index]!.ends[0];
  ensure(failedEnd && failedEnd.idx < F && !hasValue(failedEnd.event), () => `${failedNode} had not ended without a value`);
  same(failedEnd.event.at, failedAt, () => `${failedNode} ended when the run failed`);
  const skippedByFailure = new Set<string>();
  for (let idx = F; idx < events.length - 1; idx++) {
    const event = events[idx]!;
    ensure(isRunFailedSkip(event), () => `after the run failed: ${event.type} ${'nodeId' in event ? event.nodeId : ''}`);
    if (!isRunFailedSkip(event) || event.cause.kind !== 'runFailed') continue;
    same(event.at, failedAt, () => `${event.nodeId} skipped when the run failed`);
    same(event.cause.failedNode, failedNode, () => `${event.nodeId}: cause.failedNode`);
    skippedByFailure.add(event.nodeId);
    const node = trace.nodes[sample.nodes.findIndex((m) => m.id === event.nodeId)]!;
    const wasRunning = node.starts.length > 0;
    same(event.cause.wasRunning, wasRunning, () => `${event.nodeId} wasRunning`);
  }
  // The in-flight work was cancelled (signal aborted) then and there; nothing was called afterwards.
  observed.agents.forEach((agent, i) => {
    for (const call of agent.calls) {
      const what = `n${i} call #${call.index} (${call.result} at ${call.endedAt})`;
      ensure(call.startedAt <= failedAt && call.endedAt !== undefined && call.endedAt <= failedAt, () => `${what} outlived the run failure at ${failedAt}`);
      if (call.result === 'cancelled') ensure(call.signalAborted, () => `${what}: signal not aborted`);
    }
  });
  same(trace.completed.at, failedAt, () => 'run.completed when the run failed');
  // failedNode is the root failure (failed or timed out, never a skip), reached by the 'fail' node
  // directly or through a chain of upstream skips that it started.
  ensure(failedEnd.event.type !== 'node.skipped', () => `failedNode ${failedNode} is a skipped node, not the root failure`);
  const chain = new Set<number>([failed!.index]);
  for (const m of sample.nodes) {
    const end = trace.nodes[m.index]!.ends[0]?.event;
    if (end?.type === 'node.skipped' && end.cause.kind === 'upstream') {
      const upstream = sample.nodes.find((u) => u.id === (end.cause as { upstream: string }).upstream)!;
      if (chain.has(upstream.index)) chain.add(m.index);
    }
  }
  const culprit = sample.nodes.filter((m) => m.policy === 'fail' && m.deps.some((d) => chain.has(d)) && skippedByFailure.has(m.id));
  expect(culprit.length, `no fail-policy dependent of ${failedNode} was pending`).toBeGreaterThan(0);
}

type Check = (sample: Sample, observed: Observed) => void;

function holds(policies: readonly UpstreamPolicy[], checks: readonly Check[], examples: Sample[] = []): void {
  fc.assert(
    fc.property(sampleArb(policies), (sample) => {
      const observed = simulate(sample);
      for (const check of checks) check(sample, observed);
    }),
    { numRuns: NUM_RUNS, examples: examples.map((e) => [e] as [Sample]) },
  );
}

// ---------------------------------------------------------------------------------------------

describe("random DAGs, onUpstreamFailure 'skip' | 'partial'", () => {
  const policies = ['skip', 'partial'] as const;

  it('every node ends with exactly one end event; one run.completed, last', () => {
    holds(policies, [checkStream, checkEndsOnce]);
  });

  it("nodes start after all deps ended ('skip': only if all have a value); skips name a failed dep", () => {
    holds(policies, [checkDependencyOrder]);
  });

  it('never more than `concurrency` nodes running, retrying nodes included', () => {
    holds(policies, [checkConcurrency]);
  });

  it('is work-conserving: a ready node waits only while every slot is taken', () => {
    holds(policies, [checkWorkConserving]);
  });

  it('starts the ready node with the longest remaining path first', () => {
    holds(policies, [checkPriority]);
  });

  it('summary counts match the end events; attempts = node.started events', () => {
    holds(policies, [checkSummaryCounts, checkSummary]);
  });

  it('outcomes, timing, retries and inputs match a sequential model of the scripts', () => {
    holds(policies, [checkModel]);
  });
});

describe("random DAGs with onUpstreamFailure 'fail'", () => {
  it("'fail' | 'partial': all invariants hold, and a run failure skips every pending node", () => {
    holds(
      ['fail', 'partial'],
      [checkStream, checkEndsOnce, checkDependencyOrder, checkConcurrency, checkWorkConserving, checkPriority, checkSummaryCounts, checkSummary, checkModel, checkRunFailure],
    );
  });

  it("'skip' | 'partial' | 'fail': all invariants hold, and a run failure skips every pending node", () => {
    holds(
      ['skip', 'partial', 'fail'],
      [checkStream, checkEndsOnce, checkDependencyOrder, checkConcurrency, checkWorkConserving, checkPriority, checkSummaryCounts, checkSummary, checkModel, checkRunFailure],
    );
  });

  // Regression: a skip claimed by one dependent must still be emitted when a sibling with policy
  // 'fail' stops the run in the same step (a fails; b deps [a] 'skip'; c deps [a] 'fail').
  it("'skip' | 'partial' | 'fail': every node still ends exactly once and counts match", () => {
    const node = (index: number, deps: number[], policy: UpstreamPolicy, steps: StepKind[]): NodeModel => ({
      index,
      id: `n${index}`,
      deps,
      duration: 5,
      steps,
      retry: 0,
      retries: 0,
      timeout: false,
      fallback: 'none',
      policy,
    });
    const repro: Sample = {
      concurrency: 1,
      nodes: [node(0, [], 'skip', ['fatal']), node(1, [0], 'skip', ['ok']), node(2, [0], 'fail', ['ok'])],
    };
    holds(['skip', 'partial', 'fail'], [checkStream, checkEndsOnce, checkSummaryCounts, checkRunFailure], [repro]);
  });
});
