/**
 * Where learning routers keep what they learned: per bandit, per context key, per arm, the
 * sufficient statistics of the rewards seen (count, sum, sum of squares), from which both Beta and
 * Gaussian posteriors follow; and the choices that wait for a later `feedback()`. One interface,
 * three stores: {@link memoryPosteriorStore} (the default: one process, lost on exit),
 * `sqlitePosteriorStore` and `redisPosteriorStore` (learning survives restarts and is shared by
 * every process using the same file or Redis).
 * @module
 */
import type { MaybePromise } from './run-store.js';

/**
 * The rewards an arm has received: `n` rewards summing to `sum`, their squares to `sumSq`. Adding a
 * reward is an increment, so concurrent processes never lose one another's updates.
 *
 * ## Example
 * ```ts
 * import type { ArmStats } from 'rx-orchestra/store';
 * const mean = (s: ArmStats) => (s.n ? s.sum / s.n : Number.NaN);
 * ```
 */
export interface ArmStats {
  readonly n: number;
  readonly sum: number;
  readonly sumSq: number;
}

/**
 * A choice waiting for its reward from `feedback(runId, nodeId, score)`: what is needed to update
 * the right posterior and to report the reward as a `router.rewarded` event.
 *
 * ## Example
 * ```ts
 * import type { PendingChoice } from 'rx-orchestra/store';
 * const describe = (c: PendingChoice) => `${c.arm} for ${c.context}, chosen with p=${c.propensity}`;
 * ```
 */
export interface PendingChoice {
  /** The `router.chose` event's choice id. */
  readonly choice: string;
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly context: string;
  readonly arm: string;
  readonly propensity: number;
  /** The prior's kind: a Beta posterior takes rewards in [0, 1] only. */
  readonly kind: 'beta' | 'gaussian';
  /** When it was chosen (scheduler ms). */
  readonly at: number;
  readonly experiment?: { readonly name: string; readonly arm: string };
}

/**
 * Persistence of bandit posteriors, shared by the memory, SQLite and Redis stores. Methods return
 * plain values (memory, SQLite: synchronous) or Promises (Redis).
 *
 * ## Example
 * ```ts
 * import { sqlitePosteriorStore, type PosteriorStore } from 'rx-orchestra/store';
 * const store: PosteriorStore = sqlitePosteriorStore('.rx-orchestra/routing.db');
 * store.add('model-choice', 'default', 'haiku', 1);
 * store.read('model-choice', 'default'); // { haiku: { n: 1, sum: 1, sumSq: 1 } }
 * ```
 */
export interface PosteriorStore {
  /** The statistics of every arm of `bandit` under the context key, by arm (arms never rewarded are absent). */
  read(bandit: string, context: string): MaybePromise<Readonly<Record<string, ArmStats>>>;
  /** Adds one reward to an arm, atomically: `n += 1`, `sum += reward`, `sumSq += reward²`. */
  add(bandit: string, context: string, arm: string, reward: number): MaybePromise<void>;
  /** Keeps a choice that waits for feedback, under `id` (replacing one kept under the same id). */
  putChoice(bandit: string, id: string, choice: PendingChoice): MaybePromise<void>;
  /** Reads and removes a waiting choice, atomically (so a reward is counted once); `undefined` if none. */
  takeChoice(bandit: string, id: string): MaybePromise<PendingChoice | undefined>;
  /** Releases the connection (a client passed in by you stays open). */
  close(): MaybePromise<void>;
}

/**
 * Settings of {@link memoryPosteriorStore}.
 *
 * ## Example
 * ```ts
 * import { memoryPosteriorStore } from 'rx-orchestra/store';
 * const store = memoryPosteriorStore({ maxPendingChoices: 1_000 });
 * ```
 */
export interface MemoryPosteriorStoreOptions {
  /** The most choices kept waiting for feedback; the oldest are dropped beyond it. @default 10000 */
  maxPendingChoices?: number;
}

/**
 * A {@link PosteriorStore} in this process's memory: synchronous, fast, lost on exit. The default
 * of `banditRouter`.
 *
 * ## Example
 * ```ts
 * import { memoryPosteriorStore } from 'rx-orchestra/store';
 * import { banditRouter } from 'rx-orchestra/patterns';
 * const store = memoryPosteriorStore();
 * const router = banditRouter({ name: 'model-choice', arms: ['haiku', 'sonnet'], store });
 * ```
 */
export function memoryPosteriorStore(options: MemoryPosteriorStoreOptions = {}): PosteriorStore {
  const { maxPendingChoices = 10_000 } = options;
  const stats = new Map<string, Record<string, ArmStats>>();
  const choices = new Map<string, PendingChoice>();
  const keyOf = (bandit: string, key: string) => `${bandit}\u0000${key}`;
  return {
    read: (bandit, context) => ({ ...stats.get(keyOf(bandit, context)) }),
    add: (bandit, context, arm, reward) => {
      const key = keyOf(bandit, context);
      let arms = stats.get(key);
      if (!arms) stats.set(key, (arms = Object.create(null) as Record<string, ArmStats>));
      const s = arms[arm] ?? { n: 0, sum: 0, sumSq: 0 };
      arms[arm] = { n: s.n + 1, sum: s.sum + reward, sumSq: s.sumSq + reward * reward };
    },
    putChoice: (bandit, id, choice) => {
      const key = keyOf(bandit, id);
      choices.delete(key); // re-inserted as the newest
      choices.set(key, choice);
      while (choices.size > maxPendingChoices) choices.delete(choices.keys().next().value!);
    },
    takeChoice: (bandit, id) => {
      const key = keyOf(bandit, id);
      const choice = choices.get(key);
      choices.delete(key);
      return choice;
    },
    close: () => {},
  };
}
