import { Observable } from 'rxjs';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ErrorInfo, NodeReport } from '../run/events.js';
import { checkConnection, closeRedis, loadBullmq, openRedis, type RedisConnection } from './connection.js';
import { DistributedError, RemoteAgentError } from './errors.js';
import { jsonProblem } from './json-safe.js';
import { CANCEL_MARK_TTL_MS, cancelChannel, cancelKey, parseProgress, type AgentJobData } from './protocol.js';

/**
 * Which finished jobs stay in Redis: those younger than `age` seconds, and/or the newest `count`.
 *
 * ## Example
 * ```ts
 * import { createDispatcher, type KeepJobs } from 'rx-orchestra';
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
 * import { createDispatcher, type DispatcherOptions } from 'rx-orchestra';
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
}

/**
 * One agent call to send to the fleet: the agent's name, its JSON input, and the node attempt it
 * serves (a worker's handler sees the same `runId`, `nodeId` and `attempt`).
 *
 * ## Example
 * ```ts
 * import type { DispatchRequest } from 'rx-orchestra';
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
 * import { createDispatcher, remoteNode, graph, execute } from 'rx-orchestra';
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
   * handler's signal aborted on the worker.
   */
  dispatch<T = unknown>(request: DispatchRequest, onReport?: (report: NodeReport) => void): Observable<T>;
  /** Cancels the calls in flight (they error with `CLOSED`), then closes the connections. */
  close(): Promise<void>;
}

/** What the dispatcher does with one job's events. */
interface Watch {
  progress(data: unknown): void;
  completed(value: unknown): void;
  failed(reason: string): void;
  removed(): void;
  closed(): void;
}

interface Connections {
  commands: Redis;
  blocking: Redis;
  queue: Queue;
  events: QueueEvents;
}

/**
 * Connects an orchestrator to a fleet of workers (see {@link Dispatcher}). Connects on first use.
 *
 * ## Example
 * ```ts
 * import { createDispatcher } from 'rx-orchestra';
 * const fleet = createDispatcher({ connection: { host: '127.0.0.1', port: 6379 }, queue: 'agents' });
 * fleet.dispatch({ agent: 'summarizer', input: { text }, runId: 'r1', nodeId: 'summary', attempt: 1 }).subscribe(console.log);
 * ```
 * @throws {DistributedError} `INVALID_OPTION` naming the field, at call time
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  checkConnection(options?.connection, 'createDispatcher');
  if (typeof options.queue !== 'string' || options.queue === '' || options.queue.includes(':')) {
    throw new DistributedError('INVALID_OPTION', `createDispatcher: 'queue' must be a non-empty name without ':', got ${String(options.queue)}`, { field: 'queue' });
  }
  return new BullDispatcher(options);
}

class BullDispatcher implements Dispatcher {
  readonly queue: string;
  readonly #options: DispatcherOptions;
  readonly #prefix: string;
  readonly #watches = new Map<string, Watch>();
  readonly #cancelling = new Set<Promise<void>>();
  readonly #toCancel: { jobId: string; added: Promise<unknown> }[] = [];
  #connections: Promise<Connections> | undefined;
  #closed = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.queue = options.queue;
    this.#prefix = options.prefix ?? 'bull';
  }

  get inFlight(): number {
    return this.#watches.size;
  }

  dispatch<T = unknown>(request: DispatchRequest, onReport?: (report: NodeReport) => void): Observable<T> {
    return new Observable<T>((subscriber) => {
      const { agent, nodeId } = request;
      const problem = jsonProblem(request.input, 'input');
      if (problem) {
        subscriber.error(new DistributedError('NOT_SERIALIZABLE', `node '${nodeId}': the input for agent '${agent}' cannot be sent to a worker: ${problem}`, { agent }));
        return;
      }
      if (this.#closed) {
        subscriber.error(new DistributedError('CLOSED', `node '${nodeId}': the dispatcher of queue '${this.queue}' is closed`, { agent }));
        return;
      }
      const jobId = crypto.randomUUID();
      let ended = false;
      let remoteError: ErrorInfo | undefined;
      let added: Promise<unknown> | undefined;
      const end = () => {
        ended = true;
        this.#watches.delete(jobId);
      };
      const watch: Watch = {
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
        failed: (reason) => {
          end();
          subscriber.error(new RemoteAgentError(agent, jobId, remoteError ?? { name: 'Error', message: reason }));
        },
        removed: () => {
          end();
          subscriber.error(new DistributedError('JOB_LOST', `node '${nodeId}': job ${jobId} (agent '${agent}') was removed from queue '${this.queue}' before it ended`, { agent, jobId }));
        },
        closed: () => {
          end();
          if (added) this.#cancelSoon(jobId, added);
          subscriber.error(new DistributedError('CLOSED', `node '${nodeId}': the dispatcher of queue '${this.queue}' was closed while job ${jobId} was in flight`, { agent, jobId }));
        },
      };
      this.#connect()
        .then(({ queue }) => {
          if (ended) return;
          if (this.#closed) return watch.closed();
          this.#watches.set(jobId, watch); // before the add: no event of the job can come earlier
          const data: AgentJobData = { agent, input: request.input, runId: request.runId, nodeId, attempt: request.attempt };
          added = queue.add(agent, data, {
            jobId,
            attempts: 1, // retries are the node's (one retry layer); a stalled job is recovered by BullMQ
            removeOnComplete: this.#options.keepCompleted ?? { age: 3600 },
            removeOnFail: this.#options.keepFailed ?? { age: 86_400 },
          });
          return added;
        })
        .catch((error: unknown) => {
          if (ended) return;
          end();
          subscriber.error(new DistributedError('CONNECTION', `node '${nodeId}': could not send a job for agent '${agent}' to queue '${this.queue}': ${(error as Error).message}`, { agent, jobId, cause: error }));
        });
      return () => {
        if (ended) return;
        end();
        if (added) this.#cancelSoon(jobId, added);
      };
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
    if (this.#toCancel.length === 1) this.#track(Promise.resolve().then(() => this.#cancelBatch()));
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

  #track(cancelling: Promise<void>): void {
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
    queue.on('error', () => undefined); // connection trouble: the commands that fail say so
    let last: [id: string, fields: string[]][];
    try {
      // Read the event stream from its current end, whenever the reader's first XREAD happens.
      last = await commands.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    } catch (error) {
      await queue.close().catch(() => undefined);
      await closeRedis(commands, blocking);
      throw error;
    }
    const events = new QueueEvents(this.queue, { connection: blocking, prefix: this.#prefix, lastEventId: last[0]?.[0] ?? '0-0' });
    events.on('progress', ({ jobId, data }) => this.#watches.get(jobId)?.progress(data));
    events.on('completed', ({ jobId, returnvalue }) => this.#watches.get(jobId)?.completed(returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.#watches.get(jobId)?.failed(failedReason));
    events.on('removed', ({ jobId }) => this.#watches.get(jobId)?.removed());
    events.on('error', () => undefined); // ioredis reconnects; the stream is read on from the last id
    await events.waitUntilReady();
    return { commands, blocking, queue, events };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const watch of [...this.#watches.values()]) watch.closed();
    await Promise.all(this.#cancelling);
    const opened = this.#connections;
    if (!opened) return;
    const { commands, blocking, queue, events } = await opened.catch(() => ({}) as Partial<Connections>);
    await events?.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await closeRedis(commands, blocking);
  }
}
