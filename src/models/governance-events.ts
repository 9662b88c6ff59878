import { z } from 'zod';
import { reportFields } from '../run/event-fields.js';

/**
 * Events of traffic control, declared next to the code that emits them: a governed model
 * (`governedModel`, and every `llm()` node by default) reports quota waits, concurrency changes and
 * its circuit breaker's transitions as model events, and an `llm()` node forwards them to the run's
 * stream. Merged into `RunEventSchema` (src/run/events.ts). Zod and the shared fields only: see
 * `.dependency-cruiser.cjs` (event declarations).
 */

/** `ratelimit.waiting`: a call waits for the quota (or a concurrency slot) before it may start. */
export const RateLimitWaitingEventSchema = z.object({
  type: z.literal('ratelimit.waiting'),
  ...reportFields,
  waitMs: z.number(),
  limitedBy: z.enum(['requests', 'inputTokens', 'outputTokens', 'retryAfter', 'concurrency']),
  queued: z.number().int(),
});

/** `concurrency.changed`: the adaptive concurrency limit moved (AIMD). */
export const ConcurrencyChangedEventSchema = z.object({
  type: z.literal('concurrency.changed'),
  ...reportFields,
  limit: z.number().int(),
  previous: z.number().int(),
  reason: z.enum(['increase', 'overload', 'latency']),
});

/** `circuit.opened` / `circuit.halfOpened` / `circuit.closed`: the model's circuit breaker changed state. */
export const CircuitEventSchema = z.object({
  type: z.enum(['circuit.opened', 'circuit.halfOpened', 'circuit.closed']),
  ...reportFields,
  breaker: z.string(),
  failures: z.number().int().optional(),
});
