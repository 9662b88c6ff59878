/** Regressions found in review of the governed model and the Claude adapter. */
import { afterEach, describe, expect, it } from 'vitest';
import { lastValueFrom } from 'rxjs';
import { anthropicModel, execute, governedModel, graph, llm, priceOf, simulatedModel, UnknownModelPriceError, type Model } from 'rx-orchestra';
import { startFakeAnthropic, type FakeAnthropic, eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

let server: FakeAnthropic | undefined;
afterEach(() => server?.close());

describe('governed model', () => {
  it('does not count time spent queueing against a call’s idle or first-token deadline', () => {
    const events = testScheduler().run(() => {
      const quota = { requestsPerMinute: 1 };
      const model = governedModel(simulatedModel({ latency: { medianMs: 1_000, p95Ms: 1_000 }, quota, model: 'claude-haiku-4-5' }), { quota });
      const g = graph()
        .node('a', { run: llm({ prompt: () => 'a', idleTimeout: 5_000, firstTokenTimeout: 5_000 }) })
        .node('b', { run: llm({ prompt: () => 'b', idleTimeout: 5_000, firstTokenTimeout: 5_000 }) })
        .build();
      return record(execute(g, { model }));
    });
    expect(eventTimeline(events, { only: ['node.succeeded', 'node.failed'] })).toEqual(['t=1000 node.succeeded a', 't=61000 node.succeeded b']);
  });

  it('turns a provider that throws synchronously into a failed call, and frees the slot', async () => {
    let calls = 0;
    const broken: Model = {
      model: 'claude-haiku-4-5',
      stream: () => {
        calls += 1;
        throw new Error('provider rejected request synchronously');
      },
      complete: () => {
        throw new Error('unused');
      },
    };
    const model = governedModel(broken, { concurrency: 1 });
    await expect(lastValueFrom(model.complete({ prompt: 'a' }))).rejects.toThrow('synchronously');
    await expect(lastValueFrom(model.complete({ prompt: 'b' }))).rejects.toThrow('synchronously');
    expect(calls).toBe(2);
    expect(model.concurrency.inFlight).toBe(0);
  });
});

describe('Claude adapter', () => {
  it('puts the quota headers of a 429 on the error, so a limiter learns from it', async () => {
    server = await startFakeAnthropic();
    server.reply({ status: 429, retryAfterSeconds: 1, headers: { 'anthropic-ratelimit-requests-limit': '50', 'anthropic-ratelimit-requests-remaining': '0' } });
    const claude = anthropicModel({ apiKey: 'test', baseURL: server.baseURL });
    const error = await lastValueFrom(claude.complete({ prompt: 'hi' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', rateLimit: { requests: { limit: 50, remaining: 0 } } });
  });
});

describe('prices', () => {
  it('prices dated snapshots as their model, and refuses to guess for unknown models', () => {
    expect(priceOf('claude-haiku-4-5-20251001')).toEqual({ inputPerMTok: 1, outputPerMTok: 5 });
    expect(() => priceOf('claude-opus-4-7')).toThrow(UnknownModelPriceError);
    expect(() => priceOf('claude-sonnet-4-6-preview')).toThrow(UnknownModelPriceError);
  });
});
