import { GraphError } from './errors.js';
import type { NodeDefinition } from './node-spec.js';
import { checkRetryConfig } from '../../operators/retry.js';

/** The shape validation needs: an id and the ids it depends on. */
export interface NodeShape {
  readonly id: string;
  readonly deps: readonly string[];
}

/**
 * Checks a list of nodes and throws the first {@link GraphError} found, in this order:
 * empty graph, duplicate ids, self-dependencies, unknown dependencies, cycles. Pure.
 */
export function validateShape(nodes: readonly NodeShape[]): void {
  if (nodes.length === 0) throw new GraphError('EMPTY_GRAPH', 'graph has no nodes');
  const ids = new Set<string>();
  for (const { id } of nodes) {
    if (ids.has(id)) throw new GraphError('DUPLICATE_ID', `duplicate node id '${id}'`, { nodeId: id });
    ids.add(id);
  }
  for (const { id, deps } of nodes) {
    if (deps.includes(id)) {
      throw new GraphError('SELF_DEPENDENCY', `node '${id}' depends on itself`, { nodeId: id, dependency: id });
    }
    const unknown = deps.filter((dep) => !ids.has(dep));
    if (unknown.length > 0) {
      throw new GraphError(
        'UNKNOWN_DEPENDENCY',
        `node '${id}' depends on unknown node${unknown.length > 1 ? 's' : ''} ${unknown.map((d) => `'${d}'`).join(', ')}`,
        { nodeId: id, dependency: unknown[0] },
      );
    }
  }
  const cycle = findCycle(nodes);
  if (cycle) {
    throw new GraphError('CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, { nodeId: cycle[0], path: cycle });
  }
}

/**
 * Finds a dependency cycle by iterative depth-first search, in definition order. Returns its path
 * in dependency direction (`a -> b` means a depends on b), with the first node repeated at the end,
 * or undefined when the graph is acyclic. Pure; O(nodes + edges).
 */
export function findCycle(nodes: readonly NodeShape[]): string[] | undefined {
  const depsOf = new Map(nodes.map((n) => [n.id, n.deps] as const));
  const state = new Map<string, 'open' | 'done'>();
  for (const root of nodes) {
    if (state.has(root.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    state.set(root.id, 'open');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = depsOf.get(frame.id) ?? [];
      if (frame.next >= deps.length) {
        state.set(frame.id, 'done');
        stack.pop();
        continue;
      }
      const dep = deps[frame.next++]!;
      const seen = state.get(dep);
      if (seen === 'open') {
        const from = stack.findIndex((f) => f.id === dep);
        return [...stack.slice(from).map((f) => f.id), dep];
      }
      if (seen === undefined) {
        state.set(dep, 'open');
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return undefined;
}

/** Throws an `INVALID_NODE` {@link GraphError} naming the node and the field of a bad setting. Pure. */
export function checkNodeSettings(node: NodeDefinition): void {
  const bad = (field: string, message: string) =>
    new GraphError('INVALID_NODE', `node '${node.id}': ${message}`, { nodeId: node.id, field });
  if (typeof node.run !== 'function') throw bad('run', `'run' must be a function`);
  if (node.timeout !== false && !(node.timeout > 0)) {
    throw bad('timeout', `'timeout' must be a number of ms > 0 or false, got ${String(node.timeout)}`);
  }
  if (!(node.estimate >= 0 && Number.isFinite(node.estimate))) {
    throw bad('estimate', `'estimate' must be a finite number >= 0, got ${String(node.estimate)}`);
  }
  if (!['skip', 'fail', 'partial'].includes(node.onUpstreamFailure)) {
    throw bad('onUpstreamFailure', `'onUpstreamFailure' must be 'skip', 'fail' or 'partial', got '${String(node.onUpstreamFailure)}'`);
  }
  try {
    checkRetryConfig(typeof node.retry === 'number' ? { count: node.retry } : node.retry, 'retry');
  } catch (error) {
    throw bad('retry', (error as Error).message);
  }
}
