import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorInfo, NodeReport } from '../run/events.js';
import { checkConnection, closeRedis, dropRedis, loadBullmq, openRedis, type RedisConnection } from './connection.js';
import { DistributedError, RemoteAgentError } from './errors.js';
import { jsonProblem } from './json-safe.js';
import { CANCEL_MARK_TTL_MS, cancelChannel, cancelKey, parseProgress, type AgentJobData } from './protocol.js';
import { compareEventIds, eventsAfter, FINAL_EVENTS, jobFate, type StreamEvent } from './reconcile.js';
import { RedisWatchdog } from './redis-watchdog.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/** The default of {@link DispatcherOptions.outageGrace}. */
const DEFAULT_OUTAGE_GRACE_MS = 30_000;

/**
 * Which finished jobs stay in Redis: those younger than `age` seconds, and/or the newest `count`.
 *
 * ## Example
 * ```ts
 * import { createDispatcher, type KeepJobs } from 'rx-orchestra/distributed';
 * const keepCompleted: KeepJobs = { age: 600, count: 1000 };
 * createDispatcher({ connection, queue: 'agents', keepCompleted });
 * ```
 */
export type KeepJobs = { count: number } | { age: number; count?: number };

/**
 * Settings of {@link createDispatcher}.
 *
 * ## Example
 * ```ts
 * import { createDispatcher, type DispatcherOptions } from 'rx-orchestra/distributed';
 * const options: DispatcherOptions = { connection: 'redis://127.0.0.1:6379', queue: 'agents', keepFailed: { age: 3600 } };
 * const fleet = createDispatcher(options);
 * ```
 */
export interface DispatcherOptions {
  /** The Redis the workers reach. */
  connection: RedisConnection;
  /** The BullMQ queue the workers consume (`startWorker({ queue })`). */
  queue: string;
  /** BullMQ's key prefix; the same as the workers'. @default 'bull' */
  prefix?: string;
  /** Completed jobs kept in Redis, for inspection. @default { age: 3600 } */
  keepCompleted?: KeepJobs;
  /** Failed jobs kept in Redis, for inspection. @default { age: 86400 } */
  keepFailed?: KeepJobs;
  /**
   * How long Redis may stay unreachable (a connection lost, or a PING unanswered: a frozen server
   * or a dropped network) while jobs are in flight, in ms. When Redis answers again within it, every
   * job in flight is looked up: a completed one delivers its value, a failed one its error, one
   * still waiting or running is followed on, and one Redis lost (it came back empty) is sent again,
   * once. Past it, the nodes of the jobs in flight fail with a {@link DistributedError}
   * `REDIS_UNAVAILABLE` (retryable) naming node and job, and dispatches made while the outage lasts
   * fail the same way at once; the abandoned jobs are cancelled once Redis is back. At most
   * 2147483647. @default 30000
   */
  outageGrace?: number;
  /** Times `outageGrace` and the PINGs that check Redis answers. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * One agent call to send to the fleet: the agent's name, its JSON input, and the node attempt it
 * serves (a worker's handler sees the same `runId`, `nodeId` and `attempt`).
 *
 * ## Example
 * ```ts
 * import type { DispatchRequest } from 'rx-orchestra/distributed';
 * const request: DispatchRequest = { agent: 'summarizer', input: { text: '...' }, runId: 'r1', nodeId: 'summary', attempt: 1 };
 * fleet.dispatch<string>(request, (report) => report.type === 'node.token' && process.stdout.write(report.text));
 * ```
 */
export interface DispatchRequest {
  agent: string;
  input: unknown;
  runId: string;
  nodeId: string;
  attempt: number;
}

/**
 * The orchestrator's side of a fleet: sends agent calls as BullMQ jobs and follows them through the
 * queue's event stream. One per process and queue; share it between runs.
 *
 * ## Example
 * ```ts
 * import { createDispatcher, remoteNode } from 'rx-orchestra/distributed';
 * import { graph, execute } from 'rx-orchestra';
 * const fleet = createDispatcher({ connection: process.env.REDIS_URL!, queue: 'agents' });
 * const g = graph().node('research', { run: remoteNode('researcher', { dispatcher: fleet }) }).build();
 * execute(g).subscribe({ complete: () => void fleet.close() });
 * ```
 */
export interface Dispatcher {
  readonly queue: string;
  /** Jobs sent by this dispatcher that have not ended yet. */
  readonly inFlight: number;
  /**
   * Runs one agent call on the fleet: a cold Observable that adds the job when subscribed, calls
   * `onReport` with what the worker reports (tokens, usage, ...), emits the agent's value and
   * completes when the job completes, and errors with a {@link RemoteAgentError} when it fails.
   * Unsubscribing before the end cancels the job: a waiting job is removed, a running one has its
   * handler's signal aborted on the worker. Errors with `REDIS_UNAVAILABLE` when Redis stays
   * unreachable past `outageGrace` (see {@link DispatcherOptions.outageGrace}).
   */
  dispatch<T = unknown>(request: DispatchRequest, onReport?: (report: NodeReport) => void): Observable<T>;
  /** Cancels the calls in flight (they error with `CLOSED`), then closes the connections. */
  close(): Promise<void>;
}


/** One dispatch in flight: its job (a new one once it was sent again) and what ends it. */
interface Watch {
  readonly nodeId: string;
  readonly agent: string;
  readonly data: AgentJobData;
  jobId: string;
  /** The job's add, once sent. */
  added: Promise<unknown> | undefined;
  /** Redis took the job (the add answered). */
  sent: boolean;
  /** The job was lost and sent again (that happens once). */
  resent: boolean;
  /** The id of the last stream event this watch got: a replay skips the older ones. */
  seen: string;
  progress(data: unknown): void;
  completed(value: unknown): void;
  failed(reason: string, error?: ErrorInfo): void;
  /** Ends the dispatch with an error of this layer. */
  fail(error: Error): void;
}

interface Connections {
  commands: Redis;
  blocking: Redis;
  queue: Queue;
  events: QueueEvents;
  watchdog: RedisWatchdog;
}

/**
 * Connects an orchestrator to a fleet of workers (see {@link Dispatcher}). Connects on first use.
 *
 * ## Example
 * ```ts
 * import { createDispatcher } from 'rx-orchestra/distributed';
 * const fleet = createDispatcher({ connection: { host: '127.0.0.1', port: 6379 }, queue: 'agents', outageGrace: 60_000 });
 * fleet.dispatch({ agent: 'summarizer', input: { text }, runId: 'r1', nodeId: 'summary', attempt: 1 }).subscribe(console.log);
 * ```
 * @throws {DistributedError} `INVALID_OPTION` naming the field, at call time
 * @see {@link DispatcherOptions.outageGrace} for what happens when Redis goes away
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  checkConnection(options?.connection, 'createDispatcher');
  if (typeof options.queue !== 'string' || options.queue === '' || options.queue.includes(':')) {
    throw new DistributedError('INVALID_OPTION', `createDispatcher: 'queue' must be a non-empty name without ':', got ${String(options.queue)}`, { field: 'queue' });
  }
  const grace = options.outageGrace;
  if (grace !== undefined && !(typeof grace === 'number' && grace >= 1 && grace <= MAX_TIMER_MS)) {
    throw new DistributedError('INVALID_OPTION', `createDispatcher: 'outageGrace' must be a number of ms from 1 to ${MAX_TIMER_MS}, got ${String(grace)}`, { field: 'outageGrace' });
  }
  return new BullDispatcher(options);
}

class BullDispatcher implements Dispatcher {
  readonly queue: string;
  readonly #options: DispatcherOptions;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #watches = new Map<string, Watch>();
  readonly #cancelling = new Set<Promise<void>>();
  readonly #toCancel: { jobId: string; added: Promise<unknown> }[] = [];
  /** Jobs whose nodes failed with REDIS_UNAVAILABLE: cancelled once Redis is back. */
  readonly #abandoned: { jobId: string; added: Promise<unknown> }[] = [];
  #connections: Promise<Connections> | undefined;
  #watchdog: RedisWatchdog | undefined;
  /** The id of the last stream event the queue-event reader handed over. */
  #lastEventId = '0-0';
  #reconciling: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.queue = options.queue;
    this.#prefix = options.prefix ?? 'bull';
    this.#graceMs = options.outageGrace ?? DEFAULT_OUTAGE_GRACE_MS;
  }

  get inFlight(): number {
    return this.#watches.size;
  }

  dispatch<T = unknown>(request: DispatchRequest, onReport?: (report: NodeReport) => void): Observable<T> {
    return new Observable<T>((subscriber) => {
      const { agent, nodeId } = request;
      const problem = jsonProblem(request.input, 'input');
      if (problem) {
        subscriber.error(new DistributedError('NOT_SERIALIZABLE', `node '${nodeId}': the input for agent '${agent}' cannot be sent to a worker: ${problem}`, { agent, nodeId }));
        return;
      }
      if (this.#closed) {
        subscriber.error(new DistributedError('CLOSED', `node '${nodeId}': the dispatcher of queue '${this.queue}' is closed`, { agent, nodeId }));
        return;
      }
      let ended = false;
      let remoteError: ErrorInfo | undefined;
      const end = () => {
        ended = true;
        this.#untrack(watch);
      };
      const watch: Watch = {
        nodeId,
        agent,
        data: { agent, input: request.input, runId: request.runId, nodeId, attempt: request.attempt },
        jobId: crypto.randomUUID(),
        added: undefined,
        sent: false,
        resent: false,
        seen: '0-0',
        progress: (data) => {
          const { reports, error } = parseProgress(data);
          if (error) remoteError = error;
          if (onReport) for (const report of reports) onReport(report);
        },
        completed: (value) => {
          end();
          subscriber.next(value as T);
          subscriber.complete();
        },
        failed: (reason, error) => {
          end();
          subscriber.error(new RemoteAgentError(agent, watch.jobId, error ?? remoteError ?? { name: 'Error', message: reason }));
        },
        fail: (error) => {
          end();
          subscriber.error(error);
        },
      };
      this.#connect()
        .then(({ queue, watchdog }) => {
          if (ended) return;
          if (this.#closed) return watch.fail(this.#closedError(watch));
          if (watchdog.expired) return watch.fail(this.#unavailableError(watch, watchdog.outageMs, false));
          this.#track(watch); // before the add: no event of the job can come earlier
          return this.#send(queue, watch);
        })
        .catch((error: unknown) => {
          if (ended) return;
          end();
          subscriber.error(new DistributedError('CONNECTION', `node '${nodeId}': could not send a job for agent '${agent}' to queue '${this.queue}': ${(error as Error).message}`, { agent, nodeId, jobId: watch.jobId, cause: error }));
        });
      return () => {
        if (ended) return;
        end();
        if (watch.added) this.#cancelSoon(watch.jobId, watch.added);
      };
    });
  }

  /** Adds the watch's job; `watch.added` settles when Redis took it. */
  #send(queue: Queue, watch: Watch): Promise<unknown> {
    const added = queue.add(watch.agent, watch.data, {
      jobId: watch.jobId,
      attempts: 1, // retries are the node's (one retry layer); a stalled job is recovered by BullMQ
      removeOnComplete: this.#options.keepCompleted ?? { age: 3600 },
      removeOnFail: this.#options.keepFailed ?? { age: 86_400 },
    });
    watch.added = added;
    watch.sent = false;
    return added.then(() => {
      if (watch.added === added) watch.sent = true;
    });
  }

  #track(watch: Watch): void {
    this.#watches.set(watch.jobId, watch);
    this.#watchdog?.setActive(true);
  }

  #untrack(watch: Watch): void {
    if (this.#watches.get(watch.jobId) === watch) this.#watches.delete(watch.jobId);
    if (this.#watches.size === 0) this.#watchdog?.setActive(false);
  }

  /** One event of the queue's stream, read by the queue-event reader or found by a reconciliation. */
  #deliver(event: StreamEvent): void {
    const watch = this.#watches.get(event.jobId);
    if (!watch || compareEventIds(event.id, watch.seen) <= 0) return;
    watch.seen = event.id;
    switch (event.event) {
      case 'progress':
        return watch.progress(event.data);
      case 'completed':
        return watch.completed(event.returnvalue);
      case 'failed':
        return watch.failed(event.failedReason ?? '');
      case 'removed':
        return watch.fail(
          new DistributedError('JOB_LOST', `node '${watch.nodeId}': job ${watch.jobId} (agent '${watch.agent}') was removed from queue '${this.queue}' before it ended`, {
            agent: watch.agent,
            nodeId: watch.nodeId,
            jobId: watch.jobId,
          }),
        );
    }
  }

  #read(event: StreamEvent): void {
    if (compareEventIds(event.id, this.#lastEventId) > 0) this.#lastEventId = event.id;
    this.#deliver(event);
  }

  /**
   * After an outage: finds out what became of every job in flight that Redis had taken. Events
   * missed in the stream are handed over first (a job that ended meanwhile, even one removed since
   * by `keepCompleted`, ends with its reports and value); then each job's state decides: ended ->
   * its value or error; waiting or running -> followed on (never sent twice); missing (Redis came
   * back without it) -> sent again, once.
   */
  async #reconcile(): Promise<void> {
    const { commands, queue } = await this.#connect();
    for (const job of this.#abandoned.splice(0)) this.#cancelSoon(job.jobId, job.added);
    const watches = [...this.#watches.values()].filter((watch) => watch.sent);
    if (watches.length === 0) return;
    const after = this.#lastEventId;
    const stream = queue.keys.events!;
    const replay = async (jobIds: Set<string>) => {
      const events = await eventsAfter(commands, stream, after, jobIds);
      const ended = new Set(events.filter((event) => FINAL_EVENTS.has(event.event)).map((event) => event.jobId));
      for (const event of events) if (ended.has(event.jobId)) this.#deliver(event);
    };
    await replay(new Set(watches.map((watch) => watch.jobId)));
    const current = (watch: Watch, jobId: string) => this.#watches.get(jobId) === watch;
    const open = watches.filter((watch) => current(watch, watch.jobId));
    const fates = await Promise.all(open.map(async (watch) => ({ watch, jobId: watch.jobId, fate: await jobFate(queue, watch.jobId) })));
    const lost = fates.filter(({ fate }) => fate.state === 'lost');
    if (lost.length > 0) await replay(new Set(lost.map(({ jobId }) => jobId))); // ended and removed between the two looks?
    for (const { watch, jobId, fate } of fates) {
      if (!current(watch, jobId)) continue;
      if (fate.state === 'completed') watch.completed(fate.value);
      else if (fate.state === 'failed') watch.failed(fate.reason, fate.error);
      else if (fate.state === 'lost') this.#resend(queue, watch);
    }
  }

  /** A job Redis lost: sent again under a new id (a worker still running the old one is told to stop), once. */
  #resend(queue: Queue, watch: Watch): void {
    const lostId = watch.jobId;
    if (watch.resent) {
      return watch.fail(
        new DistributedError('JOB_LOST', `node '${watch.nodeId}': job ${lostId} (agent '${watch.agent}') was lost by Redis of queue '${this.queue}' again after it was sent a second time`, {
          agent: watch.agent,
          nodeId: watch.nodeId,
          jobId: lostId,
        }),
      );
    }
    this.#watches.delete(lostId);
    this.#cancelSoon(lostId, Promise.resolve());
    watch.resent = true;
    watch.jobId = crypto.randomUUID();
    watch.seen = '0-0';
    this.#watches.set(watch.jobId, watch);
    const jobId = watch.jobId;
    this.#send(queue, watch).catch((error: unknown) => {
      if (this.#watches.get(jobId) !== watch) return;
      watch.fail(
        new DistributedError('CONNECTION', `node '${watch.nodeId}': could not send job ${lostId} (agent '${watch.agent}'), lost by Redis, again to queue '${this.queue}': ${(error as Error).message}`, {
          agent: watch.agent,
          nodeId: watch.nodeId,
          jobId,
          cause: error,
        }),
      );
    });
  }

  /** Redis has been unreachable for the whole grace period: every dispatch in flight fails. */
  #expire(outageMs: number): void {
    for (const watch of [...this.#watches.values()]) {
      if (watch.added) this.#abandoned.push({ jobId: watch.jobId, added: watch.added });
      watch.fail(this.#unavailableError(watch, outageMs, true));
    }
  }

  #unavailableError(watch: Watch, outageMs: number, inFlight: boolean): DistributedError {
    const what = inFlight ? `while job ${watch.jobId} (agent '${watch.agent}') was in flight` : `so job ${watch.jobId} (agent '${watch.agent}') was not sent`;
    return new DistributedError(
      'REDIS_UNAVAILABLE',
      `node '${watch.nodeId}': the Redis of queue '${this.queue}' has been unreachable for ${Math.round(outageMs)} ms, past the dispatcher's outageGrace of ${this.#graceMs} ms, ${what}`,
      { agent: watch.agent, nodeId: watch.nodeId, jobId: watch.jobId },
    );
  }

  #closedError(watch: Watch): DistributedError {
    return new DistributedError('CLOSED', `node '${watch.nodeId}': the dispatcher of queue '${this.queue}' was closed while job ${watch.jobId} was in flight`, {
      agent: watch.agent,
      nodeId: watch.nodeId,
      jobId: watch.jobId,
    });
  }

  /**
   * Cancels a job, together with every job cancelled in the same tick (a run's teardown cancels all
   * its nodes at once): first the waiting ones are removed, then the running ones (those a worker
   * holds: `remove` refuses them) are marked cancelled and announced to the workers. Removing
   * first keeps a worker freed by a cancellation from taking a job that is about to be removed.
   */
  #cancelSoon(jobId: string, added: Promise<unknown>): void {
    this.#toCancel.push({ jobId, added });
    if (this.#toCancel.length === 1) this.#trackCancel(Promise.resolve().then(() => this.#cancelBatch()));
  }

  async #cancelBatch(): Promise<void> {
    const batch = this.#toCancel.splice(0);
    const wasAdded = await Promise.all(batch.map(({ added }) => added.then(() => true, () => false)));
    const jobIds = batch.filter((_, i) => wasAdded[i]).map(({ jobId }) => jobId);
    if (jobIds.length === 0) return;
    const { commands, queue } = await this.#connect();
    const removed = await Promise.all(jobIds.map((jobId) => queue.remove(jobId).catch(() => 0)));
    const running = jobIds.filter((_, i) => removed[i] !== 1);
    if (running.length === 0) return;
    const announce = commands.multi();
    for (const jobId of running) {
      announce.set(cancelKey(this.#prefix, this.queue, jobId), '1', 'PX', CANCEL_MARK_TTL_MS).publish(cancelChannel(this.#prefix, this.queue), jobId);
    }
    await announce.exec();
  }

  #trackCancel(cancelling: Promise<void>): void {
    const tracked = cancelling.catch(() => undefined).finally(() => this.#cancelling.delete(tracked));
    this.#cancelling.add(tracked);
  }

  /** The connections, opened on first use; a failed opening is tried again by the next call. */
  #connect(): Promise<Connections> {
    return (this.#connections ??= this.#open().catch((error: unknown) => {
      this.#connections = undefined;
      throw error;
    }));
  }

  async #open(): Promise<Connections> {
    const { Queue, QueueEvents } = await loadBullmq();
    const { connection } = this.#options;
    const commands = await openRedis(connection, 'command', `rx-orchestra:dispatcher:${this.queue}`);
    const blocking = await openRedis(connection, 'blocking', `rx-orchestra:dispatcher-events:${this.queue}`);
    const queue = new Queue(this.queue, { connection: commands, prefix: this.#prefix });
    queue.on('error', () => undefined); // connection trouble is the watchdog's (below); failing commands say so
    let last: [id: string, fields: string[]][];
    try {
      // Read the event stream from its current end, whenever the reader's first XREAD happens.
      last = await commands.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    } catch (error) {
      await queue.close().catch(() => undefined);
      await closeRedis(commands, blocking);
      throw error;
    }
    this.#lastEventId = last[0]?.[0] ?? '0-0';
    const events = new QueueEvents(this.queue, { connection: blocking, prefix: this.#prefix, lastEventId: this.#lastEventId });
    events.on('progress', ({ jobId, data }, id) => this.#read({ id, event: 'progress', jobId, data }));
    events.on('completed', ({ jobId, returnvalue }, id) => this.#read({ id, event: 'completed', jobId, returnvalue }));
    events.on('failed', ({ jobId, failedReason }, id) => this.#read({ id, event: 'failed', jobId, failedReason }));
    events.on('removed', ({ jobId }, id) => this.#read({ id, event: 'removed', jobId }));
    // The reader reads on from its last id once ioredis has reconnected; the watchdog notices the
    // outage, reconciles the jobs in flight after it, and fails them when it lasts past the grace.
    events.on('error', () => undefined);
    await events.waitUntilReady();
    const graceMs = this.#graceMs;
    const watchdog = new RedisWatchdog({
      clients: [commands, blocking],
      ping: () => commands.ping(),
      graceMs,
      probeMs: Math.max(10, Math.min(5_000, Math.floor(graceMs / 3))),
      scheduler: this.#options.scheduler ?? asyncScheduler,
      onRestored: () => {
        this.#reconciling = this.#reconciling.then(() => this.#reconcile()).catch(() => undefined); // failed: the next reconnection tries again
      },
      onExpired: (since) => this.#expire((this.#options.scheduler ?? asyncScheduler).now() - since),
    });
    this.#watchdog = watchdog;
    watchdog.setActive(this.#watches.size > 0);
    return { commands, blocking, queue, events, watchdog };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const unreachable = this.#watchdog?.unreachable ?? false;
    for (const watch of [...this.#watches.values()]) {
      watch.fail(this.#closedError(watch));
      if (watch.added) this.#cancelSoon(watch.jobId, watch.added);
    }
    this.#watchdog?.dispose();
    // Cancellations need Redis: with Redis unreachable they are given up, not waited for.
    if (!unreachable) await Promise.all(this.#cancelling);
    const opened = this.#connections;
    if (!opened) return;
    const { commands, blocking, queue, events } = await opened.catch(() => ({}) as Partial<Connections>);
    if (unreachable) {
      // BullMQ's reader runs on a copy of `blocking`; closing it waits for an `end` that a client
      // between two reconnection attempts never emits (ioredis): it is told to close, not waited for.
      void events?.close().catch(() => undefined);
      if (commands) dropRedis(commands);
      if (blocking) dropRedis(blocking);
      return;
    }
    await events?.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await closeRedis(commands, blocking);
  }
}
