import { OptionsError } from '../errors/options-error.js';

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32: 32 bits of state, fast, good enough for
 * simulation and jitter; not for cryptography). The same seed gives the same sequence, so
 * simulated latencies, injected faults and retry jitter are repeatable.
 *
 * ## Example
 * ```ts
 * import { seededRandom, execute } from 'rx-orchestra';
 * const random = seededRandom(42);
 * random(); // always the same first number for seed 42
 * execute(g, { random: seededRandom(7) }); // repeatable retry jitter
 * ```
 * @param seed any integer (taken modulo 2^32)
 * @throws {OptionsError} when `seed` is not an integer
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new OptionsError('seed', `seededRandom: 'seed' must be an integer, got ${String(seed)}`, 'models');
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A latency distribution given by two percentiles, in ms. */
export interface LatencyProfile {
  /** Half the calls are faster than this. */
  medianMs: number;
  /** 95 % of the calls are faster than this; equal to `medianMs` for a fixed latency. */
  p95Ms: number;
}

/** The standard normal's 95th percentile. */
const Z_95 = 1.6448536269514722;

/**
 * Draws one latency, in ms, from the log-normal distribution with the given median and 95th
 * percentile (LLM latencies are right-skewed: mostly near the median, with a long tail). Uses two
 * numbers from `random` (Box-Muller); with `p95Ms === medianMs` it returns the median exactly.
 *
 * ## Example
 * ```ts
 * import { seededRandom, logNormalLatency } from 'rx-orchestra';
 * const random = seededRandom(1);
 * logNormalLatency({ medianMs: 1200, p95Ms: 2500 }, random); // e.g. 1047.3
 * ```
 * @param profile median and 95th percentile in ms
 * @param random source in [0, 1), e.g. {@link seededRandom}
 * @throws {OptionsError} when the median is not > 0 or the p95 is below the median
 */
export function logNormalLatency(profile: LatencyProfile, random: () => number): number {
  checkLatencyProfile(profile, 'logNormalLatency');
  const { medianMs, p95Ms } = profile;
  const sigma = Math.log(p95Ms / medianMs) / Z_95;
  const u1 = 1 - random(); // in (0, 1]: log is finite
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return medianMs * Math.exp(sigma * z);
}

/**
 * Throws a {@link OptionsError} naming the field when a latency profile is out of range.
 * @internal
 */
export function checkLatencyProfile(profile: LatencyProfile, where: string, field = 'latency'): void {
  const { medianMs, p95Ms } = profile ?? ({} as Partial<LatencyProfile>);
  if (!(typeof medianMs === 'number' && medianMs > 0 && Number.isFinite(medianMs))) {
    throw new OptionsError(`${field}.medianMs`, `${where}: '${field}.medianMs' must be a finite number of ms > 0, got ${String(medianMs)}`, 'models');
  }
  if (!(typeof p95Ms === 'number' && p95Ms >= medianMs && Number.isFinite(p95Ms))) {
    throw new OptionsError(`${field}.p95Ms`, `${where}: '${field}.p95Ms' must be a finite number of ms >= medianMs (${medianMs}), got ${String(p95Ms)}`, 'models');
  }
}
