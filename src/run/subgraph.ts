import { defer, type Observable } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import type { NodeContext, NodeRun, SubgraphDefinition } from '../graph/node-spec.js';
import { GraphError } from '../graph/errors.js';
import type { NodeOutcome } from './outcome.js';
import { joinSubgraph } from './expansion.js';

/**
 * Options of {@link subgraph}. `I` is the node's inputs, `O` the subgraph's outputs by id, `SC` the
 * subgraph's context type (what its nodes read as `ctx.context`), `T` the node's value.
 */
export interface SubgraphOptions<I, O, SC, T> {
  /**
   * The subgraph's context from the node's inputs: its nodes read it as `ctx.context`. Required when
   * the subgraph declares a context type (`graph<{ topic: string }>()`). In a fan-out (`forEach`
   * with `run: subgraph(...)`), `item` and `index` are the child's. @default the parent run's context
   */
  readonly input?: (inputs: I, ctx: SubgraphInputContext) => SC;
  /** The node's value from the subgraph's outputs (every node's value, by id). @default the outputs */
  readonly output?: (outputs: O) => T;
}

/** What a subgraph's `input` receives besides the node's inputs: the run's context, and a fan-out child's item and index. */
export interface SubgraphInputContext {
  readonly context: unknown;
  readonly item?: unknown;
  readonly index?: number;
}

/** What {@link subgraph} returns: a node's `run` whose nodes the executor runs inside the parent run. */
export interface SubgraphRun<I, T> extends NodeRun<I, T> {
  (ctx: NodeContext<I>): Observable<T>;
  /** The graph, and how the node maps into and out of it. */
  readonly subgraph: SubgraphDefinition;
  /** No node deadline: each of the subgraph's nodes has its own. */
  readonly defaultTimeout: false;
}

/** The options argument: required (with `input`) when the subgraph declares a context type. */
type SubgraphArgs<I, O, SC, T> = unknown extends SC ? [options?: SubgraphOptions<I, O, SC, T>] : [options: SubgraphOptions<I, O, SC, T> & { readonly input: (inputs: I, ctx: SubgraphInputContext) => SC }];

/**
 * Uses a built graph as one node of another: `run: subgraph(g, { input })`. Its nodes run in the
 * parent run, as ordinary nodes: they share its concurrency slots, budget, scheduler and
 * cancellation; their events carry the path as their id (`research/outline`), a checkpointed run
 * resumes inside the subgraph (only what did not succeed runs again), and the node's value is the
 * subgraph's outputs, typed (or `output(outputs)`). The node fails with `SUBGRAPH_FAILED` (naming
 * the nodes) when a subgraph node ends without a value; give the subgraph's nodes fallbacks or
 * partial policies where that is acceptable. Called outside a graph (e.g. as a fallback step), it
 * runs the subgraph as a run of its own.
 *
 * ## Example
 * ```ts
 * import { graph, subgraph } from 'rx-orchestra';
 * const research = graph<{ topic: string }>()
 *   .node('sources', { run: ({ context }) => findSources(context.topic) })
 *   .node('notes', { deps: ['sources'], run: ({ inputs }) => summarise(inputs.sources) })
 *   .build();
 * const g = graph()
 *   .node('plan', { run: () => [{ topic: 'RxJS schedulers' }] })
 *   .node('research', { deps: ['plan'], run: subgraph(research, { input: ({ plan }) => plan, output: (o) => o.notes }) })
 *   .build(); // events: research/sources, research/notes, then research
 * ```
 * @param graph the built subgraph
 * @throws {GraphError} `INVALID_NODE` (field `input` or `output`) when one is not a function
 */
export function subgraph<O, SC, I = Record<string, unknown>, T = O>(graph: Graph<O, SC>, ...args: SubgraphArgs<I, O, SC, T>): SubgraphRun<I, T> {
  const options = (args[0] ?? {}) as SubgraphOptions<I, O, SC, T>;
  const built = graph as Partial<Graph<O, SC>> | null | undefined;
  if (typeof built !== 'object' || built === null || !Array.isArray(built.nodes) || !(built.indexOf instanceof Map)) {
    throw new GraphError('INVALID_NODE', `subgraph: expected a built graph (graph()...build()), got ${built === null ? 'null' : typeof built}`, { field: 'graph' });
  }
  for (const field of ['input', 'output'] as const) {
    if (options[field] !== undefined && typeof options[field] !== 'function') {
      throw new GraphError('INVALID_NODE', `subgraph: '${field}' must be a function, got ${typeof options[field]}`, { field });
    }
  }
  const definition: SubgraphDefinition = {
    graph: graph as Graph<unknown, unknown>,
    input: options.input as SubgraphDefinition['input'],
    output: options.output as SubgraphDefinition['output'],
  };
  // Outside a graph (a fallback step, a test), the subgraph runs as a run of its own; inside one the
  // executor never calls this: it adds the subgraph's nodes to the run instead.
  const localIds = definition.graph.nodes.map((node) => node.id);
  const run = (ctx: NodeContext<I>): Observable<T> =>
    defer(async () => {
      const { execute } = await import('./execute.js');
      const { collect } = await import('./collect.js');
      const context = definition.input ? definition.input(ctx.inputs as Record<string, unknown>, { context: ctx.context }) : ctx.context;
      const result = await collect((execute as (g: Graph<unknown, unknown>, o: object) => ReturnType<typeof execute>)(definition.graph, { context, scheduler: ctx.scheduler, model: ctx.model }));
      const outcomes = result.outcomes as Record<string, NodeOutcome>;
      // The same join as inside a run (its value, or SUBGRAPH_FAILED naming the nodes without one).
      const joined = joinSubgraph(ctx.nodeId, definition, localIds, localIds, localIds.map((id) => outcomes[id]!));
      if (joined.status !== 'succeeded') throw (joined as { error: unknown }).error;
      return joined.value as T;
    });
  return Object.assign(run, { subgraph: definition, defaultTimeout: false as const });
}

