import { from, of, type Observable, type ObservableInput } from 'rxjs';
import type { FallbackStep, NodeContext } from '../graph/node-spec.js';

/**
 * Turns any node `run` (e.g. an `llm()` call on a cheaper model) into a fallback step, run with the
 * failed node's inputs. Chain several for Opus → Sonnet → Haiku → a static default.
 *
 * ## Example
 * ```ts
 * import { graph, llm, fallbackTo } from 'rx-orchestra';
 * const prompt = ({ research }: { research: string }) => `Summarise: ${research}`;
 * graph()
 *   .node('research', { run: () => fetchNotes() })
 *   .node('summary', {
 *     deps: ['research'],
 *     run: llm({ prompt, model: 'claude-opus-4-6' }),
 *     retry: 2,
 *     fallback: [fallbackTo(llm({ prompt, model: 'claude-sonnet-4-6' })), fallbackTo(llm({ prompt, model: 'claude-haiku-4-5' })), { value: 'summary unavailable' }],
 *   });
 * ```
 */
export function fallbackTo<T>(run: (ctx: NodeContext<never, unknown, never>) => ObservableInput<T>): FallbackStep<T> {
  return (_error, ctx): Observable<T> => {
    const result = run(ctx as unknown as NodeContext<never, unknown, never>);
    return typeof result === 'string' ? of(result as T) : from(result); // a string is one value, not its characters
  };
}
