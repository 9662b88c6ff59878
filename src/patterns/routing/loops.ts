/**
 * Per-loop state of a router: a supervisor loop is known by its run, node, node attempt and
 * supervisor path; the same team run twice in one loop of its parent starts again at turn 1.
 * @internal
 * @module
 */

/** The ids a router call carries that identify its supervisor loop. @internal */
export interface LoopIds {
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly supervisor?: string;
}

/** The key of a router call's loop. @internal */
export function loopKey(ctx: LoopIds): string {
  return `${ctx.runId}\u0000${ctx.nodeId}\u0000${ctx.attempt}\u0000${ctx.supervisor ?? ''}`;
}

/**
 * A Map that keeps at most `max` entries, dropping the oldest: loops that end without telling
 * their router (failed, cancelled) must not grow it forever. @internal
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    if (this.size > this.max) super.delete(this.keys().next().value as K);
    return this;
  }
}

/** The most loops a router remembers at once. @internal */
export const MAX_OPEN_LOOPS = 10_000;

/**
 * Attaches read-only fields to a router function (`name` included, which `Object.assign` cannot
 * set on a function) and returns it typed with them. @internal
 */
export function withFields<F extends (...args: never[]) => unknown, T extends object>(fn: F, fields: T): F & T {
  for (const [key, value] of Object.entries(fields)) Object.defineProperty(fn, key, { value, enumerable: true, configurable: true });
  return fn as F & T;
}
