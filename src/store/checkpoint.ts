import { EMPTY, asyncScheduler, concat, concatMap, defer, from, ignoreElements, of, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { Graph } from '../graph/graph.js';
import { isNodeEndEvent, type EventOf, type RunEvent, type UsageTotals } from '../run/events.js';
import { hasValue, outcomeOf } from '../run/outcome.js';
import type { MaybePromise, RunStore } from './run-store.js';
import { CheckpointMismatchError, StoreError } from './errors.js';
import { diffFingerprints, graphFingerprint } from './fingerprint.js';
import { checkSerializable, findUnserializable } from './serialize.js';
import { andThen, isPromiseLike } from './maybe-promise.js';

/**
 * Settings of {@link checkpoint}.
 *
 * ## Example
 * ```ts
 * import { checkpoint } from 'rx-orchestra/store';
 * import { execute } from 'rx-orchestra';
 * execute(g, { runId: 'r1' }).pipe(checkpoint(store, 'r1', g, { version: 'prompts-v3', ifExists: 'refuse' }));
 * ```
 */
export interface CheckpointOptions {
  /** A version of your own, part of the fingerprint: bump it when nodes change meaning. @default none */
  version?: string;
  /**
   * When the store already has a checkpoint under this run id (of the same graph): `'continue'`
   * writes over it node by node (what `resume` does), `'refuse'` fails with `RUN_EXISTS` before the
   * run starts. A checkpoint of a different graph is always refused. @default 'continue'
   */
  ifExists?: 'continue' | 'refuse';
  /** Clock for the checkpoint's timestamps. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * The run's lease owner whose writes these are (`executeDurable` and `resume` set it): a write is
   * refused with `RUN_LOCKED`, failing the stream, unless this owner holds the run's lease.
   * @default none (writes are not checked against the lease)
   */
  leaseOwner?: string;
}

/**
 * Checkpoints a run as it goes: an operator on a run's event stream that records the run (with its
 * graph's fingerprint) before the run starts, and each node's outcome (value, status, attempts,
 * error, and the usage and cost of its `node.usage` reports) as the node ends, then the run's
 * status on `run.completed`. Events pass through unchanged and in order; each node end event is
 * let through once its checkpoint is written (at once with the synchronous SQLite store), and the
 * stream completes once every write is done. Outcomes restored from a checkpoint
 * (`restored: true`) are not written again.
 *
 * The stream fails, and the run is cancelled (in-flight calls aborted, everything written so far
 * kept), when the store fails (`STORE_FAILED`, also when the run's header vanished mid-run), when
 * `leaseOwner` no longer holds the run's lease (`RUN_LOCKED`), when the store holds a
 * checkpoint of a different graph under this run id (`CheckpointMismatchError`, before the run
 * starts), when the events carry another run id (`RUN_ID_MISMATCH`: pass the same `runId` to
 * `execute`), or when a node's value cannot be stored (`ValueNotSerializableError` naming the
 * node). `executeDurable` and `resume` catch unserializable values earlier, at the node that
 * produced them, which fails just that node. This operator takes no lease itself: `executeDurable`
 * and `resume` do (one owner per run); a custom pipeline that may run concurrently with them should
 * take one with `store.acquireLease` and pass its owner as `leaseOwner`.
 *
 * ## Example
 * ```ts
 * import { execute, collect } from 'rx-orchestra';
 * import { checkpoint, sqliteStore } from 'rx-orchestra/store';
 * const store = sqliteStore('runs.db');
 * const result = await collect(execute(g, { runId: 'run-42' }).pipe(checkpoint(store, 'run-42', g)));
 * ```
 */
export function checkpoint(store: RunStore, runId: string, graph: Graph<unknown, unknown>, options: CheckpointOptions = {}): MonoTypeOperatorFunction<RunEvent> {
  const { version, ifExists = 'continue', leaseOwner } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const fingerprint = graphFingerprint(graph, version);
  return (source) =>
    defer(() => {
      const usage = new Map<string, UsageTotals>();
      const waiting = new Set<string>(); // nodes whose wait is written down
      const endWait = (nodeId: string): MaybePromise<void> => {
        if (!waiting.delete(nodeId) || !store.saveWaiting) return;
        return store.saveWaiting(runId, nodeId, undefined, leaseOwner);
      };
      const write = (event: RunEvent): MaybePromise<void> => {
        switch (event.type) {
          case 'node.waiting': {
            if (!store.saveWaiting) return;
            waiting.add(event.nodeId);
            const payload = findUnserializable(event.payload) ? '[not serializable]' : event.payload;
            return store.saveWaiting(runId, event.nodeId, { nodeId: event.nodeId, payload, timeoutMs: event.timeoutMs, since: event.at }, leaseOwner);
          }
          case 'node.decided':
            return endWait(event.nodeId);
          case 'run.started':
            if (event.runId !== runId) {
              throw new StoreError('RUN_ID_MISMATCH', `checkpoint: the run's events carry run id '${event.runId}', but the checkpoint is '${runId}'; pass execute(graph, { runId: '${runId}' })`, { runId });
            }
            return;
          case 'node.usage':
            addUsage(usage, event);
            return;
          case 'run.completed':
            return store.setRunStatus(runId, event.summary.status, scheduler.now(), leaseOwner);
          default: {
            if (!isNodeEndEvent(event) || ('restored' in event && event.restored)) return;
            const outcome = outcomeOf(event);
            if (hasValue(outcome)) checkSerializable(event.nodeId, outcome.value, runId);
            const saved = store.saveNode(runId, { nodeId: event.nodeId, outcome, usage: usage.get(event.nodeId) ?? zeroUsage(), savedAt: scheduler.now() }, leaseOwner);
            // A node that ended while it waited (timed out, skipped by a stop) waits no more.
            return waiting.has(event.nodeId) ? andThen(saved, () => endWait(event.nodeId)) : saved;
          }
        }
      };
      const opened = andThen(store.openRun({ runId, fingerprint, createdAt: scheduler.now() }), ({ header, created }) => {
        if (header.fingerprint.hash !== fingerprint.hash) throw new CheckpointMismatchError(runId, diffFingerprints(header.fingerprint, fingerprint));
        if (!created && ifExists === 'refuse') {
          throw new StoreError('RUN_EXISTS', `a checkpoint of run '${runId}' exists already; resume it with resume(store, '${runId}', graph), or choose a new run id`, { runId });
        }
        return created ? undefined : store.setRunStatus(runId, 'running', scheduler.now(), leaseOwner);
      });
      // Each event waits for its write (and for the run's header before the run starts): what a
      // subscriber has seen end is checkpointed. Synchronous writes keep the stream synchronous.
      return concat(
        isPromiseLike(opened) ? from(opened).pipe(ignoreElements()) : EMPTY,
        source.pipe(
          concatMap((event) => {
            const written = write(event);
            return isPromiseLike(written) ? from(written.then(() => event)) : of(event);
          }),
        ),
      );
    });
}

function addUsage(usage: Map<string, UsageTotals>, event: EventOf<'node.usage'>): void {
  const totals = usage.get(event.nodeId) ?? zeroUsage();
  totals.calls += 1;
  totals.inputTokens += event.usage.inputTokens;
  totals.outputTokens += event.usage.outputTokens;
  totals.cacheCreationInputTokens += event.usage.cacheCreationInputTokens ?? 0;
  totals.cacheReadInputTokens += event.usage.cacheReadInputTokens ?? 0;
  totals.costUsd += event.costUsd;
  usage.set(event.nodeId, totals);
}

function zeroUsage(): UsageTotals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 };
}
