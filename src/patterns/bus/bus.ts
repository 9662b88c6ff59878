import { Subject, asyncScheduler, filter, type Observable, type SchedulerLike } from 'rxjs';
import type { z } from 'zod';
import { BusError, type PayloadIssue } from './errors.js';
import { EventLog } from './event-log.js';
import type { BusEvent, PayloadInput, SelectedEvent, TopicOf, TopicSchemas, TopicSelector } from './bus-event.js';

/**
 * Events the log keeps unless told otherwise.
 *
 * ## Example
 * ```ts
 * import { createBus, DEFAULT_LOG_SIZE } from 'rx-orchestra/patterns';
 * createBus({ topics }).log.capacity === DEFAULT_LOG_SIZE; // 1000
 * ```
 */
export const DEFAULT_LOG_SIZE = 1000;

/**
 * Settings of {@link createBus}.
 *
 * ## Example
 * ```ts
 * import { createBus, type BusOptions } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const options: BusOptions<{ ping: z.ZodString }> = { topics: { ping: z.string() }, logSize: 100 };
 * const bus = createBus(options);
 * ```
 */
export interface BusOptions<T extends TopicSchemas> {
  /** The topics: name → zod schema of the payload. Publishing or subscribing to another name is an error. */
  topics: T;
  /** Events the log keeps; older ones are evicted first. 0 keeps none. @default 1000 */
  logSize?: number;
  /** Clock of the events' `at`: a virtual one in tests. @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/**
 * Options of {@link EventBus.publish}.
 *
 * ## Example
 * ```ts
 * import type { PublishOptions } from 'rx-orchestra/patterns';
 * const from: PublishOptions = { correlationId: 'req-1', source: 'developer' };
 * bus.publish('task.created', { id: 't1' }, from);
 * ```
 */
export interface PublishOptions {
  /** Ties the event to a request or a workflow run, for filtering and log queries. @default none */
  correlationId?: string;
  /** Who publishes it. @default none */
  source?: string;
}

/**
 * Options of {@link EventBus.subscribe} and {@link EventBus.on}.
 *
 * ## Example
 * ```ts
 * import type { SubscribeOptions } from 'rx-orchestra/patterns';
 * const only: SubscribeOptions = { correlationId: 'req-1' };
 * bus.subscribe('task.completed', only).subscribe(console.log);
 * ```
 */
export interface SubscribeOptions {
  /** Only events with this correlation id. @default any */
  correlationId?: string;
}

/**
 * A handler given to {@link EventBus.on} threw or rejected while handling `event`.
 *
 * ## Example
 * ```ts
 * import type { HandlerFailure } from 'rx-orchestra/patterns';
 * bus.handlerErrors$.subscribe(({ event, error }: HandlerFailure<typeof topics>) => console.error(event.topic, error));
 * ```
 */
export interface HandlerFailure<T extends TopicSchemas> {
  readonly event: BusEvent<T>;
  readonly error: unknown;
}

/**
 * A typed publish/subscribe bus (seed 001's `AgentEventBus`, on RxJS). Publishing validates the
 * payload against its topic's schema, stamps the event (`id`, `seq`, `at` from the scheduler,
 * `correlationId`, `source`), appends it to the bounded {@link EventLog} and delivers it to every
 * matching subscriber, synchronously. Events are delivered in publication order to everyone: an
 * event published from inside a subscriber is delivered once the current one has reached all
 * subscribers. The bus is hot: a subscription sees the events published after it (the log holds
 * the past).
 *
 * ## Example
 * ```ts
 * import { createBus, type EventBus } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const topics = { 'task.created': z.object({ id: z.string() }) };
 * const bus: EventBus<typeof topics> = createBus({ topics });
 * bus.subscribe('task.created').subscribe((e) => console.log(e.seq, e.payload.id));
 * bus.publish('task.created', { id: 't1' });
 * ```
 */
export class EventBus<T extends TopicSchemas> {
  readonly #schemas: T;
  readonly #scheduler: SchedulerLike;
  readonly #events = new Subject<BusEvent<T>>();
  readonly #failures = new Subject<HandlerFailure<T>>();
  readonly #pending: BusEvent<T>[] = [];
  #delivering = false;
  #seq = 0;

  /** The declared topic names. */
  readonly topics: readonly TopicOf<T>[];
  /** The most recent events, queryable by topic, time range and correlation id. */
  readonly log: EventLog<T>;
  /** Failures of {@link EventBus.on} handlers (they do not stop delivery to others). */
  readonly handlerErrors$: Observable<HandlerFailure<T>> = this.#failures.asObservable();

  /** @internal use {@link createBus} */
  constructor(options: BusOptions<T>) {
    const { topics, logSize = DEFAULT_LOG_SIZE, scheduler = asyncScheduler } = options ?? ({} as BusOptions<T>);
    if (typeof topics !== 'object' || topics === null) throw new BusError('INVALID_OPTION', `createBus: 'topics' must be an object of zod schemas`, { field: 'topics' });
    for (const [name, schema] of Object.entries(topics)) {
      if (typeof (schema as { safeParse?: unknown })?.safeParse !== 'function') {
        throw new BusError('INVALID_OPTION', `createBus: topic '${name}' needs a zod schema, got ${typeof schema}`, { field: `topics.${name}`, topic: name });
      }
    }
    if (!(Number.isInteger(logSize) && logSize >= 0)) throw new BusError('INVALID_OPTION', `createBus: 'logSize' must be an integer >= 0, got ${String(logSize)}`, { field: 'logSize' });
    this.#schemas = topics;
    this.#scheduler = scheduler;
    this.topics = Object.keys(topics) as TopicOf<T>[];
    this.log = new EventLog<T>(logSize);
  }

  /**
   * Validates `payload` against the topic's schema and publishes it; returns the event.
   *
   * ## Example
   * ```ts
   * import { createBus } from 'rx-orchestra/patterns';
   * import { z } from 'zod';
   * const bus = createBus({ topics: { 'task.created': z.object({ id: z.string() }) } });
   * bus.publish('task.created', { id: 't1' }, { correlationId: 'req-1', source: 'developer' });
   * ```
   * @throws {BusError} `UNKNOWN_TOPIC`; `INVALID_PAYLOAD` naming the topic and the field; `INVALID_OPTION`
   */
  publish<K extends TopicOf<T>>(topic: K, payload: PayloadInput<T, K>, options: PublishOptions = {}): BusEvent<T, K> {
    const schema = this.#schemaOf(topic, 'publish');
    checkId(options.correlationId, 'correlationId', 'publish');
    checkId(options.source, 'source', 'publish');
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue): PayloadIssue => ({ field: issue.path.map(String).join('.'), message: issue.message }));
      const first = issues[0] ?? { field: '', message: 'invalid' };
      throw new BusError('INVALID_PAYLOAD', `publish: invalid payload for topic '${topic}'${first.field ? ` at field '${first.field}'` : ''}: ${first.message}`, {
        topic,
        field: first.field,
        issues,
      });
    }
    const seq = ++this.#seq;
    const event = {
      id: `evt-${seq}`,
      seq,
      topic,
      payload: parsed.data,
      at: this.#scheduler.now(),
      ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
      ...(options.source !== undefined ? { source: options.source } : {}),
    } as BusEvent<T, K>;
    this.log.append(event as BusEvent<T>);
    this.#deliver(event as BusEvent<T>);
    return event;
  }

  /**
   * The events of a topic, of a list of topics, or matching a predicate (and a correlation id), as
   * a hot Observable: it never completes; unsubscribe to stop.
   *
   * ## Example
   * ```ts
   * bus.subscribe('task.completed').subscribe((e) => console.log(e.payload.taskId));
   * bus.subscribe(['task.started', 'task.completed'], { correlationId: 'run-7' });
   * bus.subscribe((e) => e.source === 'reviewer');
   * ```
   * @throws {BusError} `UNKNOWN_TOPIC` for an undeclared topic, at call time
   */
  subscribe<const S extends TopicSelector<T>>(selector: S, options: SubscribeOptions = {}): Observable<SelectedEvent<T, S>> {
    const matches = this.#matcher(selector, 'subscribe');
    const { correlationId } = options;
    checkId(correlationId, 'correlationId', 'subscribe');
    return this.#events.pipe(
      filter((event): event is SelectedEvent<T, S> & BusEvent<T> => matches(event) && (correlationId === undefined || event.correlationId === correlationId)),
    ) as Observable<SelectedEvent<T, S>>;
  }

  /**
   * For code without RxJS: calls `handler` with every selected event and returns the function
   * that unsubscribes. A handler that throws or rejects is reported on {@link handlerErrors$};
   * other handlers still receive the event.
   *
   * ## Example
   * ```ts
   * const off = bus.on('task.completed', async (e) => { await notify(e.payload); });
   * off(); // stop
   * ```
   * @throws {BusError} `UNKNOWN_TOPIC` for an undeclared topic, at call time
   */
  on<const S extends TopicSelector<T>>(selector: S, handler: (event: SelectedEvent<T, S>) => void | PromiseLike<void>, options: SubscribeOptions = {}): () => void {
    if (typeof handler !== 'function') throw new BusError('INVALID_OPTION', `on: 'handler' must be a function, got ${typeof handler}`, { field: 'handler' });
    const subscription = this.subscribe(selector, options).subscribe((event) => {
      const report = (error: unknown) => this.#failures.next({ event: event as BusEvent<T>, error });
      try {
        const done = handler(event);
        if (done && typeof done.then === 'function') done.then(undefined, report);
      } catch (error) {
        report(error);
      }
    });
    return () => subscription.unsubscribe();
  }

  /** Delivers in publication order, also when a subscriber publishes while being called. */
  #deliver(event: BusEvent<T>): void {
    this.#pending.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) this.#events.next(next);
    } finally {
      this.#delivering = false;
    }
  }

  #schemaOf(topic: string, where: string): z.ZodType {
    const schema = Object.hasOwn(this.#schemas, topic) ? this.#schemas[topic] : undefined;
    if (!schema) throw new BusError('UNKNOWN_TOPIC', `${where}: unknown topic '${String(topic)}' (declared: ${this.topics.join(', ') || 'none'})`, { topic: String(topic) });
    return schema;
  }

  #matcher(selector: TopicSelector<T>, where: string): (event: BusEvent<T>) => boolean {
    if (typeof selector === 'function') return selector;
    const topics = typeof selector === 'string' ? [selector] : selector;
    if (!Array.isArray(topics)) throw new BusError('INVALID_OPTION', `${where}: expected a topic, a list of topics or a predicate`, { field: 'selector' });
    for (const topic of topics) this.#schemaOf(topic, where);
    if (topics.length === 1) {
      const only = topics[0];
      return (event) => event.topic === only;
    }
    const set = new Set<string>(topics);
    return (event) => set.has(event.topic);
  }
}

function checkId(value: string | undefined, field: string, where: string): void {
  if (value !== undefined && !(typeof value === 'string' && value.length > 0)) {
    throw new BusError('INVALID_OPTION', `${where}: '${field}' must be a non-empty string, got ${JSON.stringify(value)}`, { field });
  }
}

/**
 * Creates a typed event bus whose topics are declared with zod schemas. See {@link EventBus}.
 *
 * ## Example
 * ```ts
 * import { createBus } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const bus = createBus({
 *   topics: {
 *     'task.created': z.object({ id: z.string(), type: z.string() }),
 *     'task.completed': z.object({ taskId: z.string(), success: z.boolean(), tokensUsed: z.number() }),
 *   },
 *   logSize: 500,
 * });
 * bus.subscribe('task.completed').subscribe((e) => console.log(e.at, e.payload.taskId));
 * bus.publish('task.created', { id: 't1', type: 'code' }, { correlationId: 'req-1' });
 * bus.log.query({ correlationId: 'req-1' });
 * ```
 * @throws {BusError} `INVALID_OPTION` for a topic without a schema or a bad `logSize`
 */
export function createBus<const T extends TopicSchemas>(options: BusOptions<T>): EventBus<T> {
  return new EventBus(options);
}
