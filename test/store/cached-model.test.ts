/**
 * The response cache, for real: Claude over the official SDK against the fake Anthropic server
 * (which counts requests), with answers kept in both real stores.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom, toArray, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  anthropicModel,
  collect,
  execute,
  graph,
  llm,
  type Model,
  type RunEvent,
} from 'rx-orchestra';
import { cacheKeyOf } from '../../src/store/cache-key.js';
import { cachedModel, isStoreError, sqliteStore, type DurableStore } from 'rx-orchestra/store';
import { startFakeAnthropic, type FakeAnthropic, type FakeRequest } from 'rx-orchestra/testing';
import { redisKind, sqliteKind } from './stores.js';

const promptOf = (request: FakeRequest) => {
  const messages = (request.body?.messages ?? []) as { content: string }[];
  return messages.at(-1)?.content ?? '';
};

let server: FakeAnthropic;
let claude: Model;
beforeEach(async () => {
  server = await startFakeAnthropic({
    respond: (request) => {
      const prompt = promptOf(request);
      if (prompt.startsWith('json:')) return { text: JSON.stringify({ title: 'Schedulers', points: ['time', 'order'] }) };
      return { text: `answer to ${prompt}`, usage: { input_tokens: 1000, output_tokens: 200 } };
    },
  });
  claude = anthropicModel({ apiKey: 'test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
});
afterEach(() => server.close());

const requestsFor = (prompt: string) => server.requests.filter((r) => promptOf(r) === prompt).length;
const events = (run$: ReturnType<typeof execute>) => lastValueFrom(run$.pipe(toArray()));
/** A clock the test moves by hand (timers still real: these calls do not wait on the scheduler). */
const manualClock = () => {
  const clock = { t: 0 };
  const scheduler: SchedulerLike = { now: () => clock.t, schedule: asyncScheduler.schedule.bind(asyncScheduler) as SchedulerLike['schedule'] };
  return { clock, scheduler };
};

describe.each([sqliteKind(), redisKind()])('cachedModel on the $name store', (kind) => {
  let stores: DurableStore[] = [];
  const open = () => {
    const { store, reopen } = kind.open();
    stores.push(store);
    return {
      store,
      reopen: () => {
        const other = reopen();
        stores.push(other);
        return other;
      },
    };
  };
  beforeAll(() => kind.setup(), 20_000);
  afterAll(() => kind.teardown());
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
  });

  it('answers a repeated idempotent node from the cache: a cache.hit event, zero usage, no request, same value', async () => {
    const { store } = open();
    const cached = cachedModel(claude, store);
    const g = graph()
      .node('facts', { run: llm({ prompt: () => 'three facts', system: 'Be brief.', temperature: 0, provider: cached }) })
      .node('story', { deps: ['facts'], run: llm({ prompt: ({ facts }) => `a story about ${facts}`, provider: claude }) }) // not idempotent
      .build();
    const first = await events(execute(g));
    expect(first.some((e) => e.type === 'cache.hit')).toBe(false);
    const second = await events(execute(g));
    expect(requestsFor('three facts')).toBe(1);
    expect(requestsFor('a story about answer to three facts')).toBe(2);
    const hit = second.find((e) => e.type === 'cache.hit');
    expect(hit).toMatchObject({ nodeId: 'facts', attempt: 1, model: 'claude-sonnet-4-6', key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect((hit as { savedUsd: number }).savedUsd).toBeCloseTo((1000 * 3 + 200 * 15) / 1e6, 12);
    const usage = second.find((e) => e.type === 'node.usage' && e.nodeId === 'facts');
    expect(usage).toMatchObject({ costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } });
    expect(second.filter((e) => e.type === 'node.token' && e.nodeId === 'facts').map((e) => (e as { text: string }).text).join('')).toBe('answer to three facts');
    const succeeded = (run: RunEvent[]) => run.find((e) => e.type === 'node.succeeded' && e.nodeId === 'facts');
    expect((succeeded(second) as { value: unknown }).value).toBe((succeeded(first) as { value: unknown }).value);
    const summary = second.at(-1) as Extract<RunEvent, { type: 'run.completed' }>;
    expect(summary.summary.usage.byNode.facts!.costUsd).toBe(0);
  });

  it('keys on model, system, messages and parameters: any change is a miss, the same request a hit', async () => {
    const { store } = open();
    const cached = cachedModel(claude, store);
    const base = { prompt: 'p', system: 's', temperature: 0, maxTokens: 100 };
    const variants = [base, { ...base, model: 'claude-haiku-4-5' }, { ...base, system: 's2' }, { ...base, temperature: 0.5 }, { ...base, maxTokens: 200 }, { ...base, history: [{ role: 'user' as const, content: 'earlier' }, { role: 'assistant' as const, content: 'yes' }] }];
    for (const request of variants) await lastValueFrom(cached.complete(request));
    expect(requestsFor('p')).toBe(6);
    for (const request of variants) await lastValueFrom(cached.complete({ ...request, timeoutMs: 1234 })); // a deadline is not part of the key
    expect(requestsFor('p')).toBe(6);
    expect(new Set(variants.map((r) => cacheKeyOf(r, 'claude-sonnet-4-6'))).size).toBe(6);
    expect(cacheKeyOf({ prompt: 'p', model: 'claude-sonnet-4-6' }, 'other')).toBe(cacheKeyOf({ prompt: 'p' }, 'claude-sonnet-4-6'));
    expect(cacheKeyOf({ prompt: 'p', jsonSchema: { type: 'object', required: ['a'] } }, 'm')).toBe(cacheKeyOf({ prompt: 'p', jsonSchema: { required: ['a'], type: 'object' } }, 'm'));
  });

  it('caches structured output: a hit yields the validated object without a call', async () => {
    const { store } = open();
    const cached = cachedModel(claude, store);
    const g = graph()
      .node('outline', { run: llm({ prompt: () => 'json: outline', schema: z.object({ title: z.string(), points: z.array(z.string()) }), provider: cached }) })
      .build();
    await collect(execute(g));
    const { outcomes } = await collect(execute(g));
    expect(outcomes.outline).toMatchObject({ status: 'succeeded', value: { title: 'Schedulers', points: ['time', 'order'] } });
    expect(requestsFor('json: outline')).toBe(1);
  });

  it('caches only what the predicate marks cacheable', async () => {
    const { store } = open();
    const cached = cachedModel(claude, store, { cacheable: (request) => request.temperature === 0 });
    for (let i = 0; i < 2; i++) {
      await lastValueFrom(cached.complete({ prompt: 'deterministic', temperature: 0 }));
      await lastValueFrom(cached.complete({ prompt: 'creative', temperature: 0.9 }));
    }
    expect([requestsFor('deterministic'), requestsFor('creative')]).toEqual([1, 2]);
    expect(await store.cacheSize()).toBe(1);
  });

  it('expires answers after ttlMs (on the scheduler’s clock) and keeps at most maxEntries, evicting the oldest', async () => {
    const { store } = open();
    const { clock, scheduler } = manualClock();
    const cached = cachedModel(claude, store, { ttlMs: 1000, maxEntries: 2, scheduler, governed: false });
    const ask = (prompt: string) => lastValueFrom(cached.complete({ prompt }));
    await ask('one');
    clock.t = 999;
    await ask('one');
    expect(requestsFor('one')).toBe(1);
    clock.t = 1000;
    await ask('one'); // expired: asked again, stored anew at t=1000
    expect(requestsFor('one')).toBe(2);
    await ask('two');
    await ask('three'); // evicts 'one', the oldest stored
    expect(await store.cacheSize()).toBe(2);
    await ask('three');
    await ask('two');
    await ask('one');
    expect([requestsFor('one'), requestsFor('two'), requestsFor('three')]).toEqual([3, 1, 1]);
  });

  it('shares answers between processes through the store', async () => {
    const { store, reopen } = open();
    await lastValueFrom(cachedModel(claude, store).complete({ prompt: 'shared' }));
    const elsewhere = cachedModel(anthropicModel({ apiKey: 'test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' }), reopen());
    const answer = await lastValueFrom(elsewhere.stream({ prompt: 'shared' }).pipe(toArray()));
    expect(answer.map((e) => e.type)).toEqual(['cache.hit', 'text', 'completion']);
    expect(requestsFor('shared')).toBe(1);
  });

  it('fails the call with a retryable StoreError, before any request, when the cache cannot be read', async () => {
    const { store } = open();
    const cached = cachedModel(claude, store);
    await store.close();
    const error = await lastValueFrom(cached.complete({ prompt: 'unreadable' })).catch((e: unknown) => e);
    expect(isStoreError(error) && [error.code, error.retryable]).toEqual(['STORE_FAILED', true]);
    expect(requestsFor('unreadable')).toBe(0);
  });
});

describe('cachedModel settings', () => {
  it('puts the model behind the shared governor (so llm() does not wrap it again, and hits skip the queue)', async () => {
    const store = sqliteStore(':memory:');
    const cached = cachedModel(claude, store);
    expect(cached.rateLimiter).toBeDefined();
    expect(cached.concurrency).toBeDefined();
    expect(cachedModel(claude, store, { governed: false }).rateLimiter).toBeUndefined();
    expect(cachedModel(claude, store).inner).toBe(cached.inner); // one governor per provider
    store.close();
  });

  it.each([
    [{ ttlMs: 0 }, 'ttlMs'],
    [{ ttlMs: NaN }, 'ttlMs'],
    [{ maxEntries: 0 }, 'maxEntries'],
    [{ maxEntries: 1.5 }, 'maxEntries'],
  ])('refuses %o with INVALID_OPTION naming the field', (options, field) => {
    expect(() => cachedModel(claude, sqliteStore(':memory:'), options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', details: { field } }));
  });
});
