import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { createDispatcher, remoteNode, type Dispatcher } from 'rx-orchestra/distributed';
import { execute, graph, isNodeEndEvent, type RunEvent } from 'rx-orchestra';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const QUEUE = `stalled-${process.pid}`;
// Short locks so a dead worker's job is recovered in about two seconds (BullMQ's defaults: 30 s).
const LOCKS = { lockDuration: 2_000, stalledInterval: 500 };
let redis: TestRedis;
let workers: WorkerProcess[];
let fleet: Dispatcher;

beforeAll(async () => {
  redis = await startRedis();
  workers = await Promise.all(['a', 'b', 'c'].map((name) => startWorkerProcess({ id: `worker-${name}`, url: redis.url, queue: QUEUE, ...LOCKS })));
  fleet = createDispatcher({ connection: redis.url, queue: QUEUE });
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await Promise.all((workers ?? []).map((worker) => worker.stop()));
  await redis?.stop();
}, 30_000);

describe('a worker that dies mid-job', { timeout: 30_000 }, () => {
  it('has its job picked up by another worker (stalled-job recovery); the run completes, each node ending exactly once', async () => {
    const slow = (ms: number) => remoteNode<{ worker: string; nodeId: string }>('slow', { dispatcher: fleet, input: () => ({ ms }) });
    const g = graph()
      .node('plan', { run: slow(50) })
      .node('victim', { deps: ['plan'], run: slow(800) })
      .node('side1', { deps: ['plan'], run: slow(200) })
      .node('side2', { deps: ['plan'], run: slow(200) })
      .node('report', { deps: ['victim', 'side1', 'side2'], run: slow(50) })
      .build();
    const runId = `stall-${Date.now()}`;
    const done = lastValueFrom(execute(g, { runId }).pipe(toArray()));

    // SIGKILL whichever worker took the victim's job, as soon as it started it.
    const started = await Promise.any(workers.map((w) => w.waitFor((e) => e.type === 'job.started' && e.runId === runId && e.nodeId === 'victim')));
    const killed = workers.find((w) => w.events.includes(started))!;
    await killed.kill('SIGKILL');
    const jobId = (started as { jobId: string }).jobId;

    const events: RunEvent[] = await done;
    const ends = events.filter(isNodeEndEvent);
    expect(ends.map((e) => e.nodeId).sort()).toEqual(['plan', 'report', 'side1', 'side2', 'victim']);
    expect(ends.every((e) => e.type === 'node.succeeded')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', retries: 0 } });
    // The node itself was not retried: BullMQ moved the same job back to the queue.
    expect(events.filter((e) => e.type === 'node.started' && e.nodeId === 'victim')).toHaveLength(1);
    const victim = ends.find((e) => e.nodeId === 'victim') as { value: { worker: string } };
    expect(victim.value.worker).not.toBe(killed.id);
    const survivors = workers.filter((w) => w !== killed);
    const rerun = survivors.flatMap((w) => w.events.filter((e) => e.type === 'job.started' && e.jobId === jobId));
    expect(rerun).toHaveLength(1);
    expect(survivors.flatMap((w) => w.events.filter((e) => e.type === 'job.completed' && e.jobId === jobId))).toHaveLength(1);
    expect(killed.events.some((e) => e.type === 'job.completed' && e.jobId === jobId)).toBe(false);
  });
});
