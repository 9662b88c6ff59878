import { describe, expect, it } from 'vitest';
import { QuotaBuckets, QuotaBucket as TokenBucket, checkQuota } from '../../src/models/simulated/quota-buckets.js';

describe('TokenBucket', () => {
  it('starts full and refills continuously at limit per minute, exactly for integer clocks', () => {
    const bucket = new TokenBucket(2, 0);
    expect(bucket.waitFor(2, 0)).toBe(0);
    bucket.take(2, 0);
    expect(bucket.level(0)).toBe(0);
    expect(bucket.waitFor(1, 0)).toBe(30_000);
    expect(bucket.level(15_000)).toBe(0.5);
    expect(bucket.waitFor(1, 29_999)).toBe(1);
    expect(bucket.waitFor(1, 30_000)).toBe(0);
    expect(bucket.level(600_000)).toBe(2); // capped at the limit
  });

  it('goes into debt and climbs out of it at the refill rate', () => {
    const bucket = new TokenBucket(10, 0);
    bucket.take(25, 0);
    expect(bucket.level(0)).toBe(-15);
    expect(bucket.waitFor(1, 0)).toBe(96_000); // 16 tokens at 10 per minute
    expect(bucket.untilFull(0)).toBe(150_000);
  });

  it('says never (Infinity) for more than the limit, and tolerates a clock that goes back', () => {
    const bucket = new TokenBucket(5, 1_000);
    expect(bucket.waitFor(6, 1_000)).toBe(Infinity);
    bucket.take(5, 1_000);
    expect(bucket.level(0)).toBe(0); // a new virtual run: no refill, no crash
    expect(bucket.level(12_000)).toBe(1);
  });
});

describe('QuotaBuckets', () => {
  it('admits while every bucket has room, then says which one is short and for how long (whole seconds)', () => {
    const quota = new QuotaBuckets({ requestsPerMinute: 2 }, 0);
    expect(quota.admit(10, 0)).toEqual({ admitted: true });
    expect(quota.admit(10, 0)).toEqual({ admitted: true });
    expect(quota.admit(10, 0)).toEqual({ admitted: false, tooLarge: false, bucket: 'requests', waitMs: 30_000, retryAfterMs: 30_000 });
    expect(quota.admit(10, 29_999)).toMatchObject({ admitted: false, waitMs: 1, retryAfterMs: 1_000 });
    expect(quota.admit(10, 30_000)).toEqual({ admitted: true });
  });

  it('takes input tokens up front and names the longest wait', () => {
    const quota = new QuotaBuckets({ requestsPerMinute: 60, inputTokensPerMinute: 100 }, 0);
    expect(quota.admit(40, 0)).toEqual({ admitted: true });
    expect(quota.admit(40, 0)).toEqual({ admitted: true });
    // 20 left, 40 needed: 20 tokens at 100 per minute = 12 s; the request bucket is fine
    expect(quota.admit(40, 0)).toEqual({ admitted: false, tooLarge: false, bucket: 'inputTokens', waitMs: 12_000, retryAfterMs: 12_000 });
    expect(quota.admit(101, 0)).toEqual({ admitted: false, tooLarge: true, bucket: 'inputTokens' });
    expect(quota.admit(7, 0)).toEqual({ admitted: true }); // a refusal takes nothing
  });

  it('charges output tokens afterwards and refuses while the output bucket holds less than one token', () => {
    const quota = new QuotaBuckets({ outputTokensPerMinute: 10 }, 0);
    expect(quota.admit(5, 0)).toEqual({ admitted: true });
    quota.chargeOutput(12, 1_000);
    expect(quota.admit(5, 1_000)).toMatchObject({ admitted: false, bucket: 'outputTokens', waitMs: 18_000, retryAfterMs: 18_000 });
    expect(quota.admit(5, 19_000)).toEqual({ admitted: true });
  });

  it('rounds a fractional wait up to the next whole second', () => {
    const quota = new QuotaBuckets({ requestsPerMinute: 7 }, 0);
    for (let i = 0; i < 7; i++) quota.admit(1, 0);
    expect(quota.admit(1, 0)).toMatchObject({ waitMs: 8_572, retryAfterMs: 9_000 }); // 60000 / 7 = 8571.4
  });

  it('reports limit, remaining and resetAt for each declared bucket only', () => {
    const quota = new QuotaBuckets({ requestsPerMinute: 10, inputTokensPerMinute: 100, outputTokensPerMinute: 500 }, 0);
    quota.admit(13, 0);
    quota.chargeOutput(12, 1_000);
    expect(quota.snapshot(1_000)).toEqual({
      requests: { limit: 10, remaining: 9, resetAt: 6_000 },
      inputTokens: { limit: 100, remaining: 88, resetAt: 7_800 },
      outputTokens: { limit: 500, remaining: 488, resetAt: 2_440 },
    });
    expect(new QuotaBuckets({ requestsPerMinute: 1 }, 0).snapshot(5)).toEqual({ requests: { limit: 1, remaining: 1, resetAt: 5 } });
    expect(new QuotaBuckets({}, 0).snapshot(0)).toEqual({});
  });

  it('shows debt as 0 remaining and a reset beyond a minute', () => {
    const quota = new QuotaBuckets({ outputTokensPerMinute: 10 }, 0);
    quota.chargeOutput(25, 0);
    expect(quota.snapshot(0)).toEqual({ outputTokens: { limit: 10, remaining: 0, resetAt: 150_000 } });
  });

  it('rejects bad limits with typed errors naming the field', () => {
    expect(() => checkQuota({ requestsPerMinute: 0 }, 'here')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'quota.requestsPerMinute' }));
    expect(() => checkQuota({ outputTokensPerMinute: Infinity }, 'here')).toThrow(expect.objectContaining({ field: 'quota.outputTokensPerMinute' }));
    expect(() => checkQuota(null as never, 'here')).toThrow(expect.objectContaining({ field: 'quota' }));
    expect(() => checkQuota({ inputTokensPerMinute: 1 }, 'here')).not.toThrow();
  });
});
