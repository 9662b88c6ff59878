import { z } from 'zod';
import { reportFields } from '../../run/event-fields.js';

/**
 * Events of batched model calls (`batchingModel`, `llm({ batch: true })`, `execute(g, { batch })`),
 * declared next to the code that emits them: each call of a batch reports them in its own stream,
 * and an `llm()` / `agent()` node forwards them to the run's stream (stamped with its node).
 * Merged into `RunEventSchema` (src/run/events.ts). Zod and the shared fields only.
 */

const RequestCountsSchema = z.object({
  processing: z.number().int(),
  succeeded: z.number().int(),
  errored: z.number().int(),
  canceled: z.number().int(),
  expired: z.number().int(),
});

/**
 * `batch.submitted`: the node's call is in batch `batchId` as `customId`, with `requests` calls in
 * all; `resumed: true` when the batch was created by an earlier process of this run and is polled
 * again (nothing was submitted).
 */
export const BatchSubmittedEventSchema = z.object({
  type: z.literal('batch.submitted'),
  ...reportFields,
  batchId: z.string(),
  customId: z.string(),
  requests: z.number().int(),
  provider: z.string(),
  resumed: z.boolean(),
});

/** `batch.polled`: the batch's status was read; the next poll is in `nextPollMs` unless it ended. */
export const BatchPolledEventSchema = z.object({
  type: z.literal('batch.polled'),
  ...reportFields,
  batchId: z.string(),
  processingStatus: z.enum(['in_progress', 'canceling', 'ended']),
  requestCounts: RequestCountsSchema,
  /** Polls of this batch so far, 1 for the first. */
  poll: z.number().int(),
  nextPollMs: z.number().optional(),
});

/** `batch.ended`: the node's result was read from its ended batch, `waitedMs` after it joined the batch. */
export const BatchEndedEventSchema = z.object({
  type: z.literal('batch.ended'),
  ...reportFields,
  batchId: z.string(),
  customId: z.string(),
  result: z.enum(['succeeded', 'errored', 'canceled', 'expired', 'missing']),
  requestCounts: RequestCountsSchema,
  waitedMs: z.number(),
});

/** The batch reports as a node emits them (without the fields the run stamps). @internal */
export type BatchReport =
  | Omit<z.infer<typeof BatchSubmittedEventSchema>, keyof typeof reportFields>
  | Omit<z.infer<typeof BatchPolledEventSchema>, keyof typeof reportFields>
  | Omit<z.infer<typeof BatchEndedEventSchema>, keyof typeof reportFields>;

/** The types of the batch reports. @internal */
export const BATCH_REPORT_TYPES: ReadonlySet<string> = new Set(['batch.submitted', 'batch.polled', 'batch.ended']);
