import type { CostEstimate, CostEstimateContext, CostedNode } from './cost-estimate.js';
import { describe } from './budget-config.js';
import { CostEstimateError } from './errors.js';

/**
 * Resolves every node's `costEstimate` (a fixed estimate or an estimator function) in dependency
 * order, so an estimator sees its dependencies' estimates. Returns one entry per node, in the
 * nodes' order (`undefined`: no estimate). Each estimate is validated. Dependencies missing from
 * `nodes` count as unestimated; nodes on a cycle (a graph never has one) resolve in list order.
 * @internal
 * @throws {CostEstimateError} for an invalid estimate or an estimator that threw
 */
export function resolveCostEstimates(nodes: readonly CostedNode[], model: string | undefined): (CostEstimate | undefined)[] {
  const indexOf = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (!indexOf.has(node.id)) indexOf.set(node.id, i);
  });
  const depsOf = nodes.map((node) => [...new Set(node.deps ?? [])]);
  const pending = depsOf.map((deps) => deps.filter((d) => indexOf.has(d)).length);
  const dependents: number[][] = nodes.map(() => []);
  depsOf.forEach((deps, i) => deps.forEach((d) => indexOf.has(d) && dependents[indexOf.get(d)!]!.push(i)));

  const resolved: (CostEstimate | undefined)[] = new Array(nodes.length);
  const done: boolean[] = nodes.map(() => false);
  const resolve = (i: number) => {
    done[i] = true;
    const upstream = Object.create(null) as Record<string, CostEstimate | undefined>; // any id is a key, '__proto__' too
    let upstreamOutputTokens = 0;
    for (const dep of depsOf[i]!) {
      const j = indexOf.get(dep);
      const estimate = j === undefined ? undefined : resolved[j];
      upstream[dep] = estimate;
      upstreamOutputTokens += estimate?.outputTokens ?? 0;
    }
    const node = nodes[i]!;
    resolved[i] = resolveOne(node, { nodeId: node.id, deps: depsOf[i]!, model, upstream, upstreamOutputTokens });
    for (const k of dependents[i]!) pending[k]!--;
  };

  // Kahn's algorithm; among ready nodes, the earliest in the list first.
  const ready = pending.flatMap((count, i) => (count === 0 ? [i] : []));
  for (let next = 0; next < ready.length; next++) {
    const i = ready[next]!;
    resolve(i);
    for (const k of dependents[i]!) if (pending[k] === 0 && !done[k]) ready.push(k);
  }
  nodes.forEach((_, i) => done[i] || resolve(i));
  return resolved;
}

function resolveOne(node: CostedNode, context: CostEstimateContext): CostEstimate | undefined {
  const spec = node.costEstimate;
  if (spec === undefined) return undefined;
  if (typeof spec !== 'function') return checkCostEstimate(node.id, spec);
  let estimate: CostEstimate | undefined;
  try {
    estimate = spec(context);
  } catch (error) {
    throw new CostEstimateError(node.id, 'costEstimate', `its cost estimator threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return estimate === undefined ? undefined : checkCostEstimate(node.id, estimate);
}

/**
 * Throws a {@link CostEstimateError} naming the node and field unless `value` is a valid estimate.
 * @internal
 */
export function checkCostEstimate(nodeId: string, value: unknown): CostEstimate {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CostEstimateError(nodeId, 'costEstimate', `'costEstimate' must be { model, inputTokens, outputTokens } or a function returning one, got ${value === null ? 'null' : describe(value)}`);
  }
  const { model, inputTokens, outputTokens, calls, prices, batch } = value as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') {
    throw new CostEstimateError(nodeId, 'model', `'costEstimate.model' must be a non-empty model id, got ${describe(model)}`);
  }
  for (const [field, tokens] of [['inputTokens', inputTokens], ['outputTokens', outputTokens]] as const) {
    if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0) {
      throw new CostEstimateError(nodeId, field, `'costEstimate.${field}' must be a finite number >= 0, got ${describe(tokens)}`);
    }
  }
  if (calls !== undefined && (typeof calls !== 'number' || !Number.isInteger(calls) || calls < 0)) {
    throw new CostEstimateError(nodeId, 'calls', `'costEstimate.calls' must be an integer >= 0, got ${describe(calls)}`);
  }
  if (prices !== undefined && (typeof prices !== 'object' || prices === null || Array.isArray(prices))) {
    throw new CostEstimateError(nodeId, 'prices', `'costEstimate.prices' must be a price table, got ${prices === null ? 'null' : describe(prices)}`);
  }
  if (batch !== undefined && typeof batch !== 'boolean') {
    throw new CostEstimateError(nodeId, 'batch', `'costEstimate.batch' must be a boolean, got ${describe(batch)}`);
  }
  return value as CostEstimate;
}
