import { Observable, from, isObservable, type ObservableInput } from 'rxjs';
import { compileGraph, type Graph } from '../graph/graph.js';
import type { FallbackStep, NodeContext, NodeDefinition } from '../graph/node-spec.js';
import { ValueNotSerializableError } from './errors.js';
import { checkSerializable, findUnserializable } from './serialize.js';
import { isPromiseLike } from './maybe-promise.js';

const checked = new WeakMap<Graph<unknown, unknown>, Graph<unknown, unknown>>();

/**
 * The same graph, with each node's value checked for the round trip through a store at the node
 * that produced it: a value that would not come back equal (see `findUnserializable`) fails the
 * attempt with a {@link ValueNotSerializableError} (code `UNSERIALIZABLE_VALUE`, not retryable,
 * naming the node and the path in the value), so the node ends `failed` (or falls back, if it has a
 * fallback) and its dependents follow their `onUpstreamFailure` policy, while the rest of the run
 * goes on and is checkpointed. Values of function fallbacks are checked the same way; a constant
 * fallback `{ value }` that cannot be stored is refused here, before anything runs. Intermediate
 * emissions are not checked: only the node's value (its last one) is stored. `executeDurable` and
 * `resume` use this; it is exported for custom pipelines. Cached per graph.
 *
 * ## Example
 * ```ts
 * import { checkedGraph, checkpoint } from 'rx-orchestra/store';
 * import { execute } from 'rx-orchestra';
 * execute(checkedGraph(g), { runId: 'r1' }).pipe(checkpoint(store, 'r1', g)).subscribe();
 * ```
 * @throws {ValueNotSerializableError} for a constant fallback value that cannot be stored
 */
export function checkedGraph<O, C>(graph: Graph<O, C>): Graph<O, C> {
  const known = checked.get(graph as Graph<unknown, unknown>);
  if (known) return known as Graph<O, C>;
  const result = compileGraph<O, C>(graph.nodes.map(checkedNode));
  checked.set(graph as Graph<unknown, unknown>, result as Graph<unknown, unknown>);
  return result;
}

function checkedNode(node: NodeDefinition): NodeDefinition {
  const { id, run: original, fallback } = node;
  const run: NodeDefinition['run'] = (ctx) => {
    const work = original(ctx);
    if (typeof work === 'string') return work; // one value (the engine does not split strings)
    let source: Observable<unknown>;
    try {
      source = from(work);
    } catch {
      return work; // not an ObservableInput: the engine reports INVALID_RESULT
    }
    return checkLast(source, id, ctx.runId);
  };
  Object.assign(run, original); // keep what run functions carry (costEstimate, defaultTimeout)
  // A subgraph's nodes are checked too: they are checkpointed like the graph's own.
  const inner = node.subgraph ? { subgraph: { ...node.subgraph, graph: checkedGraph(node.subgraph.graph) } } : {};
  if (fallback === undefined) return { ...node, run, ...inner };
  const steps = (Array.isArray(fallback) ? fallback : [fallback]) as readonly FallbackStep<unknown>[];
  const checkedSteps = steps.map((step): FallbackStep<unknown> => {
    if (typeof step !== 'function') {
      checkSerializable(id, step.value);
      return step;
    }
    return (error: unknown, ctx: NodeContext<Record<string, unknown>, unknown>) => {
      const result = step(error, ctx);
      if (isObservable(result)) return checkLast(result, id, ctx.runId);
      if (isPromiseLike(result)) return Promise.resolve(result).then((value) => (checkSerializable(id, value, ctx.runId), value));
      checkSerializable(id, result, ctx.runId);
      return result;
    };
  });
  return { ...node, run, ...inner, fallback: Array.isArray(fallback) ? checkedSteps : checkedSteps[0]! };
}

/** Passes values through; at completion, fails instead if the last value cannot be stored. */
function checkLast<T>(source: ObservableInput<T>, nodeId: string, runId: string): Observable<T> {
  return new Observable<T>((subscriber) => {
    let last: T | undefined;
    let has = false;
    return from(source).subscribe({
      next: (value) => {
        last = value;
        has = true;
        subscriber.next(value);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        const problem = has ? findUnserializable(last) : undefined;
        if (problem) subscriber.error(new ValueNotSerializableError(nodeId, problem.path, problem.reason, runId));
        else subscriber.complete();
      },
    });
  });
}
