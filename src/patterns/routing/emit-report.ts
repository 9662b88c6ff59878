import type { z } from 'zod';
import type { NodeReport } from '../../run/events.js';
import type { StampedField } from '../../run/event-fields.js';
import type { ExperimentAssignedEventSchema, RouterChoseEventSchema, RouterRewardedEventSchema } from './events.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A routing event as a router reports it (the run stamps ids, attempt and time). @internal */
export type RoutingReport = DistributiveOmit<
  z.infer<typeof RouterChoseEventSchema> | z.infer<typeof RouterRewardedEventSchema> | z.infer<typeof ExperimentAssignedEventSchema>,
  StampedField
>;

/** Reports a routing event through a node's `emit` (a `RoutingReport` is a `NodeReport`: src/run/events.ts lists its schemas). @internal */
export function emitRouting(emit: (report: NodeReport) => void, report: RoutingReport): void {
  emit(report satisfies NodeReport);
}
