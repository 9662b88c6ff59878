import type { BusEvent, TopicOf, TopicSchemas } from './bus-event.js';

/**
 * Which logged events to return. Every field is optional; the ones given must all match.
 *
 * ## Example
 * ```ts
 * import type { LogQuery } from 'rx-orchestra/patterns';
 * const q: LogQuery<typeof topics, 'task.completed'> = { topic: 'task.completed', from: 1000, correlationId: 'run-7' };
 * ```
 */
export interface LogQuery<T extends TopicSchemas, K extends TopicOf<T> = TopicOf<T>> {
  /** One topic or a list of topics. @default every topic */
  topic?: K | readonly K[];
  /** Published at or after this time (the bus scheduler's clock). @default no lower bound */
  from?: number;
  /** Published at or before this time. @default no upper bound */
  to?: number;
  /** Only the events of this correlation id. @default any */
  correlationId?: string;
  /** Only the events published by this source. @default any */
  source?: string;
  /** Only the last `last` matching events (the most recent ones). @default all of them */
  last?: number;
}

/**
 * A bus's event log: the most recent `capacity` events, in publication order, queryable by topic,
 * time range, correlation id and source. A ring buffer: when it is full, each new event evicts
 * the oldest one (whatever its topic), and `evicted` counts them, so `seq` numbers show the gap.
 *
 * ## Example
 * ```ts
 * import { createBus } from 'rx-orchestra/patterns';
 * const bus = createBus({ topics, logSize: 500 });
 * bus.log.query({ topic: ['task.completed', 'task.rejected'], correlationId: 'run-7' });
 * console.log(bus.log.size, bus.log.evicted);
 * ```
 */
export class EventLog<T extends TopicSchemas> {
  readonly #slots: (BusEvent<T> | undefined)[];
  #start = 0;
  #size = 0;
  #evicted = 0;

  /** @param capacity events kept, an integer >= 0 (0 keeps none) */
  constructor(readonly capacity: number) {
    this.#slots = new Array<BusEvent<T> | undefined>(capacity);
  }

  /** Events held now (at most `capacity`). */
  get size(): number {
    return this.#size;
  }

  /** Events dropped so far to make room (oldest first). */
  get evicted(): number {
    return this.#evicted;
  }

  /** Adds an event; returns the one it evicted, if the log was full. */
  append(event: BusEvent<T>): BusEvent<T> | undefined {
    if (this.capacity === 0) {
      this.#evicted += 1;
      return event;
    }
    if (this.#size < this.capacity) {
      this.#slots[(this.#start + this.#size) % this.capacity] = event;
      this.#size += 1;
      return undefined;
    }
    const oldest = this.#slots[this.#start];
    this.#slots[this.#start] = event;
    this.#start = (this.#start + 1) % this.capacity;
    this.#evicted += 1;
    return oldest;
  }

  /**
   * The logged events matching `query`, oldest first. Pure with respect to the log.
   *
   * ## Example
   * ```ts
   * bus.log.query({ topic: 'task.completed', from: 0, to: 5_000, last: 10 });
   * ```
   */
  query<K extends TopicOf<T> = TopicOf<T>>(query: LogQuery<T, K> = {}): BusEvent<T, K>[] {
    const topics = query.topic === undefined ? undefined : new Set<string>(typeof query.topic === 'string' ? [query.topic] : query.topic);
    const matches: BusEvent<T, K>[] = [];
    for (let i = 0; i < this.#size; i++) {
      const event = this.#slots[(this.#start + i) % this.capacity]!;
      if (topics && !topics.has(event.topic)) continue;
      if (query.from !== undefined && event.at < query.from) continue;
      if (query.to !== undefined && event.at > query.to) continue;
      if (query.correlationId !== undefined && event.correlationId !== query.correlationId) continue;
      if (query.source !== undefined && event.source !== query.source) continue;
      matches.push(event as BusEvent<T, K>);
    }
    return query.last === undefined ? matches : matches.slice(Math.max(0, matches.length - query.last));
  }
}
