/**
 * The supervisor pattern (seed 004): a router (LLM or rules) picks the next worker or FINISH,
 * workers run behind input/output firewalls, supervisors nest into hierarchies, and every decision
 * is on the run's stream.
 * @module
 */
export { supervisor, type SupervisorOptions, type SupervisorRun } from './supervisor.js';
export { llmRouter, routerSchema, routingPrompt, type LlmRouterOptions } from './llm-router.js';
export { staticRouter, sequenceRouter, type RoutingRule, type StaticRouterOptions } from './static-router.js';
export type { Router, RouterDecision } from './router.js';
export { worker, type Worker } from './worker.js';
export { fromNodeRun } from './from-node-run.js';
export type { SupervisorCallContext, RouterContext, WorkerContext } from './context.js';
export {
  FINISH,
  lastMessage,
  hasAnswered,
  isSupervisorResult,
  type SupervisorMessage,
  type SupervisorState,
  type SupervisorResult,
  type TurnTrace,
} from './state.js';
export { SupervisorError, isSupervisorError, type SupervisorErrorCode, type SupervisorErrorDetails } from './errors.js';
export { routingStats, type RoutingStats, type SupervisorRoutingStats, type AgentTiming, type TurnTiming } from './routing-stats.js';
export { supervisorTimeline } from './supervisor-timeline.js';
