import { seededRandom } from '../../models/random.js';
import type { ArmStats } from '../../store/posterior-store.js';
import type { BanditRouter } from './bandit-router.js';
import { RoutingError } from './errors.js';
import { routingEvents, type RoutingLog } from './routing-log.js';
import { posteriorOf, thompsonChoice } from './thompson.js';

/**
 * One logged decision with its reward: a `router.chose` joined with its `router.rewarded`.
 *
 * ## Example
 * ```ts
 * import type { LoggedDecision } from 'rx-orchestra/patterns';
 * const cheapForShortTasks = (d: LoggedDecision) => (d.context === 'short' ? 'cheap' : 'expensive');
 * ```
 */
export interface LoggedDecision {
  readonly runId: string;
  readonly nodeId: string;
  readonly choice: string;
  readonly context: string;
  /** The arms the logging bandit chose from. */
  readonly arms: readonly string[];
  readonly arm: string;
  /** The probability the logging policy gave the arm it chose. */
  readonly propensity: number;
  readonly reward: number;
  readonly at: number;
}

/**
 * A fixed routing policy to evaluate offline: for a logged decision's context, the arm it would
 * choose, or its probabilities by arm (missing arms: 0).
 *
 * ## Example
 * ```ts
 * import type { RoutingPolicy } from 'rx-orchestra/patterns';
 * const alwaysCheap: RoutingPolicy = () => 'cheap';
 * const coinFlip: RoutingPolicy = () => ({ cheap: 0.5, expensive: 0.5 });
 * ```
 */
export type RoutingPolicy = (decision: LoggedDecision) => string | Readonly<Record<string, number>>;

/**
 * One candidate's offline estimate.
 *
 * ## Example
 * ```ts
 * import type { RouterEstimate } from 'rx-orchestra/patterns';
 * const line = (e: RouterEstimate) => `${e.name}: ${e.estimatedReward.toFixed(3)} ± ${(1.96 * e.stdError).toFixed(3)}, regret ${e.regret.toFixed(3)}/request`;
 * ```
 */
export interface RouterEstimate {
  readonly name: string;
  /** `policy`: a fixed policy, by importance weighting; `bandit`: a learning bandit, by replay. */
  readonly kind: 'policy' | 'bandit';
  /**
   * The estimated mean reward per request: for a policy the self-normalised inverse propensity
   * estimate (SNIPS); for a bandit the mean reward of the replayed decisions it agreed with.
   */
  readonly estimatedReward: number;
  /** For a policy: the plain inverse propensity score estimate (unbiased, noisier). */
  readonly ipsReward?: number;
  /** The estimate's standard error. */
  readonly stdError: number;
  /** `bestReward - estimatedReward`: the reward lost per request against the best arm per context. */
  readonly regret: number;
  /** `regret` times the decisions in the log. */
  readonly cumulativeRegret: number;
  /** The decisions the estimate rests on: the effective sample size (policy) or the matched decisions (bandit). */
  readonly samples: number;
}

/**
 * What {@link evaluateRouters} returns.
 *
 * ## Example
 * ```ts
 * import { evaluateRouters, type RouterEvaluation } from 'rx-orchestra/patterns';
 * const evaluation: RouterEvaluation = evaluateRouters('runs.jsonl', { cheap: () => 'cheap' });
 * console.table(evaluation.candidates);
 * ```
 */
export interface RouterEvaluation {
  /** The logging bandit's name. */
  readonly router: string;
  /** Rewarded decisions in the log. */
  readonly decisions: number;
  /** The mean reward the logging policy earned. */
  readonly loggedReward: number;
  /** The best arm per context and its estimated mean reward. */
  readonly bestArms: Readonly<Record<string, { readonly arm: string; readonly reward: number }>>;
  /** The mean reward of always choosing the best arm of each context: what regret is measured against. */
  readonly bestReward: number;
  readonly candidates: readonly RouterEstimate[];
}

/**
 * Settings of {@link evaluateRouters}.
 *
 * ## Example
 * ```ts
 * import { evaluateRouters } from 'rx-orchestra/patterns';
 * evaluateRouters('runs.jsonl', candidates, { router: 'recommender-choice', seed: 7 });
 * ```
 */
export interface EvaluateRoutersOptions {
  /** The logging bandit whose decisions to replay. @default the only one in the log */
  router?: string;
  /** Seed of the replay's random choices (bandit candidates). @default 1 */
  seed?: number;
}

/**
 * Offline evaluation of candidate routers on logged traffic, before they meet production: every
 * `router.chose` of the logging bandit, with the propensity it logged, is joined with its
 * `router.rewarded`, and each candidate's mean reward is estimated off-policy.
 * - A fixed {@link RoutingPolicy} is scored by inverse propensity weighting (IPS, unbiased, and
 *   the self-normalised SNIPS as the estimate: lower variance).
 * - A {@link banditRouter} (a learner) is replayed from scratch: decisions are kept with
 *   probability `minPropensity / propensity` (so the kept ones look uniformly logged), the
 *   candidate samples its own choice, and where it agrees with the log it earns the logged reward
 *   and learns from it (Li et al., 2011). Its options (prior, explore, arms) are used; its store
 *   and reward function are not.
 * Each estimate comes with a standard error and its regret against the best arm per context.
 * Decisions without a reward (waiting for feedback that never came) are left out.
 *
 * ## Example
 * ```ts
 * import { banditRouter, evaluateRouters } from 'rx-orchestra/patterns';
 * const evaluation = evaluateRouters('runs.jsonl', {
 *   alwaysExpensive: () => 'expensive',
 *   coinFlip: () => ({ cheap: 0.5, expensive: 0.5 }),
 *   optimistic: banditRouter({ name: 'candidate', arms: ['cheap', 'expensive'], prior: { kind: 'beta', alpha: 2, beta: 1 } }),
 * });
 * for (const c of evaluation.candidates) console.log(c.name, c.estimatedReward, c.regret);
 * ```
 * @throws {RoutingError} `INVALID_LOG` when the log has no rewarded decisions, or several bandits and none is named
 */
export function evaluateRouters(log: RoutingLog, candidates: Readonly<Record<string, RoutingPolicy | BanditRouter>>, options: EvaluateRoutersOptions = {}): RouterEvaluation {
  const { decisions, router } = loggedDecisions(log, options.router);
  const n = decisions.length;
  const loggedReward = decisions.reduce((sum, d) => sum + d.reward, 0) / n;
  const { bestArms, bestReward } = bestPerContext(decisions);
  const estimates = Object.entries(candidates).map(([name, candidate]): RouterEstimate => {
    const estimate = isBandit(candidate) ? replay(name, candidate, decisions, options.seed ?? 1) : weighted(name, candidate, decisions);
    const regret = bestReward - estimate.estimatedReward;
    return { ...estimate, regret, cumulativeRegret: regret * n };
  });
  return { router, decisions: n, loggedReward, bestArms, bestReward, candidates: estimates };
}

function isBandit(candidate: RoutingPolicy | BanditRouter): candidate is BanditRouter {
  return typeof (candidate as BanditRouter).select === 'function' && typeof (candidate as BanditRouter).prior === 'object';
}

/** The log's rewarded decisions of one bandit, in log order. @internal */
export function loggedDecisions(log: RoutingLog, name: string | undefined): { decisions: LoggedDecision[]; router: string } {
  const events = routingEvents(log);
  const routers = [...new Set(events.flatMap((e) => (e.type === 'router.chose' ? [e.router] : [])))];
  const router = name ?? (routers.length === 1 ? routers[0] : undefined);
  if (router === undefined || !routers.includes(router)) {
    const why = routers.length === 0 ? 'it has no router.chose events' : name ? `it has no decisions of router '${name}' (found: ${routers.join(', ')})` : `it has decisions of several routers (${routers.join(', ')}): name one`;
    throw new RoutingError('INVALID_LOG', name ?? 'evaluation', `cannot evaluate: ${why}`);
  }
  const rewards = new Map<string, number>();
  for (const e of events) if (e.type === 'router.rewarded' && e.router === router) rewards.set(e.choice, e.reward);
  const decisions: LoggedDecision[] = [];
  for (const e of events) {
    if (e.type !== 'router.chose' || e.router !== router) continue;
    const reward = rewards.get(e.choice);
    if (reward === undefined) continue;
    if (!(e.propensity > 0 && e.propensity <= 1)) throw new RoutingError('INVALID_LOG', router, `decision '${e.choice}' has propensity ${e.propensity}, not in (0, 1]`);
    decisions.push({ runId: e.runId, nodeId: e.nodeId, choice: e.choice, context: e.context, arms: Object.keys(e.sampled), arm: e.arm, propensity: e.propensity, reward, at: e.at });
  }
  if (decisions.length === 0) throw new RoutingError('INVALID_LOG', router, 'cannot evaluate: none of its decisions has a reward (router.rewarded)');
  return { decisions, router };
}

/** Per context, each arm's importance-weighted mean reward; the best arm's; and their mix. */
function bestPerContext(decisions: readonly LoggedDecision[]) {
  const sums = new Map<string, Map<string, { weighted: number; weights: number }>>();
  const counts = new Map<string, number>();
  for (const d of decisions) {
    counts.set(d.context, (counts.get(d.context) ?? 0) + 1);
    let arms = sums.get(d.context);
    if (!arms) sums.set(d.context, (arms = new Map()));
    const s = arms.get(d.arm) ?? { weighted: 0, weights: 0 };
    arms.set(d.arm, { weighted: s.weighted + d.reward / d.propensity, weights: s.weights + 1 / d.propensity });
  }
  const bestArms: Record<string, { arm: string; reward: number }> = {};
  let bestReward = 0;
  for (const [context, arms] of sums) {
    let best = { arm: '', reward: -Infinity };
    for (const [arm, s] of arms) if (s.weighted / s.weights > best.reward) best = { arm, reward: s.weighted / s.weights };
    bestArms[context] = best;
    bestReward += (best.reward * counts.get(context)!) / decisions.length;
  }
  return { bestArms, bestReward };
}

/** A fixed policy by importance weighting: IPS, and SNIPS as the estimate. */
function weighted(name: string, policy: RoutingPolicy, decisions: readonly LoggedDecision[]): Omit<RouterEstimate, 'regret' | 'cumulativeRegret'> {
  let weightedSum = 0;
  let weights = 0;
  let squares = 0;
  const w: number[] = [];
  for (const d of decisions) {
    const verdict = policy(d);
    const p = typeof verdict === 'string' ? (verdict === d.arm ? 1 : 0) : probability(verdict, d.arm);
    const weight = p / d.propensity;
    w.push(weight);
    weightedSum += weight * d.reward;
    weights += weight;
    squares += weight * weight;
  }
  const n = decisions.length;
  const snips = weights > 0 ? weightedSum / weights : Number.NaN;
  let spread = 0;
  decisions.forEach((d, i) => (spread += w[i]! * w[i]! * (d.reward - snips) ** 2));
  return {
    name,
    kind: 'policy',
    estimatedReward: snips,
    ipsReward: weightedSum / n,
    stdError: weights > 0 ? Math.sqrt(spread) / weights : Number.NaN,
    samples: squares > 0 ? (weights * weights) / squares : 0,
  };
}

function probability(distribution: Readonly<Record<string, number>>, arm: string): number {
  const total = Object.values(distribution).reduce((sum, p) => sum + (p > 0 ? p : 0), 0);
  const p = distribution[arm] ?? 0;
  return total > 0 && p > 0 ? p / total : 0;
}

/** A learning bandit by rejection-sampled replay. */
function replay(name: string, bandit: BanditRouter, decisions: readonly LoggedDecision[], seed: number): Omit<RouterEstimate, 'regret' | 'cumulativeRegret'> {
  const logged = new Set(decisions.flatMap((d) => d.arms));
  const foreign = bandit.arms.filter((arm) => !logged.has(arm));
  if (foreign.length > 0) throw new RoutingError('INVALID_OPTIONS', name, `its arms ${foreign.join(', ')} were never offered in the log (${[...logged].join(', ')}): the log cannot tell what they earn`, { option: 'candidates' });
  const random = seededRandom(seed);
  const minPropensity = Math.min(...decisions.map((d) => d.propensity));
  const stats = new Map<string, Map<string, ArmStats>>();
  const rewards: number[] = [];
  for (const d of decisions) {
    if (random() >= minPropensity / d.propensity) continue;
    let arms = stats.get(d.context);
    if (!arms) stats.set(d.context, (arms = new Map()));
    const table = arms;
    const pick = thompsonChoice(bandit.arms.map((arm) => posteriorOf(bandit.prior, table.get(arm))), bandit.explore, random, 0);
    if (bandit.arms[pick.index] !== d.arm) continue;
    if (bandit.prior.kind === 'beta' && (d.reward < 0 || d.reward > 1)) throw new RoutingError('INVALID_LOG', name, `the logged reward ${d.reward} of '${d.choice}' is outside [0, 1], which its Beta prior cannot learn from`);
    rewards.push(d.reward);
    const s = table.get(d.arm) ?? { n: 0, sum: 0, sumSq: 0 };
    table.set(d.arm, { n: s.n + 1, sum: s.sum + d.reward, sumSq: s.sumSq + d.reward * d.reward });
  }
  const m = rewards.length;
  const mean = m ? rewards.reduce((sum, r) => sum + r, 0) / m : Number.NaN;
  const variance = m > 1 ? rewards.reduce((sum, r) => sum + (r - mean) ** 2, 0) / (m - 1) : Number.NaN;
  return { name, kind: 'bandit', estimatedReward: mean, stdError: Math.sqrt(variance / m), samples: m };
}
