import type { ObservableInput } from 'rxjs';
import type { Router, RouterDecision } from '../supervisor/router.js';
import type { RouterContext } from '../supervisor/context.js';
import type { SupervisorState } from '../supervisor/state.js';
import { RoutingError } from './errors.js';
import { emitRouting } from './emit-report.js';
import { withExperimentTag } from './experiment-tag.js';
import { BoundedMap, MAX_OPEN_LOOPS, loopKey, withFields } from './loops.js';
import { stableBucket } from './stable-hash.js';

/**
 * Settings of {@link experiment}. `name` and `arms` are required.
 *
 * ## Example
 * ```ts
 * import { experiment, llmRouter, banditRouter, type ExperimentOptions } from 'rx-orchestra/patterns';
 * const options: ExperimentOptions = {
 *   name: 'router-ab-2026-12',
 *   arms: { llm: llmRouter({ system }), bandit: banditRouter({ name: 'pick', arms: ['cheap', 'expensive'] }) },
 *   split: { llm: 0.8, bandit: 0.2 },
 *   key: (state, ctx) => String((ctx.context as { userId: string }).userId), // a user always sees the same arm
 * };
 * ```
 */
export interface ExperimentOptions {
  /** The experiment's name: in its events, and salted into the hash (two experiments split independently). */
  name: string;
  /** The routers under test, by arm name; at least one. */
  arms: Readonly<Record<string, Router>>;
  /** Each arm's share of requests (any non-negative weights; normalised). @default equal shares */
  split?: Readonly<Record<string, number>>;
  /** The request's assignment key: the same key always lands in the same arm. @default the run id and node id (`runId/nodeId`) */
  key?: (state: SupervisorState, ctx: RouterContext) => string;
}

/**
 * What {@link experiment} returns: a router, with the arm a key is assigned to.
 *
 * ## Example
 * ```ts
 * import { experiment, type Experiment } from 'rx-orchestra/patterns';
 * const ab: Experiment = experiment({ name: 'ab', arms: { a: routerA, b: routerB } });
 * ab.assign('user-42'); // 'a' or 'b', the same in every process
 * ```
 */
export interface Experiment extends Router {
  readonly name: string;
  /** The arm names, in definition order. */
  readonly arms: readonly string[];
  /** The normalised split, by arm. */
  readonly split: Readonly<Record<string, number>>;
  /** The arm a key is assigned to, and its bucket (the key's stable hash in [0, 1)). */
  assign(key: string): { arm: string; bucket: number };
}

/**
 * An A/B test of routers: each request (a supervisor loop) is assigned to one arm by a stable hash
 * of its key — the same key, the same arm, in every process and run — and routed by that arm's
 * router for all its turns. The assignment is an `experiment.assigned` event (experiment, arm,
 * bucket, supervisor path); a {@link banditRouter} in an arm tags its `router.chose` and
 * `router.rewarded` events with the experiment and arm. {@link experimentReport} turns the events
 * into per-arm success rates, costs, latencies and routing calls.
 *
 * ## Example
 * ```ts
 * import { experiment, experimentReport, llmRouter, banditRouter, supervisor } from 'rx-orchestra/patterns';
 * const router = experiment({ name: 'bandit-vs-llm', arms: { llm: llmRouter({ system }), bandit: banditRouter({ name: 'pick', arms: ['cheap', 'expensive'] }) }, split: { llm: 0.5, bandit: 0.5 } });
 * const team = supervisor({ name: 'team', workers, router });
 * // ... after some traffic, from the events or the run log:
 * console.table(experimentReport(events).arms);
 * ```
 * @throws {RoutingError} `INVALID_OPTIONS`, at once, for bad options (named by option)
 */
export function experiment(options: ExperimentOptions): Experiment {
  const { name, routers, arms, split, cumulative, key } = checkOptions(options);
  const loops = new BoundedMap<string, { arm: string }>(MAX_OPEN_LOOPS);
  const assign = (requestKey: string) => {
    const bucket = stableBucket(`${name}\u0000${requestKey}`);
    const index = cumulative.findIndex((edge) => bucket < edge);
    return { arm: arms[index === -1 ? arms.length - 1 : index]!, bucket };
  };
  const route = (state: SupervisorState, ctx: RouterContext): ObservableInput<RouterDecision> => {
    const id = loopKey(ctx);
    let loop = loops.get(id);
    if (!loop || ctx.turn === 1) {
      const { arm, bucket } = assign(key ? key(state, ctx) : `${ctx.runId}/${ctx.nodeId}`);
      loops.set(id, (loop = { arm }));
      emitRouting(ctx.emit, { type: 'experiment.assigned', experiment: name, arm, bucket, supervisor: ctx.supervisor, turn: ctx.turn });
    }
    return routers[loop.arm]!(state, withExperimentTag(ctx, { name, arm: loop.arm }));
  };
  return withFields(route, { name, arms, split, assign });
}

function checkOptions(options: ExperimentOptions) {
  const label = typeof options?.name === 'string' ? options.name : 'experiment';
  const bad = (option: string, message: string) => new RoutingError('INVALID_OPTIONS', label, message, { option });
  if (typeof options !== 'object' || options === null) throw bad('options', 'options must be an object');
  const { name, arms: routers, split: given, key } = options;
  if (typeof name !== 'string' || name.length === 0) throw bad('name', `'name' must be a non-empty string`);
  if (typeof routers !== 'object' || routers === null || Object.keys(routers).length === 0) throw bad('arms', `'arms' must be an object of routers by arm name, with at least one`);
  const arms = Object.keys(routers);
  for (const arm of arms) if (typeof routers[arm] !== 'function') throw bad('arms', `arm '${arm}' is not a router (a function)`);
  const weights = arms.map((arm) => (given === undefined ? 1 : given[arm] ?? 0));
  if (given !== undefined) {
    for (const arm of Object.keys(given)) if (!arms.includes(arm)) throw bad('split', `'split' names '${arm}', which is not an arm (${arms.join(', ')})`);
  }
  if (weights.some((w) => typeof w !== 'number' || !Number.isFinite(w) || w < 0)) throw bad('split', `'split' shares must be finite numbers >= 0`);
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= 0) throw bad('split', `'split' gives every arm a share of 0`);
  const split = Object.fromEntries(arms.map((arm, i) => [arm, weights[i]! / total]));
  let edge = 0;
  const cumulative = weights.map((w) => (edge += w / total));
  cumulative[cumulative.length - 1] = 1;
  if (key !== undefined && typeof key !== 'function') throw bad('key', `'key' must be a function of the state and context returning a string`);
  return { name, routers, arms, split, cumulative, key };
}
