import type { NodeDefinition, NodeSpec, UpstreamPolicy } from './node-spec.js';
import type { CostEstimateSpec } from '../budget/cost-estimate.js';
import { subgraphOf } from './node-spec.js';
import type { JoinPolicy } from './dynamic-spec.js';
import type { ForEachSpec, JoinValue } from './for-each-spec.js';
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

  /**
   * Adds a fan-out: a node whose children are made at run time, one per element of the list
   * `items` returns from its inputs. Children are ordinary nodes of the run (ids `explore[0]`,
   * `explore[1]`, ... or `explore/<key>`): they share the run's concurrency slots and critical-path
   * priority, each with the node's `timeout`, `retry` and `fallback`. The node's value is the list
   * of child values in item order (or their outcomes: see {@link JoinPolicy}).
   *
   * ## Example
   * ```ts
   * graph()
   *   .node('plan', { run: () => [{ paths: ['src/a.ts', 'src/b.ts'] }] })
   *   .forEach('explore', {
   *     deps: ['plan'],
   *     items: ({ plan }) => plan.paths,              // string[]
   *     key: (path) => path,                          // ids explore/src/a.ts, explore/src/b.ts
   *     run: ({ item, signal }) => readAndSummarise(item, signal), // Promise<string>; or one model call each:
   *     // run: llm({ prompt: (_, { item }) => `Summarise ${String(item)}` }) (keeps llm()'s own deadline)
   *     retry: 2,
   *   })
   *   .node('report', { deps: ['explore'], run: ({ inputs }) => [inputs.explore.join('\n')] }); // string[]
   * ```
   * @param id unique node id (children's ids start with it)
   * @param spec the dependencies, the list, the work per element and the join policy
   */
  forEach<
    const Id extends string,
    E,
    T,
    const D extends readonly (keyof O & string)[] = [],
    F = never,
    J extends JoinPolicy = 'all',
  >(
    id: NewId<Id, O>,
    spec: ForEachSpec<{ [K in D[number]]: O[K] }, E, T, F, C, J> & { readonly deps?: D },
  ): GraphBuilder<O & { [K in Id]: JoinValue<T | F, J> }, C> {
    const { items, key, join, ...rest } = spec as unknown as ForEachSpec<never, unknown, unknown, unknown, unknown, JoinPolicy>;
    const definition = toDefinition(id, rest as unknown as NodeSpec<never, unknown, unknown, UpstreamPolicy, unknown>);
    const forEach = { items: items as NonNullable<NodeDefinition['forEach']>['items'], join: join ?? 'all', ...(key !== undefined ? { key } : {}) };
    return new GraphBuilder(this.#nodes.concat({ ...definition, forEach }));
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
    ...optional('branch', spec.branch as NodeDefinition['branch']),
    ...optional('approve', (spec.approve ?? run.approve) as NodeDefinition['approve']),
    ...optional('subgraph', subgraphOf(run)),
  };
}

/** `{ [field]: value }` when the value is defined, else `{}`: optional fields stay absent, not undefined. */
function optional<K extends string, V>(field: K, value: V | undefined): { [P in K]?: V } {
  return (value !== undefined ? { [field]: value } : {}) as { [P in K]?: V };
}

/** The node's cost estimate (its own, else the one its run function carries, as `llm()` nodes do), when there is one. */
function withCostEstimate(estimate: CostEstimateSpec | undefined): { costEstimate?: CostEstimateSpec } {
  return estimate !== undefined ? { costEstimate: estimate } : {};
}
