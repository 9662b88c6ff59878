import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { z } from 'zod';
import type { PendingChoice, PosteriorStore } from '../../store/posterior-store.js';
import type { RouterRewardedEventSchema } from './events.js';
import { RoutingError } from './errors.js';

/**
 * A `router.rewarded` event, as on a run's stream or returned by {@link feedback}.
 *
 * ## Example
 * ```ts
 * import type { RouterRewardedEvent } from 'rx-orchestra/patterns';
 * const line = (e: RouterRewardedEvent) => `${e.router}: ${e.arm} earned ${e.reward} (${e.source})`;
 * ```
 */
export type RouterRewardedEvent = z.infer<typeof RouterRewardedEventSchema>;

/**
 * Which bandit a {@link feedback} is for: its name and the store its posteriors live in. A
 * `banditRouter` is one; so is `{ name, store }` in another process sharing the store.
 *
 * ## Example
 * ```ts
 * import { sqlitePosteriorStore } from 'rx-orchestra/store';
 * import type { FeedbackTarget } from 'rx-orchestra/patterns';
 * const target: FeedbackTarget = { name: 'model-choice', store: sqlitePosteriorStore('routing.db') };
 * ```
 */
export interface FeedbackTarget {
  readonly name: string;
  readonly store: PosteriorStore;
  /** The clock of the returned event's `at`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** The key a choice waits for feedback under. @internal */
export function feedbackKey(runId: string, nodeId: string): string {
  return `${runId}\u0000${nodeId}`;
}

/** Throws `INVALID_REWARD` unless the reward is finite (and in [0, 1] for a Beta posterior). @internal */
export function checkReward(router: string, arm: string, kind: 'beta' | 'gaussian', reward: unknown): number {
  if (typeof reward !== 'number' || !Number.isFinite(reward)) {
    throw new RoutingError('INVALID_REWARD', router, `the reward of arm '${arm}' must be a finite number, got ${String(reward)}`, { arm });
  }
  if (kind === 'beta' && (reward < 0 || reward > 1)) {
    throw new RoutingError('INVALID_REWARD', router, `the reward of arm '${arm}' is ${reward}, outside [0, 1]: a Beta prior takes success rates; use { kind: 'gaussian' } for other scales`, { arm });
  }
  return reward;
}

/**
 * Rewards a choice after the fact, from the application: the thumbs-up a user gave the answer of
 * run `runId`'s node `nodeId`, a reviewer's score, a downstream job's success. The bandit must
 * have left the choice waiting (its reward function returned `undefined`); the choice is taken
 * from the store atomically, so a reward is counted once, also when several processes share the
 * store. Returns the `router.rewarded` event (`source: 'feedback'`) for your run log: the run
 * that chose is usually over, so nothing is emitted.
 *
 * ## Example
 * ```ts
 * import { banditRouter, feedback } from 'rx-orchestra/patterns';
 * import { sqlitePosteriorStore } from 'rx-orchestra/store';
 * const store = sqlitePosteriorStore('routing.db');
 * const router = banditRouter({ name: 'model-choice', arms: ['haiku', 'sonnet'], store, reward: () => undefined });
 * // ... later, in the web handler receiving the user's rating (any process using routing.db):
 * const event = await feedback({ name: 'model-choice', store }, runId, 'answer', 1);
 * ```
 * @throws {RoutingError} `UNKNOWN_CHOICE` when no choice of that run and node waits; `INVALID_REWARD` for a bad score
 */
export async function feedback(target: FeedbackTarget, runId: string, nodeId: string, score: number): Promise<RouterRewardedEvent> {
  const { name, store, scheduler = asyncScheduler } = target;
  const choice: PendingChoice | undefined = await store.takeChoice(name, feedbackKey(runId, nodeId));
  if (!choice) {
    throw new RoutingError('UNKNOWN_CHOICE', name, `no choice of run '${runId}' node '${nodeId}' waits for feedback (never chosen, already rewarded, or expired)`, { runId, nodeId });
  }
  let reward: number;
  try {
    reward = checkReward(name, choice.arm, choice.kind, score);
  } catch (error) {
    await store.putChoice(name, feedbackKey(runId, nodeId), choice); // a bad score does not lose the choice
    throw error;
  }
  await store.add(name, choice.context, choice.arm, reward);
  return {
    type: 'router.rewarded',
    runId,
    nodeId,
    attempt: choice.attempt,
    at: scheduler.now(),
    router: name,
    choice: choice.choice,
    context: choice.context,
    arm: choice.arm,
    reward,
    source: 'feedback',
    ...(choice.experiment ? { experiment: { ...choice.experiment } } : {}),
  };
}
