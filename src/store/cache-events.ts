import { z } from 'zod';
import { reportFields } from '../run/event-fields.js';

/**
 * `cache.hit`, declared next to the code that emits it: a `cachedModel` answered a call from its
 * store instead of the provider; an `llm()` node forwards it to the run's stream. Merged into
 * `RunEventSchema` (src/run/events.ts). Zod and the shared fields only: see
 * `.dependency-cruiser.cjs` (event declarations).
 */
export const CacheHitEventSchema = z.object({
  type: z.literal('cache.hit'),
  ...reportFields,
  /** The cache key (a hash of model, messages and parameters). */
  key: z.string(),
  model: z.string(),
  /** What the call would have cost. */
  savedUsd: z.number(),
});
