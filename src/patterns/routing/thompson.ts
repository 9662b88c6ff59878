/**
 * Thompson sampling: posteriors from reward statistics, draws from them with an injected random
 * source, and the probability (propensity) that the sampling policy picks each arm. Pure functions
 * of their inputs and the random numbers they draw. @internal
 * @module
 */
import { seededRandom } from '../../models/random.js';
import type { ArmStats } from '../../store/posterior-store.js';

/**
 * A Beta prior, for success/failure rewards (or any reward in [0, 1]): an arm starts as
 * `alpha - 1` successes and `beta - 1` failures.
 *
 * ## Example
 * ```ts
 * import { banditRouter } from 'rx-orchestra/patterns';
 * banditRouter({ name: 'pick', arms: ['a', 'b'], prior: { kind: 'beta', alpha: 2, beta: 2 } });
 * ```
 */
export interface BetaPrior {
  readonly kind: 'beta';
  /** @default 1 */
  readonly alpha?: number;
  /** @default 1 */
  readonly beta?: number;
}

/**
 * A Gaussian prior, for continuous rewards (quality minus cost, a judge's score): each arm's mean
 * reward starts as `N(mean, variance)`; rewards are that mean plus noise of variance `noise`.
 *
 * ## Example
 * ```ts
 * import { banditRouter } from 'rx-orchestra/patterns';
 * banditRouter({ name: 'pick', arms: ['a', 'b'], prior: { kind: 'gaussian', mean: 0, variance: 1, noise: 0.25 } });
 * ```
 */
export interface GaussianPrior {
  readonly kind: 'gaussian';
  /** The prior mean reward of an arm. @default 0 */
  readonly mean?: number;
  /** The prior variance of an arm's mean reward. @default 1 */
  readonly variance?: number;
  /**
   * The rewards' noise variance around an arm's mean. @default estimated per arm from its rewards
   * (the sample variance, with `variance` as a prior guess worth one reward)
   */
  readonly noise?: number;
}

/**
 * The prior of a bandit's arms: {@link BetaPrior} or {@link GaussianPrior}.
 *
 * ## Example
 * ```ts
 * import type { Prior } from 'rx-orchestra/patterns';
 * const prior: Prior = { kind: 'beta' }; // uniform: Beta(1, 1)
 * ```
 */
export type Prior = BetaPrior | GaussianPrior;

/** One arm's posterior, ready to draw from. @internal */
export type Posterior = { kind: 'beta'; alpha: number; beta: number } | { kind: 'gaussian'; mean: number; sd: number };

const NO_REWARDS: ArmStats = { n: 0, sum: 0, sumSq: 0 };

/** The posterior of an arm given its prior and its reward statistics. @internal */
export function posteriorOf(prior: Prior, stats: ArmStats = NO_REWARDS): Posterior {
  if (prior.kind === 'beta') {
    const { alpha = 1, beta = 1 } = prior;
    return { kind: 'beta', alpha: alpha + stats.sum, beta: beta + stats.n - stats.sum };
  }
  const { mean = 0, variance = 1 } = prior;
  const { n, sum, sumSq } = stats;
  const squares = n > 0 ? Math.max(0, sumSq - (sum * sum) / n) : 0;
  const noise = prior.noise ?? (squares + variance) / (n + 1);
  const precision = 1 / variance + n / noise;
  return { kind: 'gaussian', mean: (mean / variance + sum / noise) / precision, sd: Math.sqrt(1 / precision) };
}

/** The posterior's mean: the arm's expected reward. @internal */
export function meanOf(posterior: Posterior): number {
  return posterior.kind === 'beta' ? posterior.alpha / (posterior.alpha + posterior.beta) : posterior.mean;
}

/** Draws from posteriors with one random source (Box-Muller normals, Marsaglia-Tsang gammas). @internal */
export class Sampler {
  #spare: number | undefined;
  constructor(readonly random: () => number) {}

  normal(): number {
    const spare = this.#spare;
    if (spare !== undefined) {
      this.#spare = undefined;
      return spare;
    }
    const u = 1 - this.random(); // (0, 1]: the log is finite
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.random(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.random();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  draw(posterior: Posterior): number {
    if (posterior.kind === 'gaussian') return posterior.mean + posterior.sd * this.normal();
    const x = this.gamma(posterior.alpha);
    const y = this.gamma(posterior.beta);
    return x / (x + y);
  }

  /**
   * A draw for propensity estimates: a Beta with both parameters >= 30 is drawn from its normal
   * approximation (same mean and variance; one normal instead of two gammas), the rest exactly.
   */
  approximate(posterior: Posterior): number {
    if (posterior.kind === 'gaussian' || posterior.alpha < 30 || posterior.beta < 30) return this.draw(posterior);
    const total = posterior.alpha + posterior.beta;
    const mean = posterior.alpha / total;
    return mean + Math.sqrt((mean * (1 - mean)) / (total + 1)) * this.normal();
  }
}

/** What {@link thompsonChoice} decided. @internal */
export interface ThompsonPick {
  readonly index: number;
  /** The value drawn from each arm's posterior. */
  readonly sampled: readonly number[];
  readonly explored: boolean;
  /** P(this arm) under the policy: `explore / K + (1 - explore) * P(its draw is the largest)`. */
  readonly propensity: number;
}

/** Index of the largest value (the first on ties). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * Chooses an arm: draws one value from each posterior and takes the largest, except with
 * probability `explore`, when it takes an arm uniformly. The propensity of the chosen arm is
 * estimated with `samples` more draws from a generator seeded by one number of `random` (so the
 * run's random stream advances by the same amount whatever `samples` is), the actual draw counted
 * as one of them. @internal
 */
export function thompsonChoice(posteriors: readonly Posterior[], explore: number, random: () => number, samples: number): ThompsonPick {
  const k = posteriors.length;
  const sampler = new Sampler(random);
  const sampled = posteriors.map((p) => sampler.draw(p));
  const greedy = argmax(sampled);
  const explored = explore > 0 && random() < explore;
  const index = explored ? Math.min(k - 1, Math.floor(random() * k)) : greedy;
  if (k === 1) return { index, sampled, explored, propensity: 1 };
  const seed = Math.floor(random() * 4294967296);
  let wins = greedy === index ? 1 : 0;
  if (samples > 0) {
    const mc = new Sampler(seededRandom(seed));
    const draws = new Array<number>(k);
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < k; i++) draws[i] = mc.approximate(posteriors[i]!);
      if (argmax(draws) === index) wins += 1;
    }
  }
  const greedyShare = wins / (samples + 1);
  return { index, sampled, explored, propensity: explore / k + (1 - explore) * greedyShare };
}

/**
 * The probability that the sampling policy picks each arm, estimated with `samples` draws from a
 * generator seeded by `seed` (for policies evaluated offline). @internal
 */
export function thompsonPolicy(posteriors: readonly Posterior[], explore: number, seed: number, samples: number): number[] {
  const k = posteriors.length;
  const counts = new Array<number>(k).fill(0);
  const mc = new Sampler(seededRandom(seed));
  const draws = new Array<number>(k);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < k; i++) draws[i] = mc.draw(posteriors[i]!);
    counts[argmax(draws)]! += 1;
  }
  return counts.map((c) => explore / k + ((1 - explore) * c) / samples);
}
