/**
 * Records keyed by node id. A node id is any non-empty string, `__proto__` and `constructor`
 * included, so a plain `{}` cannot hold them: assigning `record['__proto__']` replaces the
 * prototype instead of adding an entry, and reading `record['constructor']` finds `Object`.
 * These records have no prototype, and reads only see own entries.
 */

/**
 * A record without a prototype, optionally filled from `[id, value]` pairs: every id, `__proto__`
 * included, becomes an own entry.
 *
 * ## Example
 * ```ts
 * const outcomes = idRecord<number>([['__proto__', 1]]);
 * Object.keys(outcomes); // ['__proto__']
 * ```
 * @internal
 */
export function idRecord<V>(entries: Iterable<readonly [string, V]> = []): Record<string, V> {
  const record = Object.create(null) as Record<string, V>;
  for (const [id, value] of entries) record[id] = value;
  return record;
}

/**
 * The record's own entry for `id`, or undefined: never an inherited member such as
 * `Object.prototype.constructor` (records from JSON or user code may have a prototype).
 * @internal
 */
export function ownEntry<V>(record: Readonly<Record<string, V>> | undefined, id: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, id) ? record[id] : undefined;
}
