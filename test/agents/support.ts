/** Helpers of the agent tests: run a graph in virtual time, read agent events as frames, validate them. */
import { expect } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import {
  AgentFinishedEventSchema,
  AgentStepEventSchema,
  NodeThinkingEventSchema,
  ToolCalledEventSchema,
  ToolFailedEventSchema,
  ToolSucceededEventSchema,
} from '../../src/agents/events.js';

/** An event as a plain record (agent events are not in `RunEvent` until the lead merges them). */
export type AnyEvent = { type: string; at: number; nodeId?: string } & Record<string, unknown>;

export const asAny = (events: readonly RunEvent[]): AnyEvent[] => events as unknown as AnyEvent[];

const SCHEMAS = {
  'agent.step': AgentStepEventSchema,
  'tool.called': ToolCalledEventSchema,
  'tool.succeeded': ToolSucceededEventSchema,
  'tool.failed': ToolFailedEventSchema,
  'node.thinking': NodeThinkingEventSchema,
  'agent.finished': AgentFinishedEventSchema,
} as const;

/** Every agent event validates against its schema from src/agents/events.ts (after a JSON round trip). */
export function expectValidAgentEvents(events: readonly RunEvent[]): void {
  for (const event of asAny(events)) {
    const schema = SCHEMAS[event.type as keyof typeof SCHEMAS];
    if (!schema) continue;
    const parsed = schema.safeParse(JSON.parse(JSON.stringify(event)));
    expect(parsed.success, `${event.type}: ${parsed.error?.message ?? ''}`).toBe(true);
  }
}

/**
 * Agent and tool events as one short line each: `t=10 agent.step a #1 tool_use calls=1`,
 * `t=10 tool.called a lookup toolu_1`, `t=15 tool.succeeded a lookup toolu_1 5ms`, ...
 */
export function agentFrames(events: readonly RunEvent[], only: readonly string[] = ['agent.step', 'tool.called', 'tool.succeeded', 'tool.failed', 'agent.finished', 'node.succeeded', 'node.failed', 'node.timedOut']): string[] {
  return asAny(events)
    .filter((event) => only.includes(event.type))
    .map((e) => {
      const head = `t=${e.at} ${e.type} ${e.nodeId ?? ''}`;
      switch (e.type) {
        case 'agent.step':
          return `${head} #${String(e.step)} ${String(e.stopReason)} calls=${String(e.toolCalls)} ${String(e.durationMs)}ms`;
        case 'tool.called':
          return `${head} ${String(e.tool)} ${String(e.toolUseId)}`;
        case 'tool.succeeded':
          return `${head} ${String(e.tool)} ${String(e.toolUseId)} ${String(e.durationMs)}ms`;
        case 'tool.failed': {
          const error = e.error as { code?: string; name: string };
          return `${head} ${String(e.tool)} ${String(e.toolUseId)} ${String(e.durationMs)}ms ${error.code ?? error.name} ${String(e.handling)}`;
        }
        case 'agent.finished':
          return `${head} ${String(e.reason)} steps=${String(e.steps)} calls=${String(e.toolCalls)}`;
        case 'node.failed':
          return `${head} ${(e.error as { code?: string }).code ?? ''}`;
        default:
          return head;
      }
    });
}
