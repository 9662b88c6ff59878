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

const WINDOWS = { requests: 'requests', tokens: 'tokens', inputTokens: 'input-tokens', outputTokens: 'output-tokens' } as const;

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
  const snapshot: RateLimitSnapshot = {};
  for (const [key, name] of Object.entries(WINDOWS) as [keyof RateLimitSnapshot, string][]) {
    const prefix = `anthropic-ratelimit-${name}-`;
    const limit = Number.parseInt(header(headers, `${prefix}limit`) ?? '', 10);
    const remaining = Number.parseInt(header(headers, `${prefix}remaining`) ?? '', 10);
    const reset = Date.parse(header(headers, `${prefix}reset`) ?? '');
    const window: RateLimitWindow = {
      ...(Number.isFinite(limit) ? { limit } : {}),
      ...(Number.isFinite(remaining) ? { remaining } : {}),
      ...(Number.isFinite(reset) ? { resetAt: reset } : {}),
    };
    if (Object.keys(window).length > 0) snapshot[key] = window;
  }
  return Object.keys(snapshot).length > 0 ? snapshot : undefined;
}
