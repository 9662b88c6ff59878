import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscriber, type Subscription } from 'rxjs';
import { errorInfo } from '../../run/outcome.js';
import { AgentError } from '../agents/errors.js';
import { defineAgent, type Agent } from '../agents/define-agent.js';
import { checkTask, deadlineOf, type AgentTask, type TaskPriority } from '../agents/task.js';
import type { AgentResult } from '../agents/result.js';
import type { AgentService, HandleOptions, TaskHandler } from '../agents/agent-service.js';
import type { PoolEvent } from './pool-events.js';
import { PriorityTaskQueue } from './task-queue.js';
import { MAX_TIMER_MS } from '../../../operators/long-timer.js'; // deadlines later than this are checked at dequeue only


/**
 * Settings of {@link createAgentPool}.
 *
 * ## Example
 * ```ts
 * import { createAgentPool, type AgentPoolOptions } from 'rx-orchestra/patterns';
 * const options: AgentPoolOptions<unknown, string> = { create: (i) => coderService(i), size: 3, name: 'coders' };
 * const pool = createAgentPool(options);
 * ```
 */
export interface AgentPoolOptions<P, O> {
  /**
   * Makes instance `index` (0 .. size-1) of the agent: a new service each time. Called lazily, when
   * an instance is first needed (instance 0 at once, to learn the name and `canHandle`).
   */
  create: (index: number) => AgentService<P, O>;
  /** Instances, hence tasks running at once (each instance runs one task at a time). */
  size: number;
  /** @default the first instance's name */
  name?: string;
  /** Clock of waits, deadlines and event times; every instance runs on it. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** One submitted task, from submission to its end. */
interface Entry<O> {
  readonly task: AgentTask;
  readonly priority: TaskPriority;
  readonly queuedAt: number;
  readonly deadline: number | undefined;
  readonly subscriber: Subscriber<AgentResult<O>>;
  readonly options: HandleOptions;
  state: 'queued' | 'running' | 'done';
  instance: number;
  startedAt: number;
  timer?: Subscription;
  run?: Subscription;
  /** Removes the listener on the submitter's signal (set while the task waits). */
  unlisten?: () => void;
}

/**
 * Several instances of one agent behind one queue (seed 001's `AgentPool`, with the queue it was
 * missing a real order for). At most `size` tasks run at once, one per instance; the others wait
 * in a queue ordered by priority (`high`, `normal`, `low`), then by arrival. A task whose deadline
 * has passed is rejected with a `DEADLINE_EXCEEDED` {@link AgentError} without being run: at
 * submission, when its deadline passes while it waits, and when it is dequeued. `events$` shows
 * every step with the queue depth, the busy count and the waiting time.
 *
 * The pool's queue is its own (the shared `ConcurrencyLimiter` serves first come, first served,
 * and a pool must serve by priority); an instance's own `maxConcurrency` and `timeoutMs` still
 * apply inside.
 *
 * ## Example
 * ```ts
 * import { createAgentPool, type AgentPool } from 'rx-orchestra/patterns';
 * const pool: AgentPool = createAgentPool({ create: () => coderService(), size: 2 });
 * pool.events$.subscribe((e) => console.log(e.type, e.taskId, 'depth', e.depth, 'busy', e.busy));
 * pool.submit({ id: 't1', type: 'code', payload: {}, priority: 'high' }).subscribe((r) => console.log(r.success));
 * ```
 */
export class AgentPool<P = unknown, O = unknown> implements TaskHandler<O> {
  readonly name: string;
  readonly size: number;
  readonly #create: (index: number) => AgentService<P, O>;
  readonly #scheduler: SchedulerLike;
  readonly #instances: (Agent<P, O> | undefined)[];
  readonly #busy: boolean[];
  readonly #queue = new PriorityTaskQueue<Entry<O>>();
  readonly #events = new Subject<PoolEvent>();
  #busyCount = 0;
  #pumping = false;
  #pumpAgain = false;
  #pumpPending = false;

  /** Every step of every task: queued, started, completed, rejected, cancelled. Hot. */
  readonly events$ = this.#events.asObservable();

  /** @internal use {@link createAgentPool} */
  constructor(options: AgentPoolOptions<P, O>) {
    const { create, size, scheduler = asyncScheduler } = options ?? ({} as AgentPoolOptions<P, O>);
    const bad = (field: string, rule: string, value: unknown) =>
      new AgentError('INVALID_OPTION', `createAgentPool: '${field}' must be ${rule}, got ${String(value)}`, { field, ...(options?.name ? { agent: options.name } : {}) });
    if (typeof create !== 'function') throw bad('create', 'a function', create);
    if (!(Number.isInteger(size) && size >= 1)) throw bad('size', 'an integer >= 1', size);
    if (options.name !== undefined && !(typeof options.name === 'string' && options.name.length > 0)) throw bad('name', 'a non-empty string', options.name);
    this.#create = create;
    this.#scheduler = scheduler;
    this.size = size;
    this.#instances = new Array<Agent<P, O> | undefined>(size);
    this.#busy = new Array<boolean>(size).fill(false);
    this.name = options.name ?? this.#instance(0).name;
  }

  /** Instances running a task now (at most `size`). */
  get busy(): number {
    return this.#busyCount;
  }

  /** Tasks waiting in the queue. */
  get depth(): number {
    return this.#queue.size;
  }

  /** Instances created so far. */
  get created(): number {
    return this.#instances.filter(Boolean).length;
  }

  /** Whether the agent accepts the task (asks the first instance). */
  canHandle(task: AgentTask): boolean {
    return this.#instance(0).canHandle(task);
  }

  /**
   * Queues a task; a cold Observable: subscribing submits it, unsubscribing withdraws it from the
   * queue or cancels it while it runs. Emits the instance's {@link AgentResult} and completes, or
   * errors with a `DEADLINE_EXCEEDED` {@link AgentError} when the task was rejected. With
   * `options.signal`, a task whose signal aborts before it starts never starts: it leaves the queue
   * and errors with `signal.reason`. The instance a cancelled task frees takes its next task once
   * the teardown in progress is over (at the same scheduler time), so cancelling several
   * submitters at once (a run's nodes) starts none of the tasks queued behind them.
   *
   * ## Example
   * ```ts
   * import { createAgentPool } from 'rx-orchestra/patterns';
   * const pool = createAgentPool({ create: () => coderService(), size: 3 });
   * pool.submit({ id: 'fix-42', type: 'code', payload: { issue: 42 }, priority: 'high', deadline: Date.now() + 60_000 })
   *   .subscribe({ next: (r) => console.log(r.success), error: (e) => console.log(e.code) });
   * ```
   * @throws {AgentError} `INVALID_TASK` or `CANNOT_HANDLE`, at call time
   */
  submit(task: AgentTask<P>, options: HandleOptions = {}): Observable<AgentResult<O>> {
    checkTask(task, `pool '${this.name}'`);
    if (!this.canHandle(task)) {
      throw new AgentError('CANNOT_HANDLE', `pool '${this.name}' cannot handle task '${task.id}' of type '${task.type}'`, { agent: this.name, taskId: task.id });
    }
    return new Observable<AgentResult<O>>((subscriber) => {
      const now = this.#scheduler.now();
      const entry: Entry<O> = {
        task,
        priority: task.priority ?? 'normal',
        queuedAt: now,
        deadline: deadlineOf(task),
        subscriber,
        options,
        state: 'queued',
        instance: -1,
        startedAt: now,
      };
      const { signal } = options;
      if (signal?.aborted) return void subscriber.error(signal.reason);
      if (entry.deadline !== undefined && now >= entry.deadline) {
        this.#reject(entry, now);
        return;
      }
      if (signal) {
        const onAbort = () => this.#withdraw(entry, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        entry.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(entry);
      this.#emit({ type: 'queued', taskId: task.id, at: now, priority: entry.priority });
      if (entry.deadline !== undefined) this.#armDeadline(entry, now);
      this.#pump();
      return () => this.#cancel(entry);
    });
  }

  /** The same as {@link AgentPool.submit}, so a pool can stand wherever an agent can (workflows). */
  handle(task: AgentTask<P>, options?: HandleOptions): Observable<AgentResult<O>> {
    return this.submit(task, options);
  }

  #instance(index: number): Agent<P, O> {
    let agent = this.#instances[index];
    if (!agent) {
      agent = defineAgent(this.#create(index));
      this.#instances[index] = agent;
    }
    return agent;
  }

  #emit(event: { type: PoolEvent['type']; taskId: string; at: number } & Record<string, unknown>): void {
    this.#events.next({ pool: this.name, depth: this.#queue.size, busy: this.#busyCount, ...event } as PoolEvent);
  }

  #armDeadline(entry: Entry<O>, now: number): void {
    const delay = entry.deadline! - now;
    if (delay <= MAX_TIMER_MS) entry.timer = this.#scheduler.schedule(() => this.#expire(entry), delay);
  }

  /** The deadline timer fired: reject the task if it is still waiting. */
  #expire(entry: Entry<O>): void {
    if (entry.state !== 'queued') return;
    const now = this.#scheduler.now();
    if (now < entry.deadline!) this.#armDeadline(entry, now); // a real clock can fire a little early
    else this.#reject(entry, now);
  }

  /** Starts waiting tasks while instances are idle; re-entrant calls (a task ending at once) loop here. */
  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        for (let index = this.#busy.indexOf(false); index >= 0 && this.#queue.size > 0; index = this.#busy.indexOf(false)) {
          const entry = this.#queue.shift()!;
          const now = this.#scheduler.now();
          // Its abort listener may not have run yet (another listener of the same abort freed the instance).
          if (entry.options.signal?.aborted) this.#withdraw(entry, entry.options.signal.reason, false);
          else if (entry.deadline !== undefined && now >= entry.deadline) this.#reject(entry, now);
          else this.#start(entry, index, now);
        }
      } while (this.#pumpAgain);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Pumps once the current teardown is over (a task at the same scheduler time): an instance freed
   * by a cancelled task must not start a queued task that the same teardown is about to cancel.
   */
  #pumpAfterTeardown(): void {
    if (this.#pumpPending) return;
    this.#pumpPending = true;
    this.#scheduler.schedule(() => {
      this.#pumpPending = false;
      this.#pump();
    });
  }

  #start(entry: Entry<O>, index: number, now: number): void {
    entry.unlisten?.();
    entry.state = 'running';
    entry.instance = index;
    entry.startedAt = now;
    entry.timer?.unsubscribe();
    this.#busy[index] = true;
    this.#busyCount += 1;
    this.#emit({ type: 'started', taskId: entry.task.id, at: now, instance: index, waitMs: now - entry.queuedAt });
    let result: AgentResult<O> | undefined;
    let failure: { error: unknown } | undefined;
    try {
      entry.run = this.#instance(index)
        .handle(entry.task as AgentTask<P>, { ...entry.options, scheduler: this.#scheduler })
        .subscribe({ next: (value) => (result = value), error: (error: unknown) => (failure = { error }) });
      // Released once the task's work is torn down (after its own finalizers), not merely completed,
      // so the next task never overlaps the end of this one.
      entry.run.add(() => this.#finish(entry, result, failure));
    } catch (error) {
      this.#finish(entry, undefined, { error });
    }
    if ((entry.state as Entry<O>['state']) === 'done') entry.run?.unsubscribe(); // cancelled while subscribing (e.g. from onStart)
  }

  #free(entry: Entry<O>): void {
    this.#busy[entry.instance] = false;
    this.#busyCount -= 1;
  }

  /** The task's run is over (not called when it was cancelled): free the instance, report, deliver, go on. */
  #finish(entry: Entry<O>, result: AgentResult<O> | undefined, failure: { error: unknown } | undefined): void {
    if (entry.state !== 'running') return;
    entry.state = 'done';
    this.#free(entry);
    const now = this.#scheduler.now();
    const error = failure ? failure.error : result ? undefined : new AgentError('NO_OUTPUT', `task '${entry.task.id}' ended without a result`, { agent: this.name, taskId: entry.task.id });
    const errorData = result && !failure ? result.error : errorInfo(error);
    this.#emit({
      type: 'completed',
      taskId: entry.task.id,
      at: now,
      instance: entry.instance,
      waitMs: entry.startedAt - entry.queuedAt,
      durationMs: now - entry.startedAt,
      success: !failure && result?.success === true,
      ...(errorData ? { error: errorData } : {}),
    });
    if (result && !failure) {
      entry.subscriber.next(result);
      entry.subscriber.complete();
    } else {
      entry.subscriber.error(error);
    }
    this.#pump();
  }

  #reject(entry: Entry<O>, now: number): void {
    const wasQueued = entry.state === 'queued';
    entry.unlisten?.();
    entry.state = 'done';
    entry.timer?.unsubscribe();
    if (wasQueued) this.#queue.remove(entry);
    const waitedMs = now - entry.queuedAt;
    this.#emit({ type: 'rejected', taskId: entry.task.id, at: now, reason: 'deadline', deadline: entry.deadline!, waitMs: waitedMs });
    entry.subscriber.error(
      new AgentError('DEADLINE_EXCEEDED', `task '${entry.task.id}' missed its deadline (${entry.deadline}) waiting in pool '${this.name}' (now ${now}, waited ${waitedMs} ms)`, {
        agent: this.name,
        taskId: entry.task.id,
        deadline: entry.deadline!,
        waitedMs,
      }),
    );
  }

  /** The submitter's signal aborted while the task waited: it leaves the queue with the reason, never started. */
  #withdraw(entry: Entry<O>, reason: unknown, queued = true): void {
    if (entry.state !== 'queued') return;
    entry.unlisten?.();
    entry.state = 'done';
    entry.timer?.unsubscribe();
    if (queued) this.#queue.remove(entry);
    const now = this.#scheduler.now();
    this.#emit({ type: 'cancelled', taskId: entry.task.id, at: now, waitMs: now - entry.queuedAt, wasRunning: false });
    entry.subscriber.error(reason);
  }

  /** The submitter unsubscribed. */
  #cancel(entry: Entry<O>): void {
    if (entry.state === 'done') return;
    const now = this.#scheduler.now();
    const wasRunning = entry.state === 'running';
    entry.unlisten?.();
    entry.state = 'done';
    entry.timer?.unsubscribe();
    if (wasRunning) {
      entry.run?.unsubscribe();
      this.#free(entry);
    } else {
      this.#queue.remove(entry);
    }
    this.#emit({ type: 'cancelled', taskId: entry.task.id, at: now, waitMs: (wasRunning ? entry.startedAt : now) - entry.queuedAt, wasRunning });
    // The freed instance takes the next task after this teardown, which may be cancelling that task too.
    if (wasRunning) this.#pumpAfterTeardown();
  }
}

/**
 * Creates an {@link AgentPool}: `size` instances of one agent, at most `size` tasks running, a
 * queue ordered by priority then arrival, deadlines enforced before a task starts.
 *
 * ## Example
 * ```ts
 * import { createAgentPool, modelAgent } from 'rx-orchestra/patterns';
 * const coders = createAgentPool({
 *   size: 3,
 *   create: (i) => modelAgent({ name: 'coder', version: '1.0.0', capabilities: ['code'], model: 'claude-haiku-4-5', prompt: (t) => `Implement ${t.id} (instance ${i})` }),
 * });
 * coders.events$.subscribe((e) => console.log(e.type, e.taskId, 'depth', e.depth));
 * coders.submit({ id: 'api', type: 'code', payload: {}, priority: 'high' }).subscribe(console.log);
 * ```
 * @throws {AgentError} `INVALID_OPTION` naming the field, or `INVALID_AGENT` from the first instance, at call time
 */
export function createAgentPool<P = unknown, O = unknown>(options: AgentPoolOptions<P, O>): AgentPool<P, O> {
  return new AgentPool(options);
}
