import { z } from 'zod';

/**
 * The building blocks every event schema shares: the fields the run stamps on each event, and the
 * error shape. Event declarations next to the code that emits them (supervisor, cache, governed
 * model) build on these and nothing else, so `src/run/events.ts` can merge them into
 * `RunEventSchema` without depending on the code that emits them. @internal
 */

/** What every event carries: its run and the scheduler's `now()`. @internal */
export const base = { runId: z.string(), at: z.number() };

/** What every event about one node carries. @internal */
export const nodeBase = { ...base, nodeId: z.string() };

/**
 * What the run stamps on a node's report (`ctx.emit`): run, node, time and attempt. A report's
 * schema is `z.object({ type: z.literal('x.y'), ...reportFields, ...its own fields })`. @internal
 */
export const reportFields = { ...nodeBase, attempt: z.number().int() };

/** The fields the run stamps on a node's report; a report is its event without them. */
export type StampedField = keyof typeof reportFields;

/**
 * A record keyed by node id, as `z.record(z.string(), value)` but keeping every key: zod drops a
 * `__proto__` key, and `__proto__` is a valid node id. Parses into a record without a prototype.
 * @internal
 */
export function idKeyed<V extends z.ZodType>(value: V) {
  return z.unknown().transform((raw, ctx): Record<string, z.output<V>> => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      ctx.addIssue({ code: 'custom', message: 'expected an object keyed by id', input: raw });
      return z.NEVER;
    }
    const record = Object.create(null) as Record<string, z.output<V>>;
    for (const [key, entry] of Object.entries(raw)) {
      const parsed = value.safeParse(entry);
      if (parsed.success) record[key] = parsed.data;
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path], input: entry });
    }
    return record;
  });
}

/** An error as it travels in events: plain data, safe to serialize. */
export const ErrorInfoSchema = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string().optional(),
  retryable: z.boolean().optional(),
  /** HTTP status, when the error came from an HTTP call. */
  status: z.number().int().optional(),
  /** How long the failing service asked to wait (retry-after), in ms. */
  retryAfterMs: z.number().optional(),
});
/** An error as it travels in events: name, message, and code/retryable/status/retryAfterMs when known. */
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;
