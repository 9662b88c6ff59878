import type { z } from 'zod';
import type { ErrorInfo } from '../../run/events.js';

/**
 * What a bandit's reward function sees once a chosen arm answered: its output (the worker's typed
 * result when the worker is wrapped with `router.meter()`, else the message's payload or content),
 * its error if it failed, how long it took and what it cost.
 *
 * ## Example
 * ```ts
 * import type { ArmOutcome } from 'rx-orchestra/patterns';
 * const reward = (o: ArmOutcome) => (o.error ? 0 : o.durationMs < 2_000 ? 1 : 0.5);
 * ```
 */
export interface ArmOutcome<O = unknown> {
  readonly arm: string;
  /** The context key (task type) of the choice. */
  readonly context: string;
  /** The arm's answer; `undefined` when it failed. */
  readonly output: O | undefined;
  /** Set when the arm failed. */
  readonly error?: ErrorInfo;
  /** From the choice to the answer, in scheduler ms. */
  readonly durationMs: number;
  /** The call's cost in USD: its `node.usage` when metered, else the arm's declared `cost`, else 0. */
  readonly costUsd: number;
  readonly runId: string;
  readonly nodeId: string;
}

/**
 * Scores an arm's outcome: a number (in [0, 1] for a Beta prior), or `undefined` to wait for a
 * later `feedback(runId, nodeId, score)`; a Promise of either for an asynchronous scorer (a judge
 * model).
 *
 * ## Example
 * ```ts
 * import type { RewardFunction } from 'rx-orchestra/patterns';
 * const reward: RewardFunction = ({ output }) => (typeof output === 'string' && output.includes('|') ? 1 : 0);
 * ```
 */
export type RewardFunction<O = unknown> = (outcome: ArmOutcome<O>) => number | undefined | PromiseLike<number | undefined>;

/**
 * The default reward: 1 when the arm answered, 0 when it failed.
 *
 * ## Example
 * ```ts
 * import { banditRouter, successReward } from 'rx-orchestra/patterns';
 * banditRouter({ name: 'pick', arms: ['a', 'b'], reward: successReward });
 * ```
 */
export const successReward: RewardFunction = (outcome) => (outcome.error ? 0 : 1);

/**
 * A reward from a zod schema: 1 when the arm's output validates, 0 when it does not or the arm
 * failed (schema validity as quality).
 *
 * ## Example
 * ```ts
 * import { banditRouter, schemaReward } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * banditRouter({ name: 'pick', arms: ['haiku', 'sonnet'], reward: schemaReward(z.object({ physicalName: z.string() })) });
 * ```
 */
export function schemaReward(schema: z.ZodType): RewardFunction {
  return (outcome) => (!outcome.error && schema.safeParse(outcome.output).success ? 1 : 0);
}

/**
 * Settings of {@link costAwareReward}.
 *
 * ## Example
 * ```ts
 * import type { CostAwareRewardOptions } from 'rx-orchestra/patterns';
 * const options: CostAwareRewardOptions = { quality: ({ error }) => (error ? 0 : 1), costWeight: 0.5 };
 * ```
 */
export interface CostAwareRewardOptions<O = unknown> {
  /** The quality of the outcome, in [0, 1]. @default {@link successReward} */
  quality?: (outcome: ArmOutcome<O>) => number;
  /** Reward lost per USD spent. @default 0 */
  costWeight?: number;
  /** Reward lost per second of latency. @default 0 */
  latencyWeight?: number;
}

/**
 * A reward that trades quality against cost and latency:
 * `quality - costWeight * costUsd - latencyWeight * seconds`. It can be negative or above 1: use it
 * with a Gaussian prior.
 *
 * ## Example
 * ```ts
 * import { banditRouter, costAwareReward } from 'rx-orchestra/patterns';
 * banditRouter({ name: 'pick', arms: { cheap: { cost: 0.2 }, expensive: { cost: 1 } }, prior: { kind: 'gaussian' }, reward: costAwareReward({ costWeight: 0.3 }) });
 * ```
 */
export function costAwareReward<O = unknown>(options: CostAwareRewardOptions<O> = {}): RewardFunction<O> {
  const { quality = (o: ArmOutcome<O>) => (o.error ? 0 : 1), costWeight = 0, latencyWeight = 0 } = options;
  return (outcome) => quality(outcome) - costWeight * outcome.costUsd - latencyWeight * (outcome.durationMs / 1000);
}
