import type { RateLimitSnapshot, RateLimitWindow } from '../model.js';

/** Reads a header from a fetch `Headers` or a plain record. */
type HeaderSource = Headers | Record<string, string | undefined> | undefined | null;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string | undefined>)[name];
}

/**
 * How long a response asks the client to wait, in ms: `retry-after-ms` (exact), else
 * `retry-after` in seconds or as an HTTP date (relative to `now`, ms since the epoch).
 *
 * ## Example
 * ```ts
 * retryAfterMsOf(new Headers({ 'retry-after': '2' }), 0); // 2000
 * ```
 */
export function retryAfterMsOf(headers: HeaderSource, now: number): number | undefined {
  const ms = Number.parseFloat(header(headers, 'retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const after = header(headers, 'retry-after');
  if (after === undefined) return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(after)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Each window's key and its header names, built once (read on every answer). */
const WINDOWS = (
  [
    ['requests', 'requests'],
    ['tokens', 'tokens'],
    ['inputTokens', 'input-tokens'],
    ['outputTokens', 'output-tokens'],
  ] as const
).map(([key, name]) => ({ key, limit: `anthropic-ratelimit-${name}-limit`, remaining: `anthropic-ratelimit-${name}-remaining`, reset: `anthropic-ratelimit-${name}-reset` }));

/**
 * The quota state in `anthropic-ratelimit-*` response headers (limit, remaining, reset), for a
 * limiter that corrects itself from them. Undefined when the response carries none.
 *
 * ## Example
 * ```ts
 * rateLimitOf(response.headers)?.requests?.remaining;
 * ```
 */
export function rateLimitOf(headers: HeaderSource): RateLimitSnapshot | undefined {
  if (!headers) return undefined;
  let snapshot: RateLimitSnapshot | undefined;
  for (const names of WINDOWS) {
    // One object per window and no spreads: this runs on every answer.
    const limit = Number.parseInt(header(headers, names.limit) ?? '', 10);
    const remaining = Number.parseInt(header(headers, names.remaining) ?? '', 10);
    const reset = Date.parse(header(headers, names.reset) ?? '');
    const hasLimit = Number.isFinite(limit);
    const hasRemaining = Number.isFinite(remaining);
    const hasReset = Number.isFinite(reset);
    if (!hasLimit && !hasRemaining && !hasReset) continue;
    const window: RateLimitWindow = {};
    if (hasLimit) window.limit = limit;
    if (hasRemaining) window.remaining = remaining;
    if (hasReset) window.resetAt = reset;
    (snapshot ??= {})[names.key] = window;
  }
  return snapshot;
}
