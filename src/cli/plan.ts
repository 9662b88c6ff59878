import type { Graph } from '../graph/graph.js';
import { estimateRunCost } from '../budget/estimate.js';
import type { NodeCost, RunCostEstimate } from '../budget/cost-estimate.js';
import { formatCost, formatCount, formatTable, plural, truncate } from './format.js';

/**
 * One node of a {@link RunPlan}.
 *
 * ## Example
 * ```ts
 * import { planRun, type PlanStep } from './plan.js';
 * const first: PlanStep = planRun(g).steps[0]!; // { order: 1, id: 'plan', deps: [], pathLength: 6, ... }
 * ```
 */
export interface PlanStep {
  /** 1-based position in the plan's order. */
  readonly order: number;
  readonly id: string;
  readonly deps: readonly string[];
  /** The node's `estimate` (expected duration, any unit). */
  readonly estimate: number;
  /** Longest remaining path from this node (its priority), in `estimate` units. */
  readonly pathLength: number;
  /** The node's estimated cost; undefined when it has no cost estimate. */
  readonly cost: NodeCost | undefined;
  /** `meta.agent`, when the node names one. */
  readonly agent?: string;
}

/**
 * What a run will do, worked out without running it: the nodes in the order a one-slot run would
 * start them (dependencies first; among ready nodes the longest remaining path first, as the
 * executor schedules), the critical path, and the cost estimate.
 *
 * ## Example
 * ```ts
 * import { planRun, type RunPlan } from './plan.js';
 * const plan: RunPlan = planRun(g, { maxUsd: 0.5 });
 * plan.cost.totalUsd;
 * ```
 */
export interface RunPlan {
  readonly steps: readonly PlanStep[];
  /** The longest path through the graph, in `estimate` units. */
  readonly criticalPath: number;
  readonly cost: RunCostEstimate;
  /** Present when the run has a budget: the limit and whether the estimate is within it. */
  readonly budget?: { readonly maxUsd: number; readonly within: boolean };
  /**
   * Present when nodes are priced as the model the offline simulated provider stands in for (no
   * `ANTHROPIC_API_KEY`, no provider of the run's own): that model, those nodes in plan order, and
   * the sentence {@link offlinePricingNote} says it with.
   */
  readonly offlinePricing?: OfflinePricing;
  /**
   * With `--batch`: the estimate with every call direct and with every call batched (Message
   * Batches API, half price); `cost` is the batched one.
   */
  readonly batching?: { readonly directUsd: number; readonly batchedUsd: number };
  /** Without `--batch`: what the run would cost with it (the plain `--dry-run` says so after the table). */
  readonly ifBatchedUsd?: number;
}

/**
 * Nodes priced as the model that answers with `ANTHROPIC_API_KEY` set, while the offline simulated
 * provider answers them for $0 (see `defaultModel`).
 *
 * ## Example
 * ```ts
 * import type { OfflinePricing } from './plan.js';
 * const pricing: OfflinePricing = { model: 'claude-sonnet-4-6', nodes: ['research'], note: offlinePricingNote('claude-sonnet-4-6') };
 * ```
 */
export interface OfflinePricing {
  readonly model: string;
  readonly nodes: readonly string[];
  readonly note: string;
}

/**
 * Says how offline calls are priced: as the model that would answer with a key, while the
 * simulated provider answers for $0.
 *
 * ## Example
 * ```ts
 * import { offlinePricingNote } from './plan.js';
 * offlinePricingNote('claude-sonnet-4-6');
 * // 'priced as claude-sonnet-4-6 (the model that answers with ANTHROPIC_API_KEY set; offline the simulated provider answers for $0)'
 * ```
 */
export function offlinePricingNote(model: string): string {
  return `priced as ${model} (the model that answers with ANTHROPIC_API_KEY set; offline the simulated provider answers for $0)`;
}

/**
 * Settings of {@link planRun}.
 *
 * ## Example
 * ```ts
 * import { planRun, type PlanRunOptions } from './plan.js';
 * const options: PlanRunOptions = { model: 'claude-sonnet-4-6', maxUsd: 0.5, top: 5 };
 * planRun(g, options);
 * ```
 */
export interface PlanRunOptions {
  /** The run's model id, for cost estimators (`execute`'s `model.model`). */
  model?: string;
  /** Price every call as batched (`--batch`). @default false */
  batch?: boolean;
  /** The run's `budget.maxUsd`. */
  maxUsd?: number;
  /** How many of the most expensive nodes `cost.top` lists. @default 3 */
  top?: number;
  /**
   * The model id the offline simulated default provider stands in for, when it is the run's
   * provider (no `ANTHROPIC_API_KEY`, no `model` of the run's own): nodes priced as that model are
   * listed in `offlinePricing`. @default undefined (online, or the run names its provider)
   */
  offlineModel?: string;
}

/**
 * Plans a run without calling anything: the priority order, the critical path and the cost
 * estimate (`estimateRunCost`). Pure.
 *
 * ## Example
 * ```ts
 * import { planRun } from './plan.js';
 * const plan = planRun(g, { maxUsd: 0.5 });
 * plan.steps.map((s) => s.id); // ['plan', 'search_web', ...]
 * plan.budget?.within;         // true
 * ```
 * @throws {UnknownModelPriceError} for a model without a price, naming the node
 * @throws {CostEstimateError} for an invalid estimate, naming the node
 */
export function planRun(graph: Graph<Record<string, unknown>, unknown>, options: PlanRunOptions = {}): RunPlan {
  const estimateWith = (batch: boolean) => estimateRunCost(graph.nodes, { ...(options.model ? { model: options.model } : {}), ...(options.top !== undefined ? { top: options.top } : {}), ...(batch ? { batch } : {}) });
  const batched = options.batch === true;
  const cost = estimateWith(batched);
  const batching = batched ? { directUsd: estimateWith(false).totalUsd, batchedUsd: cost.totalUsd } : undefined;
  const costOf = new Map(cost.byNode.map((c) => [c.nodeId, c]));
  const steps = priorityOrder(graph).map((i, k): PlanStep => {
    const node = graph.nodes[i]!;
    const agent = node.meta?.agent;
    return {
      order: k + 1,
      id: node.id,
      deps: node.deps,
      estimate: node.estimate,
      pathLength: graph.rank[i]!,
      cost: costOf.get(node.id),
      ...(typeof agent === 'string' ? { agent } : {}),
    };
  });
  const criticalPath = steps.reduce((max, s) => Math.max(max, s.pathLength), 0);
  const budget = options.maxUsd === undefined ? undefined : { maxUsd: options.maxUsd, within: cost.totalUsd - options.maxUsd <= 1e-9 };
  const { offlineModel } = options;
  const offlineNodes = offlineModel === undefined ? [] : steps.filter((s) => s.cost?.model === offlineModel).map((s) => s.id);
  const offlinePricing = offlineNodes.length > 0 ? { model: offlineModel!, nodes: offlineNodes, note: offlinePricingNote(offlineModel!) } : undefined;
  return { steps, criticalPath, cost, ...(budget ? { budget } : {}), ...(offlinePricing ? { offlinePricing } : {}), ...(batching ? { batching } : { ifBatchedUsd: estimateWith(true).totalUsd }) };
}

/**
 * Node indices in topological order where, among the nodes whose dependencies are all placed,
 * the one with the longest remaining path comes first (ties: definition order). O(n log n).
 */
function priorityOrder(graph: Graph<Record<string, unknown>, unknown>): number[] {
  const remaining = graph.depIndices.map((deps) => deps.length);
  const before = (a: number, b: number) => graph.rank[a]! > graph.rank[b]! || (graph.rank[a] === graph.rank[b] && a < b);
  const heap: number[] = [];
  const push = (i: number) => {
    heap.push(i);
    for (let k = heap.length - 1; k > 0; ) {
      const parent = (k - 1) >> 1;
      if (!before(heap[k]!, heap[parent]!)) break;
      [heap[k], heap[parent]] = [heap[parent]!, heap[k]!];
      k = parent;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let k = 0; ; ) {
        const l = 2 * k + 1;
        const r = l + 1;
        let best = k;
        if (l < heap.length && before(heap[l]!, heap[best]!)) best = l;
        if (r < heap.length && before(heap[r]!, heap[best]!)) best = r;
        if (best === k) break;
        [heap[k], heap[best]] = [heap[best]!, heap[k]!];
        k = best;
      }
    }
    return top;
  };
  remaining.forEach((count, i) => count === 0 && push(i));
  const order: number[] = [];
  while (heap.length > 0) {
    const i = pop();
    order.push(i);
    for (const d of graph.dependents[i]!) if (--remaining[d]! === 0) push(d);
  }
  return order;
}

/**
 * The plan as text: a cost line (total, most expensive nodes), which nodes are priced as the
 * model the offline simulated provider stands in for (`Offline, priced as claude-sonnet-4-6 (…):
 * research, outline`), the nodes without an estimate, the budget verdict when there is a budget,
 * and a table of the nodes in plan order with their
 * dependencies, estimates, remaining path, model, tokens and cost.
 *
 * ## Example
 * ```ts
 * import { formatPlan, planRun } from './plan.js';
 * process.stdout.write(formatPlan(planRun(g)).join('\n') + '\n');
 * // Estimated cost: $0.0412 for 15 nodes; most expensive: report $0.0150, ...
 * ```
 */
export function formatPlan(plan: RunPlan): string[] {
  const { cost, steps } = plan;
  const estimated = cost.byNode.length;
  const lines = [
    `Estimated cost: ${formatCost(cost.totalUsd)} for ${plural(steps.length, 'node')}` +
      (cost.top.length > 0 ? `; most expensive: ${cost.top.map((n) => `${n.nodeId} ${formatCost(n.usd)}`).join(', ')}` : ''),
  ];
  if (plan.batching) {
    const { directUsd, batchedUsd } = plan.batching;
    lines.push(`Batched (--batch, Message Batches API): ${formatCost(batchedUsd)}; direct: ${formatCost(directUsd)}. Each wave of ready nodes waits for its batch (minutes, at most 24 h)`);
  }
  if (plan.offlinePricing) {
    const { nodes, note } = plan.offlinePricing;
    const which = nodes.length === estimated ? 'every estimated node' : listed(nodes);
    lines.push(`Offline, ${note}: ${which}`);
  }
  if (cost.unestimated.length > 0) {
    lines.push(`Without a cost estimate (not counted): ${estimated === 0 ? 'every node' : listed(cost.unestimated)}`);
  }
  if (plan.budget) {
    lines.push(plan.budget.within ? `Budget: ${formatCost(plan.budget.maxUsd)}, the estimate is within it` : `✗ Budget: ${formatCost(plan.budget.maxUsd)}, the estimate is over it: the run would be refused`);
  }
  lines.push(`Plan: ${plural(steps.length, 'node')}, critical path ${formatNumber(plan.criticalPath)} (estimate units), in start order (dependencies first, longest remaining path first):`, '');
  const rows = steps.map((s) => [
    String(s.order),
    truncate(s.id, 40),
    formatDeps(s.deps),
    formatNumber(s.estimate),
    formatNumber(s.pathLength),
    s.cost?.model ?? '—',
    s.cost ? formatCount(s.cost.inputTokens) : '—',
    s.cost ? formatCount(s.cost.outputTokens) : '—',
    s.cost ? formatCost(s.cost.usd) : '—',
  ]);
  lines.push(...formatTable(['#', 'node', 'deps', 'estimate', 'path', 'model', 'in tok', 'out tok', 'cost'], rows, { right: [0, 3, 4, 6, 7, 8] }));
  if (!plan.batching && plan.ifBatchedUsd !== undefined && cost.totalUsd > 0) {
    lines.push('', `With --batch (Message Batches API, half price): ${formatCost(plan.ifBatchedUsd)} instead of ${formatCost(cost.totalUsd)}; each wave of ready nodes would wait for its batch (minutes, at most 24 h)`);
  }
  return lines;
}

/** Up to 8 node ids, then how many more. */
function listed(ids: readonly string[]): string {
  return `${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ` and ${ids.length - 8} more` : ''}`;
}

function formatDeps(deps: readonly string[]): string {
  if (deps.length === 0) return '—';
  const shown = deps.slice(0, 3).map((d) => truncate(d, 24)).join(',');
  return deps.length > 3 ? `${shown} +${deps.length - 3}` : shown;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? formatCount(n) : n.toFixed(2);
}
