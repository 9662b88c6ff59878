/**
 * Issue 10, item 10 (review): offline, the simulated stand-in reports the id of the model that would
 * answer with a key (`claude-sonnet-4-6`). Its answers must not be cached under that id: once a key
 * is set, Claude would be served the simulator's text. A simulated model has a cache namespace of
 * its own. Claude over the official SDK against the fake Anthropic server; a real SQLite store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom } from 'rxjs';
import { join } from 'node:path';
import { anthropicModel, governedModel, simulatedModel, type Model } from 'rx-orchestra';
import { cachedModel, sqliteStore, type SqliteStore } from 'rx-orchestra/store';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { tempDir } from './stores.js';

let server: FakeAnthropic;
let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(async () => {
  server = await startFakeAnthropic({ respond: () => ({ text: 'from Claude', usage: { input_tokens: 10, output_tokens: 5 } }) });
  dir = tempDir();
  store = sqliteStore(join(dir.path, 'cache.db'));
});
afterEach(async () => {
  store.close();
  dir.remove();
  await server.close();
});

const ask = (model: Model, prompt = 'Three facts about RxJS') => lastValueFrom(model.complete({ prompt, temperature: 0 }));

describe('cache identity of a simulated stand-in', () => {
  it('answers cached offline (simulated, reporting claude-sonnet-4-6) are not served to Claude once a key is set, nor the other way round', async () => {
    const standIn = simulatedModel({ model: 'claude-sonnet-4-6', latency: { medianMs: 1, p95Ms: 1 } });
    expect(standIn.model).toBe('claude-sonnet-4-6'); // priced as Claude
    const offline = await ask(cachedModel(standIn, store));
    expect(offline.text).not.toBe('from Claude');

    const claude = anthropicModel({ apiKey: 'test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
    const online = await ask(cachedModel(claude, store));
    expect(online.text).toBe('from Claude');
    expect(server.requests).toHaveLength(1); // a miss: the simulator's answer was not served

    // Each is still served its own answer from the cache.
    expect((await ask(cachedModel(claude, store))).text).toBe('from Claude');
    expect(server.requests).toHaveLength(1);
    expect((await ask(cachedModel(standIn, store))).text).toBe(offline.text);
    expect(await store.cacheSize()).toBe(2);
  });

  it('also for a request naming the model, and behind a governedModel wrapper', async () => {
    const standIn = governedModel(simulatedModel({ model: 'claude-sonnet-4-6', latency: { medianMs: 1, p95Ms: 1 } }));
    const claude = anthropicModel({ apiKey: 'test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
    const request = { prompt: 'p', model: 'claude-haiku-4-5', temperature: 0 };
    const offline = await lastValueFrom(cachedModel(standIn, store).complete(request));
    const online = await lastValueFrom(cachedModel(claude, store).complete(request));
    expect(online.text).toBe('from Claude');
    expect(offline.text).not.toBe('from Claude');
    expect(server.requests).toHaveLength(1);
  });
});
