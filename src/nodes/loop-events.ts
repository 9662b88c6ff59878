import { z } from 'zod';
import { reportFields, type StampedField } from '../run/event-fields.js';

/**
 * The events of `loop()` nodes, declared next to the code that emits them (src/nodes/loop.ts reports
 * them through its node's `ctx.emit`) and merged into `RunEventSchema` (src/run/events.ts). Zod and
 * the shared fields only: see `.dependency-cruiser.cjs` (event declarations).
 */

/** Longest `preview` a `node.iteration` event carries, in characters (an ellipsis marks a cut). */
export const ITERATION_PREVIEW_CHARS = 200;

/**
 * `node.iteration`: one iteration of a `loop()` node ended with a value; `converged` says whether
 * `until` accepted it (the loop then ends with it as the node's value). The value itself is not in
 * the event, only a bounded `preview` of it.
 */
export const NodeIterationEventSchema = z.object({
  type: z.literal('node.iteration'),
  ...reportFields,
  /** 1 for the first iteration (the node's `attempt` counts retries of the whole loop). */
  iteration: z.number().int(),
  /** The loop's bound: the iteration that may not fail to converge. */
  maxIterations: z.number().int(),
  /** Whether `until` accepted this iteration's value. */
  converged: z.boolean(),
  /** From the iteration's start to its value, in scheduler ms. */
  durationMs: z.number(),
  /** The value, as text cut to 200 characters (a string as is, anything else as JSON); absent with `preview: false`. */
  preview: z.string().optional(),
});

/** What a `loop()` node reports through `ctx.emit`: its events without the fields the run stamps. @internal */
export type LoopReport = Omit<z.infer<typeof NodeIterationEventSchema>, StampedField>;
