/**
 * How an `experiment` tells the routers it runs which arm a request is in: a symbol-keyed field
 * on the router context it hands them, read by `banditRouter` to tag its events. @internal
 * @module
 */

/** The experiment and arm of a request. @internal */
export interface ExperimentTag {
  readonly name: string;
  readonly arm: string;
}

const TAG = Symbol.for('rx-orchestra.experimentTag');

/** The context with the tag added (a copy). @internal */
export function withExperimentTag<C extends object>(ctx: C, tag: ExperimentTag): C {
  return { ...ctx, [TAG]: tag };
}

/** The tag an experiment put on a context, if any. @internal */
export function experimentTagOf(ctx: object): ExperimentTag | undefined {
  return (ctx as Record<symbol, ExperimentTag | undefined>)[TAG];
}
