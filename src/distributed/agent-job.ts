import { asyncScheduler, from, of, type ObservableInput, type Subscription } from 'rxjs';
import type { Job } from 'bullmq';
import type { NodeContext } from '../graph/node-spec.js';
import type { GovernanceEvent, Model } from '../models/model.js';
import type { ErrorInfo, NodeReport } from '../run/events.js';
import { errorInfo } from '../run/outcome.js';
import { NodeRunError } from '../run/errors.js';
import type { CallCost, LimitKind } from '../../operators/rate-limiter.js';
import { RetryAfterTooLongError } from '../../operators/retry.js';
import { DistributedError } from './errors.js';
import { jsonProblem } from './json-safe.js';
import { parseJobData, type AgentJobData } from './protocol.js';
import { ProgressReporter } from './progress-reporter.js';
import type { CancelWatch } from './cancel-watch.js';
import type { FleetPermit, FleetRateLimiter } from './fleet-rate-limiter.js';

/**
 * What an agent's handler receives besides its input: a node's context (`signal`, `emit`,
 * `attempt`, `runId`, `nodeId`, `scheduler`, `model`; `inputs` is the job's input, so a node's
 * `run` such as `llm(...)` can be called with it), plus the job's id, the agent's name and the
 * worker's id.
 *
 * ## Example
 * ```ts
 * import { llm } from 'rx-orchestra';
 * import { type AgentContext } from 'rx-orchestra/distributed';
 * const summarize = llm<{ text: string }>({ prompt: ({ text }) => `Summarize:\n${text}` });
 * const handlers = { summarizer: (_input: { text: string }, ctx: AgentContext<{ text: string }>) => summarize(ctx) };
 * ```
 */
export interface AgentContext<I = unknown> extends NodeContext<I, unknown, unknown> {
  readonly agent: string;
  readonly jobId: string;
  readonly workerId: string;
}

/**
 * An agent's work on a worker: like a node's `run`, it returns an Observable, a Promise or an
 * (async) iterable, and its last value is the result (JSON: it crosses Redis). It should stop when
 * `ctx.signal` aborts (the job was cancelled), and may report tokens and usage with `ctx.emit`.
 * (Declared as a method type, so a handler with a typed input fits an {@link AgentHandlers} map.)
 *
 * ## Example
 * ```ts
 * import type { AgentHandler } from 'rx-orchestra/distributed';
 * const researcher: AgentHandler<{ topic: string }, string> = async ({ topic }, { signal }) => (await fetch(`https://example.org/?q=${topic}`, { signal })).text();
 * ```
 */
export type AgentHandler<I = unknown, O = unknown> = {
  handle(input: I, ctx: AgentContext<I>): ObservableInput<O>;
}['handle'];

/**
 * A worker's handlers by agent name. A handler whose input is not annotated receives `unknown`.
 *
 * ## Example
 * ```ts
 * import type { AgentHandlers } from 'rx-orchestra/distributed';
 * const handlers: AgentHandlers = { echo: async (input: { text: string }) => input.text, ping: async () => 'pong' };
 * ```
 */
export type AgentHandlers = Readonly<Record<string, AgentHandler>>;

/**
 * What a worker tells about its jobs (for logs and dashboards): a job started, completed, failed or
 * was cancelled; the worker met an error.
 *
 * ## Example
 * ```ts
 * import { startWorker } from 'rx-orchestra/distributed';
 * const worker = await startWorker({ connection, queue: 'agents', handlers });
 * worker.events.subscribe((e) => console.log(JSON.stringify(e)));
 * ```
 */
export type WorkerEvent =
  | { type: 'job.started'; workerId: string; jobId: string; agent: string; runId: string; nodeId: string; attempt: number }
  | { type: 'job.completed'; workerId: string; jobId: string; agent: string; nodeId: string; durationMs: number }
  | { type: 'job.failed'; workerId: string; jobId: string; agent: string; nodeId: string; durationMs: number; error: ErrorInfo }
  | { type: 'job.cancelled'; workerId: string; jobId: string; agent: string; nodeId: string; durationMs: number }
  | { type: 'worker.error'; workerId: string; error: ErrorInfo };

/** What one job needs from its worker. @internal */
export interface JobDeps {
  workerId: string;
  handlers: AgentHandlers;
  cancels: CancelWatch;
  model: Model | undefined;
  context: unknown;
  quota: FleetRateLimiter | undefined;
  jobCost: ((agent: string, input: unknown) => CallCost) | undefined;
  notify(event: WorkerEvent): void;
}

/**
 * Runs one BullMQ job: checks it, watches for its cancellation, waits for the fleet's quota, runs
 * the agent's handler with a node-like context, forwards its reports as job progress and settles
 * the quota with the tokens it reported; resolves with the handler's last value (checked to survive
 * JSON) after every report was sent, or rejects with the handler's error, sent first as plain data
 * (BullMQ's `failed` event carries only the message). @internal
 */
export async function processAgentJob(job: Job, bullSignal: AbortSignal | undefined, deps: JobDeps): Promise<unknown> {
  const jobId = job.id!;
  const { workerId, notify } = deps;
  const startedAt = asyncScheduler.now();
  const elapsed = () => asyncScheduler.now() - startedAt;
  const reporter = new ProgressReporter((message) => job.updateProgress(message));
  const parsed = parseJobData(job.data);
  if (typeof parsed === 'string') {
    const error = new DistributedError('INVALID_JOB', `worker ${workerId}: job ${jobId}: ${parsed}`, { jobId });
    await reporter.sendLast({ error: errorInfo(error) });
    throw error;
  }
  const data: AgentJobData = parsed;
  const { agent, nodeId } = data;
  notify({ type: 'job.started', workerId, jobId, agent, runId: data.runId, nodeId, attempt: data.attempt });

  const controller = new AbortController();
  const abort = () => controller.abort();
  bullSignal?.addEventListener('abort', abort, { once: true });
  const unwatch = await deps.cancels.watch(jobId, abort);
  const usage = { inputTokens: 0, outputTokens: 0 };
  let ended = false;
  const report = (item: NodeReport) => {
    if (ended) return;
    if (item.type === 'node.usage') {
      usage.inputTokens += item.usage.inputTokens;
      usage.outputTokens += item.usage.outputTokens;
    }
    reporter.report(item);
  };
  let permit: FleetPermit | undefined;
  try {
    const handler = deps.handlers[agent];
    if (!handler) {
      const known = Object.keys(deps.handlers).map((name) => `'${name}'`).join(', ');
      throw new DistributedError('UNKNOWN_AGENT', `worker ${workerId} has no handler for agent '${agent}' (node '${nodeId}'); it has ${known || 'none'}`, { agent, jobId });
    }
    if (deps.quota) {
      const cost = deps.jobCost ? deps.jobCost(agent, data.input) : { requests: 1 };
      permit = await untilAborted(controller.signal, (done) =>
        deps.quota!.acquire(cost, ({ waitMs, limitedBy, queued }) => report(waiting(waitMs, limitedBy, queued))).subscribe({ next: done.resolve, error: done.reject }),
      );
    }
    const ctx = agentContext(data, jobId, deps, controller.signal, report);
    const value = await untilAborted(controller.signal, (done) => runHandler(handler, data.input, ctx, done));
    const problem = jsonProblem(value, 'value');
    if (problem) throw new DistributedError('NOT_SERIALIZABLE', `agent '${agent}' (node '${nodeId}') returned a value that cannot be sent back: ${problem}`, { agent, jobId });
    ended = true;
    await reporter.flush();
    notify({ type: 'job.completed', workerId, jobId, agent, nodeId, durationMs: elapsed() });
    return value;
  } catch (error) {
    ended = true;
    if (controller.signal.aborted) {
      notify({ type: 'job.cancelled', workerId, jobId, agent, nodeId, durationMs: elapsed() });
      throw new DistributedError('CANCELLED', `job ${jobId} (agent '${agent}', node '${nodeId}') was cancelled`, { agent, jobId });
    }
    let failure = error;
    let info = errorInfo(error);
    if (deps.quota && info.retryAfterMs !== undefined && (info.status === 429 || info.code === 'RATE_LIMITED')) {
      if (info.retryAfterMs > deps.quota.maxRetryAfterMs) {
        // An absurd retry-after (a daily cap, 30 days) fails this job, not the whole fleet for that long.
        failure = new RetryAfterTooLongError(info.retryAfterMs, deps.quota.maxRetryAfterMs, { cause: error });
        info = errorInfo(failure);
      } else {
        await deps.quota.pause(info.retryAfterMs).catch(() => undefined);
      }
    }
    await reporter.sendLast({ error: info }).catch(() => undefined);
    notify({ type: 'job.failed', workerId, jobId, agent, nodeId, durationMs: elapsed(), error: info });
    throw failure instanceof Error ? failure : new Error(info.message);
  } finally {
    unwatch();
    bullSignal?.removeEventListener('abort', abort);
    if (permit && (usage.inputTokens > 0 || usage.outputTokens > 0)) await permit.settle(usage).catch(() => undefined);
  }
}

interface Done<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Runs subscribe-style work as a Promise that rejects (and tears the work down) when `signal` aborts. */
function untilAborted<T>(signal: AbortSignal, start: (done: Done<T>) => Subscription): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const held: { subscription?: Subscription } = {}; // set once `start` returned; abort may come first
    let settled = false;
    const onAbort = () => {
      settled = true;
      held.subscription?.unsubscribe();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
    };
    const subscription = start({
      resolve: (value) => {
        finish();
        resolve(value);
      },
      reject: (error) => {
        finish();
        reject(error);
      },
    });
    if (settled) subscription.unsubscribe();
    else held.subscription = subscription;
  });
}

/** Subscribes to a handler's work, resolving with its last value (a node's rule: none is an error). */
function runHandler(handler: AgentHandler<unknown, unknown>, input: unknown, ctx: AgentContext<unknown>, done: Done<unknown>): Subscription {
  const work = handler(input, ctx);
  let latest: unknown;
  let hasValue = false;
  return (typeof work === 'string' ? of(work) : from(work)).subscribe({
    next: (value) => {
      latest = value;
      hasValue = true;
    },
    error: done.reject,
    complete: () =>
      hasValue ? done.resolve(latest) : done.reject(new NodeRunError('NO_VALUE', ctx.nodeId, `agent '${ctx.agent}' (node '${ctx.nodeId}') completed without a value`)),
  });
}

/** A `ratelimit.waiting` report: the job waits for the fleet's quota. */
function waiting(waitMs: number, limitedBy: LimitKind, queued: number): NodeReport {
  const event: GovernanceEvent = { type: 'ratelimit.waiting', waitMs, limitedBy, queued };
  return event;
}

function agentContext(data: AgentJobData, jobId: string, deps: JobDeps, signal: AbortSignal, emit: (report: NodeReport) => void): AgentContext<unknown> {
  return {
    inputs: data.input,
    upstream: {},
    signal,
    attempt: data.attempt,
    nodeId: data.nodeId,
    runId: data.runId,
    context: deps.context,
    scheduler: asyncScheduler,
    model: deps.model,
    emit,
    agent: data.agent,
    jobId,
    workerId: deps.workerId,
  };
}
