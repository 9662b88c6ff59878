import type { ObservableInput } from 'rxjs';
import type { NodeContext, NodeFallback, NodeRetry } from './node-spec.js';
import type { NodeOutcome } from '../run/outcome.js';
import type { CostEstimateSpec } from '../budget/cost-estimate.js';
import type { ApprovalSpec, JoinPolicy } from './dynamic-spec.js';

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

