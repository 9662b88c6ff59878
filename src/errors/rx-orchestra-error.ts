/**
 * The one base of rx-orchestra's errors, its brand and its guard.
 * @module
 */

/**
 * The brand key. `Symbol.for` makes it the same symbol in every copy of the package loaded in a
 * process, so a guard recognizes an error thrown by another copy (a second `rx-orchestra` under
 * some dependency's `node_modules`) where `instanceof` cannot.
 */
const BRAND = Symbol.for('rx-orchestra.error');

/**
 * The base of every error rx-orchestra throws: a stable `code` to branch on, `retryable` for the
 * retry operator, the context in `details` (or in named fields), and the ES2022 `cause`. Each
 * class is branded with a tag (its own and its ancestors'), so {@link isRxOrchestraError} and the
 * guard of each class (`isGraphError`, `isModelCallError`, ...) work across duplicate copies of the
 * package and never say yes to another class that happens to share a code or a name.
 *
 * ## Example
 * ```ts
 * import { isRxOrchestraError } from 'rx-orchestra';
 * try { await collect(execute(g)); }
 * catch (e) { if (isRxOrchestraError(e)) console.error(e.name, e.code, e.retryable ? 'retry later' : 'fix and rerun'); }
 * ```
 */
export abstract class RxOrchestraError extends Error {
  static {
    brandError(this, 'RxOrchestraError');
    // The context of classes that name it in fields instead: shared, frozen, and not an own
    // property, so errors keep their shape (what `{ ...error }`, `inspect` and JSON show).
    Object.defineProperty(this.prototype, 'details', { value: Object.freeze({}), writable: true, configurable: true });
  }

  /** What went wrong, stable across versions: `CYCLE`, `RATE_LIMITED`, `INVALID_OPTION`, ... */
  abstract readonly code: string;
  /**
   * Whether another attempt may succeed (the retry operator reads it); `undefined` when the error
   * only wraps another whose verdict is unknown.
   */
  abstract readonly retryable: boolean | undefined;
  /** Context beyond the message (node, field, status, ...); `{}` for classes that name it in fields. */
  declare readonly details: object;

  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Brands an error class with `tag`, after the tags of the class it extends. Called once per class,
 * in its `static {}` block.
 *
 * ## Example
 * ```ts
 * class MyError extends RxOrchestraError { static { brandError(this, 'MyError'); } ... }
 * ```
 * @internal
 */
export function brandError(errorClass: abstract new (...args: never[]) => Error, tag: string): void {
  // The tags live on the prototype, most general first, not on each instance.
  const inherited = (Object.getPrototypeOf(errorClass.prototype) as Record<symbol, readonly string[] | undefined>)[BRAND] ?? [];
  Object.defineProperty(errorClass.prototype, BRAND, { value: Object.freeze([...inherited, tag]) });
}

/**
 * True when `error` carries the brand `tag`: an instance of the class branded with it or of a
 * subclass, from this copy of the package or another. The body of every error guard.
 *
 * ## Example
 * ```ts
 * export function isGraphError(error: unknown): error is GraphError {
 *   return hasErrorTag(error, 'GraphError');
 * }
 * ```
 * @internal
 */
export function hasErrorTag(error: unknown, tag: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const tags = (error as Record<symbol, unknown>)[BRAND];
  return Array.isArray(tags) && tags.includes(tag);
}

/**
 * True for any error of rx-orchestra, also one from another copy of the package; with a `code`,
 * only for an error with that code.
 *
 * ## Example
 * ```ts
 * import { isRxOrchestraError } from 'rx-orchestra';
 * if (isRxOrchestraError(error, 'RATE_LIMITED')) console.log('quota', error.details);
 * else if (isRxOrchestraError(error) && !error.retryable) console.error(`${error.code}: ${error.message}`);
 * ```
 * @param error anything caught
 * @param code the code to match, e.g. `'CYCLE'`; any code when omitted
 */
export function isRxOrchestraError<C extends string = string>(error: unknown, code?: C): error is RxOrchestraError & { readonly code: C } {
  return hasErrorTag(error, 'RxOrchestraError') && (code === undefined || (error as { code?: unknown }).code === code);
}
