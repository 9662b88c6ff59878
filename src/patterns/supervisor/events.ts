import { z } from 'zod';
import { ErrorInfoSchema, reportFields } from '../../run/event-fields.js';

/**
 * The supervisor's events, declared next to the code that emits them (`supervisor.ts` reports them
 * through its node's `ctx.emit`). Merged into `RunEventSchema` (src/run/events.ts). Zod and the
 * shared fields only: see `.dependency-cruiser.cjs` (event declarations).
 */

/** `supervisor.routed`: the router chose the next worker, or `FINISH`. */
export const SupervisorRoutedEventSchema = z.object({
  type: z.literal('supervisor.routed'),
  ...reportFields,
  /** The supervisor's path, outermost first, e.g. `platform/data-team`. */
  supervisor: z.string(),
  turn: z.number().int(),
  /** The worker chosen, or `FINISH`. */
  next: z.string(),
  rationale: z.string().optional(),
  /** How long the routing decision took. */
  durationMs: z.number().optional(),
});

/** `supervisor.worker`: a worker's turn started, succeeded or failed. */
export const SupervisorWorkerEventSchema = z.object({
  type: z.literal('supervisor.worker'),
  ...reportFields,
  supervisor: z.string(),
  turn: z.number().int(),
  worker: z.string(),
  status: z.enum(['started', 'succeeded', 'failed']),
  durationMs: z.number().optional(),
  error: ErrorInfoSchema.optional(),
});

/** `supervisor.finished`: the loop ended (the router said `FINISH`, `maxTurns`, or it failed). */
export const SupervisorFinishedEventSchema = z.object({
  type: z.literal('supervisor.finished'),
  ...reportFields,
  supervisor: z.string(),
  turns: z.number().int(),
  routingCalls: z.number().int(),
  reason: z.enum(['FINISH', 'maxTurns', 'failed']),
});
