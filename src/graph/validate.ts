import { GraphError } from './errors.js';
import type { NodeDefinition } from './node-spec.js';
import { checkRetryConfig } from '../../operators/retry.js';
import { DEFAULT_BACKOFF } from '../../operators/backoff.js';
import { MAX_TIMER_MS } from '../../operators/long-timer.js';

/**
 * The longest timeout or retry delay a user may give: 2^31-1 ms (about 24.8 days), the longest a
 * single timer can hold (Node.js runs a longer `setTimeout` after 1 ms). A larger value is
 * refused with an error naming the field, not silently clamped: it is almost always a mistake.
 */
export const MAX_TIMEOUT_MS = MAX_TIMER_MS;

/**
 * Why `value` is not a usable timeout: undefined when it is a number of ms in (0, {@link MAX_TIMEOUT_MS}],
 * else the rule it breaks, as `must be ...; got ...`. `orFalse`: `false` (no timeout) is allowed too. Pure.
 * @internal
 */
export function timeoutProblem(value: unknown, orFalse = false): string | undefined {
  if (orFalse && value === false) return undefined;
  if (typeof value === 'number' && value > 0 && value <= MAX_TIMEOUT_MS) return undefined;
  const hint = value === Infinity && orFalse ? ' (use false for none)' : '';
  return `must be a number of ms between 1 and ${MAX_TIMEOUT_MS} (about 24.8 days, the longest a timer holds)${orFalse ? ', or false for none' : ''}; got ${String(value)}${hint}`;
}

/** The shape validation needs: an id and the ids it depends on. */
export interface NodeShape {
  readonly id: string;
  readonly deps: readonly string[];
}

/**
 * Checks a list of nodes and throws the first {@link GraphError} found, in this order:
 * empty graph, ids or dependencies that are not non-empty strings (`INVALID_NODE`, field `id` or
 * `deps`), duplicate ids, self-dependencies, unknown dependencies, cycles. Pure.
 */
export function validateShape(nodes: readonly NodeShape[]): void {
  if (nodes.length === 0) throw new GraphError('EMPTY_GRAPH', 'graph has no nodes');
  nodes.forEach(checkIds);
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
  checkChildPrefixes(nodes as readonly (NodeShape & { forEach?: unknown; subgraph?: unknown })[]);
  const cycle = findCycle(nodes);
  if (cycle) {
    throw new GraphError('CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, { nodeId: cycle[0], path: cycle });
  }
}

/**
 * Throws a `DUPLICATE_ID` {@link GraphError} for a node whose id starts like the children a fan-out
 * or subgraph adds at run time (`explore[0]`, `explore/a.ts`, `research/outline`): they would collide.
 */
function checkChildPrefixes(nodes: readonly (NodeShape & { forEach?: unknown; subgraph?: unknown })[]): void {
  const growing = nodes.filter((n) => n.forEach !== undefined || n.subgraph !== undefined);
  if (growing.length === 0) return;
  for (const { id } of nodes) {
    const owner = growing.find((g) => g.id !== id && (id.startsWith(`${g.id}[`) || id.startsWith(`${g.id}/`)));
    if (owner) {
      throw new GraphError('DUPLICATE_ID', `node id '${id}' could collide with the nodes ${owner.forEach !== undefined ? 'fan-out' : 'subgraph'} '${owner.id}' adds at run time (their ids start with '${owner.id}[' or '${owner.id}/'); rename one`, { nodeId: id });
    }
  }
}

/** Any non-empty string is a node id, `__proto__` and `constructor` included (records keyed by id have no prototype). */
function isNodeId(id: unknown): id is string {
  return typeof id === 'string' && id !== '';
}

/** Throws an `INVALID_NODE` {@link GraphError} when a node's id or one of its dependencies is not a non-empty string. */
function checkIds({ id, deps }: NodeShape, index: number): void {
  if (!isNodeId(id)) {
    throw new GraphError('INVALID_NODE', `node #${index + 1}: 'id' must be a non-empty string, got ${describeValue(id)}`, { field: 'id' });
  }
  const at = Array.isArray(deps) ? deps.findIndex((dep) => !isNodeId(dep)) : -2;
  if (at !== -1) {
    const got = at === -2 ? describeValue(deps) : `${describeValue(deps[at])} at index ${at}`;
    throw new GraphError('INVALID_NODE', `node '${id}': 'deps' must be a list of node ids (non-empty strings), got ${got}`, { nodeId: id, field: 'deps' });
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
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
  const timeoutIssue = timeoutProblem(node.timeout, true);
  if (timeoutIssue) throw bad('timeout', `'timeout' ${timeoutIssue}`);
  if (!(node.estimate >= 0 && Number.isFinite(node.estimate))) {
    throw bad('estimate', `'estimate' must be a finite number >= 0, got ${String(node.estimate)}`);
  }
  if (!['skip', 'fail', 'partial'].includes(node.onUpstreamFailure)) {
    throw bad('onUpstreamFailure', `'onUpstreamFailure' must be 'skip', 'fail' or 'partial', got '${String(node.onUpstreamFailure)}'`);
  }
  const retry = typeof node.retry === 'number' ? { count: node.retry } : node.retry;
  try {
    checkRetryConfig(retry, 'retry');
  } catch (error) {
    throw bad('retry', (error as Error).message);
  }
  const delay = retryDelayProblem(retry);
  if (delay) throw bad(`retry.${delay.field}`, `'retry.${delay.field}' ${delay.problem}`);
  checkDynamicSettings(node, bad);
}

/** The settings of graphs that grow: a fan-out's `items`, `key` and `join`, `branch`, `approve`. */
function checkDynamicSettings(node: NodeDefinition, bad: (field: string, message: string) => GraphError): void {
  if (node.forEach) {
    if (typeof node.forEach.items !== 'function') throw bad('items', `'items' must be a function returning the list to fan out over, got ${describeValue(node.forEach.items)}`);
    if (node.forEach.key !== undefined && typeof node.forEach.key !== 'function') throw bad('key', `'key' must be a function (item, index) => string, got ${describeValue(node.forEach.key)}`);
    const join = joinProblem(node.forEach.join);
    if (join) throw bad('join', `'join' ${join}`);
    if (node.onUpstreamFailure === 'partial') throw bad('onUpstreamFailure', `a fan-out's 'onUpstreamFailure' must be 'skip' or 'fail' (its list comes from its inputs)`);
  }
  if (node.branch !== undefined && typeof node.branch !== 'function') throw bad('branch', `'branch' must be a function ({ value, inputs }) => dependent id(s), got ${describeValue(node.branch)}`);
  if (node.approve !== undefined) {
    if (typeof node.approve !== 'object' || node.approve === null) throw bad('approve', `'approve' must be an object { request?, timeout? }, got ${describeValue(node.approve)}`);
    if (node.approve.request !== undefined && typeof node.approve.request !== 'function') throw bad('approve.request', `'approve.request' must be a function of the inputs, got ${describeValue(node.approve.request)}`);
    const timeout = node.approve.timeout === undefined ? undefined : timeoutProblem(node.approve.timeout, true);
    if (timeout) throw bad('approve.timeout', `'approve.timeout' ${timeout}`);
  }
}

/**
 * Checks a join policy; returns the problem, or undefined when it is valid. Pure.
 * @internal
 */
function joinProblem(join: unknown): string | undefined {
  if (join === 'all' || join === 'outcomes') return undefined;
  if (typeof join === 'object' && join !== null) {
    if ('atLeast' in join && Number.isInteger(join.atLeast) && (join.atLeast as number) >= 0) return undefined;
    if ('fraction' in join && typeof join.fraction === 'number' && join.fraction >= 0 && join.fraction <= 1) return undefined;
  }
  return `must be 'all', 'outcomes', { atLeast: <integer >= 0> } or { fraction: <number in [0, 1]> }; got ${describeValue(join)}`;
}



/**
 * A backoff delay no timer can hold: `initialDelay` or `maxDelay` above {@link MAX_TIMEOUT_MS}
 * (`Infinity` included). With both within it, every backoff delay is (`maxDelay` caps them).
 * Assumes a config `checkRetryConfig` accepted.
 */
function retryDelayProblem(retry: Exclude<NodeDefinition['retry'], number>): { field: 'initialDelay' | 'maxDelay'; problem: string } | undefined {
  for (const field of ['initialDelay', 'maxDelay'] as const) {
    const value = retry[field] ?? DEFAULT_BACKOFF[field];
    if (value > MAX_TIMEOUT_MS) return { field, problem: `must be a number of ms of at most ${MAX_TIMEOUT_MS} (about 24.8 days, the longest a timer holds); got ${value}` };
  }
  return undefined;
}
