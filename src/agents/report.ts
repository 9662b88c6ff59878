import type { z } from 'zod';
import type { NodeContext } from '../graph/node-spec.js';
import type { StampedField } from '../run/event-fields.js';
import type { NodeReport } from '../run/events.js';
import type { AgentFinishedEventSchema, AgentRetryingEventSchema, AgentStepEventSchema, NodeThinkingEventSchema, ToolCalledEventSchema, ToolFailedEventSchema, ToolSucceededEventSchema } from './events.js';

/** `Omit` applied to each member of a union separately. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What an agent node reports through `ctx.emit`: its events without the fields the run stamps. @internal */
export type AgentReport = DistributiveOmit<
  z.infer<
    | typeof AgentStepEventSchema
    | typeof ToolCalledEventSchema
    | typeof ToolSucceededEventSchema
    | typeof ToolFailedEventSchema
    | typeof NodeThinkingEventSchema
    | typeof AgentFinishedEventSchema
    | typeof AgentRetryingEventSchema
  >,
  StampedField
>;

/** Emits an agent report on the node's stream (its schemas are part of `NodeReport`). @internal */
export function emitReport(ctx: Pick<NodeContext<unknown>, 'emit'>, report: AgentReport): void {
  ctx.emit(report satisfies NodeReport);
}
