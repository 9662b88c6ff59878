import type { MaybePromise } from './run-store.js';

/**
 * True for a Promise (or any thenable).
 * @internal
 */
export function isPromiseLike<T>(value: MaybePromise<T> | PromiseLike<T>): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Applies `next` to a result now, or once it arrives: synchronous stores stay synchronous.
 * @internal
 */
export function andThen<T, R>(value: MaybePromise<T>, next: (result: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike(value) ? value.then(next) : next(value);
}
