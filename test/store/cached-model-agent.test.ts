/**
 * cachedModel under an agent loop: answers with content blocks (tool calls, thinking) are stored with
 * their blocks and replayed like a live call (the same stream events, the same completion), so a
 * loop served from the cache calls the same tools and ends with the same answer, without calling the
 * model. SQLite in virtual time (exact frames), Redis in real time (the blocks survive its JSON).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, map, timer, toArray } from 'rxjs';
import { z } from 'zod';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { cachedModel, type DurableStore } from 'rx-orchestra/store';
import { agent } from '../../src/agents/agent.js';
import { tool } from '../../src/agents/tool.js';
import type { ModelEvent } from '../../src/models/model.js';
import { scriptedModel, type ScriptedModelStep } from '../../src/testing/scripted-model.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { redisKind, sqliteKind } from './stores.js';

/** A tool that answers `found <q>` after 5 ms, counting its runs. */
function lookupTool() {
  const runs: string[] = [];
  const lookup = tool({
    name: 'lookup',
    description: 'Looks a word up',
    input: z.object({ q: z.string() }),
    run: ({ q }, { scheduler }) => {
      runs.push(q);
      return timer(5, scheduler).pipe(map(() => `found ${q}`));
    },
  });
  return { lookup, runs };
}

const SCRIPT: readonly ScriptedModelStep[] = [
  { after: 10, thinking: 'I should look it up.', text: 'Looking.', toolUse: [{ name: 'lookup', input: { q: 'rxjs' } }] },
  { after: 10, thinking: 'Found it.', text: 'RxJS is a reactive library.' },
];

/** Agent and cache frames of a run, one line each. */
const frames = (events: readonly RunEvent[]) =>
  (events as unknown as ({ type: string; at: number } & Record<string, unknown>)[])
    .filter((e) => ['cache.hit', 'node.thinking', 'node.token', 'agent.step', 'tool.called', 'tool.succeeded', 'agent.finished', 'node.succeeded', 'node.failed'].includes(e.type))
    .map((e) => `t=${e.at} ${e.type}${e.type === 'agent.step' ? ` ${String(e.stopReason)}` : ''}${e.type === 'node.token' || e.type === 'node.thinking' ? ` ${String(e.text)}` : ''}`);

const kinds = { sqlite: sqliteKind(), redis: redisKind() };
const stores: DurableStore[] = [];
beforeAll(() => Promise.all([kinds.sqlite.setup(), kinds.redis.setup()]), 20_000);
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});
afterAll(() => Promise.all([kinds.sqlite.teardown(), kinds.redis.teardown()]));
const open = (kind: keyof typeof kinds) => {
  const { store } = kinds[kind].open();
  stores.push(store);
  return store;
};

describe('cachedModel: answers with content blocks', () => {
  it('an agent loop served from the cache (SQLite, virtual time) calls the same tools and answers the same, with no model call', () => {
    const store = open('sqlite');
    const model = scriptedModel(SCRIPT);
    const { lookup, runs } = lookupTool();
    const runOnce = () =>
      testScheduler().run(() => {
        const cached = cachedModel(model, store, { governed: false });
        const g = graph().node('a', { run: agent({ prompt: () => 'What is RxJS?', tools: [lookup], provider: cached, governed: false }) }).build();
        return record(execute(g));
      });

    const live = runOnce();
    expect(model.calls).toHaveLength(2);
    expect(frames(live)).toEqual([
      't=10 node.thinking I should look it up.',
      't=10 node.token Looking.',
      't=10 agent.step tool_use',
      't=10 tool.called',
      't=15 tool.succeeded',
      't=25 node.thinking Found it.',
      't=25 node.token RxJS is a reactive library.',
      't=25 agent.step end_turn',
      't=25 agent.finished',
      't=25 node.succeeded',
    ]);

    const served = runOnce();
    expect(model.calls).toHaveLength(2); // every call a hit: the script would fail a third call
    expect(runs).toEqual(['rxjs', 'rxjs']); // the tools still run: only model calls are cached
    expect(frames(served)).toEqual([
      't=0 cache.hit',
      't=0 node.thinking I should look it up.',
      't=0 node.token Looking.',
      't=0 agent.step tool_use',
      't=0 tool.called',
      't=5 tool.succeeded',
      't=5 cache.hit',
      't=5 node.thinking Found it.',
      't=5 node.token RxJS is a reactive library.',
      't=5 agent.step end_turn',
      't=5 agent.finished',
      't=5 node.succeeded',
    ]);
    const valueOf = (events: RunEvent[]) => (events.find((e) => e.type === 'node.succeeded') as { value: unknown }).value;
    expect(valueOf(served)).toBe('RxJS is a reactive library.');
    const transcriptOf = (events: RunEvent[]) => (events.find((e) => (e.type as string) === 'agent.finished') as unknown as { transcript: unknown }).transcript;
    expect(transcriptOf(served)).toEqual(transcriptOf(live)); // thinking signatures and tool ids included
  });

  it('a hit replays the stream of the live call: thinking, text and tool_use events, then the completion with its blocks (Redis, real time)', async () => {
    const store = open('redis');
    const model = scriptedModel(SCRIPT);
    const cached = cachedModel(model, store, { governed: false });
    const request = { prompt: 'What is RxJS?', tools: [{ name: 'lookup', description: 'Looks a word up', inputSchema: { type: 'object' } }] };
    const live = await lastValueFrom(cached.stream(request).pipe(toArray()));
    const hit = await lastValueFrom(cached.stream(request).pipe(toArray()));
    expect(model.calls).toHaveLength(1);
    const completionOf = (events: ModelEvent[]) => (events.at(-1) as Extract<ModelEvent, { type: 'completion' }>).completion;
    expect(hit[0]).toMatchObject({ type: 'cache.hit', model: 'simulated' });
    expect(hit.slice(1, -1)).toEqual(live.slice(0, -1));
    expect(hit.slice(1, -1).map((e) => e.type)).toEqual(['thinking', 'text', 'tool_use']);
    const [fresh, replayed] = [completionOf(live), completionOf(hit)];
    expect(replayed).toEqual({ text: fresh.text, content: fresh.content, stopReason: 'tool_use', model: fresh.model, usage: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 }, latencyMs: 0 });
    expect(await lastValueFrom(cached.complete(request))).toEqual(replayed);
  });
});
