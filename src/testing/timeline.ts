import type { RunEvent } from '../run/events.js';
import { describeSkip } from '../run/outcome.js';

/** A compact line of a run's history: `"t=10 node.succeeded a"`. */
export type TimelineEntry = string;

/**
 * Turns run events into short `t=<at> <type> <nodeId>` lines (plus the attempt or delay where it
 * matters), so a test can assert a whole run's timeline in one readable `toEqual`.
 *
 * ## Example
 * ```ts
 * import { eventTimeline } from 'rx-orchestra/testing';
 * expect(eventTimeline(events, { only: ['node.started', 'node.succeeded'] })).toEqual([
 *   't=0 node.started a #1',
 *   't=10 node.succeeded a',
 * ]);
 * ```
 */
export function eventTimeline(events: readonly RunEvent[], filter: { only?: readonly RunEvent['type'][] } = {}): TimelineEntry[] {
  return events
    .filter((event) => !filter.only || filter.only.includes(event.type))
    .map((event) => {
      const parts = [`t=${event.at}`, event.type];
      if ('nodeId' in event) parts.push(event.nodeId);
      if (event.type === 'node.started') parts.push(`#${event.attempt}`);
      if (event.type === 'node.retrying') parts.push(`#${event.attempt} wait=${event.delayMs}`);
      if (event.type === 'node.skipped') parts.push(`(${describeSkip(event.cause)})`);
      if (event.type === 'run.completed') parts.push(event.summary.status);
      return parts.join(' ');
    });
}
