/**
 * What a checkpoint can hold: plain JSON data, checked before it is written so that a value that
 * would come back different is refused at the node that produced it, not discovered after a resume.
 * @module
 */
import { ValueNotSerializableError } from './errors.js';

/**
 * Where and why a value would not survive the round trip.
 *
 * ## Example
 * ```ts
 * import { findUnserializable, type SerializationProblem } from 'rx-orchestra/store';
 * const problem: SerializationProblem | undefined = findUnserializable({ at: new Date() });
 * problem?.path; // 'value.at'
 * ```
 */
export interface SerializationProblem {
  /** `value`, `value.items[3]`, `value["a key"]`. */
  path: string;
  reason: string;
}

/**
 * Finds the first part of a value that would not come back equal from JSON (in the sense of deep
 * equality, where a property holding `undefined` equals a missing one): functions, symbols,
 * BigInts, NaN and ±Infinity, `undefined` in an array, sparse arrays, cycles, symbol keys, and
 * objects whose prototype is neither `Object.prototype` nor `null` (Date, Map, Set, RegExp, Error,
 * Buffer and typed arrays, class instances), which would lose their prototype. Shared references
 * are fine (they come back as copies). `-0` comes back as `0`. `undefined` as the whole value, or
 * as a property, is fine. Returns undefined when the value survives.
 *
 * ## Example
 * ```ts
 * import { findUnserializable } from 'rx-orchestra/store';
 * findUnserializable({ title: 'x', tags: new Set(['a']) }); // { path: 'value.tags', reason: 'a Set instance (...)' }
 * findUnserializable({ title: 'x', tags: ['a'] });          // undefined
 * ```
 */
export function findUnserializable(value: unknown): SerializationProblem | undefined {
  const ancestors = new Set<object>();
  const paths = new Map<object, string>();
  const visit = (v: unknown, path: string, inArray: boolean): SerializationProblem | undefined => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(v) ? undefined : { path, reason: `${String(v)} (JSON has no ${String(v)}; it would come back as null)` };
      case 'undefined':
        return inArray ? { path, reason: 'undefined inside an array (it would come back as null)' } : undefined;
      case 'bigint':
        return { path, reason: `a BigInt (${String(v)}n; JSON has no BigInt: store it as a string)` };
      case 'symbol':
        return { path, reason: `a symbol (${String(v)})` };
      case 'function':
        return { path, reason: `a function${v.name ? ` (${v.name})` : ''}` };
    }
    if (v === null) return undefined;
    const object = v as object;
    if (ancestors.has(object)) return { path, reason: `a cycle (it refers back to ${paths.get(object)})` };
    const shape = shapeProblem(object);
    if (shape) return { path, reason: shape };
    ancestors.add(object);
    paths.set(object, path);
    try {
      if (Array.isArray(object)) {
        for (let i = 0; i < object.length; i++) {
          if (!(i in object)) return { path: `${path}[${i}]`, reason: 'a hole in a sparse array (it would come back as null)' };
          const problem = visit(object[i], `${path}[${i}]`, true);
          if (problem) return problem;
        }
        return undefined;
      }
      const symbols = Object.getOwnPropertySymbols(object).filter((s) => Object.prototype.propertyIsEnumerable.call(object, s));
      if (symbols.length > 0) return { path, reason: `an object with a symbol key (${String(symbols[0])}), which JSON drops` };
      for (const key of Object.keys(object)) {
        const problem = visit((object as Record<string, unknown>)[key], `${path}${propertyPath(key)}`, false);
        if (problem) return problem;
      }
      return undefined;
    } finally {
      ancestors.delete(object);
    }
  };
  return visit(value, 'value', false);
}

/**
 * Checks that a node's value can be checkpointed and comes back equal; throws a
 * {@link ValueNotSerializableError} naming the node and the path of the first culprit.
 *
 * ## Example
 * ```ts
 * import { checkSerializable } from 'rx-orchestra/store';
 * checkSerializable('outline', { title: 'RxJS', sections: ['a', 'b'] }); // fine
 * checkSerializable('outline', { when: new Date() }); // throws ValueNotSerializableError (value.when)
 * ```
 * @throws {ValueNotSerializableError}
 */
export function checkSerializable(nodeId: string, value: unknown, runId?: string): void {
  const problem = findUnserializable(value);
  if (problem) throw new ValueNotSerializableError(nodeId, problem.path, problem.reason, runId);
}

/** Why an object is not plain data, or undefined when it is (a plain object or an array). */
function shapeProblem(object: object): string | undefined {
  if (Array.isArray(object)) return Object.getPrototypeOf(object) === Array.prototype ? undefined : `an instance of ${constructorName(object)} (a subclass of Array would come back as a plain array)`;
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === null || proto === Object.prototype) return undefined;
  const name = constructorName(object);
  const hint = HINTS[name];
  return `a${/^[AEIOU]/.test(name) ? 'n' : ''} ${name} instance (a class instance would come back as a plain object without its prototype${hint ? `; ${hint}` : ''})`;
}

const HINTS: Record<string, string> = {
  Date: 'store date.toISOString()',
  Map: 'store Object.fromEntries(map) or [...map]',
  Set: 'store [...set]',
  Error: 'store { name, message }',
  Buffer: "store buffer.toString('base64')",
  Uint8Array: 'store an array of numbers or base64',
  RegExp: 'store regexp.source',
};

function constructorName(object: object): string {
  const ctor = (object as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'anonymous class';
}

/** `.key` for identifiers, `["a key"]` otherwise. */
function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
