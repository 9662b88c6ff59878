import type { ObservableInput, Observable, SchedulerLike } from 'rxjs';
import type { Model } from '../../models/model.js';
import type { AgentTask } from './task.js';
import type { AgentResult } from './result.js';

/**
 * What an agent's `execute` receives besides the task.
 *
 * ## Example
 * ```ts
 * execute: (task, { signal, inputs, provider }) => provider!.complete({ prompt: `${task.type}: ${inputs.spec}` }, signal)
 * ```
 *
 * ## Example
 * ```ts
 * import { defineAgent } from 'rx-orchestra/patterns';
 * defineAgent({ name: 'coder', version: '1', capabilities: ['code'], model: 'claude-haiku-4-5',
 *   execute: (task, { signal, inputs, provider }) => provider!.complete({ prompt: `Implement: ${String(inputs.design)}` }, signal).pipe(map((c) => ({ output: c.text }))) });
 * ```
 */
export interface AgentTaskContext {
  /** Aborts when the task is cancelled or times out (reason: an `AttemptAbortError`, `code: 'CANCELLED'`): pass it on to model calls. */
  readonly signal: AbortSignal;
  /** The clock: use it for any timing so tests run in virtual time. */
  readonly scheduler: SchedulerLike;
  /** In a workflow: the outputs of the tasks this one `dependsOn`, by task id. Else `{}`. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** A model provider handed down by the caller (`handle(task, { provider })`, a workflow's `provider`). */
  readonly provider: Model | undefined;
  /** The workflow run or request this task belongs to. */
  readonly correlationId: string | undefined;
}

/**
 * What `execute` yields: the output and, if known, the tokens it used.
 *
 * ## Example
 * ```ts
 * execute: () => of({ output: 'done', tokensUsed: 120 })
 * ```
 *
 * ## Example
 * ```ts
 * import { defineAgent, type AgentOutput } from 'rx-orchestra/patterns';
 * const done: AgentOutput<string> = { output: 'done', tokensUsed: 120 };
 * defineAgent({ name: 'x', version: '1', capabilities: ['x'], model: 'none', execute: () => of(done) });
 * ```
 */
export interface AgentOutput<O> {
  readonly output: O;
  /** @default 0 */
  readonly tokensUsed?: number;
}

/**
 * An agent service as seed 001 describes it: identity, capabilities, the model it uses, how many
 * tasks it runs at once and how long one may take, which tasks it accepts, and the work. Give it to
 * {@link defineAgent} to get an `Agent` that enforces `maxConcurrency` and `timeoutMs`.
 *
 * ## Example
 * ```ts
 * import { defineAgent, type AgentService } from 'rx-orchestra/patterns';
 * import { of } from 'rxjs';
 * const echo: AgentService<{ text: string }, string> = {
 *   name: 'echo', version: '1.0.0', capabilities: ['echo'], model: 'none', maxConcurrency: 2, timeoutMs: 1_000,
 *   execute: (task) => of({ output: task.payload.text }),
 * };
 * const agent = defineAgent(echo);
 * ```
 */
export interface AgentService<P = unknown, O = unknown> {
  readonly name: string;
  readonly version: string;
  /** Task types (and other skills) it offers; the default `canHandle` matches `task.type` against it. */
  readonly capabilities: readonly string[];
  /** The model id it calls (e.g. `claude-haiku-4-5`). */
  readonly model: string;
  /** Tasks it runs at once; more wait, first come first served. @default 1 */
  readonly maxConcurrency?: number;
  /** Longest a task may run once started, in ms; then it ends with a `TIMEOUT` result and its signal aborts. @default 30000 */
  readonly timeoutMs?: number;
  /** Whether it accepts a task. @default `capabilities.includes(task.type)` */
  canHandle?(task: AgentTask): boolean;
  /** The work: an Observable, a Promise or an iterable of `{ output, tokensUsed? }`; the last value counts, and none is a `NO_OUTPUT` result. */
  execute(task: AgentTask<P>, ctx: AgentTaskContext): ObservableInput<AgentOutput<O>>;
}

/**
 * Options of a handler's `handle(task, options)`.
 *
 * ## Example
 * ```ts
 * agent.handle(task, { scheduler, inputs: { spec: 'the spec' }, correlationId: 'run-1', onStart: (at) => log(at) });
 * ```
 *
 * ## Example
 * ```ts
 * import type { HandleOptions } from 'rx-orchestra/patterns';
 * const options: HandleOptions = { scheduler, inputs: { spec: 'the spec' }, correlationId: 'run-1', onStart: (at) => console.log('started', at) };
 * agent.handle(task, options);
 * ```
 */
export interface HandleOptions {
  /** @default asyncScheduler (a pool uses its own) */
  scheduler?: SchedulerLike;
  /** See {@link AgentTaskContext.inputs}. @default {} */
  inputs?: Readonly<Record<string, unknown>>;
  /** See {@link AgentTaskContext.provider}. */
  provider?: Model;
  /** See {@link AgentTaskContext.correlationId}. */
  correlationId?: string;
  /** Called when the task actually starts (after any queueing), with the scheduler's time. */
  onStart?: (at: number) => void;
  /**
   * The submitter's AbortSignal (a node's `ctx.signal`). A pool never starts a queued task whose
   * signal has aborted: it withdraws it, erroring with `signal.reason`. @default none
   */
  signal?: AbortSignal;
}

/**
 * Anything that runs tasks: an `Agent` (from {@link defineAgent}) or an `AgentPool`. A workflow
 * gives each task to the first handler whose `canHandle(task)` is true.
 *
 * ## Example
 * ```ts
 * import { runWorkflow, type TaskHandler } from 'rx-orchestra/patterns';
 * const handlers: TaskHandler[] = [specAgent, coderPool];
 * runWorkflow(tasks, { agents: handlers, bus });
 * ```
 */
export interface TaskHandler<O = unknown> {
  readonly name: string;
  canHandle(task: AgentTask): boolean;
  /**
   * A cold Observable: subscribing queues or starts the task, unsubscribing cancels it. Emits one
   * {@link AgentResult} and completes (a failure or timeout is a result with `success: false`);
   * errors only when the task is refused without running (`DEADLINE_EXCEEDED`).
   */
  handle(task: AgentTask, options?: HandleOptions): Observable<AgentResult<O>>;
}
