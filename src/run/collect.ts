import { lastValueFrom, reduce, type Observable } from 'rxjs';
import type { RunEvent, RunSummary } from './events.js';
import { isNodeEndEvent } from './events.js';
import { outcomeOf, type NodeOutcome } from './outcome.js';
import type { Graph } from '../graph/graph.js';
import { execute, type ExecuteArgs, type RunStream } from './execute.js';
import { RunIncompleteError } from './errors.js';
import { idRecord } from './id-record.js';

/**
 * A finished run: every node's outcome, typed by node id, and the summary. `outcomes` has no
 * prototype, so any node id (`__proto__`, `constructor`, ...) is an own entry.
 */
export interface RunResult<O = Record<string, unknown>> {
  runId: string;
  outcomes: { [K in keyof O]: NodeOutcome<O[K]> };
  summary: RunSummary;
}

/**
 * Runs a stream of run events to the end and resolves with the {@link RunResult}. Rejects only if
 * the stream errors, or ends without `run.completed` (a `RunIncompleteError`); failed nodes are
 * outcomes, not rejections. Works on a shared run's late subscription too (it starts from the
 * `run.snapshot`).
 *
 * ## Example
 * ```ts
 * import { execute, collect } from 'rx-orchestra';
 * const { outcomes, summary } = await collect(execute(g, { concurrency: 4 }));
 * if (outcomes.outline.status === 'succeeded') console.log(outcomes.outline.value, summary.makespanMs);
 * ```
 */
export async function collect<O = Record<string, unknown>>(run$: RunStream<O> | Observable<RunEvent>): Promise<RunResult<O>> {
  const partial = await lastValueFrom(
    run$.pipe(
      reduce(
        (acc, event) => {
          if (isNodeEndEvent(event)) acc.outcomes[event.nodeId] = outcomeOf(event);
          else if (event.type === 'run.completed') acc.summary = event.summary;
          else if (event.type === 'run.started') acc.runId = event.runId;
          else if (event.type === 'run.snapshot') {
            // A late subscriber to a shared run: start from the state so far.
            acc.runId = event.runId;
            for (const end of event.ended) acc.outcomes[end.nodeId] = outcomeOf(end);
            if (event.summary) acc.summary = event.summary;
          }
          return acc;
        },
        { runId: '', outcomes: idRecord<NodeOutcome>(), summary: undefined as RunSummary | undefined },
      ),
    ),
  );
  if (!partial.summary) throw new RunIncompleteError('collect: the run ended without a run.completed event (was it cut short?)');
  return partial as RunResult<O>;
}

/**
 * Shorthand for `collect(execute(graph, options))`.
 *
 * ## Example
 * ```ts
 * import { run } from 'rx-orchestra';
 * const result = await run(g, { concurrency: 2 });
 * ```
 */
export function run<O, C>(graph: Graph<O, C>, ...args: ExecuteArgs<C>): Promise<RunResult<O>> {
  return collect(execute(graph, ...args));
}
