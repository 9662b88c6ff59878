import { Observable, Subject, type Subscription } from 'rxjs';
import type { EventOf, NodeView, RunEvent } from './events.js';
import { STATUS_OF_END_EVENT } from './events.js';
import { collect, type RunResult } from './collect.js';
import type { RunStream } from './execute.js';

/** One run watched by many: see {@link shareRun}. */
export interface SharedRun<O = Record<string, unknown>> {
  /**
   * Events of the one run. A subscriber that arrives after the start first receives a
   * `run.snapshot` (the graph and every node's state so far), then live events.
   */
  readonly events$: RunStream<O>;
  /** Starts the run (once; later calls return the same subscription). Unsubscribe to cancel. */
  connect(): Subscription;
  /** The state so far: every node's view, by id. */
  snapshot(): EventOf<'run.snapshot'> | undefined;
  /** Resolves when the run completes (call before or after `connect`). */
  readonly result: Promise<RunResult<O>>;
}

/**
 * Lets several subscribers (a logger, a terminal view, a web page) watch one run without running
 * it twice. Nothing starts until `connect()`. Late subscribers get a `run.snapshot` first.
 * State is kept per node (not per event), so memory stays bounded by the graph's size.
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
  const record = new Subject<RunEvent>();
  const result = collect<O>(record);
  result.catch(() => undefined); // surfaced to whoever awaits it

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
    connect() {
      connection ??= run$.subscribe({
        next: (event) => {
          tracker.apply(event);
          record.next(event);
          live.next(event);
        },
        error: (error: unknown) => {
          ended = { error };
          record.error(error);
          live.error(error);
        },
        complete: () => {
          ended = {};
          record.complete();
          live.complete();
        },
      });
      return connection;
    },
  };
}

/** Folds events into one view per node; the source of `run.snapshot`. */
export class RunTracker {
  #started: EventOf<'run.started'> | undefined;
  #views = new Map<string, NodeView>();
  #lastAt = 0;
  #summary: EventOf<'run.completed'>['summary'] | undefined;

  apply(event: RunEvent): void {
    this.#lastAt = event.at;
    switch (event.type) {
      case 'run.started':
        this.#started = event;
        for (const node of event.nodes) this.#views.set(node.id, { state: 'pending', attempts: 0 });
        return;
      case 'run.completed':
        this.#summary = event.summary;
        return;
      case 'run.snapshot':
        return;
      case 'node.queued':
        this.#update(event.nodeId, { state: 'queued' });
        return;
      case 'node.started': {
        const view = this.#views.get(event.nodeId);
        this.#update(event.nodeId, { state: 'running', attempts: event.attempt, startedAt: view?.startedAt ?? event.at });
        return;
      }
      case 'node.retrying':
        this.#update(event.nodeId, { state: 'retrying' });
        return;
      default:
        this.#update(event.nodeId, { state: STATUS_OF_END_EVENT[event.type], endedAt: event.at });
    }
  }

  snapshot(): EventOf<'run.snapshot'> | undefined {
    if (!this.#started) return undefined;
    return {
      type: 'run.snapshot',
      runId: this.#started.runId,
      at: this.#lastAt,
      nodes: this.#started.nodes,
      states: Object.fromEntries([...this.#views].map(([id, view]) => [id, { ...view }])),
      ...(this.#summary ? { summary: this.#summary } : {}),
    };
  }

  #update(nodeId: string, change: Partial<NodeView>): void {
    const view = this.#views.get(nodeId) ?? { state: 'pending', attempts: 0 };
    this.#views.set(nodeId, { ...view, ...change });
  }
}
