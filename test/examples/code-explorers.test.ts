import { describe, expect, it } from 'vitest';
import { estimateTokens } from 'rx-orchestra';
import { CODE_PATHS, EXPLORER_LATENCY_MS, explorerRequest, quotaLowerBound, runStrategy } from '../../examples/code-explorers-graph.js';

describe('examples/code-explorers (seed 003)', () => {
  const raw = runStrategy('raw');
  const waves = runStrategy('waves');
  const governed = runStrategy('default');
  const bound = quotaLowerBound();

  it('explores all 22 code paths with every strategy, each call 2,000 tokens in and 500 out', () => {
    expect(CODE_PATHS).toHaveLength(22);
    for (const [id] of CODE_PATHS) {
      const { system, prompt } = explorerRequest(id);
      expect(estimateTokens(system) + estimateTokens(prompt)).toBe(2_000);
    }
    for (const result of [raw, waves, governed]) {
      expect(result.succeeded, result.strategy).toBe(22);
      expect(result.tokens, result.strategy).toBe(22 * 2_500); // refused calls use no tokens
    }
  });

  it('gets 429s and retries when all 22 start at once', () => {
    expect(raw.rateLimited).toBeGreaterThan(0);
    expect(raw.retries).toBe(raw.rateLimited); // every retry was a 429
    expect(raw.completionMs).toBeGreaterThan(bound);
  });

  it('runs waves of 4 one after the other, each waiting for the one before', () => {
    expect(waves.waves.map((w) => w.size)).toEqual([4, 4, 4, 4, 4, 2]);
    expect(waves.waves.map((w) => w.at)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * EXPLORER_LATENCY_MS));
    expect(waves.completionMs).toBe(6 * EXPLORER_LATENCY_MS);
    expect(waves.rateLimited).toBe(0);
  });

  it('finishes with the defaults without a single 429, faster than waves of 4 and near the quota bound', () => {
    expect(governed.rateLimited).toBe(0);
    expect(governed.retries).toBe(0);
    expect(governed.completionMs).toBeLessThan(waves.completionMs);
    expect(governed.completionMs).toBeLessThan(raw.completionMs);
    expect(governed.completionMs).toBeGreaterThanOrEqual(bound); // nothing beats the quota
    expect(governed.completionMs / bound).toBeLessThanOrEqual(1.1);
  });

  it('computes the bound from the input-token bucket: (22 x 2,000 - 30,000) / 500 per s, plus one call', () => {
    expect(bound).toBe(28_000 + EXPLORER_LATENCY_MS);
  });
});
