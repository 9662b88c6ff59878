/**
 * A fleet run when its Redis goes away: killed for good (the in-flight nodes fail with
 * REDIS_UNAVAILABLE once the grace period is over), restarted empty (the lost jobs are sent again,
 * once), restarted with its data or frozen for a moment (nothing runs twice). Each test has its own
 * redis-server, which it kills, freezes and starts again on the same port, and its own workers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { createDispatcher, remoteNode, type Dispatcher, type WorkerEvent } from 'rx-orchestra/distributed';
import { execute, graph, isNodeEndEvent, type EventOf, type RunEvent } from 'rx-orchestra';
import { spawnRedis, type OwnedRedis } from '../support/redis-server.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

let redis: OwnedRedis | undefined;
let workers: WorkerProcess[] = [];
let fleet: Dispatcher | undefined;

afterEach(async () => {
  redis?.resume();
  await fleet?.close();
  // A worker whose Redis is gone cannot finish gracefully.
  await Promise.all(workers.map((worker) => worker.kill('SIGKILL')));
  await redis?.stop();
  redis = undefined;
  workers = [];
  fleet = undefined;
}, 30_000);

/** A Redis, two workers (one job at a time each) and a dispatcher with the given grace. */
async function setUp(name: string, outageGrace: number): Promise<Dispatcher> {
  redis = await spawnRedis();
  const queue = `outage-${name}-${process.pid}`;
  const url = redis.url;
  workers = await Promise.all(['a', 'b'].map((w) => startWorkerProcess({ id: `${name}-${w}`, url, queue })));
  fleet = createDispatcher({ connection: url, queue, outageGrace });
  return fleet;
}

/** Three slow nodes, no node timeout and no retries: only the dispatcher can end them. */
function slowGraph(dispatcher: Dispatcher, ms: number) {
  const slow = () => remoteNode<{ worker: string; nodeId: string }>('slow', { dispatcher, input: () => ({ ms }) });
  return graph()
    .node('n1', { run: slow(), timeout: false })
    .node('n2', { run: slow(), timeout: false })
    .node('n3', { run: slow(), timeout: false })
    .build();
}

/** The run's events, or a clear failure when it has not ended within `ms` (the bug: it never does). */
function runWithin(run$: ReturnType<typeof execute>, ms: number): Promise<RunEvent[]> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the run did not end within ${ms} ms`)), ms)));
  return Promise.race([lastValueFrom(run$.pipe(toArray())), hung]).finally(() => clearTimeout(timer));
}

const startedJobs = (runId: string) => workers.flatMap((w) => w.events).filter((e): e is Extract<WorkerEvent, { type: 'job.started' }> => e.type === 'job.started' && e.runId === runId);
const waitStarted = (runId: string, nodeId: string) => Promise.any(workers.map((w) => w.waitFor((e) => e.type === 'job.started' && e.runId === runId && e.nodeId === nodeId, 15_000)));
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ends = (events: RunEvent[]) => events.filter(isNodeEndEvent);

describe('a fleet run whose Redis goes away', { timeout: 40_000 }, () => {
  it('fails the in-flight nodes with REDIS_UNAVAILABLE (naming node and job) once Redis stays unreachable past the grace period', async () => {
    const dispatcher = await setUp('gone', 1_000);
    const runId = `gone-${Date.now()}`;
    const done = runWithin(execute(slowGraph(dispatcher, 60_000), { runId }), 20_000);
    await Promise.all([waitStarted(runId, 'n1'), waitStarted(runId, 'n2')]); // n3 waits in the queue
    await redis!.kill();

    const events = await done;
    const failed = ends(events) as EventOf<'node.failed'>[];
    expect(failed.map((e) => [e.nodeId, e.type]).sort()).toEqual([['n1', 'node.failed'], ['n2', 'node.failed'], ['n3', 'node.failed']]);
    for (const end of failed) {
      expect(end.error).toMatchObject({ name: 'DistributedError', code: 'REDIS_UNAVAILABLE' });
      expect(end.error.message).toContain(`node '${end.nodeId}'`);
    }
    // The two running jobs are named by their ids.
    for (const job of startedJobs(runId)) expect(failed.find((e) => e.nodeId === job.nodeId)!.error.message).toContain(job.jobId);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'failed' } });
    expect(dispatcher.inFlight).toBe(0);
  });

  it('sends the jobs Redis lost again, once each, when it comes back empty; the run completes', async () => {
    const dispatcher = await setUp('empty', 10_000);
    const runId = `empty-${Date.now()}`;
    const done = runWithin(execute(slowGraph(dispatcher, 1_500), { runId }), 30_000);
    await Promise.all([waitStarted(runId, 'n1'), waitStarted(runId, 'n2')]); // n3 waits in the queue
    await redis!.kill();
    await delay(300);
    await redis!.start(); // empty: every job of the run is gone

    const events = await done;
    expect(ends(events).map((e) => [e.nodeId, e.type]).sort()).toEqual([['n1', 'node.succeeded'], ['n2', 'node.succeeded'], ['n3', 'node.succeeded']]);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', retries: 0 } });
    const jobsOf = (nodeId: string) => new Set(startedJobs(runId).filter((e) => e.nodeId === nodeId).map((e) => e.jobId));
    // n1 and n2 ran as their first job, then as the one job sent again; n3 only ever ran as its second.
    expect(jobsOf('n1').size).toBe(2);
    expect(jobsOf('n2').size).toBe(2);
    expect(jobsOf('n3').size).toBe(1);
    expect(startedJobs(runId)).toHaveLength(5);
    expect(dispatcher.inFlight).toBe(0);
  });

  it('runs each job exactly once when Redis restarts with its data', async () => {
    const dispatcher = await setUp('blip', 10_000);
    const runId = `blip-${Date.now()}`;
    const done = runWithin(execute(slowGraph(dispatcher, 1_500), { runId }), 30_000);
    await Promise.all([waitStarted(runId, 'n1'), waitStarted(runId, 'n2')]);
    await redis!.shutdown(); // saved: the jobs are still there after the restart
    await delay(300);
    await redis!.start();

    const events = await done;
    expect(ends(events).map((e) => [e.nodeId, e.type]).sort()).toEqual([['n1', 'node.succeeded'], ['n2', 'node.succeeded'], ['n3', 'node.succeeded']]);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', retries: 0 } });
    expect(startedJobs(runId).map((e) => e.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('runs each job exactly once when Redis freezes for less than the grace period', async () => {
    const dispatcher = await setUp('pause', 10_000);
    const runId = `pause-${Date.now()}`;
    const done = runWithin(execute(slowGraph(dispatcher, 1_000), { runId }), 30_000);
    await Promise.all([waitStarted(runId, 'n1'), waitStarted(runId, 'n2')]);
    redis!.pause();
    await delay(2_000);
    redis!.resume();

    const events = await done;
    expect(ends(events).map((e) => [e.nodeId, e.type]).sort()).toEqual([['n1', 'node.succeeded'], ['n2', 'node.succeeded'], ['n3', 'node.succeeded']]);
    expect(startedJobs(runId).map((e) => e.nodeId).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('fails the in-flight nodes with REDIS_UNAVAILABLE when Redis stays frozen past the grace period', async () => {
    const dispatcher = await setUp('frozen', 1_000);
    const runId = `frozen-${Date.now()}`;
    const done = runWithin(execute(slowGraph(dispatcher, 60_000), { runId }), 20_000);
    await Promise.all([waitStarted(runId, 'n1'), waitStarted(runId, 'n2')]);
    redis!.pause(); // sockets stay open: no 'close' tells anyone, only silence

    const events = await done;
    expect(ends(events).map((e) => [e.nodeId, e.type === 'node.failed' && e.error.code]).sort()).toEqual([
      ['n1', 'REDIS_UNAVAILABLE'],
      ['n2', 'REDIS_UNAVAILABLE'],
      ['n3', 'REDIS_UNAVAILABLE'],
    ]);
  });
});
