/**
 * The settings of graphs that grow at run time which a node definition refers to: join policies,
 * approvals, decisions, branches. Leaf types (they import nothing of the graph), so node-spec.ts can
 * use them; the typed fan-out spec is in for-each-spec.ts, the subgraph definition in node-spec.ts.
 */

/**
 * What a fan-out's value is when some children did not end with a value:
 * - `'all'` (default): every child must have a value; the node's value is the list of child values
 *   in item order, else the node fails with `CHILDREN_FAILED` naming the children;
 * - `{ atLeast: n }` / `{ fraction: f }`: enough children must have a value (n of them, or
 *   `ceil(f × children)`); the value is the list of the values that exist, in item order;
 * - `'outcomes'`: the node always succeeds; its value is every child's {@link NodeOutcome}, in item order.
 */
export type JoinPolicy = 'all' | 'outcomes' | { readonly atLeast: number } | { readonly fraction: number };

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
