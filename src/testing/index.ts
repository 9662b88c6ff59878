/**
 * Helpers for marble-testing your own pipelines in virtual time.
 * @module
 */
export { scriptedAgent, ScriptExhaustedError, type ScriptStep, type ScriptedAgent, type ScriptedAgentOptions, type CallRecord } from './scripted-agent.js';
export { eventTimeline, type TimelineEntry } from './timeline.js';
