/**
 * A peer collaboration for real: the official SDK over HTTP against the fake Messages API, through
 * the run's model, governed (the default). Real time, so assertions are about order, bodies and
 * counts, never durations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { anthropicModel, execute, graph, RunEventSchema, type Model, type RunEvent } from 'rx-orchestra';
import { collaboration, peer, type CollaborationResult } from 'rx-orchestra/patterns';
import { startFakeAnthropic, type FakeAnthropic } from 'rx-orchestra/testing';
import { PeerFinishedEventSchema, PeerTurnEventSchema } from '../../../src/patterns/collaboration/events.js';

let server: FakeAnthropic;
let claude: Model;

beforeEach(async () => {
  server = await startFakeAnthropic();
  claude = anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-haiku-4-5' });
});
afterEach(() => server.close());

const WRITER = 'You write one short paragraph. Revise it when the critic asks.';
const CRITIC = 'You review the paragraph. Reply APPROVED alone when it needs nothing more.';

describe('collaboration() over the real SDK and HTTP', () => {
  it('writer and critic talk through Claude calls: each a streamed, priced Messages request with its own view of the conversation', async () => {
    server.reply({ text: 'Schedulers decide when work runs.' }, { text: 'Name one scheduler.' }, { text: 'asyncScheduler decides when timers fire.' }, { text: 'APPROVED' });
    const run = collaboration({
      peers: {
        writer: peer({ system: WRITER, maxTokens: 200 }),
        critic: peer({ system: CRITIC, model: 'claude-sonnet-4-6', maxTokens: 50, temperature: 0 }),
      },
      start: { to: 'writer', message: ({ topic }: { topic: string }) => `Write about ${topic}.` },
      until: (message) => message.from === 'critic' && message.text.trim() === 'APPROVED',
      maxTurns: 6,
    });
    const g = graph()
      .node('topic', { run: async () => 'RxJS schedulers' })
      .node('article', { deps: ['topic'], run })
      .build();
    const events: RunEvent[] = await lastValueFrom(execute(g, { model: claude }).pipe(toArray()));

    const ended = events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'article');
    expect(ended).toBeDefined();
    const value = (ended as { value: CollaborationResult<'writer' | 'critic'> }).value;
    expect(value).toMatchObject({ reason: 'until', turns: 4, output: 'asyncScheduler decides when timers fire.', final: { from: 'critic', text: 'APPROVED' } });

    // Four HTTP requests, streamed, each with its peer's system prompt, model and view.
    expect(server.requests.map((r) => [r.path, r.body?.stream, r.body?.model, r.body?.system !== undefined])).toEqual([
      ['/v1/messages', true, 'claude-haiku-4-5', true],
      ['/v1/messages', true, 'claude-sonnet-4-6', true],
      ['/v1/messages', true, 'claude-haiku-4-5', true],
      ['/v1/messages', true, 'claude-sonnet-4-6', true],
    ]);
    expect(JSON.stringify(server.requests[0]!.body!.system)).toContain('You write one short paragraph');
    const fourth = server.requests[3]!.body!;
    expect(fourth.max_tokens).toBe(50);
    expect((fourth.messages as { role: string }[]).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(fourth.messages)).toContain('asyncScheduler decides when timers fire.');

    // Each reply is reported: a peer.turn and a priced node.usage (the run's budget sees them), all valid events.
    const article = events.filter((e) => 'nodeId' in e && e.nodeId === 'article');
    expect(article.filter((e) => e.type === ('peer.turn' as RunEvent['type'])).map((e) => `${String((e as unknown as { from: string }).from)}`)).toEqual(['writer', 'critic', 'writer', 'critic']);
    const usage = article.filter((e): e is Extract<RunEvent, { type: 'node.usage' }> => e.type === 'node.usage');
    expect(usage.map((e) => e.model)).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-sonnet-4-6']);
    for (const e of usage) expect(e.costUsd).toBeGreaterThan(0);
    const summary = (events.at(-1) as Extract<RunEvent, { type: 'run.completed' }>).summary;
    expect(summary.usage.byNode.article).toMatchObject({ calls: 4 });
    expect(summary.usage.total.costUsd).toBeCloseTo(usage.reduce((sum, e) => sum + e.costUsd, 0), 12);
    for (const e of events) {
      const schema = e.type === ('peer.turn' as RunEvent['type']) ? PeerTurnEventSchema : e.type === ('peer.finished' as RunEvent['type']) ? PeerFinishedEventSchema : RunEventSchema;
      expect(schema.safeParse(JSON.parse(JSON.stringify(e))).success, e.type).toBe(true);
    }
  });

  it('a budget stops the conversation mid-way: the call in flight is aborted, no request after it', async () => {
    // Each reply reports 40,000 input tokens on Sonnet ($3/M): $0.12 a reply, over $0.2 after the second.
    const usage = { input_tokens: 40_000, output_tokens: 5 };
    server.reply({ text: 'Draft.', usage }, { text: 'Not yet.', usage }, { text: 'Draft 2.', usage, chunks: ['Draft', ' 2.'], stallAfterChunks: 1 });
    const run = collaboration({
      peers: { writer: peer({ system: WRITER, maxTokens: 50 }), critic: peer({ system: CRITIC, maxTokens: 50 }) },
      start: { to: 'writer', message: () => 'Write about RxJS.' },
      until: () => false,
      maxTurns: 8,
    });
    const sonnet = anthropicModel({ apiKey: 'sk-ant-test', baseURL: server.baseURL, model: 'claude-sonnet-4-6' });
    const events: RunEvent[] = await lastValueFrom(execute(graph().node('article', { run }).build(), { model: sonnet, budget: { maxUsd: 0.2 } }).pipe(toArray()));
    const outcome = events.find((e) => e.type === 'node.skipped');
    expect(outcome).toMatchObject({ nodeId: 'article', cause: { kind: 'budget' } });
    expect(events.find((e) => e.type === ('peer.finished' as RunEvent['type']))).toMatchObject({ reason: 'budget', turns: 2 });
    await server.settled();
    // Without the stop there would be 8 requests (maxTurns). The writer's second call starts as the
    // critic's reply crosses the budget and is aborted at once: it may not even reach the server;
    // if it did, the client closed it. Nothing is sent after it.
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.length).toBeLessThanOrEqual(3);
    for (const request of server.requests.slice(2)) expect(request.clientClosed).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { stoppedBy: 'budget' } });
  });
});
