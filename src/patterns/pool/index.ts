/**
 * Agent pools (seed 001): instances of one agent behind a priority queue with deadlines.
 * @module
 */
export { createAgentPool, AgentPool, type AgentPoolOptions } from './agent-pool.js';
export { PoolEventSchema, type PoolEvent } from './pool-events.js';
export { PriorityTaskQueue } from './task-queue.js';
