import { z } from 'zod';
import { ErrorInfoSchema } from '../../run/event-fields.js';

const base = {
  /** The pool's name. */
  pool: z.string(),
  taskId: z.string(),
  /** The pool scheduler's time. */
  at: z.number(),
  /** Tasks waiting in the queue after this event. */
  depth: z.number().int().nonnegative(),
  /** Instances busy after this event. */
  busy: z.number().int().nonnegative(),
};
const waitMs = z.number().nonnegative();

/**
 * Zod schema of a pool's events (see {@link PoolEvent}); declare it as a bus topic to put a pool's
 * queue on the bus.
 *
 * ## Example
 * ```ts
 * import { createBus, PoolEventSchema } from 'rx-orchestra/patterns';
 * const bus = createBus({ topics: { 'pool.event': PoolEventSchema } });
 * pool.events$.subscribe((e) => bus.publish('pool.event', e));
 * ```
 */
export const PoolEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('queued'), ...base, priority: z.enum(['high', 'normal', 'low']) }),
  z.object({ type: z.literal('started'), ...base, instance: z.number().int().nonnegative(), waitMs }),
  z.object({
    type: z.literal('completed'),
    ...base,
    instance: z.number().int().nonnegative(),
    waitMs,
    durationMs: z.number().nonnegative(),
    success: z.boolean(),
    error: ErrorInfoSchema.optional(),
  }),
  z.object({ type: z.literal('rejected'), ...base, reason: z.literal('deadline'), deadline: z.number(), waitMs }),
  z.object({ type: z.literal('cancelled'), ...base, waitMs, wasRunning: z.boolean() }),
]);

/**
 * What happens in an agent pool, one event per step of a task: `queued` (with its priority), then
 * `started` (on which instance, after how long in the queue) and `completed` (success, duration), or
 * `rejected` (its deadline passed before it could start; it never ran), or `cancelled` (the submitter
 * unsubscribed). Every event carries the queue `depth` and the `busy` count after it.
 *
 * ## Example
 * ```ts
 * import type { PoolEvent } from 'rx-orchestra/patterns';
 * pool.events$.subscribe((e: PoolEvent) => { if (e.type === 'started') console.log(e.taskId, 'waited', e.waitMs, 'depth', e.depth); });
 * ```
 */
export type PoolEvent = z.infer<typeof PoolEventSchema>;
