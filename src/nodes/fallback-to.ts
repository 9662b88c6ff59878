import type { Observable, ObservableInput } from 'rxjs';
import type { FallbackFn, NodeContext } from '../graph/node-spec.js';
import { fromResult } from '../../operators/attempt.js';

/**
 * Turns any node `run` (e.g. an `llm()` call on a cheaper model) into a fallback step, run with the
 * failed node's inputs. Chain several for Opus → Sonnet → Haiku → a static default. Inside a node's
 * `fallback` (one step or a plain array), an `llm()` prompt's inputs are typed from the node's `deps`,
 * as in its `run`; a run written apart must accept the node's inputs.
 *
 * ## Example
 * ```ts
 * import { graph, llm, fallbackTo } from 'rx-orchestra';
 * graph()
 *   .node('research', { run: () => fetchNotes() })
 *   .node('summary', {
 *     deps: ['research'],
 *     run: llm({ prompt: ({ research }) => `Summarise: ${research}`, model: 'claude-opus-4-6' }),
 *     retry: 2,
 *     fallback: [
 *       fallbackTo(llm({ prompt: ({ research }) => `Summarise: ${research}`, model: 'claude-haiku-4-5' })),
 *       { value: 'summary unavailable' },
 *     ],
 *   });
 * ```
 * @param run the work to fall back to; it receives the failed node's context
 */
export function fallbackTo<T, I = Record<string, unknown>, D = I>(run: (ctx: NodeContext<I, unknown, D>) => ObservableInput<T>): FallbackFn<T, I, D> {
  return (_error, ctx): Observable<T> => fromResult(run(ctx)); // as a node's run: a string is one value, not its characters
}
