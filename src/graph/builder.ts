import type { NodeDefinition, NodeSpec, UpstreamPolicy } from './node-spec.js';
import type { CostEstimateSpec } from '../budget/cost-estimate.js';
import { DEFAULT_NODE_TIMEOUT_MS } from './node-spec.js';
import { compileGraph, type Graph } from './graph.js';

/** Rejects, at compile time, an id that is already defined (unless ids are not known statically). */
type NewId<Id extends string, O> = string extends keyof O ? Id : Id extends keyof O ? never : Id;

/** The outputs of a graph with no nodes yet. */
type NoNodes = Record<never, never>;

/**
 * Builds a typed workflow node by node. Each node's `deps` may only name nodes defined before it,
 * and its `run` receives their outputs typed. `build()` validates and returns a {@link Graph}.
 */
export class GraphBuilder<O extends Record<string, unknown> = NoNodes, C = unknown> {
  readonly #nodes: readonly NodeDefinition[];

  /** @internal use {@link graph} */
  constructor(nodes: readonly NodeDefinition[] = []) {
    this.#nodes = nodes;
  }

  /**
   * Adds a node. The builder is immutable: this returns a new builder.
   *
   * ## Example
   * ```ts
   * graph()
   *   .node('facts', { run: () => fetchFacts() })                    // Promise<string[]>
   *   .node('count', { deps: ['facts'], run: ({ inputs }) => [inputs.facts.length] });
   * ```
   * @param id unique node id
   * @param spec the node's dependencies, work and policies
   */
  node<
    const Id extends string,
    T,
    const D extends readonly (keyof O & string)[] = [],
    F = never,
    P extends UpstreamPolicy = 'skip',
  >(
    id: NewId<Id, O>,
    spec: NodeSpec<{ [K in D[number]]: O[K] }, T, F, P, C> & { readonly deps?: D },
  ): GraphBuilder<O & { [K in Id]: T | F }, C> {
    return new GraphBuilder(this.#nodes.concat(toDefinition(id, spec as unknown as NodeSpec<never, unknown, unknown, UpstreamPolicy, unknown>)));
  }

  /** Validates the graph and returns it; throws a `GraphError` (nothing runs for an invalid graph). */
  build(): Graph<{ [K in keyof O]: O[K] }, C> {
    return compileGraph(this.#nodes);
  }
}

/**
 * Starts a workflow definition. `C` is the type of the run context nodes receive as `ctx.context`.
 *
 * ## Example
 * ```ts
 * import { graph, execute, collect } from 'rx-orchestra';
 * const g = graph()
 *   .node('research', { run: () => model.text('research X'), timeout: 30_000, retry: 3 })
 *   .node('outline', { deps: ['research'], run: ({ inputs }) => model.text(`outline ${inputs.research}`) })
 *   .build();
 * const result = await collect(execute(g, { concurrency: 4 }));
 * ```
 */
export function graph<C = unknown>(): GraphBuilder<NoNodes, C> {
  return new GraphBuilder<NoNodes, C>();
}

/**
 * Builds a graph from a list of untyped node definitions, e.g. loaded from config (seed 001's
 * `dependsOn` lists). Same validation as the builder, including cycle detection across any order.
 *
 * ## Example
 * ```ts
 * import { graphFromNodes } from 'rx-orchestra';
 * const g = graphFromNodes([
 *   { id: 'spec', run: () => ['...'] },
 *   { id: 'code', deps: ['spec'], run: ({ inputs }) => [String(inputs.spec)] },
 * ]);
 * ```
 */
export function graphFromNodes<C = unknown>(
  nodes: readonly ({ id: string } & NodeSpec<Record<string, unknown>, unknown, unknown, UpstreamPolicy, C>)[],
): Graph<Record<string, unknown>, C> {
  return compileGraph(nodes.map(({ id, ...spec }) => toDefinition(id, spec as NodeSpec<never, unknown, unknown, UpstreamPolicy, unknown>)));
}

function toDefinition(id: string, spec: NodeSpec<never, unknown, unknown, UpstreamPolicy, unknown>): NodeDefinition {
  const run = spec.run as NodeDefinition['run']; // types erased; what the function carries is declared by NodeRun
  return {
    id,
    deps: [...(spec.deps ?? [])],
    run,
    timeout: spec.timeout ?? run.defaultTimeout ?? DEFAULT_NODE_TIMEOUT_MS,
    retry: spec.retry ?? 0,
    ...(spec.fallback !== undefined ? { fallback: spec.fallback as NodeDefinition['fallback'] } : {}),
    onUpstreamFailure: spec.onUpstreamFailure ?? 'skip',
    estimate: spec.estimate ?? 1,
    ...(spec.meta !== undefined ? { meta: spec.meta } : {}),
    ...withCostEstimate(spec.costEstimate ?? run.costEstimate),
  };
}

/** The node's cost estimate (its own, else the one its run function carries, as `llm()` nodes do), when there is one. */
function withCostEstimate(estimate: CostEstimateSpec | undefined): { costEstimate?: CostEstimateSpec } {
  return estimate !== undefined ? { costEstimate: estimate } : {};
}
