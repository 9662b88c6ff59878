/**
 * Agent services (seed 001): tasks, results, agents with concurrency and timeouts, model-backed
 * agents, and the workflow runner that runs `dependsOn` tasks on the engine and reports on a bus.
 * @module
 */
export { defineAgent, DEFAULT_AGENT_CONCURRENCY, DEFAULT_AGENT_TIMEOUT_MS, type Agent } from './define-agent.js';
export { modelAgent, type ModelAgentOptions } from './model-agent.js';
export type { AgentService, AgentTaskContext, AgentOutput, HandleOptions, TaskHandler } from './agent-service.js';
export { checkTask, deadlineOf, TASK_PRIORITIES, type AgentTask, type TaskPriority } from './task.js';
export { AgentResultSchema, type AgentResult, type AgentResultBase } from './result.js';
export { AgentError, isAgentError, type AgentErrorCode, type AgentErrorDetails } from './errors.js';
export { runWorkflow, type WorkflowOptions } from './workflow-runner.js';
export { WORKFLOW_TOPICS, type WorkflowTopics } from './workflow-topics.js';
export { WorkflowError, isWorkflowError, type WorkflowErrorCode } from './workflow-errors.js';
