import { hostname } from 'node:os';
import { Subject, type Observable } from 'rxjs';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Model } from '../models/model.js';
import { errorInfo } from '../run/outcome.js';
import type { CallCost } from '../../operators/rate-limiter.js';
import { checkConnection, closeRedis, loadBullmq, openRedis, type RedisConnection } from './connection.js';
import { DistributedError } from './errors.js';
import { CancelWatch } from './cancel-watch.js';
import { processAgentJob, type AgentHandlers, type WorkerEvent } from './agent-job.js';
import type { FleetRateLimiter } from './fleet-rate-limiter.js';

/**
 * Settings of {@link startWorker}.
 *
 * ## Example
 * ```ts
 * import { startWorker, fleetRateLimiter, type StartWorkerOptions } from 'rx-orchestra/distributed';
 * const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
 * const options: StartWorkerOptions = {
 *   connection, queue: 'agents', handlers, concurrency: 4,
 *   quota: fleetRateLimiter({ connection, name: 'claude', limits: { requests: { max: 50 } } }),
 * };
 * await startWorker(options);
 * ```
 */
export interface StartWorkerOptions {
  /** The Redis the orchestrators reach. */
  connection: RedisConnection;
  /** The BullMQ queue to consume (the orchestrator's `createDispatcher({ queue })`). */
  queue: string;
  /** The agents this worker runs, by name. Every worker of a queue should register the same agents. */
  handlers: AgentHandlers;
  /** Jobs this process runs at once. @default 1 */
  concurrency?: number;
  /** Given to handlers as `ctx.model` (e.g. one governed Claude client per worker). @default none */
  model?: Model;
  /** Given to handlers as `ctx.context`. @default undefined */
  context?: unknown;
  /**
   * A quota shared by the whole fleet: each job waits for room before its handler runs (reported
   * as `ratelimit.waiting`), and the tokens its handler reports in `node.usage` are charged after
   * it. A handler's 429 with a retry-after pauses the whole fleet. @default none
   */
  quota?: FleetRateLimiter;
  /** What one job costs in the `quota`. @default { requests: 1 } */
  jobCost?: (agent: string, input: unknown) => CallCost;
  /**
   * BullMQ's own limiter: at most `max` jobs start per `duration` ms across every worker of the
   * queue (fixed windows; for a provider's token-bucket quota prefer `quota`). @default none
   */
  limiter?: { max: number; duration: number };
  /** How long a job's lock lasts without renewal: a worker silent this long is presumed dead. @default 30000 */
  lockDuration?: number;
  /** How often this worker looks for jobs whose worker died (stalled), to run them again. @default 30000 */
  stalledInterval?: number;
  /** How often a job may stall before it fails. @default 1 */
  maxStalledCount?: number;
  /** BullMQ's key prefix; the same as the orchestrators'. @default 'bull' */
  prefix?: string;
  /** This worker's id, in events and job data. @default `<hostname>:<pid>:<random>` */
  id?: string;
}

/**
 * A running worker process's handle.
 *
 * ## Example
 * ```ts
 * import { startWorker } from 'rx-orchestra/distributed';
 * const worker = await startWorker({ connection: process.env.REDIS_URL!, queue: 'agents', handlers });
 * process.on('SIGTERM', () => void worker.close()); // finishes running jobs first
 * ```
 */
export interface AgentWorker {
  readonly id: string;
  readonly queue: string;
  /** The agents it runs. */
  readonly agents: readonly string[];
  /** What happens to its jobs (started, completed, failed, cancelled) and its errors. Hot. */
  readonly events: Observable<WorkerEvent>;
  /**
   * Stops taking jobs and closes the connections: after the running jobs finish, or at once with
   * `force` (their jobs are then picked up by another worker once their lock expires).
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Starts a worker: consumes the queue's jobs (`concurrency` at a time) and runs each with the
 * handler registered under its agent name; reports, values and errors travel back to the
 * orchestrator through BullMQ. Cancellations from orchestrators abort the handler's `ctx.signal`.
 * Run as many as you like, on any machine that reaches Redis. A worker that dies mid-job (even by
 * SIGKILL) stops renewing its job's lock; another worker then runs the job again (BullMQ's
 * stalled-job recovery, after `lockDuration`, checked every `stalledInterval`).
 *
 * ## Example
 * ```ts
 * import { startWorker, type AgentContext } from 'rx-orchestra/distributed';
 * import { llm, simulatedModel } from 'rx-orchestra';
 * type Doc = { text: string };
 * const summarize = llm<Doc>({ prompt: ({ text }) => `Summarize:\n${text}` });
 * await startWorker({
 *   connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
 *   queue: 'agents',
 *   handlers: { summarizer: (_input: Doc, ctx: AgentContext<Doc>) => summarize(ctx) },
 *   model: simulatedModel(),
 *   concurrency: 4,
 * });
 * ```
 * @throws {DistributedError} `INVALID_OPTION` naming the field; `CONNECTION` when Redis cannot be reached
 */
export async function startWorker(options: StartWorkerOptions): Promise<AgentWorker> {
  checkOptions(options);
  const { connection, queue, handlers, concurrency = 1, prefix = 'bull' } = options;
  const id = options.id ?? `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  const events = new Subject<WorkerEvent>();
  const opened: Redis[] = [];
  let worker: Worker | undefined;
  try {
    const { Worker } = await loadBullmq();
    const open = async (purpose: 'blocking' | 'command' | 'subscriber', role: string) => {
      const client = await openRedis(connection, purpose, `rx-orchestra:worker:${id}:${role}`);
      opened.push(client);
      return client;
    };
    const bull = await open('blocking', 'jobs');
    const commands = await open('command', 'commands');
    const cancels = new CancelWatch(await open('subscriber', 'cancel'), commands, prefix, queue);
    await cancels.start();
    const deps = {
      workerId: id,
      handlers,
      cancels,
      model: options.model,
      context: options.context,
      quota: options.quota,
      jobCost: options.jobCost,
      notify: (event: WorkerEvent) => events.next(event),
    };
    worker = new Worker(queue, (job, _token, signal) => processAgentJob(job, signal, deps), {
      connection: bull,
      prefix,
      concurrency,
      name: id,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval !== undefined ? { stalledInterval: options.stalledInterval } : {}),
      ...(options.maxStalledCount !== undefined ? { maxStalledCount: options.maxStalledCount } : {}),
    });
    worker.on('error', (error) => events.next({ type: 'worker.error', workerId: id, error: errorInfo(error) }));
    await worker.waitUntilReady();
  } catch (error) {
    await worker?.close(true).catch(() => undefined);
    await closeRedis(...opened);
    throw new DistributedError('CONNECTION', `startWorker: could not start worker ${id} on queue '${queue}': ${(error as Error).message}`, { cause: error });
  }
  const running = worker;
  let closing: Promise<void> | undefined;
  return {
    id,
    queue,
    agents: Object.keys(handlers),
    events: events.asObservable(),
    close: ({ force = false } = {}) =>
      (closing ??= (async () => {
        await running.close(force).catch(() => undefined);
        await closeRedis(...opened);
        events.complete();
      })()),
  };
}

function checkOptions(options: StartWorkerOptions): void {
  checkConnection(options?.connection, 'startWorker');
  const fail = (field: string, message: string) => {
    throw new DistributedError('INVALID_OPTION', `startWorker: ${message}`, { field });
  };
  const { queue, handlers, concurrency, limiter } = options;
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) fail('queue', `'queue' must be a non-empty name without ':', got ${String(queue)}`);
  if (typeof handlers !== 'object' || handlers === null || Object.keys(handlers).length === 0) fail('handlers', `'handlers' must name at least one agent`);
  for (const [agent, handler] of Object.entries(handlers)) if (typeof handler !== 'function') fail(`handlers.${agent}`, `the handler of agent '${agent}' is not a function`);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) fail('concurrency', `'concurrency' must be an integer >= 1, got ${String(concurrency)}`);
  if (limiter !== undefined && !(limiter.max >= 1 && limiter.duration > 0)) fail('limiter', `'limiter' must be { max >= 1, duration > 0 }`);
  for (const field of ['lockDuration', 'stalledInterval'] as const) {
    const value = options[field];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) fail(field, `'${field}' must be a number of ms > 0, got ${String(value)}`);
  }
}
