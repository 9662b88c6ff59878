import { asyncScheduler, catchError, defer, map, of, throwError, type Observable, type ObservableInput, type SchedulerLike } from 'rxjs';
import { attempt } from '../../../operators/attempt.js';
import { ConcurrencyLimiter } from '../../../operators/concurrency-limiter.js';
import { limitConcurrency } from '../../../operators/limit-concurrency.js';
import { timeout } from '../../../operators/timeout.js';
import { errorInfo } from '../../run/outcome.js';
import { AgentError } from './errors.js';
import { checkTask, deadlineOf, type AgentTask } from './task.js';
import type { AgentResult } from './result.js';
import type { AgentTaskContext, AgentOutput, AgentService, HandleOptions, TaskHandler } from './agent-service.js';

/**
 * Tasks an agent runs at once unless told otherwise.
 *
 * ## Example
 * ```ts
 * import { DEFAULT_AGENT_CONCURRENCY, defineAgent } from 'rx-orchestra/patterns';
 * defineAgent(spec).maxConcurrency === DEFAULT_AGENT_CONCURRENCY; // when spec sets none: 1
 * ```
 */
export const DEFAULT_AGENT_CONCURRENCY = 1;
/**
 * How long a task may run unless told otherwise (seed 000's node timeout).
 *
 * ## Example
 * ```ts
 * import { DEFAULT_AGENT_TIMEOUT_MS, defineAgent } from 'rx-orchestra/patterns';
 * defineAgent(spec).timeoutMs === DEFAULT_AGENT_TIMEOUT_MS; // when spec sets none: 30000
 * ```
 */
export const DEFAULT_AGENT_TIMEOUT_MS = 30_000;

/**
 * A defined agent: the {@link AgentService} with its defaults filled in, plus `handle`, which runs a
 * task within the agent's `maxConcurrency` and `timeoutMs`.
 *
 * ## Example
 * ```ts
 * import { defineAgent, type Agent } from 'rx-orchestra/patterns';
 * const coder: Agent<{ design: string }, string> = defineAgent({ ...spec });
 * coder.handle({ id: 't1', type: 'code', payload: { design: '...' } }).subscribe((r) => console.log(r.success));
 * ```
 */
export interface Agent<P = unknown, O = unknown> extends AgentService<P, O>, TaskHandler<O> {
  /** `name@version`, as results name it. */
  readonly id: string;
  readonly maxConcurrency: number;
  readonly timeoutMs: number;
  /** Tasks running now (at most `maxConcurrency`). */
  readonly running: number;
  /** Tasks waiting for a free slot. */
  readonly waiting: number;
  canHandle(task: AgentTask): boolean;
  handle(task: AgentTask<P>, options?: HandleOptions): Observable<AgentResult<O>>;
}

class DefinedAgent<P, O> implements Agent<P, O> {
  readonly name: string;
  readonly version: string;
  readonly capabilities: readonly string[];
  readonly model: string;
  readonly maxConcurrency: number;
  readonly timeoutMs: number;
  readonly id: string;
  readonly #service: AgentService<P, O>;
  readonly #limiter: ConcurrencyLimiter;

  constructor(service: AgentService<P, O>) {
    this.#service = service;
    ({ name: this.name, version: this.version, model: this.model } = service);
    this.capabilities = Object.freeze([...service.capabilities]);
    this.maxConcurrency = service.maxConcurrency ?? DEFAULT_AGENT_CONCURRENCY;
    this.timeoutMs = service.timeoutMs ?? DEFAULT_AGENT_TIMEOUT_MS;
    this.id = `${this.name}@${this.version}`;
    this.#limiter = new ConcurrencyLimiter(this.maxConcurrency);
  }

  get running(): number {
    return this.#limiter.inFlight;
  }

  get waiting(): number {
    return this.#limiter.waiting;
  }

  canHandle(task: AgentTask): boolean {
    return this.#service.canHandle ? this.#service.canHandle(task) : this.capabilities.includes(task.type);
  }

  execute(task: AgentTask<P>, ctx: AgentTaskContext): ObservableInput<AgentOutput<O>> {
    return this.#service.execute(task, ctx);
  }

  handle(task: AgentTask<P>, options: HandleOptions = {}): Observable<AgentResult<O>> {
    checkTask(task, `agent '${this.name}'`);
    if (!this.canHandle(task)) {
      throw new AgentError('CANNOT_HANDLE', `agent '${this.name}' cannot handle task '${task.id}' of type '${task.type}' (capabilities: ${this.capabilities.join(', ') || 'none'})`, {
        agent: this.name,
        taskId: task.id,
      });
    }
    const scheduler = options.scheduler ?? asyncScheduler;
    return defer(() => {
      const queuedAt = scheduler.now();
      return defer(() => this.#run(task, options, scheduler, queuedAt)).pipe(limitConcurrency<AgentResult<O>>(this.#limiter, { isOverload: () => false }));
    });
  }

  /** One run of the task, once a slot is held: deadline check, then `execute` under `timeoutMs`. */
  #run(task: AgentTask<P>, options: HandleOptions, scheduler: SchedulerLike, queuedAt: number): Observable<AgentResult<O>> {
    const startedAt = scheduler.now();
    const deadline = deadlineOf(task);
    if (deadline !== undefined && startedAt >= deadline) {
      const waitedMs = startedAt - queuedAt;
      return throwError(
        () =>
          new AgentError('DEADLINE_EXCEEDED', `task '${task.id}' missed its deadline (${deadline}) before agent '${this.name}' could start it (now ${startedAt}, waited ${waitedMs} ms)`, {
            agent: this.name,
            taskId: task.id,
            deadline,
            waitedMs,
          }),
      );
    }
    options.onStart?.(startedAt);
    const base = () => ({ taskId: task.id, agent: this.id, startedAt, durationMs: scheduler.now() - startedAt });
    const noOutput = () => new AgentError('NO_OUTPUT', `agent '${this.name}' completed task '${task.id}' without an { output } value`, { agent: this.name, taskId: task.id });
    // The last value counts; the signal aborts (AttemptAbortError) when the timeout or a caller ends the task early.
    const execution = attempt<AgentOutput<O>>(
      ({ signal }) => this.execute(task, { signal, scheduler, inputs: options.inputs ?? {}, provider: options.provider, correlationId: options.correlationId }),
      { empty: noOutput },
    );
    return execution.pipe(
      timeout<AgentOutput<O>>({
        total: this.timeoutMs,
        scheduler,
        with: () => new AgentError('TIMEOUT', `agent '${this.name}' did not finish task '${task.id}' within ${this.timeoutMs} ms`, { agent: this.name, taskId: task.id, timeoutMs: this.timeoutMs }),
      }),
      map((value): AgentResult<O> => {
        if (typeof value !== 'object' || value === null || !('output' in value)) throw noOutput();
        const tokensUsed = typeof value.tokensUsed === 'number' && value.tokensUsed >= 0 ? value.tokensUsed : 0;
        return { ...base(), success: true, output: value.output, tokensUsed };
      }),
      catchError((error: unknown) => of<AgentResult<O>>({ ...base(), success: false, tokensUsed: 0, error: errorInfo(error) })),
    );
  }
}

/**
 * Turns an {@link AgentService} into an {@link Agent}: validates it, fills in the defaults, and
 * runs tasks through `handle`, which keeps at most `maxConcurrency` tasks running (the rest wait,
 * first come first served, on a shared `ConcurrencyLimiter`), rejects a task whose deadline has
 * passed by the time it could start (`DEADLINE_EXCEEDED`, without running it), and ends a task that
 * runs longer than `timeoutMs` with a `TIMEOUT` result, aborting its signal. Define an agent once
 * and share it: its limit holds across every caller.
 *
 * ## Example
 * ```ts
 * import { defineAgent } from 'rx-orchestra/patterns';
 * import { timer, map } from 'rxjs';
 * const reviewer = defineAgent({
 *   name: 'reviewer', version: '1.0.0', capabilities: ['review'], model: 'claude-sonnet-4-6',
 *   maxConcurrency: 2, timeoutMs: 20_000,
 *   execute: (task, { scheduler }) => timer(500, scheduler).pipe(map(() => ({ output: `LGTM: ${task.id}`, tokensUsed: 300 }))),
 * });
 * reviewer.handle({ id: 'pr-1', type: 'review', payload: {} }).subscribe((r) => console.log(r));
 * ```
 * @throws {AgentError} `INVALID_AGENT` naming the field, at call time
 */
export function defineAgent<P = unknown, O = unknown>(service: AgentService<P, O>): Agent<P, O> {
  checkService(service);
  return new DefinedAgent(service);
}

function checkService(service: AgentService<never, unknown>): void {
  const name = typeof service?.name === 'string' ? service.name : '(unnamed)';
  const bad = (field: string, rule: string, value: unknown) =>
    new AgentError('INVALID_AGENT', `defineAgent: agent '${name}': '${field}' must be ${rule}, got ${typeof value === 'string' ? `'${value}'` : String(value)}`, { agent: name, field });
  if (typeof service !== 'object' || service === null) throw bad('service', 'an object', service);
  if (!(typeof service.name === 'string' && service.name.length > 0)) throw bad('name', 'a non-empty string', service.name);
  if (typeof service.version !== 'string') throw bad('version', 'a string', service.version);
  if (!(Array.isArray(service.capabilities) && service.capabilities.every((c) => typeof c === 'string'))) throw bad('capabilities', 'an array of strings', service.capabilities);
  if (typeof service.model !== 'string') throw bad('model', 'a string', service.model);
  const { maxConcurrency, timeoutMs } = service;
  if (maxConcurrency !== undefined && !(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) throw bad('maxConcurrency', 'an integer >= 1', maxConcurrency);
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) throw bad('timeoutMs', 'a number of ms > 0', timeoutMs);
  if (typeof service.execute !== 'function') throw bad('execute', 'a function', service.execute);
  if (service.canHandle !== undefined && typeof service.canHandle !== 'function') throw bad('canHandle', 'a function', service.canHandle);
}
