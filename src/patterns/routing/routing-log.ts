import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { RunEventSchema, type RunEvent } from '../../run/events.js';
import { RunLogError, type RunLogLine } from '../../observe/run-log-file.js';
import { ExperimentAssignedEventSchema, RouterChoseEventSchema, RouterRewardedEventSchema } from './events.js';

/**
 * A `router.chose` event.
 *
 * ## Example
 * ```ts
 * import type { RouterChoseEvent } from 'rx-orchestra/patterns';
 * const explored = (events: RouterChoseEvent[]) => events.filter((e) => e.explored).length;
 * ```
 */
export type RouterChoseEvent = z.infer<typeof RouterChoseEventSchema>;

/**
 * An `experiment.assigned` event.
 *
 * ## Example
 * ```ts
 * import type { ExperimentAssignedEvent } from 'rx-orchestra/patterns';
 * const arms = (events: ExperimentAssignedEvent[]) => new Set(events.map((e) => e.arm));
 * ```
 */
export type ExperimentAssignedEvent = z.infer<typeof ExperimentAssignedEventSchema>;

/**
 * The events of learning routers and experiments.
 *
 * ## Example
 * ```ts
 * import type { RoutingEvent } from 'rx-orchestra/patterns';
 * const isChoice = (e: RoutingEvent) => e.type === 'router.chose';
 * ```
 */
export type RoutingEvent = RouterChoseEvent | z.infer<typeof RouterRewardedEventSchema> | ExperimentAssignedEvent;

/**
 * What {@link evaluateRouters} and {@link experimentReport} read: a run log's path (JSON lines, as
 * `writeRunLog` writes), its lines (`readRunLog`), or events (a run's, or many runs').
 *
 * ## Example
 * ```ts
 * import type { RoutingLog } from 'rx-orchestra/patterns';
 * const log: RoutingLog = 'runs.jsonl';
 * ```
 */
export type RoutingLog = string | Iterable<RunEvent | RoutingEvent | RunLogLine>;

const ROUTING_SCHEMAS: Record<string, z.ZodType<RoutingEvent>> = {
  'router.chose': RouterChoseEventSchema,
  'router.rewarded': RouterRewardedEventSchema,
  'experiment.assigned': ExperimentAssignedEventSchema,
};

/**
 * The events of a {@link RoutingLog}. A file is read line by line, each event validated (routing
 * events with their own schemas, the rest with `RunEventSchema`); a bad line is a `RunLogError`
 * naming the file and line. @internal
 */
export function routingEvents(log: RoutingLog): (RunEvent | RoutingEvent)[] {
  if (typeof log === 'string') return readLog(log);
  const events: (RunEvent | RoutingEvent)[] = [];
  for (const item of log) events.push(isLogLine(item) ? item.event : item);
  return events;
}

function isLogLine(item: RunEvent | RoutingEvent | RunLogLine): item is RunLogLine {
  return !('type' in item) && 'event' in item;
}

function readLog(path: string): (RunEvent | RoutingEvent)[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((text, index) => {
      if (text.trim() === '') return [];
      let raw: { event?: { type?: unknown } };
      try {
        raw = JSON.parse(text) as typeof raw;
      } catch (error) {
        throw new RunLogError(path, index + 1, `not JSON: ${(error as Error).message}`);
      }
      const type = typeof raw?.event?.type === 'string' ? raw.event.type : '';
      const parsed = (ROUTING_SCHEMAS[type] ?? RunEventSchema).safeParse(raw?.event);
      if (!parsed.success) throw new RunLogError(path, index + 1, `not a run event: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
      return [parsed.data as RunEvent | RoutingEvent];
    });
}
