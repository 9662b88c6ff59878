import { Observable, from, mergeMap, type ObservableInput, type SchedulerLike } from 'rxjs';
import type { NodeReport } from '../../run/events.js';
import { errorInfo } from '../../run/outcome.js';
import type { MaybePromise } from '../../store/run-store.js';
import { andThen, isPromiseLike } from '../../store/maybe-promise.js';
import { memoryPosteriorStore, type ArmStats, type PendingChoice, type PosteriorStore } from '../../store/posterior-store.js';
import type { Router, RouterDecision } from '../supervisor/router.js';
import type { RouterContext } from '../supervisor/context.js';
import type { Worker } from '../supervisor/worker.js';
import { FINISH, type SupervisorState } from '../supervisor/state.js';
import { meanOf, posteriorOf, thompsonChoice, type Prior } from './thompson.js';
import { successReward, type ArmOutcome, type RewardFunction } from './reward.js';
import { checkReward, feedback, feedbackKey, type RouterRewardedEvent } from './feedback.js';
import { RoutingError } from './errors.js';
import { emitRouting } from './emit-report.js';
import { experimentTagOf, type ExperimentTag } from './experiment-tag.js';
import { BoundedMap, MAX_OPEN_LOOPS, loopKey, withFields } from './loops.js';

/**
 * One arm of a {@link banditRouter} given as an object: what a call of it costs when that is not
 * measured (a worker without model calls, or one not wrapped with `router.meter()`).
 *
 * ## Example
 * ```ts
 * import type { BanditArm } from 'rx-orchestra/patterns';
 * const cheap: BanditArm = { cost: 0.002 };
 * ```
 */
export interface BanditArm {
  /** The cost of one call, in USD, reported as the outcome's `costUsd` when none was metered. @default none (0) */
  cost?: number;
}

/**
 * Settings of {@link banditRouter}. `name` and `arms` are required.
 *
 * ## Example
 * ```ts
 * import { banditRouter, costAwareReward, type BanditRouterOptions } from 'rx-orchestra/patterns';
 * const options: BanditRouterOptions = {
 *   name: 'recommender-choice',
 *   arms: { cheap: { cost: 0.2 }, expensive: { cost: 1 } },
 *   prior: { kind: 'gaussian', mean: 0.5, variance: 0.25 },
 *   reward: costAwareReward({ costWeight: 0.2 }),
 *   explore: 0.02,
 *   context: (state) => (state.messages[0]?.content.includes('table') ? 'table' : 'short'),
 * };
 * ```
 */
export interface BanditRouterOptions {
  /** The bandit's name: in its events, and its key in the posterior store (processes sharing a store and a name learn together). */
  name: string;
  /** The choices: worker names (as a router), or any names for `select()` (models, prompts); at least one. */
  arms: readonly string[] | Readonly<Record<string, BanditArm>>;
  /** Scores a chosen arm's outcome; `undefined` waits for `feedback()`. @default {@link successReward} (1 answered, 0 failed) */
  reward?: RewardFunction;
  /** The arms' prior: Beta for rewards in [0, 1], Gaussian for other scales. @default { kind: 'beta', alpha: 1, beta: 1 } */
  prior?: Prior;
  /**
   * The exploration floor: with this probability the arm is chosen uniformly instead of by
   * sampling, so every arm keeps being tried (and keeps a propensity of at least `explore / arms`,
   * which off-policy evaluation needs). In [0, 1). @default 0.02
   */
  explore?: number;
  /** The context key: posteriors are kept per key (per task type). @default one context, 'default' */
  context?: (state: SupervisorState, ctx: RouterContext) => string;
  /** Where posteriors (and choices waiting for feedback) live. @default memoryPosteriorStore() (this process only) */
  store?: PosteriorStore;
  /**
   * The random source in [0, 1) of the sampling. @default the run's (`ctx.random`, from
   * `execute(g, { random })`) when the context carries it, else Math.random
   */
  random?: () => number;
  /** What routes the loop once the chosen arm answered. @default FINISH */
  then?: Router;
  /** Draws used to estimate each choice's propensity (0: count only the choice's own draw). @default 100 */
  propensitySamples?: number;
}

/**
 * What a bandit's `select()` needs of its caller: a worker's or router's context, or a node's.
 *
 * ## Example
 * ```ts
 * import type { BanditSelectContext } from 'rx-orchestra/patterns';
 * const pickModel = (ctx: BanditSelectContext) => modelChoice.select(ctx);
 * ```
 */
export interface BanditSelectContext {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly scheduler: SchedulerLike;
  emit(report: NodeReport): void;
  readonly random?: () => number;
  readonly supervisor?: string;
  readonly turn?: number;
}

/**
 * A choice made by `select()`: the arm to use, and `settle` to report how it went (once; later
 * calls are ignored). `settle` scores the outcome with the bandit's reward, updates the posterior
 * and emits `router.rewarded`; it answers the reward (`undefined` when left for `feedback()`).
 *
 * ## Example
 * ```ts
 * import type { BanditSelection } from 'rx-orchestra/patterns';
 * const use = async (s: BanditSelection) => { const answer = await callModel(s.arm); await s.settle({ output: answer }); };
 * ```
 */
export interface BanditSelection {
  readonly arm: string;
  /** The choice id (on `router.chose` and `router.rewarded`). */
  readonly choice: string;
  readonly context: string;
  readonly propensity: number;
  settle(outcome: { output?: unknown; error?: unknown; costUsd?: number }): MaybePromise<number | undefined>;
}

/**
 * An arm's posterior as {@link BanditRouter.posteriors} reports it.
 *
 * ## Example
 * ```ts
 * import type { ArmPosterior } from 'rx-orchestra/patterns';
 * const line = (arm: string, p: ArmPosterior) => `${arm}: ${p.mean.toFixed(2)} after ${p.n} rewards`;
 * ```
 */
export interface ArmPosterior extends ArmStats {
  /** The posterior mean: the arm's expected reward. */
  readonly mean: number;
}

/**
 * What {@link banditRouter} returns: a {@link Router} (plug it in wherever a router goes), with
 * its settings and what else a learning router does.
 *
 * ## Example
 * ```ts
 * import { banditRouter, supervisor, type BanditRouter } from 'rx-orchestra/patterns';
 * const router: BanditRouter = banditRouter({ name: 'pick', arms: ['cheap', 'expensive'] });
 * supervisor({ name: 'team', workers: { cheap: router.meter(cheap), expensive: router.meter(expensive) }, router });
 * ```
 */
export interface BanditRouter extends Router {
  readonly name: string;
  readonly arms: readonly string[];
  readonly prior: Prior;
  readonly explore: number;
  readonly store: PosteriorStore;
  readonly propensitySamples: number;
  /**
   * Wraps an arm's worker so its outcome is scored when it ends: with its typed result (before the
   * output transform), its model cost (the `node.usage` it reports) and its failure, even when the
   * supervisor fails the loop on it (`onWorkerError: 'fail'`). Without it the bandit scores the
   * arm from its message at the next routing call.
   */
  meter<I, O>(worker: Worker<I, O>): Worker<I, O>;
  /** Chooses an arm outside a supervisor (a model or a prompt inside one worker or node). */
  select(ctx: BanditSelectContext, options?: { context?: string }): MaybePromise<BanditSelection>;
  /** Rewards a choice left waiting (the reward returned `undefined`): see {@link feedback}. */
  feedback(runId: string, nodeId: string, score: number): Promise<RouterRewardedEvent>;
  /** Each arm's reward statistics and posterior mean under a context key. */
  posteriors(context?: string): MaybePromise<Readonly<Record<string, ArmPosterior>>>;
}

/** One choice, until it is settled. */
interface Selection extends BanditSelection {
  readonly turn: number | undefined;
  settled: boolean;
}

/**
 * A router that learns: it chooses among arms (workers, or models and prompts for one worker via
 * `select()`) by Thompson sampling — a Beta posterior per arm for success/failure rewards, a
 * Gaussian one for continuous rewards — with an exploration floor and optional per-context
 * posteriors. In a supervisor it chooses an arm at the first routing call of a loop, lets it run,
 * scores its outcome with `reward` (a scorer over the output, cost and latency, or later
 * `feedback()`), adds the reward to the arm's posterior in `store`, and routes on with `then`
 * (`FINISH` by default). Every choice is a `router.chose` event (the sampled values, the
 * propensity, whether it explored) and every reward a `router.rewarded` event, so a run log holds
 * what {@link evaluateRouters} and {@link experimentReport} need. With the run's seeded random
 * source (or `random`) the choices replay exactly.
 *
 * ## Example
 * ```ts
 * import { graph, execute, seededRandom } from 'rx-orchestra';
 * import { banditRouter, supervisor, costAwareReward } from 'rx-orchestra/patterns';
 * import { sqlitePosteriorStore } from 'rx-orchestra/store';
 * const router = banditRouter({
 *   name: 'recommender-choice',
 *   arms: ['haiku_recommender', 'sonnet_recommender'],
 *   prior: { kind: 'gaussian', mean: 0.5, variance: 0.25 },
 *   reward: costAwareReward({ quality: ({ output }) => (isValid(output) ? 1 : 0), costWeight: 20 }),
 *   store: sqlitePosteriorStore('.rx-orchestra/routing.db'), // learning survives restarts
 *   random: seededRandom(7),
 * });
 * const team = supervisor({ name: 'standardizer', workers: { haiku_recommender: router.meter(haiku), sonnet_recommender: router.meter(sonnet) }, router });
 * execute(graph().node('answer', { run: team }).build()).subscribe();
 * ```
 * @throws {RoutingError} `INVALID_OPTIONS`, at once, for bad options (named by option)
 */
export function banditRouter(options: BanditRouterOptions): BanditRouter {
  const config = checkOptions(options);
  const { name, arms, specs, prior, explore, store, reward, then, propensitySamples } = config;
  const kind = prior.kind;
  const loops = new BoundedMap<string, { selection: Selection | undefined }>(MAX_OPEN_LOOPS);
  let sequence = 0;

  const select = (ctx: BanditSelectContext, selectOptions: { context?: string } = {}): MaybePromise<BanditSelection & Selection> => {
    const context = selectOptions.context ?? 'default';
    const random = options.random ?? ctx.random ?? Math.random;
    const tag = experimentTagOf(ctx);
    const emit = ctx.emit;
    const { runId, nodeId, attempt, scheduler, supervisor, turn } = ctx;
    return andThen(store.read(name, context), (stats) => {
      const pick = thompsonChoice(arms.map((arm) => posteriorOf(prior, stats[arm])), explore, random, propensitySamples);
      const arm = arms[pick.index]!;
      const choice = `${runId}/${nodeId}/${attempt}/${supervisor ?? ''}#${turn ?? `s${++sequence}`}`;
      const at = scheduler.now();
      const sampled = Object.fromEntries(arms.map((a, i) => [a, pick.sampled[i]!]));
      emitRouting(emit, {
        type: 'router.chose',
        router: name,
        choice,
        ...(supervisor !== undefined ? { supervisor } : {}),
        ...(turn !== undefined ? { turn } : {}),
        context,
        arm,
        sampled,
        propensity: pick.propensity,
        explored: pick.explored,
        ...(tag ? { experiment: { ...tag } } : {}),
      });
      const selection: Selection = {
        arm,
        choice,
        context,
        propensity: pick.propensity,
        turn,
        settled: false,
        settle: (outcome) => settle(selection, outcome, { runId, nodeId, attempt, at, scheduler, emit, tag }),
      };
      return selection;
    });
  };

  const settle = (
    selection: Selection,
    outcome: { output?: unknown; error?: unknown; costUsd?: number },
    origin: { runId: string; nodeId: string; attempt: number; at: number; scheduler: SchedulerLike; emit: (r: NodeReport) => void; tag: ExperimentTag | undefined },
  ): MaybePromise<number | undefined> => {
    if (selection.settled) return undefined;
    selection.settled = true;
    const { arm, context, choice } = selection;
    const { runId, nodeId, attempt, tag } = origin;
    const durationMs = origin.scheduler.now() - origin.at;
    const declared = specs[arm]?.cost;
    const costUsd = outcome.costUsd ?? declared ?? 0;
    const costSource = outcome.costUsd !== undefined ? ('metered' as const) : declared !== undefined ? ('declared' as const) : undefined;
    const failed = outcome.error !== undefined;
    const armOutcome: ArmOutcome = {
      arm,
      context,
      output: failed ? undefined : outcome.output,
      ...(failed ? { error: isErrorInfo(outcome.error) ? outcome.error : errorInfo(outcome.error) } : {}),
      durationMs,
      costUsd,
      runId,
      nodeId,
    };
    const scored = reward(armOutcome) as MaybePromise<number | undefined>;
    return andThen(isPromiseLike(scored) ? Promise.resolve(scored) : scored, (value): MaybePromise<number | undefined> => {
      if (value === undefined) {
        const waiting: PendingChoice = { choice, runId, nodeId, attempt, context, arm, propensity: selection.propensity, kind, at: origin.at, ...(tag ? { experiment: { ...tag } } : {}) };
        return andThen(store.putChoice(name, feedbackKey(runId, nodeId), waiting), () => undefined);
      }
      const checked = checkReward(name, arm, kind, value);
      return andThen(store.add(name, context, arm, checked), () => {
        emitRouting(origin.emit, {
          type: 'router.rewarded',
          router: name,
          choice,
          context,
          arm,
          reward: checked,
          source: 'scorer',
          ...(failed ? { failed } : {}),
          durationMs,
          costUsd,
          ...(costSource ? { costSource } : {}),
          ...(tag ? { experiment: { ...tag } } : {}),
        });
        return checked;
      });
    });
  };

  /** Scores the loop's open choice from the arm's message, if the arm has answered. */
  const settleFromState = (selection: Selection, state: SupervisorState): MaybePromise<unknown> => {
    const message = state.messages.find((m) => m.role === 'worker' && m.name === selection.arm && m.turn === selection.turn);
    if (!message) return undefined;
    return selection.settle(message.error ? { error: message.error } : { output: message.payload ?? message.content });
  };

  const route = (state: SupervisorState, ctx: RouterContext): ObservableInput<RouterDecision> => {
    const key = loopKey(ctx);
    let loop = loops.get(key);
    if (!loop || ctx.turn === 1) loops.set(key, (loop = { selection: undefined })); // a new loop (or the same team run again)
    const current = loop;
    const open = current.selection && !current.selection.settled ? settleFromState(current.selection, state) : undefined;
    return flatten(
      andThen(open, (): MaybePromise<ObservableInput<RouterDecision>> => {
        if (current.selection) {
          if (then) return then(state, ctx);
          loops.delete(key);
          return [{ next: FINISH, rationale: `'${current.selection.arm}' answered` }];
        }
        const context = config.context ? config.context(state, ctx) : 'default';
        return andThen(select(ctx, { context }), (selection) => {
          current.selection = selection;
          return [{ next: selection.arm, rationale: `thompson sampling (p=${selection.propensity.toFixed(3)})` }];
        });
      }),
    );
  };

  const meter = <I, O>(worker: Worker<I, O>): Worker<I, O> => ({
    ...worker,
    run: (input, ctx) =>
      new Observable<O>((subscriber) => {
        const selection = loops.get(loopKey(ctx))?.selection;
        if (!selection || selection.settled || selection.arm !== ctx.worker || selection.turn !== ctx.turn) return from(worker.run(input, ctx)).subscribe(subscriber);
        let costUsd = 0;
        let metered = false;
        const emit = (report: NodeReport) => {
          if (report.type === 'node.usage') {
            costUsd += report.costUsd;
            metered = true;
          }
          ctx.emit(report);
        };
        const cost = () => (metered ? { costUsd } : {});
        const after = (work: () => MaybePromise<unknown>, done: () => void) => {
          let result: MaybePromise<unknown>;
          try {
            result = work();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          if (isPromiseLike(result)) result.then(done, (error: unknown) => subscriber.error(error));
          else done();
        };
        let last: O | undefined;
        let has = false;
        return from(worker.run(input, { ...ctx, emit })).subscribe({
          next: (value) => {
            last = value;
            has = true;
          },
          error: (error: unknown) => after(() => selection.settle({ error, ...cost() }), () => subscriber.error(error)),
          complete: () =>
            has
              ? after(() => selection.settle({ output: last, ...cost() }), () => {
                  subscriber.next(last!);
                  subscriber.complete();
                })
              : after(() => selection.settle({ error: new Error(`worker '${ctx.worker}' completed without a value`), ...cost() }), () => subscriber.complete()),
        });
      }),
  });

  const posteriors = (context = 'default'): MaybePromise<Readonly<Record<string, ArmPosterior>>> =>
    andThen(store.read(name, context), (stats) =>
      Object.fromEntries(
        arms.map((arm) => {
          const s = stats[arm] ?? { n: 0, sum: 0, sumSq: 0 };
          return [arm, { n: s.n, sum: s.sum, sumSq: s.sumSq, mean: meanOf(posteriorOf(prior, s)) }];
        }),
      ),
    );

  return withFields(route, {
    name,
    arms,
    prior,
    explore,
    store,
    propensitySamples,
    meter,
    select,
    feedback: (runId: string, nodeId: string, score: number) => feedback({ name, store }, runId, nodeId, score),
    posteriors,
  });
}

/** A value now or later, as an ObservableInput. */
function flatten<T>(value: MaybePromise<ObservableInput<T>>): ObservableInput<T> {
  return isPromiseLike(value) ? from(value).pipe(mergeMap((inner) => from(inner))) : value;
}

function isErrorInfo(value: unknown): value is NonNullable<ArmOutcome['error']> {
  return typeof value === 'object' && value !== null && !(value instanceof Error) && typeof (value as { name?: unknown }).name === 'string' && typeof (value as { message?: unknown }).message === 'string';
}

interface Config {
  readonly name: string;
  readonly arms: readonly string[];
  readonly specs: Readonly<Record<string, BanditArm>>;
  readonly prior: Prior;
  readonly explore: number;
  readonly store: PosteriorStore;
  readonly reward: RewardFunction;
  readonly then: Router | undefined;
  readonly context: BanditRouterOptions['context'];
  readonly propensitySamples: number;
}

function checkOptions(options: BanditRouterOptions): Config {
  const label = typeof options?.name === 'string' ? options.name : 'bandit';
  const bad = (option: string, message: string) => new RoutingError('INVALID_OPTIONS', label, message, { option });
  if (typeof options !== 'object' || options === null) throw bad('options', 'options must be an object');
  const { name, arms: given, reward = successReward, prior = { kind: 'beta' }, explore = 0.02, store = memoryPosteriorStore(), then, context, propensitySamples = 100 } = options;
  if (typeof name !== 'string' || name.length === 0) throw bad('name', `'name' must be a non-empty string (the bandit's key in its store)`);
  const arms = Array.isArray(given) ? [...(given as readonly string[])] : typeof given === 'object' && given !== null ? Object.keys(given) : undefined;
  if (!arms || arms.length === 0) throw bad('arms', `'arms' must name at least one arm (an array of names, or an object of arms by name)`);
  if (arms.some((arm) => typeof arm !== 'string' || arm.length === 0) || new Set(arms).size !== arms.length) throw bad('arms', `arm names must be distinct non-empty strings, got ${JSON.stringify(arms)}`);
  const specs: Record<string, BanditArm> = Array.isArray(given) ? {} : { ...(given as Readonly<Record<string, BanditArm>>) };
  for (const [arm, spec] of Object.entries(specs)) {
    if (spec?.cost !== undefined && !(typeof spec.cost === 'number' && Number.isFinite(spec.cost) && spec.cost >= 0)) throw bad('arms', `arm '${arm}': 'cost' must be a number >= 0, got ${String(spec.cost)}`);
  }
  if (typeof reward !== 'function') throw bad('reward', `'reward' must be a function of the arm's outcome`);
  checkPrior(prior, bad);
  if (!(typeof explore === 'number' && explore >= 0 && explore < 1)) throw bad('explore', `'explore' must be a number in [0, 1), got ${String(explore)}`);
  if (typeof store !== 'object' || store === null || typeof store.read !== 'function' || typeof store.add !== 'function') throw bad('store', `'store' must be a PosteriorStore (memoryPosteriorStore, sqlitePosteriorStore, redisPosteriorStore)`);
  if (then !== undefined && typeof then !== 'function') throw bad('then', `'then' must be a router`);
  if (context !== undefined && typeof context !== 'function') throw bad('context', `'context' must be a function of the state returning a key`);
  if (options.random !== undefined && typeof options.random !== 'function') throw bad('random', `'random' must be a function returning numbers in [0, 1)`);
  if (!(Number.isInteger(propensitySamples) && propensitySamples >= 0)) throw bad('propensitySamples', `'propensitySamples' must be an integer >= 0, got ${String(propensitySamples)}`);
  return { name, arms, specs, prior, explore, store, reward, then, context, propensitySamples };
}

function checkPrior(prior: Prior, bad: (option: string, message: string) => RoutingError): void {
  const positive = (value: unknown) => value === undefined || (typeof value === 'number' && Number.isFinite(value) && value > 0);
  if (typeof prior !== 'object' || prior === null) throw bad('prior', `'prior' must be { kind: 'beta' } or { kind: 'gaussian' }`);
  if (prior.kind === 'beta') {
    if (!positive(prior.alpha) || !positive(prior.beta)) throw bad('prior', `a Beta prior's 'alpha' and 'beta' must be numbers > 0`);
  } else if (prior.kind === 'gaussian') {
    if (prior.mean !== undefined && !Number.isFinite(prior.mean)) throw bad('prior', `a Gaussian prior's 'mean' must be a finite number`);
    if (!positive(prior.variance) || !positive(prior.noise)) throw bad('prior', `a Gaussian prior's 'variance' and 'noise' must be numbers > 0`);
  } else {
    throw bad('prior', `'prior.kind' must be 'beta' or 'gaussian', got ${JSON.stringify((prior as { kind?: unknown }).kind)}`);
  }
}
