import type { ObservableInput } from 'rxjs';
import type { NodeContext } from '../../graph/node-spec.js';
import type { WorkerContext } from './context.js';

/**
 * Reuses a node's `run` (e.g. an `llm()` call) as a worker's `run`: the worker's input becomes the
 * node's `inputs`; signal, scheduler, model and `emit` are the worker's, so tokens, usage and
 * cancellation work as in a graph.
 *
 * ## Example
 * ```ts
 * import { fromNodeRun } from 'rx-orchestra/patterns';
 * import { llm } from 'rx-orchestra';
 * const recommender = {
 *   description: 'standard abbreviations and domains',
 *   run: fromNodeRun(llm({ prompt: (question: string) => `Recommend a standard name for: ${question}`, model: 'claude-haiku-4-5' })),
 * };
 * ```
 */
export function fromNodeRun<I, O>(run: (ctx: NodeContext<I, unknown, unknown>) => ObservableInput<O>): (input: I, ctx: WorkerContext) => ObservableInput<O> {
  return (input, ctx) =>
    run({
      inputs: input,
      upstream: {},
      signal: ctx.signal,
      attempt: ctx.attempt,
      nodeId: ctx.nodeId,
      runId: ctx.runId,
      context: ctx.context,
      scheduler: ctx.scheduler,
      model: ctx.model,
      emit: ctx.emit,
    });
}
