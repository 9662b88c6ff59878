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

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * How deep {@link redactSecrets} looks: a secret key is found at the top level of a record and in
 * objects and arrays nested up to this many levels below it (`a.b.c.d.e.f.apiKey` at the most).
 */
export const REDACT_MAX_DEPTH = 6;

/** Whether a key names a secret: `apiKey`, `authorization` or `x-api-key`, in any letter case. */
function isSecretKey(key: string): boolean {
  const n = key.length;
  if (n !== 6 && n !== 9 && n !== 13) return false; // most keys: one length check, no allocation
  const lower = key.toLowerCase();
  return lower === 'apikey' || lower === 'x-api-key' || lower === 'authorization';
}

/**
 * A log record with the value of every `apiKey`, `authorization` and `x-api-key` key (any letter
 * case) replaced by `'[REDACTED]'`, at the top level and in objects, arrays and errors (their
 * enumerable properties, `cause` and `errors`) up to {@link REDACT_MAX_DEPTH} levels below it.
 *
 * Copy on write: the record is never mutated; when it holds no secret (the usual case) it is
 * returned as is, without allocating; otherwise only the objects on the way to a secret are
 * copied (errors and class instances keep their prototype, so pino serializes them as before).
 * Only object-valued fields are walked, so a flat record costs one look at each key. Pure.
 */
export function redactSecrets<T>(record: T): T {
  return typeof record === 'object' && record !== null ? (redactIn(record, 0) as T) : record;
}

function redactIn(value: object, depth: number): object {
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    if (depth >= REDACT_MAX_DEPTH) return value;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'object' || item === null) continue;
      const redacted = redactIn(item, depth + 1);
      if (redacted !== item) (copy ??= value.slice())[i] = redacted;
    }
    return copy ?? value;
  }
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in source) copy = redactKey(source, key, depth, copy); // what JSON.stringify and pino's error serializer see
  if (value instanceof Error) {
    for (const key of ['cause', 'errors']) if (key in value && !Object.prototype.propertyIsEnumerable.call(value, key)) copy = redactKey(source, key, depth, copy);
  }
  return copy ?? value;
}

/** Redacts `source[key]` (or what is under it) into `copy`, made on the first change; returns `copy`. */
function redactKey(source: Record<string, unknown>, key: string, depth: number, copy: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const item = source[key];
  let redacted: unknown = item;
  if (isSecretKey(key)) {
    if (item !== undefined && item !== REDACTED) redacted = REDACTED;
  } else if (typeof item === 'object' && item !== null && depth < REDACT_MAX_DEPTH) {
    redacted = redactIn(item, depth + 1);
  }
  if (redacted === item) return copy;
  const target = copy ?? copyOf(source);
  const enumerable = !Object.hasOwn(source, key) || Object.prototype.propertyIsEnumerable.call(source, key);
  Object.defineProperty(target, key, { value: redacted, enumerable, writable: true, configurable: true });
  return target;
}

/** A shallow copy keeping the prototype and every own property (an error's message and stack too). */
function copyOf(source: Record<string, unknown>): Record<string, unknown> {
  const proto = Object.getPrototypeOf(source) as object | null;
  if (proto === Object.prototype || proto === null) return { ...source };
  return Object.create(proto, Object.getOwnPropertyDescriptors(source)) as Record<string, unknown>;
}
