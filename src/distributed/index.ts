/**
 * Scale-out on BullMQ (Redis): node executions as jobs on worker processes, a quota shared by the
 * whole fleet, and stalled-job recovery. (Meant to be re-exported from the package root.)
 * @module
 */
export { createDispatcher, type Dispatcher, type DispatcherOptions, type DispatchRequest, type KeepJobs } from './dispatcher.js';
export { remoteNode, type RemoteNodeOptions, type RemoteRun } from './remote-node.js';
export { startWorker, type StartWorkerOptions, type AgentWorker } from './worker.js';
export type { AgentContext, AgentHandler, AgentHandlers, WorkerEvent } from './agent-job.js';
export { fleetRateLimiter, limitsOfQuota, type FleetRateLimiter, type FleetRateLimiterOptions, type FleetLimit, type FleetLimits, type FleetPermit, type FleetAttempt } from './fleet-rate-limiter.js';
export type { RedisConnection } from './connection.js';
export { DistributedError, RemoteAgentError, isDistributedError, isRemoteAgentError, type DistributedErrorCode } from './errors.js';
