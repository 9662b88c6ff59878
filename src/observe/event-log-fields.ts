import type { RunEvent } from '../run/events.js';

/** Log levels used for run events. */
export type EventLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** How loud each event is: failures are errors, retries and waits warnings, tokens trace. */
export function levelOf(event: RunEvent): EventLevel {
  switch (event.type) {
    case 'node.failed':
    case 'node.timedOut':
    case 'budget.exceeded':
      return 'error';
    case 'node.retrying':
    case 'node.fellBack':
    case 'circuit.opened':
    case 'ratelimit.waiting':
      return 'warn';
    case 'node.token':
      return 'trace';
    case 'node.queued':
    case 'node.usage':
    case 'concurrency.changed':
    case 'run.snapshot':
      return 'debug';
    case 'run.completed':
      return event.summary.status === 'succeeded' ? 'info' : 'warn';
    default:
      return 'info';
  }
}

/**
 * The fields of one log record for an event: the event minus its bulky or sensitive parts.
 * Prompt and response bodies (`value`, streamed `text`) are left out unless `includeBodies`;
 * only their size is kept. Pure.
 */
export function logFieldsOf(event: RunEvent, includeBodies: boolean): Record<string, unknown> {
  const { type: _type, ...fields } = event as RunEvent & Record<string, unknown>;
  if (includeBodies) return fields;
  if ('value' in fields) {
    const { value, ...rest } = fields;
    return { ...rest, valueSize: sizeOf(value) };
  }
  if (event.type === 'node.token') {
    const { text, ...rest } = fields as { text: string };
    return { ...rest, chars: text.length };
  }
  if (event.type === 'run.snapshot') {
    const { ended: _ended, states: _states, ...rest } = fields as Record<string, unknown>;
    return rest;
  }
  return fields;
}

function sizeOf(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'string') return value.length;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return -1;
  }
}
