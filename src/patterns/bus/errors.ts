import { RxOrchestraError, brandError, hasErrorTag } from '../../errors/rx-orchestra-error.js';

/**
 * What is wrong with a bus call: an undeclared topic, a payload its schema refuses, a bad option.
 *
 * ## Example
 * ```ts
 * import { isBusError, type BusErrorCode } from 'rx-orchestra/patterns';
 * const code: BusErrorCode | undefined = isBusError(error) ? error.code : undefined; // e.g. 'INVALID_PAYLOAD'
 * ```
 */
export type BusErrorCode = 'UNKNOWN_TOPIC' | 'INVALID_PAYLOAD' | 'INVALID_OPTION';

/**
 * One problem a topic's schema found in a payload.
 *
 * ## Example
 * ```ts
 * import { isBusError, type PayloadIssue } from 'rx-orchestra/patterns';
 * if (isBusError(e)) e.issues.forEach(({ field, message }: PayloadIssue) => console.log(field, message));
 * ```
 */
export interface PayloadIssue {
  /** Dotted path of the offending field inside the payload; `''` for the payload itself. */
  readonly field: string;
  readonly message: string;
}

/**
 * A bus call that cannot go through, raised synchronously by `createBus`, `publish`, `subscribe` or
 * `on`, so nothing invalid ever reaches a subscriber or the event log. `topic` names the topic;
 * for `INVALID_PAYLOAD`, `field` is the first offending field (dotted path) and `issues` lists all
 * of them; for `INVALID_OPTION`, `field` is the option.
 *
 * ## Example
 * ```ts
 * import { createBus, isBusError } from 'rx-orchestra/patterns';
 * import { z } from 'zod';
 * const bus = createBus({ topics: { 'task.completed': z.object({ taskId: z.string(), tokens: z.number() }) } });
 * try { bus.publish('task.completed', { taskId: 't1', tokens: 'many' as never }); }
 * catch (e) { if (isBusError(e)) console.log(e.code, e.topic, e.field); } // INVALID_PAYLOAD task.completed tokens
 * ```
 */
export class BusError extends RxOrchestraError {
  static {
    brandError(this, 'BusError');
  }
  override readonly name = 'BusError';
  readonly retryable = false;
  constructor(
    readonly code: BusErrorCode,
    message: string,
    override readonly details: { topic?: string; field?: string; issues?: readonly PayloadIssue[] } = {},
  ) {
    super(message);
  }
  /** The topic published or subscribed to. */
  get topic(): string | undefined {
    return this.details.topic;
  }
  /** The offending payload field (dotted path) or option name. */
  get field(): string | undefined {
    return this.details.field;
  }
  /** Every problem the topic's schema found (`INVALID_PAYLOAD`). */
  get issues(): readonly PayloadIssue[] {
    return this.details.issues ?? [];
  }
}

/**
 * True for a {@link BusError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isBusError } from 'rx-orchestra/patterns';
 * try { bus.subscribe('no.such.topic'); } catch (e) { if (isBusError(e) && e.code === 'UNKNOWN_TOPIC') console.log(e.topic); }
 * ```
 */
export function isBusError(error: unknown): error is BusError {
  return hasErrorTag(error, 'BusError');
}
