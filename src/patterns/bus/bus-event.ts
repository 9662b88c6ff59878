import type { z } from 'zod';

/**
 * The topics of a bus: topic name → zod schema of its payload.
 *
 * ## Example
 * ```ts
 * import type { TopicSchemas } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const topics = { 'task.created': z.object({ id: z.string() }) } satisfies TopicSchemas;
 * ```
 */
export type TopicSchemas = Readonly<Record<string, z.ZodType>>;

/**
 * The topic names of a bus's schemas.
 *
 * ## Example
 * ```ts
 * import type { TopicOf } from 'rx-orchestra/patterns';
 * type Names = TopicOf<typeof topics>; // 'task.created' | ...
 * ```
 */
export type TopicOf<T extends TopicSchemas> = keyof T & string;

/**
 * The payload of topic `K` once validated (the schema's output type).
 *
 * ## Example
 * ```ts
 * import type { PayloadOf } from 'rx-orchestra/patterns';
 * type Created = PayloadOf<typeof topics, 'task.created'>; // { id: string }
 * ```
 */
export type PayloadOf<T extends TopicSchemas, K extends TopicOf<T>> = z.output<T[K]>;

/**
 * What `publish` accepts for topic `K` (the schema's input type).
 *
 * ## Example
 * ```ts
 * import type { PayloadInput } from 'rx-orchestra/patterns';
 * const payload: PayloadInput<typeof topics, 'task.created'> = { id: 't1' };
 * ```
 */
export type PayloadInput<T extends TopicSchemas, K extends TopicOf<T>> = z.input<T[K]>;

/**
 * One event on a bus, as subscribers and the event log see it. For a union of topics this is a
 * union of events, so checking `event.topic` narrows `event.payload`.
 *
 * ## Example
 * ```ts
 * import type { BusEvent } from 'rx-orchestra/patterns';
 * const show = (e: BusEvent<typeof topics>) => `t=${e.at} #${e.seq} ${e.topic} ${e.correlationId ?? ''}`;
 * ```
 */
export type BusEvent<T extends TopicSchemas, K extends TopicOf<T> = TopicOf<T>> = K extends unknown
  ? {
      /** Unique on its bus: `evt-<seq>`. */
      readonly id: string;
      /** Position in the bus's publication order, from 1. */
      readonly seq: number;
      readonly topic: K;
      /** The payload as the topic's schema returned it. */
      readonly payload: PayloadOf<T, K>;
      /** When it was published: the bus scheduler's `now()`. */
      readonly at: number;
      /** Ties together the events of one request or workflow run. */
      readonly correlationId?: string;
      /** Who published it, e.g. an agent or `orchestrator`. */
      readonly source?: string;
    }
  : never;

/**
 * Which events a subscription receives: one topic, a list of topics, or a predicate over any event
 * of the bus.
 *
 * ## Example
 * ```ts
 * import type { TopicSelector } from 'rx-orchestra/patterns';
 * const failures: TopicSelector<typeof topics> = (e) => e.topic === 'task.completed' && !e.payload.success;
 * ```
 */
export type TopicSelector<T extends TopicSchemas> = TopicOf<T> | readonly TopicOf<T>[] | ((event: BusEvent<T>) => boolean);

/**
 * The events a {@link TopicSelector} selects, typed: the topics' events, or any event of the bus for
 * a predicate (narrow it on `event.topic`).
 *
 * ## Example
 * ```ts
 * import type { SelectedEvent } from 'rx-orchestra/patterns';
 * type Done = SelectedEvent<typeof topics, 'task.completed'>; // BusEvent<typeof topics, 'task.completed'>
 * ```
 */
export type SelectedEvent<T extends TopicSchemas, S> = S extends string
  ? BusEvent<T, S & TopicOf<T>>
  : S extends readonly (infer K)[]
    ? BusEvent<T, K & TopicOf<T>>
    : BusEvent<T>;
