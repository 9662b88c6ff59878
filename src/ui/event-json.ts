import type { NodeEndEvent, RunEvent } from '../run/events.js';

/**
 * An event as the dashboard sends it: JSON, with a node's `value` (its output) cut to a preview of
 * at most `maxValueChars` characters, so one huge answer cannot flood the page. The event stays
 * valid against `RunEventSchema` (`value` is `unknown`). Values that JSON cannot express (cycles,
 * BigInt) become a short description, and an infinite number in a run's start, summary or snapshot
 * the largest finite one. Pure.
 */
export function eventJson(event: RunEvent, maxValueChars: number): string {
  const served = servedEvent(event, maxValueChars);
  // JSON has no Infinity (it would become null and fail the schema): e.g. an unlimited retry budget's limit
  const mayBeInfinite = event.type === 'run.started' || event.type === 'run.completed' || event.type === 'run.snapshot';
  return mayBeInfinite ? JSON.stringify(served, finite) : JSON.stringify(served);
}

/**
 * JSON of a part of a `run.snapshot` as the dashboard serves it: infinite numbers as the largest
 * finite one (as {@link eventJson} does for a snapshot); a part JSON cannot express as it is (a
 * cycle, a BigInt) is still served, with those values described instead (a BigInt as its digits,
 * an object met again as `'[cycle]'`). Pure.
 */
export function safeJson(value: unknown): string {
  try {
    // A replacer slows JSON.stringify down a few times: only JSON with a null in it may hold an infinite number made null
    const plain = JSON.stringify(value) ?? 'null';
    return plain.includes('null') ? (JSON.stringify(value, finite) ?? 'null') : plain;
  } catch {
    const seen = new WeakSet<object>();
    return (
      JSON.stringify(value, (key: string, v: unknown) => {
        if (typeof v === 'bigint') return v.toString();
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[cycle]';
          seen.add(v);
        }
        return finite(key, v);
      }) ?? 'null'
    );
  }
}

/** Infinity as the largest number JSON can carry; NaN as 0. */
function finite(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 0 : value > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** The event with its values previewed (see {@link eventJson}). Pure. */
export function servedEvent(event: RunEvent, maxValueChars: number): RunEvent {
  if (event.type === 'run.snapshot') return { ...event, ended: event.ended.map((e) => previewValue(e, maxValueChars)) };
  if (event.type === 'node.succeeded' || event.type === 'node.fellBack') return previewValue(event, maxValueChars);
  if (event.type === 'run.started' && event.nodes.some((n) => n.meta !== undefined)) {
    return { ...event, nodes: event.nodes.map((n) => (n.meta === undefined ? n : { ...n, meta: jsonSafe(n.meta) as Record<string, unknown> })) };
  }
  return event;
}

/** The end event with its value cut to a preview of at most `max` characters of JSON (see {@link eventJson}). Pure. */
export function previewValue<E extends NodeEndEvent>(event: E, max: number): E {
  if (!('value' in event) || event.value === undefined) return event;
  if (typeof event.value === 'string' && !NEEDS_ESCAPE.test(event.value)) {
    // Its JSON is the string in quotes: measured and cut without writing it all out (most values are text).
    const value = event.value;
    return value.length + 2 <= max ? event : { ...event, value: `"${value.slice(0, max - 1)}… (${value.length + 2} chars)` };
  }
  const json = stringify(event.value);
  if (json === undefined) return { ...event, value: '[a value JSON cannot express]' };
  if (json.length <= max) return event;
  return { ...event, value: `${json.slice(0, max)}… (${json.length} chars)` };
}

/** Characters JSON writes as more than one (quotes, backslashes, control characters, lone surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonSafe(value: unknown): unknown {
  const json = stringify(value);
  return json === undefined ? '[a value JSON cannot express]' : (JSON.parse(json) as unknown);
}

function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
