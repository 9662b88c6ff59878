import { Observable, asyncScheduler, defer, from, of, switchMap, type SchedulerLike } from 'rxjs';
import type { Redis } from 'ioredis';
import type { CallCost, LimitKind, Quota, RateLimitWait } from '../../operators/rate-limiter.js';
import { delayOf } from '../../operators/long-timer.js';
import { DEFAULT_MAX_RETRY_AFTER_MS } from '../../operators/retry.js';
import { checkConnection, closeRedis, openRedis, type RedisConnection } from './connection.js';
import { DistributedError } from './errors.js';
import { ACQUIRE_SCRIPT, PAUSE_SCRIPT, SETTLE_SCRIPT } from './token-bucket-scripts.js';

/**
 * One limit: at most `max` per `duration` ms, refilled continuously (a token bucket, as providers
 * count): a burst of `max`, then `max / duration` per ms.
 *
 * ## Example
 * ```ts
 * import type { FleetLimit } from 'rx-orchestra/distributed';
 * const rpm: FleetLimit = { max: 50 };                       // 50 requests per minute
 * const perSecond: FleetLimit = { max: 5, duration: 1_000 }; // 5 per second
 * ```
 */
export interface FleetLimit {
  max: number;
  /** Window in ms. @default 60000 (a provider's per-minute quota) */
  duration?: number;
}

/**
 * The limits a fleet shares: requests, input tokens and output tokens per window. Give the ones
 * you know; the others are not enforced.
 *
 * ## Example
 * ```ts
 * import type { FleetLimits } from 'rx-orchestra/distributed';
 * const limits: FleetLimits = { requests: { max: 50 }, inputTokens: { max: 30_000 }, outputTokens: { max: 8_000 } }; // tier 1, per minute
 * ```
 */
export interface FleetLimits {
  requests?: FleetLimit;
  inputTokens?: FleetLimit;
  outputTokens?: FleetLimit;
}

/**
 * Settings of {@link fleetRateLimiter}.
 *
 * ## Example
 * ```ts
 * import { fleetRateLimiter, type FleetRateLimiterOptions } from 'rx-orchestra/distributed';
 * const options: FleetRateLimiterOptions = { connection: 'redis://127.0.0.1:6379', name: 'claude-key-1', limits: { requests: { max: 50 }, outputTokens: { max: 8_000 } } };
 * const quota = fleetRateLimiter(options);
 * ```
 */
export interface FleetRateLimiterOptions {
  /** The Redis every process of the fleet reaches. */
  connection: RedisConnection;
  /** The quota's name: processes using the same name (and Redis) share one quota, e.g. the API key's label. */
  name: string;
  limits: FleetLimits;
  /** Prefix of the Redis keys. @default 'rx-orchestra:quota' */
  prefix?: string;
  /** Scheduler of the waits between tries. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Random source in [0, 1) spreading the retries of waiting processes over up to 20 ms. @default Math.random */
  random?: () => number;
  /**
   * The longest pause (a 429's retry-after) that holds the whole fleet, in ms: `pause` holds it at
   * most this long, and a worker's job refused with a longer retry-after fails with a non-retryable
   * `RetryAfterTooLongError` (code `RETRY_AFTER_TOO_LONG`) instead of pausing every process (a daily
   * cap's "come back tomorrow" must not stop the fleet for a day). `Infinity` for no bound.
   * @default 600000 (10 minutes, as governedModel's `maxRetryAfterMs`)
   */
  maxRetryAfterMs?: number;
}

/**
 * An admitted call's hold on the fleet's quota.
 *
 * ## Example
 * ```ts
 * import { firstValueFrom } from 'rxjs';
 * const permit = await firstValueFrom(quota.acquire({ inputTokens: 1_000, outputTokens: 300 }));
 * const answer = await callModel();
 * await permit.settle(answer.usage); // charge what the call really used
 * ```
 */
export interface FleetPermit {
  /** When the call was admitted, in Redis ms since the epoch (the fleet's one clock). */
  readonly at: number;
  /** Corrects the buckets by what the call really used (tokens beyond the estimate are taken, unused ones given back). Once. */
  settle(actual: { inputTokens?: number; outputTokens?: number }): Promise<void>;
}

/**
 * One try at the quota: admitted (with a permit), or how long to wait and for which limit.
 *
 * ## Example
 * ```ts
 * const attempt = await quota.tryAcquire({ requests: 1 });
 * if (!attempt.admitted) console.log(`wait ${attempt.waitMs} ms for ${attempt.limitedBy}`);
 * ```
 */
export type FleetAttempt = { admitted: true; permit: FleetPermit } | { admitted: false; waitMs: number; limitedBy: LimitKind };

/**
 * One quota for a whole fleet of processes: token buckets in Redis, checked and taken atomically by
 * a Lua script on Redis's clock. Share it by name: every worker (and orchestrator) that creates a
 * limiter with the same `name` on the same Redis draws from the same buckets, so ten workers
 * together stay under the provider's per-minute quota. Admission is not first-come-first-served
 * across processes: a waiting process tries again when the bucket should hold its cost.
 *
 * ## Example
 * ```ts
 * import { fleetRateLimiter, startWorker } from 'rx-orchestra/distributed';
 * const quota = fleetRateLimiter({ connection: process.env.REDIS_URL!, name: 'anthropic-tier1', limits: { requests: { max: 50 } } });
 * await startWorker({ connection: process.env.REDIS_URL!, queue: 'agents', handlers, quota }); // one request per job
 * ```
 */
export interface FleetRateLimiter {
  readonly name: string;
  readonly limits: FleetLimits;
  /** The longest pause `pause` applies, in ms (see {@link FleetRateLimiterOptions.maxRetryAfterMs}). */
  readonly maxRetryAfterMs: number;
  /**
   * Waits for room: a cold Observable emitting one {@link FleetPermit} once the call is admitted,
   * then completing; `onWait` hears once when the call must wait. Unsubscribing stops waiting.
   */
  acquire(cost?: CallCost, onWait?: (wait: RateLimitWait) => void): Observable<FleetPermit>;
  /** One try, no waiting. */
  tryAcquire(cost?: CallCost): Promise<FleetAttempt>;
  /**
   * Nobody in the fleet is admitted for `ms`, at most `maxRetryAfterMs` (a 429's retry-after
   * concerns the whole quota). Waiting processes sleep through it (waits longer than a timer can
   * hold are armed in chunks), trying again once it should be over.
   */
  pause(ms: number): Promise<void>;
  /** Closes this process's Redis connection (the quota itself lives on in Redis). */
  close(): Promise<void>;
}

const KINDS = ['requests', 'inputTokens', 'outputTokens'] as const;
const DEFAULT_DURATION_MS = 60_000;
const RETRY_SPREAD_MS = 20;

/**
 * Creates a handle on a fleet-wide quota (see {@link FleetRateLimiter}). Connects on first use.
 *
 * ## Example
 * ```ts
 * import { fleetRateLimiter, limitsOfQuota } from 'rx-orchestra/distributed';
 * import { QUOTA_PRESETS } from 'rx-orchestra/operators';
 * const quota = fleetRateLimiter({ connection: 'redis://127.0.0.1:6379', name: 'claude', limits: limitsOfQuota(QUOTA_PRESETS.tier1) });
 * quota.acquire({ inputTokens: 2_000, outputTokens: 500 }).subscribe((permit) => call().then((u) => permit.settle(u)));
 * ```
 * @throws {DistributedError} `INVALID_OPTION` naming the field, for a bad connection, name or limit
 */
export function fleetRateLimiter(options: FleetRateLimiterOptions): FleetRateLimiter {
  checkConnection(options?.connection, 'fleetRateLimiter');
  const { connection, name, limits, prefix = 'rx-orchestra:quota', scheduler = asyncScheduler, random = Math.random, maxRetryAfterMs = DEFAULT_MAX_RETRY_AFTER_MS } = options;
  if (typeof name !== 'string' || name === '') throw new DistributedError('INVALID_OPTION', `fleetRateLimiter: 'name' must be a non-empty string`, { field: 'name' });
  if (!(typeof maxRetryAfterMs === 'number' && maxRetryAfterMs >= 0)) {
    throw new DistributedError('INVALID_OPTION', `fleetRateLimiter: 'maxRetryAfterMs' must be a number of ms >= 0 (or Infinity), got ${String(maxRetryAfterMs)}`, { field: 'maxRetryAfterMs' });
  }
  const buckets = KINDS.flatMap((kind) => {
    const limit = limits?.[kind];
    if (limit === undefined) return [];
    const duration = limit.duration ?? DEFAULT_DURATION_MS;
    if (!(limit.max > 0 && Number.isFinite(limit.max))) {
      throw new DistributedError('INVALID_OPTION', `fleetRateLimiter: 'limits.${kind}.max' must be a finite number > 0, got ${String(limit.max)}`, { field: `limits.${kind}.max` });
    }
    if (!(duration > 0 && Number.isFinite(duration))) {
      throw new DistributedError('INVALID_OPTION', `fleetRateLimiter: 'limits.${kind}.duration' must be a finite number of ms > 0, got ${String(duration)}`, { field: `limits.${kind}.duration` });
    }
    // The hash tag keeps every key of one quota in one Redis Cluster slot (a script may only touch one).
    return [{ kind, key: `${prefix}:{${name}}:${kind}`, capacity: limit.max, refillPerMs: limit.max / duration }];
  });
  if (buckets.length === 0) throw new DistributedError('INVALID_OPTION', `fleetRateLimiter: 'limits' sets no limit (requests, inputTokens or outputTokens)`, { field: 'limits' });
  const pauseKey = `${prefix}:{${name}}:paused`;

  let client: Promise<Redis> | undefined;
  const redis = () => (client ??= openRedis(connection, 'command', `rx-orchestra:quota:${name}`));

  const settle = async (estimate: Required<CallCost>, actual: { inputTokens?: number; outputTokens?: number }) => {
    const deltas = buckets.flatMap((bucket) => {
      const real = bucket.kind === 'requests' ? undefined : actual[bucket.kind];
      return real === undefined || real === estimate[bucket.kind] ? [] : [{ bucket, delta: real - estimate[bucket.kind] }];
    });
    if (deltas.length === 0) return;
    await (await redis()).eval(SETTLE_SCRIPT, deltas.length, ...deltas.map(({ bucket }) => bucket.key), ...deltas.flatMap(({ bucket, delta }) => [bucket.capacity, bucket.refillPerMs, delta]));
  };

  const tryAcquire = async (cost: CallCost = {}): Promise<FleetAttempt> => {
    const full: Required<CallCost> = { requests: cost.requests ?? 1, inputTokens: cost.inputTokens ?? 0, outputTokens: cost.outputTokens ?? 0 };
    const args = buckets.flatMap((bucket) => [bucket.capacity, bucket.refillPerMs, full[bucket.kind]]);
    const [admitted, wait, now, limitedBy] = (await (await redis()).eval(ACQUIRE_SCRIPT, buckets.length + 1, pauseKey, ...buckets.map((b) => b.key), ...args)) as [number, string, string, number];
    if (admitted !== 1) return { admitted: false, waitMs: Number(wait), limitedBy: limitedBy === 0 ? 'retryAfter' : buckets[limitedBy - 1]!.kind };
    let settled = false;
    return {
      admitted: true,
      permit: {
        at: Number(now),
        settle: async (actual) => {
          if (settled) return;
          settled = true;
          await settle(full, actual);
        },
      },
    };
  };

  return {
    name,
    limits,
    maxRetryAfterMs,
    tryAcquire,
    acquire: (cost = {}, onWait) =>
      defer(() => {
        let reported = false;
        const attempt = (): Observable<FleetPermit> =>
          from(tryAcquire(cost)).pipe(
            switchMap((result) => {
              if (result.admitted) return of(result.permit);
              if (!reported) {
                reported = true;
                onWait?.({ waitMs: result.waitMs, limitedBy: result.limitedBy, queued: 1 });
              }
              // Chunked: a wait past what one timer holds (a 30-day pause) must not fire after 1 ms and poll Redis in a loop.
              return delayOf(result.waitMs + random() * RETRY_SPREAD_MS, scheduler).pipe(switchMap(attempt));
            }),
          );
        return attempt();
      }),
    pause: async (ms) => {
      const held = Math.min(ms, maxRetryAfterMs);
      if (!(held > 0 && Number.isFinite(held))) return;
      await (await redis()).eval(PAUSE_SCRIPT, 1, pauseKey, Math.ceil(held));
    },
    close: async () => {
      const opened = client;
      client = undefined;
      if (opened) await closeRedis(await opened);
    },
  };
}

/**
 * The fleet limits of a per-minute {@link Quota} (e.g. `QUOTA_PRESETS.tier1`).
 *
 * ## Example
 * ```ts
 * import { limitsOfQuota } from 'rx-orchestra/distributed';
 * import { QUOTA_PRESETS } from 'rx-orchestra/operators';
 * limitsOfQuota(QUOTA_PRESETS.tier1); // { requests: { max: 50, duration: 60000 }, inputTokens: ..., outputTokens: ... }
 * ```
 */
export function limitsOfQuota(quota: Quota): FleetLimits {
  const limits: FleetLimits = {};
  if (quota.requestsPerMinute !== undefined) limits.requests = { max: quota.requestsPerMinute, duration: DEFAULT_DURATION_MS };
  if (quota.inputTokensPerMinute !== undefined) limits.inputTokens = { max: quota.inputTokensPerMinute, duration: DEFAULT_DURATION_MS };
  if (quota.outputTokensPerMinute !== undefined) limits.outputTokens = { max: quota.outputTokensPerMinute, duration: DEFAULT_DURATION_MS };
  return limits;
}
