import { Observable, Subject, type Subscription } from 'rxjs';
import type { EventOf, RunEvent } from './events.js';
import { collect, type RunResult } from './collect.js';
import type { RunStream } from './execute.js';
import { ApprovalError, RunIncompleteError } from './errors.js';
import type { Decision } from '../graph/dynamic-spec.js';
import { RunTracker } from './run-tracker.js';

/** One run watched by many: see {@link shareRun}. */
export interface SharedRun<O = Record<string, unknown>> {
  /**
   * Events of the one run. A subscriber that arrives after the start first receives a
   * `run.snapshot` (the graph, every node's state and every end event so far), then live events.
   */
  readonly events$: RunStream<O>;
  /** Starts the run (once; later calls return the same subscription). Unsubscribe to cancel it. */
  connect(): Subscription;
  /** The state so far; undefined before the run started. */
  snapshot(): EventOf<'run.snapshot'> | undefined;
  /** Resolves when the run completes; rejects with a `RunIncompleteError` if it is cancelled first. */
  readonly result: Promise<RunResult<O>>;
  /**
   * Decides about a node waiting for approval in the run (see `RunStream.decide`): approve lets it
   * run, reject fails it. Throws an `ApprovalError` when the stream cannot take decisions, the run is
   * not in progress, or the node cannot wait.
   */
  decide(nodeId: string, decision: Decision): void;
}

/**
 * Lets several subscribers (a logger, a terminal view, a web page) watch one run without running
 * it twice. Nothing starts until `connect()`; unsubscribing the connection cancels the run, and
 * every watcher (and `result`) then errors with a `RunIncompleteError`. Late subscribers get a
 * `run.snapshot` first. State is kept per node, so memory is bounded by the graph's size.
 *
 * ## Example
 * ```ts
 * import { execute, shareRun } from 'rx-orchestra';
 * const shared = shareRun(execute(g));
 * shared.events$.subscribe(logEvent);
 * shared.connect();
 * setTimeout(() => shared.events$.subscribe(renderDashboard), 5000); // starts from a snapshot
 * const result = await shared.result;
 * ```
 */
export function shareRun<O>(run$: RunStream<O>): SharedRun<O> {
  const live = new Subject<RunEvent>();
  const tracker = new RunTracker();
  let connection: Subscription | undefined;
  let ended: { error?: unknown } | undefined;
  const result = collect<O>(live);
  result.catch(() => undefined); // surfaced to whoever awaits it

  const end = (error?: unknown) => {
    if (ended) return;
    ended = error === undefined ? {} : { error };
    if (error === undefined) live.complete();
    else live.error(error);
  };

  const events$ = new Observable<RunEvent>((subscriber) => {
    const snapshot = tracker.snapshot();
    if (snapshot) subscriber.next(snapshot);
    if (ended) {
      if (ended.error !== undefined) subscriber.error(ended.error);
      else subscriber.complete();
      return;
    }
    return live.subscribe(subscriber);
  });

  return {
    events$,
    result,
    snapshot: () => tracker.snapshot(),
    decide(nodeId, decision) {
      if (!run$.decide) throw new ApprovalError('NO_LIVE_RUN', nodeId, `decide: this run's stream takes no decisions (share the stream execute() returns)`);
      if (!connection || ended) throw new ApprovalError('NO_LIVE_RUN', nodeId, `decide: the shared run is not in progress (connect() first)`);
      run$.decide(nodeId, decision);
    },
    connect() {
      if (connection) return connection;
      connection = run$.subscribe({
        next: (event) => {
          tracker.apply(event);
          live.next(event);
        },
        error: (error: unknown) => end(error),
        complete: () => end(),
      });
      connection.add(() => end(new RunIncompleteError('the shared run was cancelled before it completed')));
      return connection;
    },
  };
}
