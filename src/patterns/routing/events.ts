import { z } from 'zod';
import { reportFields } from '../../run/event-fields.js';

/**
 * The events of learning routers and A/B experiments, declared next to the code that emits them
 * (`bandit-router.ts`, `experiment.ts`, through the node's `ctx.emit`) and merged into
 * `RunEventSchema` (src/run/events.ts). Zod and the shared fields only: see
 * `.dependency-cruiser.cjs` (event declarations).
 */

/** The experiment and arm a request was assigned to, on the events of its routers. */
const ExperimentTagSchema = z.object({ name: z.string(), arm: z.string() });

/**
 * `router.chose`: a bandit chose an arm by Thompson sampling (or, with probability `explore`,
 * uniformly: `explored`). `sampled` holds the value drawn from each arm's posterior; `propensity` is
 * the probability that this policy chooses this arm in this state (what off-policy evaluation
 * divides by).
 */
export const RouterChoseEventSchema = z.object({
  type: z.literal('router.chose'),
  ...reportFields,
  /** The bandit's name. */
  router: z.string(),
  /** Identifies this choice: its `router.rewarded` carries the same id. */
  choice: z.string(),
  /** The supervisor's path and turn, when the bandit routes a supervisor. */
  supervisor: z.string().optional(),
  turn: z.number().int().optional(),
  /** The context key (task type) the posteriors were read for. */
  context: z.string(),
  arm: z.string(),
  /** The value drawn from each arm's posterior, by arm. */
  sampled: z.record(z.string(), z.number()),
  /** P(this arm | the posteriors, explore), in (0, 1]. */
  propensity: z.number(),
  /** True when the exploration floor chose the arm, not the sampled values. */
  explored: z.boolean(),
  experiment: ExperimentTagSchema.optional(),
});

/**
 * `router.rewarded`: a choice's reward was scored and added to its arm's posterior: by the
 * bandit's scorer once the arm answered (`source: 'scorer'`), or by `feedback()` later
 * (`source: 'feedback'`; `feedback()` returns that event rather than emitting it, as no run is
 * listening then).
 */
export const RouterRewardedEventSchema = z.object({
  type: z.literal('router.rewarded'),
  ...reportFields,
  router: z.string(),
  /** The id of the `router.chose` this rewards. */
  choice: z.string(),
  context: z.string(),
  arm: z.string(),
  reward: z.number(),
  source: z.enum(['scorer', 'feedback']),
  /** The arm's call failed (its worker threw, or reported an error). */
  failed: z.boolean().optional(),
  /** From the choice to the arm's answer (scheduler ms). */
  durationMs: z.number().optional(),
  /** The arm call's cost: measured from its `node.usage` (`metered`), or the arm's declared `cost`. */
  costUsd: z.number().optional(),
  costSource: z.enum(['metered', 'declared']).optional(),
  experiment: ExperimentTagSchema.optional(),
});

/**
 * `experiment.assigned`: an A/B experiment assigned a request (a supervisor loop) to an arm by a
 * stable hash of its key. `bucket` is the hash in [0, 1); the arm is the split's slice it falls in.
 */
export const ExperimentAssignedEventSchema = z.object({
  type: z.literal('experiment.assigned'),
  ...reportFields,
  experiment: z.string(),
  arm: z.string(),
  bucket: z.number(),
  /** The supervisor's path (a request is one loop of it). */
  supervisor: z.string(),
  turn: z.number().int(),
});
