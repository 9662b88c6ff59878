/**
 * `rx-orchestra/distributed`: scale-out on BullMQ (Redis). Node executions as jobs on worker processes,
 * a quota shared by the whole fleet, stalled-job recovery and Redis outages survived. Needs the optional
 * peer dependencies `bullmq` and `ioredis`: importing this entry without them throws a
 * `MissingPeerError` naming the package to install.
 *
 * ## Example
 * ```ts
 * import { createDispatcher, remoteNode } from 'rx-orchestra/distributed';
 * const fleet = createDispatcher({ connection: 'redis://127.0.0.1:6379', queue: 'agents' });
 * ```
 * @module
 */
import { assertPeers } from '../peer/load-peer.js';

assertPeers('bullmq', 'ioredis');

export { createDispatcher, type Dispatcher, type DispatcherOptions, type DispatchRequest, type KeepJobs } from './dispatcher.js';
export { remoteNode, type RemoteNodeOptions, type RemoteRun } from './remote-node.js';
export { startWorker, type StartWorkerOptions, type AgentWorker } from './worker.js';
export type { AgentContext, AgentHandler, AgentHandlers, WorkerEvent } from './agent-job.js';
export { fleetRateLimiter, limitsOfQuota, type FleetRateLimiter, type FleetRateLimiterOptions, type FleetLimit, type FleetLimits, type FleetPermit, type FleetAttempt } from './fleet-rate-limiter.js';
export type { RedisConnection } from './connection.js';
export { DistributedError, RemoteAgentError, isDistributedError, isRemoteAgentError, type DistributedErrorCode } from './errors.js';
