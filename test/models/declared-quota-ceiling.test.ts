/**
 * Issue 10, item 3: a declared quota is a ceiling (a share of one key). The provider's
 * `anthropic-ratelimit-*` reports may lower it, never raise it: min(declared, reported).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { lastValueFrom } from 'rxjs';
import { anthropicModel, execute, governedModel, graphFromNodes, llm, simulatedModel } from 'rx-orchestra';
import { RateLimiter } from 'rx-orchestra/operators';
import { eventTimeline, startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

let server: FakeAnthropic | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('RateLimiter.observe with a declared quota', () => {
  it('keeps the declared limit when the provider reports a higher one, takes a lower one, and returns to the declared one', () => {
    const limiter = new RateLimiter({ requestsPerMinute: 5, inputTokensPerMinute: 1_000 });
    limiter.observe({ requests: { limit: 50, remaining: 49 }, inputTokens: { limit: 30_000, remaining: 29_000 } });
    expect(limiter.quota).toEqual({ requestsPerMinute: 5, inputTokensPerMinute: 1_000 });
    limiter.observe({ requests: { limit: 3, remaining: 3 } });
    expect(limiter.quota.requestsPerMinute).toBe(3);
    limiter.observe({ requests: { limit: 50, remaining: 50 } });
    expect(limiter.quota.requestsPerMinute).toBe(5);
  });

  it('still learns limits that were not declared', () => {
    const limiter = new RateLimiter({ requestsPerMinute: 5 });
    limiter.observe({ outputTokens: { limit: 8_000, remaining: 8_000 } });
    expect(limiter.quota).toEqual({ requestsPerMinute: 5, outputTokensPerMinute: 8_000 });
  });
});

describe('governedModel with a declared quota', () => {
  it('paces at the declared 5 RPM while the provider reports 50 RPM (virtual time)', () => {
    const events = testScheduler().run(() => {
      const model = governedModel(simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, quota: { requestsPerMinute: 50 }, model: 'claude-haiku-4-5' }), {
        quota: { requestsPerMinute: 5 },
        concurrency: 10,
      });
      const g = graphFromNodes(Array.from({ length: 7 }, (_, i) => ({ id: `t${i}`, run: llm({ prompt: () => `task ${i}` }), retry: 0, timeout: false as const })));
      return record(execute(g, { model, concurrency: Infinity }));
    });
    expect(eventTimeline(events, { only: ['node.succeeded'] })).toEqual([
      't=1000 node.succeeded t0',
      't=1000 node.succeeded t1',
      't=1000 node.succeeded t2',
      't=1000 node.succeeded t3',
      't=1000 node.succeeded t4',
      't=13000 node.succeeded t5', // one request per 12 s, as declared (not one per 1.2 s, as reported)
      't=25000 node.succeeded t6',
    ]);
  });

  it('keeps the declared ceiling against the real SDK over HTTP, whose headers report a higher limit', async () => {
    server = await startFakeAnthropic();
    server.reply({ text: 'ok', headers: { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '49' } });
    const model = governedModel(anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-haiku-4-5' }), { quota: { requestsPerMinute: 5 } });
    const completion = await lastValueFrom(model.complete({ prompt: 'hi' }));
    expect(completion.rateLimit?.requests?.limit).toBe(50);
    expect(model.rateLimiter.quota.requestsPerMinute).toBe(5);
  });
});
