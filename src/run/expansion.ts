/**
 * The pure part of graphs that grow at run time: the children a fan-out or a subgraph adds to a
 * run, and the value its node gets when they have all ended. The run loop (run-loop.ts) calls these
 * and does the bookkeeping; nothing here knows about scheduling.
 */
import type { NodeDefinition } from '../graph/node-spec.js';
import type { NodeBinding } from './node-binding.js';
import type { ForEachDefinition, JoinPolicy } from '../graph/dynamic-spec.js';
import type { SubgraphDefinition } from '../graph/node-spec.js';
import type { NodeOutcome } from './outcome.js';
import { hasValue } from './outcome.js';
import { DynamicNodeError } from './errors.js';
import type { Settlement } from './node-execution.js';
import { idRecord } from './id-record.js';

/** The deps of a child that has none (fan-out children): shared, frozen lists. */
const NO_IDS: readonly string[] = Object.freeze([]);
const NO_POSITIONS: number[] = Object.freeze([]) as unknown as number[];

/** Children to add to the run: definitions with full ids, their deps as positions in this list, bindings, and local ids. @internal */
export interface Children {
  readonly definitions: NodeDefinition[];
  /** `deps[k]`: positions (in this list) of child k's dependencies. */
  readonly deps: number[][];
  /** Longest remaining path of each child inside the expansion (its own estimate included). */
  readonly rank: number[];
  readonly bindings: NodeBinding[];
  /** For subgraph children: the id inside the subgraph (branch targets are named by it). */
  readonly localIds?: string[];
}

/**
 * The children of a fan-out, one per element of `list` (the value `items` returned): ids
 * `<parent>[<index>]`, or `<parent>/<key>` with a key function; each runs the parent's `run`,
 * policies and inputs with its own `item` and `index`. Throws a {@link DynamicNodeError} for a
 * list that is not an array (`NOT_A_LIST`) or keys that are not unique non-empty strings. Pure.
 */
export function forEachChildren(
  parent: NodeDefinition,
  forEach: ForEachDefinition,
  list: unknown,
  inputs: Record<string, unknown>,
  upstream: Record<string, NodeOutcome>,
): Children {
  if (!Array.isArray(list)) {
    throw new DynamicNodeError('NOT_A_LIST', parent.id, `fan-out '${parent.id}': 'items' must return an array, got ${describe(list)}`);
  }
  const { key } = forEach;
  const seen = key ? new Set<string>() : undefined;
  const definitions: NodeDefinition[] = new Array<NodeDefinition>(list.length);
  const bindings: NodeBinding[] = new Array<NodeBinding>(list.length);
  // One child definition: the parent's, minus what belongs to the parent (fan-out, branch, approval).
  const { forEach: _f, branch: _b, approve: _a, ...template } = parent;
  for (let index = 0; index < list.length; index++) {
    const item: unknown = list[index];
    let id: string;
    if (key && seen) {
      const k = key(item, index);
      if (typeof k !== 'string' || k === '') throw new DynamicNodeError('INVALID_KEY', parent.id, `fan-out '${parent.id}': 'key' must return a non-empty string, got ${describe(k)} for item ${index}`);
      if (seen.has(k)) throw new DynamicNodeError('DUPLICATE_KEY', parent.id, `fan-out '${parent.id}': key '${k}' is given to more than one item (items ${[...seen].indexOf(k)} and ${index})`);
      seen.add(k);
      id = `${parent.id}/${k}`;
    } else {
      id = `${parent.id}[${index}]`;
    }
    definitions[index] = { ...template, id, deps: NO_IDS };
    bindings[index] = { inputs, upstream, item, index };
  }
  return { definitions, deps: new Array<number[]>(list.length).fill(NO_POSITIONS), rank: new Array<number>(list.length).fill(parent.estimate), bindings };
}

/**
 * The nodes of a subgraph as children of the node `parent`: ids and deps prefixed with
 * `<parent>/`, each with the subgraph's `context` (the input). Pure.
 */
export function subgraphChildren(parent: NodeDefinition, subgraph: SubgraphDefinition, context: unknown): Children {
  const { graph } = subgraph;
  const prefix = `${parent.id}/`;
  const definitions = graph.nodes.map((node) => ({ ...node, id: prefix + node.id, deps: node.deps.map((dep) => prefix + dep) }));
  return {
    definitions,
    deps: graph.depIndices.map((deps) => [...deps]),
    rank: Array.from(graph.rank),
    bindings: definitions.map(() => ({ hasContext: true, context, prefix })),
    localIds: graph.nodes.map((node) => node.id),
  };
}

/**
 * A fan-out's settlement once all its children ended, by its join policy (see {@link JoinPolicy}):
 * the list of values, or of outcomes, or a `CHILDREN_FAILED` failure naming the children without a
 * value. Pure.
 */
export function joinForEach(parentId: string, join: JoinPolicy, childIds: readonly string[], outcomes: readonly NodeOutcome[]): Settlement {
  if (join === 'outcomes') return { status: 'succeeded', value: [...outcomes] };
  const values: unknown[] = [];
  const missing: string[] = [];
  for (let k = 0; k < outcomes.length; k++) {
    const outcome = outcomes[k]!;
    if (hasValue(outcome)) values.push(outcome.value);
    else missing.push(childIds[k]!);
  }
  const needed = join === 'all' ? outcomes.length : 'atLeast' in join ? Math.min(join.atLeast, outcomes.length) : Math.ceil(join.fraction * outcomes.length);
  if (values.length >= needed) return { status: 'succeeded', value: values };
  const listed = missing.slice(0, 5).map((id) => `'${id}'`).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
  const error = new DynamicNodeError(
    'CHILDREN_FAILED',
    parentId,
    `fan-out '${parentId}': ${values.length} of ${outcomes.length} children have a value, ${needed} needed (${join === 'all' ? 'join all' : JSON.stringify(join)}); without a value: ${listed}`,
    { children: missing },
  );
  return { status: 'failed', error };
}

/** A subgraph node's settlement once all the subgraph's nodes ended: its outputs (or `output(outputs)`), or `SUBGRAPH_FAILED`. */
export function joinSubgraph(parentId: string, subgraph: SubgraphDefinition, childIds: readonly string[], localIds: readonly string[], outcomes: readonly NodeOutcome[]): Settlement {
  const missing = childIds.filter((_, k) => !hasValue(outcomes[k]));
  if (missing.length > 0) return { status: 'failed', error: DynamicNodeError.subgraphFailed(parentId, missing) };
  const outputs = idRecord(localIds.map((id, k) => [id, (outcomes[k] as { value: unknown }).value] as const));
  try {
    return { status: 'succeeded', value: subgraph.output ? subgraph.output(outputs) : outputs };
  } catch (error) {
    return { status: 'failed', error };
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value).slice(0, 80);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
