import { z } from 'zod';
import { reportFields, type StampedField } from '../../run/event-fields.js';

/**
 * The events of peer collaborations (`collaboration()`), declared next to the code that emits them
 * (collaboration.ts reports them through its node's `ctx.emit`) and merged into `RunEventSchema`
 * (src/run/events.ts). Zod and the shared fields only: see `.dependency-cruiser.cjs` (event declarations).
 */

/** Longest `preview` of a `peer.turn` event, in characters (an ellipsis marks a cut). */
export const PEER_PREVIEW_CHARS = 200;

/** `peer.turn`: a peer answered; its message goes to `to` (or ends the conversation: see `peer.finished`). */
export const PeerTurnEventSchema = z.object({
  type: z.literal('peer.turn'),
  ...reportFields,
  /** The collaboration's name (the node id unless named). */
  collaboration: z.string(),
  /** 1 for the first reply (the opening message is turn 0 and has no event). */
  turn: z.number().int(),
  /** The peer that spoke. */
  from: z.string(),
  /** The peer the message is addressed to. */
  to: z.string(),
  /** Length of the message, in characters. */
  chars: z.number().int(),
  /** The message cut to 200 characters. */
  preview: z.string(),
  /** From the peer receiving its message to its reply, in scheduler ms. */
  durationMs: z.number(),
});

/**
 * `peer.finished`: the conversation ended: `until` accepted a message, `maxTurns` was reached, a
 * turn failed, or the run's budget stopped it mid-conversation (`budget`; `node.skipped` with cause
 * `budget` follows). A node stopped otherwise from outside (its timeout, the run cancelled) emits none.
 */
export const PeerFinishedEventSchema = z.object({
  type: z.literal('peer.finished'),
  ...reportFields,
  collaboration: z.string(),
  /** Replies made. */
  turns: z.number().int(),
  reason: z.enum(['until', 'maxTurns', 'failed', 'budget']),
});

/** `Omit` applied to each member of a union separately. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What a collaboration reports through `ctx.emit`: its events without the fields the run stamps. @internal */
export type CollaborationReport = DistributiveOmit<z.infer<typeof PeerTurnEventSchema | typeof PeerFinishedEventSchema>, StampedField>;
