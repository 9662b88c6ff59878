import type { NodeDefinition } from './node-spec.js';
import { checkNodeSettings, validateShape } from './validate.js';
import { remainingPathLengths, topologicalOrder } from './priority.js';

declare const outputsBrand: unique symbol;

/**
 * A validated, immutable workflow: nodes in definition order plus the indices the executor needs.
 * `O` maps node ids to their output types; `C` is the run context type. Build one with
 * {@link graph} or {@link graphFromNodes}; run it any number of times with `execute`.
 */
export interface Graph<O = Record<string, unknown>, C = unknown> {
  readonly nodes: readonly NodeDefinition[];
  /** `indexOf.get(id)` is the node's position in `nodes`. */
  readonly indexOf: ReadonlyMap<string, number>;
  /** `depIndices[i]`: positions of node i's dependencies. */
  readonly depIndices: readonly (readonly number[])[];
  /** `dependents[i]`: positions of the nodes that depend on node i. */
  readonly dependents: readonly (readonly number[])[];
  /** Longest remaining path from each node (its priority). */
  readonly rank: Float64Array;
  /** Type-level only: the outputs by node id, and the context type. */
  readonly [outputsBrand]?: { outputs: O; context: C };
}

/**
 * Validates node definitions and indexes them into a {@link Graph}. Throws a {@link GraphError}
 * for duplicate ids, self-dependencies, unknown dependencies, cycles and bad node settings.
 * Pure: the same definitions give an equal graph.
 */
export function compileGraph<O, C>(nodes: readonly NodeDefinition[]): Graph<O, C> {
  validateShape(nodes);
  nodes.forEach(checkNodeSettings);
  const indexOf = new Map(nodes.map((n, i) => [n.id, i] as const));
  const depIndices = nodes.map((n) => n.deps.map((d) => indexOf.get(d)!));
  const dependents: number[][] = nodes.map(() => []);
  depIndices.forEach((deps, i) => deps.forEach((d) => dependents[d]!.push(i)));
  const order = topologicalOrder(depIndices, dependents);
  const rank = remainingPathLengths(order, dependents, nodes.map((n) => n.estimate));
  return Object.freeze({ nodes: Object.freeze([...nodes]), indexOf, depIndices, dependents, rank });
}
