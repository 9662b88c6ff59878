import { Observable, type ObservableInput, type Subscription } from 'rxjs';
import { attempt } from '../../operators/attempt.js';
import { OptionsError } from '../errors/options-error.js';
import { withRunDefaults, type NodeContext, type NodeRun } from '../graph/node-spec.js';
import type { CostEstimate, CostEstimateSpec } from '../budget/cost-estimate.js';
import type { NodeReport } from '../run/events.js';
import { LoopError } from './errors.js';
import { ITERATION_PREVIEW_CHARS, type LoopReport } from './loop-events.js';

/**
 * What a loop's `body` receives: the node's context (its `signal` is the iteration's own: it aborts
 * when the node is cancelled, times out or the loop is unsubscribed), the iteration number and the
 * previous iteration's value.
 *
 * ## Example
 * ```ts
 * import type { LoopContext } from 'rx-orchestra';
 * const body = ({ iteration, previous, signal }: LoopContext<{ topic: string }, string>) => revise(previous, { iteration, signal });
 * ```
 */
export interface LoopContext<I, T, C = unknown, D = I> extends NodeContext<I, C, D> {
  /** 1 for the first iteration. */
  readonly iteration: number;
  /** The previous iteration's value; undefined in the first iteration. */
  readonly previous: T | undefined;
}

/**
 * What `until` is told besides the value.
 *
 * ## Example
 * ```ts
 * import type { LoopCheck } from 'rx-orchestra';
 * const until = (draft: string, { iteration, previous }: LoopCheck<unknown, string>) => draft === previous || iteration >= 2;
 * ```
 */
export interface LoopCheck<I, T> {
  /** The iteration that produced the value, from 1. */
  readonly iteration: number;
  /** The node's inputs. */
  readonly inputs: I;
  /** The value of the iteration before; undefined in the first. */
  readonly previous: T | undefined;
}

/**
 * Settings of {@link loop}: `body`, `until` and `maxIterations` are required.
 *
 * ## Example
 * ```ts
 * import { loop, type LoopOptions } from 'rx-orchestra';
 * const options: LoopOptions<{ topic: string }, string> = {
 *   body: ({ inputs, previous }) => write(inputs.topic, previous),
 *   until: (draft) => draft.length < 500,
 *   maxIterations: 4,
 * };
 * loop(options);
 * ```
 */
export interface LoopOptions<I, T, C = unknown, D = I> {
  /**
   * One iteration: an Observable, a Promise or an (async) iterable; its last value is the
   * iteration's value. A body that fails fails the node with its error (a node `retry` runs the whole
   * loop again); one that completes without a value fails it with `EMPTY_ITERATION`. A body may be
   * an `llm()` or `agent()` run: their context is a {@link LoopContext} too.
   */
  body: (ctx: LoopContext<I, T, C, D>) => ObservableInput<T>;
  /** True when the value is good enough: the loop ends with it. Called after each iteration. */
  until: (value: T, check: LoopCheck<I, T>) => boolean;
  /** The most iterations; reaching it without convergence fails the node with `MAX_ITERATIONS`. An integer >= 1. */
  maxIterations: number;
  /**
   * The text `node.iteration` shows of each value, cut to 200 characters; `false` for none (a value
   * that must not leave the process). @default a string as is, anything else as JSON
   */
  preview?: ((value: T) => string) | false;
  /**
   * The pre-run cost estimate of the whole loop. @default the body's own estimate (an `llm()` body
   * carries one) with its calls multiplied by `maxIterations`, else none
   */
  costEstimate?: CostEstimateSpec;
}

/**
 * What `loop()` returns: a node's `run`, with no node deadline by default (the loop is bounded by
 * `maxIterations`, and model calls in the body carry their own deadlines; a node `timeout` you set
 * still applies to the whole loop) and the loop's pre-run cost estimate when it has one.
 *
 * ## Example
 * ```ts
 * import { loop, type LoopRun } from 'rx-orchestra';
 * const run: LoopRun<{ topic: string }, string> = loop({ body: ({ inputs }) => [inputs.topic], until: () => true, maxIterations: 1 });
 * run.maxIterations; // 1
 * ```
 */
export interface LoopRun<I, T, C = unknown, D = I> extends NodeRun<I, T, C, D> {
  (ctx: NodeContext<I, C, D>): Observable<T>;
  readonly defaultTimeout: false;
  readonly costEstimate: CostEstimateSpec | undefined;
  readonly maxIterations: number;
}

/**
 * A bounded loop as a node, for critic/reviser cycles: runs `body` (iteration 1, 2, ...; each gets
 * the previous value) until `until` accepts a value, which becomes the node's value, or until
 * `maxIterations` iterations failed to converge: the node then fails with a `MAX_ITERATIONS`
 * {@link LoopError} that keeps the last value (`lastValue`), for a fallback or the caller. Each
 * iteration is on the run's stream as `node.iteration` (number, converged, duration, a 200-character
 * preview). Unsubscribing (the run cancelled, a node timeout) aborts the body in flight through its
 * `signal` and starts no further iteration. Iterations that end synchronously are chained in a loop,
 * not by recursion. All timing is the body's, on `ctx.scheduler`.
 *
 * The value's type `T` is taken from `until`'s annotated parameter (`until: (r: Reviewed) => ...`)
 * or from type arguments: TypeScript cannot infer it from `body`, whose context (`previous`)
 * mentions it. The inputs' type is inferred from the node's `deps`, as for `llm()`.
 *
 * ## Example
 * ```ts
 * import { graph, llm, loop, execute, collect } from 'rx-orchestra';
 * import { concatMap, map } from 'rxjs';
 * import { z } from 'zod';
 * const Verdict = z.object({ score: z.number(), advice: z.string() });
 * type Reviewed = { draft: string; verdict: z.infer<typeof Verdict> };
 * const revise = llm<{ topic: string; last?: Reviewed }>({
 *   prompt: ({ topic, last }) => (last ? `Revise this text on ${topic}:\n${last.draft}\nAdvice: ${last.verdict.advice}` : `Write a paragraph on ${topic}.`),
 * });
 * const critique = llm<{ draft: string }, z.infer<typeof Verdict>>({ prompt: ({ draft }) => `Score 1-10 and advise:\n${draft}`, schema: Verdict });
 * const g = graph()
 *   .node('topic', { run: async () => 'RxJS schedulers' })
 *   .node('article', {
 *     deps: ['topic'],
 *     run: loop({
 *       body: (ctx) =>
 *         revise({ ...ctx, inputs: { topic: ctx.inputs.topic, last: ctx.previous } }).pipe(
 *           concatMap((draft) => critique({ ...ctx, inputs: { draft } }).pipe(map((verdict) => ({ draft, verdict })))),
 *         ),
 *       until: ({ verdict }: Reviewed) => verdict.score >= 8,
 *       maxIterations: 3,
 *     }),
 *   })
 *   .build();
 * const { outcomes } = await collect(execute(g));
 * ```
 * @throws {OptionsError} at once, for a missing `body` or `until` or a `maxIterations` that is not an integer >= 1
 */
export function loop<I = Record<string, unknown>, T = unknown, C = unknown, D = I>(options: LoopOptions<I, T, C, D>): LoopRun<I, T, C, D> {
  const { body, until, maxIterations } = checkOptions(options);
  const preview = options.preview === false ? undefined : (options.preview ?? defaultPreview);
  const run = (ctx: NodeContext<I, C, D>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const emit = (report: LoopReport) => ctx.emit(report satisfies NodeReport);
      let current: Subscription | undefined;
      let iteration = 0;
      let previous: T | undefined;

      // A trampoline: an iteration that ends while the previous one is still on the stack only
      // leaves a flag here; the outer call runs the next one once the stack has unwound.
      let pending = false;
      let driving = false;
      const next = () => {
        pending = true;
        if (driving) return;
        driving = true;
        try {
          while (pending && !subscriber.closed) {
            pending = false;
            runIteration();
          }
        } finally {
          driving = false;
        }
      };

      const runIteration = () => {
        if (ctx.signal.aborted) return void subscriber.error(ctx.signal.reason); // stopped between iterations
        iteration += 1;
        const n = iteration;
        const last = previous;
        const startedAt = ctx.scheduler.now();
        let value: T | undefined;
        current = attempt<T>(({ signal }) => body(iterationContext(ctx, signal, n, last)), {
          signal: ctx.signal,
          empty: () => new LoopError('EMPTY_ITERATION', ctx.nodeId, `its body completed without a value in iteration ${n}`, lastOf(n - 1, last)),
        }).subscribe({
          next: (v) => (value = v),
          error: (error: unknown) => subscriber.error(error),
          complete: () => settle(n, value as T, last, ctx.scheduler.now() - startedAt),
        });
      };

      const settle = (n: number, value: T, last: T | undefined, durationMs: number) => {
        let converged: boolean;
        try {
          converged = Boolean(until(value, { iteration: n, inputs: ctx.inputs, previous: last }));
        } catch (error) {
          return subscriber.error(new LoopError('UNTIL_FAILED', ctx.nodeId, `its until function threw in iteration ${n}: ${(error as Error)?.message ?? String(error)}`, { ...lastOf(n, value), cause: error }));
        }
        emit({ type: 'node.iteration', iteration: n, maxIterations, converged, durationMs, ...previewField(preview, value) });
        previous = value;
        if (converged) {
          subscriber.next(value);
          return subscriber.complete();
        }
        if (n >= maxIterations) {
          return subscriber.error(new LoopError('MAX_ITERATIONS', ctx.nodeId, `no iteration converged in ${maxIterations} (maxIterations); the last value is kept in lastValue`, lastOf(n, value)));
        }
        next();
      };

      next();
      return () => current?.unsubscribe();
    });
  const costEstimate = options.costEstimate ?? scaledEstimate((body as NodeRun).costEstimate, maxIterations);
  return withRunDefaults(run, { defaultTimeout: false, costEstimate, maxIterations } as const);
}

/**
 * The body's context: the node's fields (a node context may be a class instance whose `signal` and
 * `emit` are accessors, so those two are set explicitly), with the iteration's signal.
 */
function iterationContext<I, T, C, D>(ctx: NodeContext<I, C, D>, signal: AbortSignal, iteration: number, previous: T | undefined): LoopContext<I, T, C, D> {
  const emit = ctx.emit;
  return { ...ctx, signal, emit: (report: NodeReport) => emit(report), iteration, previous };
}

function lastOf(iterations: number, lastValue: unknown): { iterations: number; lastValue?: unknown } {
  return iterations > 0 ? { iterations, lastValue } : { iterations };
}

/** A string as is, anything else as JSON (or `String()` when JSON cannot say it). */
function defaultPreview(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function previewField<T>(preview: ((value: T) => string) | undefined, value: T): { preview?: string } {
  if (!preview) return {};
  let text: string;
  try {
    text = String(preview(value));
  } catch {
    text = '(preview failed)'; // a report never fails the node
  }
  return { preview: text.length > ITERATION_PREVIEW_CHARS ? `${text.slice(0, ITERATION_PREVIEW_CHARS - 1)}…` : text };
}

/** The body's estimate with its calls multiplied by the iterations, or undefined without one. */
function scaledEstimate(spec: CostEstimateSpec | undefined, iterations: number): CostEstimateSpec | undefined {
  if (spec === undefined) return undefined;
  const scale = (estimate: CostEstimate | undefined): CostEstimate | undefined => estimate && { ...estimate, calls: (estimate.calls ?? 1) * iterations };
  return typeof spec === 'function' ? (context) => scale(spec(context)) : scale(spec);
}

function checkOptions<I, T, C, D>(options: LoopOptions<I, T, C, D>): LoopOptions<I, T, C, D> {
  if (typeof options !== 'object' || options === null) throw new OptionsError('options', 'loop: options must be an object with body, until and maxIterations');
  const { body, until, maxIterations, preview } = options;
  if (typeof body !== 'function') throw new OptionsError('body', `loop: 'body' must be a function of the node context, got ${typeof body}`);
  if (typeof until !== 'function') throw new OptionsError('until', `loop: 'until' must be a function (value, { iteration, inputs, previous }) => boolean, got ${typeof until}`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) throw new OptionsError('maxIterations', `loop: 'maxIterations' must be an integer >= 1, got ${String(maxIterations)}`);
  if (preview !== undefined && preview !== false && typeof preview !== 'function') throw new OptionsError('preview', `loop: 'preview' must be a function or false`);
  return options;
}
