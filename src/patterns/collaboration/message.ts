import { z } from 'zod';
import type { EventBus } from '../bus/bus.js';

/**
 * One message of a collaboration: the opening message (turn 0, from `start.from`) or a peer's
 * reply (turn 1, 2, ...), addressed to the peer that speaks next.
 *
 * ## Example
 * ```ts
 * import type { PeerMessage } from 'rx-orchestra/patterns';
 * const show = (m: PeerMessage<'writer' | 'critic'>) => `#${m.turn} ${m.from} → ${m.to}: ${m.text}`;
 * ```
 */
export interface PeerMessage<P extends string = string> {
  /** 0 for the opening message, then 1 for the first reply, ... */
  readonly turn: number;
  /** The peer that wrote it; for the opening message, `start.from` (`'user'` unless set). */
  readonly from: P | (string & {});
  /** The peer it is addressed to. */
  readonly to: P;
  readonly text: string;
  /** When it was sent: the run scheduler's `now()`. */
  readonly at: number;
}

/**
 * The topics of a collaboration's bus: one, `peer.message`, the messages peers send each other
 * (validated by this schema when published).
 *
 * ## Example
 * ```ts
 * import { createBus, collaborationTopics } from 'rx-orchestra/patterns';
 * const bus = createBus({ topics: collaborationTopics });
 * bus.subscribe('peer.message').subscribe((e) => console.log(e.payload.from, '→', e.payload.to));
 * ```
 */
export const collaborationTopics = {
  'peer.message': z.object({ turn: z.number().int().min(0), from: z.string().min(1), to: z.string().min(1), text: z.string() }),
} as const;

/**
 * A bus a collaboration can send its messages over (`collaboration({ bus })`), to watch them or
 * bridge them elsewhere. Each run attempt's messages carry their own `correlationId`
 * (`<runId>/<nodeId>#<attempt>`), so one bus may serve many runs.
 *
 * ## Example
 * ```ts
 * import { createBus, collaborationTopics, type CollaborationBus } from 'rx-orchestra/patterns';
 * const bus: CollaborationBus = createBus({ topics: collaborationTopics });
 * ```
 */
export type CollaborationBus = EventBus<typeof collaborationTopics>;
