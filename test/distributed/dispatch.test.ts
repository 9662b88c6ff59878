import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  createDispatcher,
  isDistributedError,
  remoteNode,
  startWorker,
  type Dispatcher,
} from 'rx-orchestra/distributed';
import {
  execute,
  graph,
  RunEventSchema,
  type EventOf,
  type RunEvent,
} from 'rx-orchestra';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const QUEUE = `dispatch-${process.pid}`;
let redis: TestRedis;
let workers: WorkerProcess[];
let fleet: Dispatcher;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  workers = await Promise.all(['a', 'b', 'c'].map((name) => startWorkerProcess({ id: `worker-${name}`, url: redis.url, queue: QUEUE })));
  fleet = createDispatcher({ connection: redis.url, queue: QUEUE });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await Promise.all((workers ?? []).map((worker) => worker.stop()));
  client?.disconnect();
  await redis?.stop();
}, 30_000);

const events = (run$: ReturnType<typeof execute>) => lastValueFrom(run$.pipe(toArray()));
const ofType = <K extends RunEvent['type']>(all: RunEvent[], type: K) => all.filter((e): e is EventOf<K> => e.type === type);

describe('node executions as BullMQ jobs on worker processes', { timeout: 30_000 }, () => {
  it('runs remote nodes on the workers; the run stream has started, token, usage and succeeded events', async () => {
    const g = graph()
      .node('draft', { run: remoteNode<string>('write', { dispatcher: fleet, input: () => ({ words: ['Rx', 'JS ', 'rocks'] }) }) })
      .node('review', { deps: ['draft'], run: remoteNode<{ input: { text: string } }, { draft: string }>('echo', { dispatcher: fleet, input: ({ draft }) => ({ text: draft }) }) })
      .node('s1', { run: remoteNode('slow', { dispatcher: fleet, input: () => ({ ms: 150 }) }) })
      .node('s2', { run: remoteNode('slow', { dispatcher: fleet, input: () => ({ ms: 150 }) }) })
      .node('s3', { run: remoteNode('slow', { dispatcher: fleet, input: () => ({ ms: 150 }) }) })
      .build();
    const all = await events(execute(g));

    for (const event of all) expect(RunEventSchema.safeParse(JSON.parse(JSON.stringify(event))).success).toBe(true);
    const completed = ofType(all, 'run.completed')[0]!;
    expect(completed.summary.status).toBe('succeeded');
    expect(ofType(all, 'node.started').map((e) => e.nodeId).sort()).toEqual(['draft', 'review', 's1', 's2', 's3']);
    expect(ofType(all, 'node.token').map((e) => e.text).join('')).toBe('RxJS rocks'); // tokens may arrive batched
    expect(ofType(all, 'node.token').every((e) => e.nodeId === 'draft' && e.attempt === 1)).toBe(true);
    expect(ofType(all, 'node.usage')).toMatchObject([{ nodeId: 'draft', model: 'simulated', usage: { inputTokens: 10, outputTokens: 3 } }]);
    expect(completed.summary.usage.total).toMatchObject({ calls: 1, inputTokens: 10, outputTokens: 3 });
    const values = Object.fromEntries(ofType(all, 'node.succeeded').map((e) => [e.nodeId, e.value]));
    expect(values.draft).toBe('RxJS rocks');
    expect(values.review).toMatchObject({ input: { text: 'RxJS rocks' }, attempt: 1 });
    // The slow jobs ran at the same time, so on different workers (each runs one job at a time).
    expect(new Set(['s1', 's2', 's3'].map((id) => (values[id] as { worker: string }).worker)).size).toBeGreaterThanOrEqual(2);
    // Tokens come before the node's end.
    const order = all.map((e) => `${e.type}:${'nodeId' in e ? e.nodeId : ''}`);
    expect(order.lastIndexOf('node.token:draft')).toBeLessThan(order.indexOf('node.succeeded:draft'));
  });

  it("keeps the remote error's code, status and retryability: retryable failures are retried by the node, fatal ones are not", async () => {
    const g = graph()
      .node('flaky', { run: remoteNode<string>('flaky', { dispatcher: fleet, input: () => ({ succeedOn: 2 }) }), retry: { count: 2, initialDelay: 10, jitter: 0 } })
      .node('fatal', { run: remoteNode('fatal', { dispatcher: fleet }), retry: { count: 3, initialDelay: 10 } })
      .build();
    const all = await events(execute(g));

    expect(ofType(all, 'node.started').filter((e) => e.nodeId === 'flaky').map((e) => e.attempt)).toEqual([1, 2]);
    expect(ofType(all, 'node.retrying')).toMatchObject([{ nodeId: 'flaky', attempt: 1, error: { name: 'RemoteAgentError', code: 'OVERLOADED', status: 529, retryable: true } }]);
    expect(ofType(all, 'node.succeeded')).toMatchObject([{ nodeId: 'flaky', value: 'ok on attempt 2', attempts: 2 }]);
    const [fatal] = ofType(all, 'node.failed');
    expect(fatal).toMatchObject({ nodeId: 'fatal', attempts: 1, gaveUp: 'notRetryable', error: { name: 'RemoteAgentError', code: 'BAD_REQUEST', status: 400, retryable: false } });
    expect(fatal!.error.message).toContain('prompt is too long');
  });

  it('fails with UNKNOWN_AGENT for an agent no worker has, and with NOT_SERIALIZABLE for input or values JSON cannot carry', async () => {
    const g = graph()
      .node('ghost', { run: remoteNode('no-such-agent', { dispatcher: fleet }), retry: 2 })
      .node('bad', { run: remoteNode('echo', { dispatcher: fleet, input: () => ({ when: new Date(0), onDone: () => 1 }) }), retry: 2 })
      .node('dated', { run: remoteNode('dated', { dispatcher: fleet }), retry: 2 })
      .build();
    const failed = ofType(await events(execute(g)), 'node.failed');
    const byNode = Object.fromEntries(failed.map((e) => [e.nodeId, e]));
    expect(byNode.ghost).toMatchObject({ attempts: 1, error: { code: 'UNKNOWN_AGENT', retryable: false } });
    expect(byNode.ghost!.error.message).toContain("no handler for agent 'no-such-agent'");
    expect(byNode.bad).toMatchObject({ attempts: 1, error: { name: 'DistributedError', code: 'NOT_SERIALIZABLE', retryable: false } });
    expect(byNode.bad!.error.message).toContain('input.when is a Date'); // refused before any job was sent
    expect(byNode.dated).toMatchObject({ attempts: 1, error: { name: 'RemoteAgentError', code: 'NOT_SERIALIZABLE', retryable: false } });
    expect(byNode.dated!.error.message).toContain('value.at is a Date');
  });

  it('closing the dispatcher cancels its jobs in flight: they fail with CLOSED and their handlers are aborted', async () => {
    const own = createDispatcher({ connection: redis.url, queue: QUEUE });
    const runId = `close-${Date.now()}`;
    const outcome = lastValueFrom(own.dispatch({ agent: 'block', input: {}, runId, nodeId: 'held', attempt: 1 })).catch((error: unknown) => error);
    const started = await Promise.any(workers.map((w) => w.waitFor((e) => e.type === 'job.started' && e.runId === runId)));
    await own.close();
    expect(await outcome).toMatchObject({ name: 'DistributedError', code: 'CLOSED' });
    const worker = workers.find((w) => w.events.includes(started))!;
    await worker.waitFor((e) => e.type === 'job.cancelled' && e.jobId === (started as { jobId: string }).jobId);
  });

  it('cancelling the run removes its waiting jobs and aborts the running ones on their workers', async () => {
    const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
    const builder = ids.reduce((g, id) => g.node(id, { run: remoteNode('block', { dispatcher: fleet }), timeout: false }), graph());
    const seen: RunEvent[] = [];
    const runId = `cancel-${Date.now()}`;
    const subscription = execute(builder.build(), { runId }).subscribe((e) => seen.push(e));
    // One job running on each worker (concurrency 1), three waiting.
    const started = await Promise.all(workers.map((w) => w.waitFor((e) => e.type === 'job.started' && e.runId === runId)));
    subscription.unsubscribe();

    const cancelled = await Promise.all(workers.map((w) => w.waitFor((e) => e.type === 'job.cancelled' && started.some((s) => 'jobId' in s && s.jobId === e.jobId))));
    expect(cancelled).toHaveLength(3);
    const abortedInRun = async () => (await client.lrange(`${QUEUE}:aborted`, 0, -1)).filter((entry) => entry.startsWith(`${runId}/`));
    await until(async () => (await abortedInRun()).length === 3);
    expect((await abortedInRun()).sort()).toEqual(started.map((e) => `${runId}/${(e as { nodeId: string }).nodeId}`).sort());
    const queue = new Queue(QUEUE, { connection: client });
    await until(async () => (await queue.getActiveCount()) === 0); // the cancelled jobs fail (reason: cancelled)
    expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
    expect((await queue.getFailed()).filter((job) => job.data.runId === runId).map((job) => job.failedReason)).toEqual(Array(3).fill(expect.stringContaining('was cancelled')));
    expect(fleet.inFlight).toBe(0);
    // No job of that run ran anywhere else.
    const ran = workers.flatMap((w) => w.events.filter((e) => e.type === 'job.started' && e.runId === runId));
    expect(ran).toHaveLength(3);
    expect(seen.some((e) => e.type === 'run.completed')).toBe(false);
  });

  it("a node's timeout cancels its job: the handler's signal aborts on the worker", async () => {
    const g = graph().node('stuck', { run: remoteNode('block', { dispatcher: fleet }), timeout: 1_000 }).build();
    const runId = `timeout-${Date.now()}`;
    const all = await events(execute(g, { runId }));
    expect(ofType(all, 'node.timedOut')).toMatchObject([{ nodeId: 'stuck', timeoutMs: 1_000 }]);
    const started = await Promise.any(workers.map((w) => w.waitFor((e) => e.type === 'job.started' && e.runId === runId, 1_000)));
    const worker = workers.find((w) => w.events.includes(started))!;
    await worker.waitFor((e) => e.type === 'job.cancelled' && e.jobId === (started as { jobId: string }).jobId);
  });

  it('rejects bad options with a typed error naming the field', () => {
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return isDistributedError(error) ? { code: error.code, field: error.field } : error;
      }
      return undefined;
    };
    expect(attempt(() => createDispatcher({ connection: 'http://localhost', queue: 'q' }))).toEqual({ code: 'INVALID_OPTION', field: 'connection' });
    expect(attempt(() => createDispatcher({ connection: redis.url, queue: 'a:b' }))).toEqual({ code: 'INVALID_OPTION', field: 'queue' });
    expect(attempt(() => remoteNode('', { dispatcher: fleet }))).toEqual({ code: 'INVALID_OPTION', field: 'agent' });
    expect(attempt(() => remoteNode('x', {} as never))).toEqual({ code: 'INVALID_OPTION', field: 'dispatcher' });
  });

  it('startWorker refuses bad options with a typed error naming the field, before connecting', async () => {
    const fieldOf = (promise: Promise<unknown>) => promise.then(
      () => 'started',
      (error: unknown) => (isDistributedError(error) ? `${error.code} ${error.field}` : String(error)),
    );
    const base = { connection: redis.url, queue: 'q', handlers: { echo: async () => 1 } };
    expect(await fieldOf(startWorker({ ...base, concurrency: 0 }))).toBe('INVALID_OPTION concurrency');
    expect(await fieldOf(startWorker({ ...base, handlers: {} }))).toBe('INVALID_OPTION handlers');
    expect(await fieldOf(startWorker({ ...base, handlers: { echo: 'nope' as never } }))).toBe('INVALID_OPTION handlers.echo');
    expect(await fieldOf(startWorker({ ...base, lockDuration: -1 }))).toBe('INVALID_OPTION lockDuration');
    expect(await fieldOf(startWorker({ ...base, connection: 42 as never }))).toBe('INVALID_OPTION connection');
  });
});

async function until(check: () => Promise<boolean>, withinMs = 30_000): Promise<void> { // a bound on waiting on a busy machine, not a timing assertion
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
