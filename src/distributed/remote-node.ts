import { defer, type Observable } from 'rxjs';
import type { NodeContext } from '../graph/node-spec.js';
import type { Dispatcher } from './dispatcher.js';
import { DistributedError } from './errors.js';

/**
 * Settings of {@link remoteNode}.
 *
 * ## Example
 * ```ts
 * import { remoteNode, type RemoteNodeOptions } from 'rx-orchestra/distributed';
 * const options: RemoteNodeOptions<{ research: string }> = { dispatcher: fleet, input: ({ research }) => ({ notes: research.slice(0, 2_000) }) };
 * const run = remoteNode<string, { research: string }>('writer', options);
 * ```
 */
export interface RemoteNodeOptions<I> {
  /** The fleet to send the call to. */
  dispatcher: Dispatcher;
  /**
   * Builds the job's input (JSON: it crosses Redis) from the node's typed inputs.
   * @default the node's inputs, as they are
   */
  input?: (inputs: I, ctx: NodeContext<I, unknown, unknown>) => unknown;
}

/**
 * What `remoteNode()` returns: a node's `run` that executes on a worker of the fleet. `T` is the
 * agent's output type, which only the worker knows: name it (`remoteNode<string>(...)`).
 *
 * ## Example
 * ```ts
 * import { graph } from 'rx-orchestra';
 * import { remoteNode, type RemoteRun } from 'rx-orchestra/distributed';
 * const research: RemoteRun<Record<string, unknown>, string> = remoteNode<string>('researcher', { dispatcher: fleet });
 * graph().node('research', { run: research, timeout: 60_000, retry: 2 });
 * ```
 */
export type RemoteRun<I, T> = (ctx: NodeContext<I, unknown, unknown>) => Observable<T>;

/**
 * Makes a node run on the fleet: use the result as a node's `run`. Each attempt becomes one BullMQ
 * job for the worker that registered `agent` (`startWorker({ handlers: { [agent]: ... } })`); what
 * the worker reports (`node.token`, `node.usage`, ...) is emitted on the run's stream as if the node
 * ran here, the agent's value is the node's value, and its error is a `RemoteAgentError` that keeps
 * the remote code, `retryable`, `status` and `retryAfterMs`, so the node's `retry`, `timeout` and
 * `fallback` work unchanged. Cancelling the attempt (run unsubscribed, timeout, run failed) removes
 * a waiting job and aborts a running one's signal on its worker. A worker that dies mid-job has its
 * job taken over by another (BullMQ's stalled-job recovery): the node still ends once. When Redis
 * goes away, the dispatcher waits `outageGrace` for it, then reconciles the job or fails the node
 * with `REDIS_UNAVAILABLE` (see `DispatcherOptions.outageGrace`).
 *
 * ## Example
 * ```ts
 * import { createDispatcher, remoteNode } from 'rx-orchestra/distributed';
 * import { graph, execute } from 'rx-orchestra';
 * const fleet = createDispatcher({ connection: process.env.REDIS_URL!, queue: 'agents' });
 * const g = graph()
 *   .node('research', { run: remoteNode<string>('researcher', { dispatcher: fleet, input: () => ({ topic: 'RxJS' }) }), retry: 3 })
 *   .node('outline', { deps: ['research'], run: remoteNode<string, { research: string }>('writer', { dispatcher: fleet, input: ({ research }) => ({ notes: research }) }) })
 *   .build();
 * ```
 * @throws {DistributedError} `INVALID_OPTION` at call time, for an empty agent name or a missing dispatcher
 */
export function remoteNode<T = unknown, I = Record<string, unknown>>(agent: string, options: RemoteNodeOptions<I>): RemoteRun<I, T> {
  if (typeof agent !== 'string' || agent === '') throw new DistributedError('INVALID_OPTION', `remoteNode: the agent name must be a non-empty string`, { field: 'agent' });
  const { dispatcher, input } = options ?? ({} as Partial<RemoteNodeOptions<I>>);
  if (!dispatcher || typeof dispatcher.dispatch !== 'function') {
    throw new DistributedError('INVALID_OPTION', `remoteNode('${agent}'): 'dispatcher' must be a Dispatcher (createDispatcher(...))`, { field: 'dispatcher', agent });
  }
  return (ctx) =>
    defer(() =>
      dispatcher.dispatch<T>(
        { agent, input: input ? input(ctx.inputs, ctx) : ctx.inputs, runId: ctx.runId, nodeId: ctx.nodeId, attempt: ctx.attempt },
        (report) => ctx.emit(report),
      ),
    );
}
