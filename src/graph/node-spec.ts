import type { Observable, ObservableInput, SchedulerLike } from 'rxjs';
import type { RetryConfig } from '../../operators/retry.js';
import type { NodeOutcome } from '../run/outcome.js';
import type { NodeReport } from '../run/events.js';
import type { Model } from '../models/model.js';
import type { CostEstimateSpec } from '../budget/cost-estimate.js';
import type { ApprovalGranted, ApprovalSpec, BranchFn, Decision, ForEachDefinition } from './dynamic-spec.js';

/**
 * What a node does when one of its dependencies did not succeed (failed, timed out or was skipped):
 * - `'skip'` (default, as in seed 000): the node is skipped, and so are its dependents by the same rule;
 * - `'fail'`: the whole run stops; in-flight nodes are cancelled and the rest skipped;
 * - `'partial'`: the node runs anyway once all dependencies ended; `inputs` holds only the values
 *   that exist, and `upstream` says how each dependency ended.
 */
export type UpstreamPolicy = 'skip' | 'fail' | 'partial';

/**
 * What a node's `run` receives. `I` is the type of `inputs`, `C` of the run context, and `D` the
 * dependencies' outputs by id (the same as `I` unless the node runs with partial inputs).
 */
export interface NodeContext<I, C = unknown, D = I> {
  /** Values of the dependencies, by id (typed from their definitions). */
  readonly inputs: I;
  /** How each dependency ended, by id; useful with `onUpstreamFailure: 'partial'`. */
  readonly upstream: { readonly [K in keyof D]-?: NodeOutcome<D[K]> };
  /** Aborts when this attempt is cancelled: run unsubscribed, timeout, or the run failing. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  readonly nodeId: string;
  readonly runId: string;
  /** The run's user context (`execute(g, { context })`). */
  readonly context: C;
  /** The run's scheduler: use it for any timing in the node so tests run in virtual time. */
  readonly scheduler: SchedulerLike;
  /** The run's model provider (`execute(g, { model })`), if one was given. */
  readonly model: Model | undefined;
  /**
   * The run's random source in [0, 1) (`execute(g, { random })`): draw from it instead of
   * Math.random so a seeded run replays (a bandit router's samples). Absent in contexts built by hand.
   */
  readonly random?: () => number;
  /**
   * Reports progress on the run's stream: `node.token` for streamed text, `node.usage` for a
   * model call's tokens and cost (added up in the run summary). Ignored once the attempt ended.
   */
  emit(report: NodeReport): void;
  /** Set when the node waited for approval (`approve`) and was approved: the payload and the decision. */
  readonly approval?: ApprovalGranted;
  /**
   * In a fan-out's child (`forEach`): the list element it works on, and its position (typed there);
   * what an `llm()` prompt reads as its second argument: `llm({ prompt: (_, { item }) => ... })`.
   */
  readonly item?: unknown;
  readonly index?: number;
  /**
   * Asks a person while the node runs (e.g. before a tool call with side effects): subscribing emits
   * `node.waiting` with `payload`, and the Observable emits the {@link Decision} once
   * `run$.decide(nodeId, ...)` delivers one (requests of one node are answered in the order they were
   * asked), then completes. Past `timeout` (ms), it emits a rejection with the reason. Unsubscribing
   * withdraws the request. The node keeps its slot while it waits. Set on the contexts the run gives
   * its nodes (absent on contexts made by hand, e.g. in a test).
   */
  readonly waitForApproval?: (payload: unknown, options?: { readonly timeout?: number | false }) => Observable<Decision>;
}

/**
 * A node's `run` function, with the defaults it may carry for the node that uses it: what a
 * factory such as `llm()` or `supervisor()` attaches to the function it returns, and what the graph
 * builder reads when the node's own settings leave them out. A plain function is a `NodeRun` too
 * (both fields are optional). Attach them with {@link withRunDefaults}.
 *
 * ## Example
 * ```ts
 * import { graph, withRunDefaults, type NodeRun } from 'rx-orchestra';
 * const crawl: NodeRun = withRunDefaults(async () => crawlSite(), { defaultTimeout: 120_000 });
 * graph().node('crawl', { run: crawl }); // timeout 120 s, unless the node sets `timeout`
 * ```
 */
export interface NodeRun<I = Record<string, unknown>, T = unknown, C = unknown, D = I> {
  (ctx: NodeContext<I, C, D>): ObservableInput<T>;
  /** The node's cost estimate when the node sets no `costEstimate` (`llm()` nodes carry an estimator). @default none */
  readonly costEstimate?: CostEstimateSpec;
  /** The node's deadline per attempt when the node sets no `timeout`; `false` for none. @default 30000 ({@link DEFAULT_NODE_TIMEOUT_MS}) */
  readonly defaultTimeout?: number | false;
  /** The node's approval when the node sets no `approve` (`approval()` nodes carry one). @default none */
  readonly approve?: ApprovalSpec<never>;
}

/** The defaults a {@link NodeRun} may carry: its `costEstimate`, `defaultTimeout` and `approve`. */
export type NodeRunDefaults = Pick<NodeRun, 'costEstimate' | 'defaultTimeout' | 'approve'>;

/**
 * Attaches node defaults (and any other read-only fields, such as a supervisor's `workers`) to a run
 * function, and returns the same function typed with them: the one way a factory declares what its
 * run functions carry.
 *
 * ## Example
 * ```ts
 * import { withRunDefaults, type NodeContext } from 'rx-orchestra';
 * const run = withRunDefaults((ctx: NodeContext<{ q: string }>) => answer(ctx.inputs.q), { defaultTimeout: false });
 * run.defaultTimeout; // false
 * ```
 * @param run the run function (returned, not copied)
 * @param defaults the fields to attach
 */
export function withRunDefaults<R extends (...args: never[]) => unknown, const E extends NodeRunDefaults>(run: R, defaults: E): R & Readonly<E> {
  return Object.assign(run, defaults);
}

/** Retry settings of a node: a number of retries, or a full {@link RetryConfig} (without hooks). */
export type NodeRetry = number | Omit<RetryConfig, 'onRetry' | 'scheduler' | 'random'>;

/**
 * A fallback function: of the final error and a node context (with its own AbortSignal, the node's
 * inputs, typed as in `run`, and `emit`), returning a value, a Promise or an Observable.
 */
export type FallbackFn<F, I = Record<string, unknown>, D = I> = (error: unknown, ctx: NodeContext<I, unknown, D>) => F | PromiseLike<F> | Observable<F>;

/**
 * One fallback: a constant `{ value }`, or a {@link FallbackFn}, e.g. a call to a cheaper model
 * (see `fallbackTo`). `I` and `D` type the context's `inputs` and `upstream`, as for the node's `run`.
 */
export type FallbackStep<F, I = Record<string, unknown>, D = I> = { value: F } | FallbackFn<F, I, D>;

/**
 * A node's fallback: one step, or a chain tried in order (e.g. Opus → Sonnet → Haiku → a static
 * default; a `{ value }` can only come last). Each step runs under the node's deadline; the node
 * ends `fellBack` with the reason and the index of the step that answered (`via`).
 */
export type NodeFallback<F, I = Record<string, unknown>, D = I> = FallbackStep<F, I, D> | readonly FallbackStep<F, I, D>[];

/** What one fallback step yields. */
export type StepOutput<S> = S extends { value: infer V }
  ? V
  : S extends (...args: never[]) => infer R
    ? R extends PromiseLike<infer P>
      ? P
      : R extends Observable<infer O>
        ? O
        : R
    : never;

/**
 * A chain of fallback steps of different types, typed as the union of what they yield (an array
 * literal of mixed steps would not infer one type). Unlike in a node's `run` or a plain `fallback`
 * array, an `llm()` prompt inside `fallbacks(...)` does not get its inputs' types from the node's
 * `deps` (TypeScript settles this call before it knows them): write that prompt apart with its
 * inputs annotated, as below.
 *
 * ## Example
 * ```ts
 * import { fallbacks, fallbackTo, llm } from 'rx-orchestra';
 * const prompt = ({ research }: { research: string }) => `Summarise: ${research}`;
 * fallback: fallbacks(fallbackTo(llm({ prompt, model: 'claude-haiku-4-5' })), { value: null }); // string | null
 * ```
 */
export function fallbacks<const S extends readonly FallbackStep<unknown, never, never>[]>(...steps: S): readonly FallbackStep<StepOutput<S[number]>>[] {
  return steps as unknown as readonly FallbackStep<StepOutput<S[number]>>[];
}

/**
 * What `inputs` holds under an upstream policy: every dependency's value, or (with `'partial'`) the
 * values that exist. Written non-distributively on purpose: while TypeScript still infers a node's
 * policy, `P` is `never`, and a nested `run: llm({ prompt })` must then see the full inputs (a
 * distributive conditional would make them `never`, and the prompt's inputs `unknown`).
 */
export type InputsFor<I, P extends UpstreamPolicy> = [P] extends ['skip' | 'fail'] ? I : Partial<I>;

/**
 * The definition of one node. `I` is the type of its inputs, `T` of its output, `F` of its fallback,
 * `P` its upstream policy.
 */
export interface NodeSpec<I, T, F, P extends UpstreamPolicy, C> {
  /** Ids of the nodes whose values this node needs. @default [] */
  readonly deps?: readonly string[];
  /**
   * The work: returns an Observable, a Promise or an (async) iterable. The node's value is the
   * last value emitted; unsubscribing cancels it and aborts `ctx.signal`.
   */
  readonly run: (ctx: NodeContext<InputsFor<I, P>, C, I>) => ObservableInput<T>;
  /** Deadline per attempt in ms; `false` for none. @default the run function's `defaultTimeout` ({@link NodeRun}), else 30000 (seed 000) */
  readonly timeout?: number | false;
  /** Retries with exponential backoff and jitter. @default 0 (no retries) */
  readonly retry?: NodeRetry;
  /**
   * Value to use when every attempt failed or timed out; the node then ends `fellBack`. A fallback
   * function receives the node's inputs typed as `run` does.
   */
  readonly fallback?: NodeFallback<F, InputsFor<I, P>, I>;
  /** See {@link UpstreamPolicy}. @default 'skip' */
  readonly onUpstreamFailure?: P;
  /** Expected duration (any unit, same for all nodes) for priority: longest remaining path first. @default 1 */
  readonly estimate?: number;
  /** Free-form labels (agent name, model, ...) carried into `run.started` for UIs. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /**
   * What the node's model calls are expected to cost, for the pre-run budget check: fixed figures
   * or an estimator. `llm()` nodes bring their own. @default the run function's `costEstimate` ({@link NodeRun}), if any
   */
  readonly costEstimate?: CostEstimateSpec;
  /**
   * Chooses which of this node's dependents run, from its value (e.g. `({ value }) => value.ok ?
   * 'publish' : 'revise'`); the others end `skipped` with cause `branch`, and their own dependents
   * follow their upstream policy. @default every dependent runs
   */
  readonly branch?: BranchFn<T | F, I>;
  /** Wait for a person's decision before running (see {@link ApprovalSpec}). @default the run function's `approve`, if any */
  readonly approve?: ApprovalSpec<I>;
}

/** A node as the executor sees it, types erased. */
export interface NodeDefinition {
  readonly id: string;
  readonly deps: readonly string[];
  readonly run: NodeRun<Record<string, unknown>, unknown>;
  readonly timeout: number | false;
  readonly retry: NodeRetry;
  readonly fallback?: NodeFallback<unknown>;
  readonly onUpstreamFailure: UpstreamPolicy;
  readonly estimate: number;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly costEstimate?: CostEstimateSpec;
  /** Set for a fan-out: its children are made at run time from `items`. */
  readonly forEach?: ForEachDefinition;
  /** Set for a subgraph node (its `run` came from `subgraph()`): its nodes run inside this run. */
  readonly subgraph?: SubgraphDefinition;
  readonly branch?: BranchFn<unknown, Record<string, unknown>>;
  readonly approve?: ApprovalSpec<Record<string, unknown>>;
}

/** Default per-attempt deadline, from seed 000: LLM p99 latency (20-25 s) plus a buffer. */
export const DEFAULT_NODE_TIMEOUT_MS = 30_000;

/** A built graph as a subgraph node holds it: the part of `Graph` the executor reads (structural, so this file needs no import of graph.ts). @internal */
export interface SubgraphGraph {
  readonly nodes: readonly NodeDefinition[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly depIndices: readonly (readonly number[])[];
  readonly dependents: readonly (readonly number[])[];
  readonly rank: Float64Array;
}

/** A subgraph node as the executor sees it, types erased (see `subgraph()`). @internal */
export interface SubgraphDefinition {
  readonly graph: SubgraphGraph;
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
