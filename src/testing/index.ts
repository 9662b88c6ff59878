/**
 * Helpers for marble-testing your own pipelines in virtual time.
 * @module
 */
export { scriptedAgent, ScriptExhaustedError, type ScriptStep, type ScriptedAgent, type ScriptedAgentOptions, type CallRecord } from './scripted-agent.js';
export { eventTimeline, type TimelineEntry } from './timeline.js';
export {
  startFakeAnthropic,
  type FakeAnthropic,
  type FakeAnthropicOptions,
  type FakeRequest,
  type FakeRequestBody,
} from './fake-anthropic/server.js';
export {
  DEFAULT_REPLY_TEXT,
  type Reply,
  type ReplyBase,
  type TextReply,
  type ToolUseReply,
  type FakeToolCall,
  type ErrorReply,
  type MidStreamErrorReply,
  type DropConnectionReply,
  type FakeUsage,
  type FakeErrorStatus,
} from './fake-anthropic/replies.js';
export { fakeThinkingSignature } from './fake-anthropic/thinking-signature.js';
export { scriptedModel, type ScriptedModel, type ScriptedModelOptions, type ScriptedModelStep, type ScriptedToolCall, type ScriptedModelCall } from './scripted-model.js';
export type { FakeBatchOptions, FakeBatchResult, FakeBatchRequest } from './fake-anthropic/batches.js';
