import type { RunEvent } from '../../run/events.js';

/**
 * Turns a run's supervisor events into short lines, one per decision, worker turn and ending, so
 * a test (or a terminal) can read a whole routing loop at a glance:
 *
 *     t=0 data-team #1 → recommender (needs a RAG lookup)
 *     t=0 data-team #1 ▶ recommender
 *     t=240 data-team #1 ✓ recommender 240ms
 *     t=580 data-team #2 → FINISH
 *     t=580 data-team ■ FINISH turns=1 routingCalls=2
 *
 * Failures read `✗ worker 30ms CODE`. Other events are ignored.
 *
 * ## Example
 * ```ts
 * import { supervisorTimeline } from 'rx-orchestra/patterns';
 * expect(supervisorTimeline(events)).toEqual(['t=0 team #1 → writer', 't=0 team #1 ▶ writer', 't=30 team #1 ✓ writer 30ms', 't=30 team #2 → FINISH', 't=30 team ■ FINISH turns=1 routingCalls=2']);
 * ```
 */
export function supervisorTimeline(events: Iterable<RunEvent>, options: { rationale?: boolean } = {}): string[] {
  const { rationale = true } = options;
  const lines: string[] = [];
  for (const event of events) {
    switch (event.type) {
      case 'supervisor.routed': {
        const why = rationale && event.rationale !== undefined ? ` (${event.rationale})` : '';
        lines.push(`t=${event.at} ${event.supervisor} #${event.turn} → ${event.next}${why}`);
        break;
      }
      case 'supervisor.worker': {
        const mark = event.status === 'started' ? '▶' : event.status === 'succeeded' ? '✓' : '✗';
        const took = event.durationMs !== undefined ? ` ${event.durationMs}ms` : '';
        const code = event.status === 'failed' ? ` ${event.error?.code ?? event.error?.name ?? 'error'}` : '';
        lines.push(`t=${event.at} ${event.supervisor} #${event.turn} ${mark} ${event.worker}${took}${code}`);
        break;
      }
      case 'supervisor.finished':
        lines.push(`t=${event.at} ${event.supervisor} ■ ${event.reason} turns=${event.turns} routingCalls=${event.routingCalls}`);
        break;
      default:
        break;
    }
  }
  return lines;
}
