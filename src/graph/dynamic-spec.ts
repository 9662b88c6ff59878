import type { ObservableInput } from 'rxjs';
import type { NodeContext, NodeFallback, NodeRetry } from './node-spec.js';
import type { NodeOutcome } from '../run/outcome.js';
import type { CostEstimateSpec } from '../budget/cost-estimate.js';
import type { Graph } from './graph.js';

/**
 * What a fan-out's value is when some children did not end with a value:
 * - `'all'` (default): every child must have a value; the node's value is the list of child values
 *   in item order, else the node fails with `CHILDREN_FAILED` naming the children;
 * - `{ atLeast: n }` / `{ fraction: f }`: enough children must have a value (n of them, or
 *   `ceil(f × children)`); the value is the list of the values that exist, in item order;
 * - `'outcomes'`: the node always succeeds; its value is every child's {@link NodeOutcome}, in item order.
 */
export type JoinPolicy = 'all' | 'outcomes' | { readonly atLeast: number } | { readonly fraction: number };

/** A fan-out's value for a join policy `J` and child values `T`. */
export type JoinValue<T, J> = J extends 'outcomes' ? NodeOutcome<T>[] : T[];

/** What a child of a fan-out receives: the node's context plus its item and position. */
export type ForEachContext<I, E, C = unknown> = NodeContext<I, C> & {
  /** The list element this child works on. */
  readonly item: E;
  /** Its position in the list (0-based). */
  readonly index: number;
};

/**
 * A node that fans out over a list known only at run time (see `GraphBuilder.forEach`): `items`
 * makes the list from the node's inputs, and one child per element runs `run` with its `item`.
 * Children are ordinary nodes of the same run: they take the run's concurrency slots, each with the
 * node's `timeout`, `retry` and `fallback`; `join` says what the node's value is.
 */
export interface ForEachSpec<I, E, T, F, C, J extends JoinPolicy> {
  /** Ids of the nodes whose values `items` and `run` need. @default [] */
  readonly deps?: readonly string[];
  /** The list to fan out over, from the dependencies' values (must return an array). */
  readonly items: (inputs: I, ctx: { readonly context: C }) => readonly E[];
  /** Work for one element; its value is the child's value. */
  readonly run: (ctx: ForEachContext<I, E, C>) => ObservableInput<T>;
  /**
   * A readable, unique key per element: the child's id is then `<node>/<key>` instead of
   * `<node>[<index>]`. Keys must be unique and non-empty. @default the index
   */
  readonly key?: (item: E, index: number) => string;
  /** See {@link JoinPolicy}. @default 'all' */
  readonly join?: J;
  /** Deadline per attempt of each child, in ms; `false` for none. @default 30000 */
  readonly timeout?: number | false;
  /** Retries of each child. @default 0 */
  readonly retry?: NodeRetry;
  /** Fallback of each child (the child then ends `fellBack`). */
  readonly fallback?: NodeFallback<F, I, I>;
  /** What the node does when a dependency did not succeed: `'skip'` or `'fail'` (see `UpstreamPolicy`). @default 'skip' */
  readonly onUpstreamFailure?: 'skip' | 'fail';
  /** Expected duration of one child, for critical-path priority. @default 1 */
  readonly estimate?: number;
  /** Labels carried into `run.started` and each child's entry in `node.expanded`. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** Cost estimate of one child (the pre-run check counts it once: the list is not known yet). */
  readonly costEstimate?: CostEstimateSpec;
  /** Wait for a person's decision before fanning out (see {@link ApprovalSpec}). */
  readonly approve?: ApprovalSpec<I>;
}

/** A fan-out as the executor sees it, types erased. @internal */
export interface ForEachDefinition {
  readonly items: (inputs: Record<string, unknown>, ctx: { readonly context: unknown }) => unknown;
  readonly key?: (item: unknown, index: number) => string;
  readonly join: JoinPolicy;
}

/**
 * Makes a node wait for a person's decision before it runs: when the node is ready, the run emits
 * `node.waiting` with `request(inputs)`'s payload and goes on with the other branches (a waiting
 * node holds no concurrency slot). `run.decide(nodeId, { approve })` (or `decisions` given to
 * `execute`/`resume`) lets it run, or fails it with `APPROVAL_REJECTED`; past `timeout` it ends
 * `timedOut` with `APPROVAL_TIMEOUT`.
 */
export interface ApprovalSpec<I = Record<string, unknown>> {
  /** What the person is asked to approve (shown by the CLI and the dashboard). @default the node's inputs */
  readonly request?: (inputs: I) => unknown;
  /** How long to wait, in ms; `false` for ever. @default false */
  readonly timeout?: number | false;
}

/**
 * A decision about a waiting node: approve (optionally with a `value`, which an `approval()` node
 * returns and any approved node reads as `ctx.approval.value`) or reject (with a `reason`).
 */
export interface Decision {
  readonly approve: boolean;
  /** For an `approval()` node: its value (default: the request's payload). */
  readonly value?: unknown;
  /** Why it was rejected (carried by the node's `APPROVAL_REJECTED` error). */
  readonly reason?: string;
  /** Who decided (carried into `node.decided`). */
  readonly by?: string;
}

/** What an approved node reads as `ctx.approval`: the payload it asked with and the decision. */
export interface ApprovalGranted {
  readonly payload: unknown;
  readonly value?: unknown;
  readonly by?: string;
}

/**
 * Chooses which of a node's dependents run, from its value: the others end `skipped` with cause
 * `branch`. Returns dependents' ids (one or several); naming a node that is not a dependent fails
 * the node with `BRANCH_TARGET`.
 */
export type BranchFn<T, I> = (ctx: { readonly value: T; readonly inputs: I }) => string | readonly string[];

/** A subgraph node as the executor sees it, types erased (see `subgraph()`). @internal */
export interface SubgraphDefinition {
  readonly graph: Graph<unknown, unknown>;
  /** The subgraph's context from the node's inputs (and, in a fan-out, the child's item and index). */
  readonly input: ((inputs: Record<string, unknown>, ctx: { readonly context: unknown; readonly item?: unknown; readonly index?: number }) => unknown) | undefined;
  /** The node's value from the subgraph's outputs. */
  readonly output: ((outputs: Record<string, unknown>) => unknown) | undefined;
}

/** The subgraph a node's `run` carries, if it came from `subgraph()`. @internal */
export function subgraphOf(run: unknown): SubgraphDefinition | undefined {
  const definition = (run as { subgraph?: SubgraphDefinition } | undefined)?.subgraph;
  return definition !== undefined && typeof definition === 'object' && 'graph' in definition ? definition : undefined;
}
