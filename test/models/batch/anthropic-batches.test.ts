/**
 * The wire format: the real `@anthropic-ai/sdk` over real HTTP against the fake Anthropic server's
 * Message Batches endpoints, raw (as strict as the API: custom ids, 404s, results only once ended)
 * and through `anthropicBatches` + `batchingModel` (one batch for the calls gathered, each call
 * answered from its JSONL line, errors classified, cancellation sent).
 */
import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { lastValueFrom, merge, toArray, type Subscription } from 'rxjs';
import { anthropicBatches, anthropicModel, batchingModel, isBatchCallError, isBatchedCompletion, isModelCallError, type Completion } from 'rx-orchestra';
import { startFakeAnthropic, DEFAULT_REPLY_TEXT, type FakeAnthropic, type FakeBatchOptions } from 'rx-orchestra/testing';

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(batches: FakeBatchOptions = {}) {
  fake = await startFakeAnthropic({ batches });
  const client = new Anthropic({ baseURL: fake.baseURL, apiKey: 'test-key', maxRetries: 0 });
  return { fake, client };
}

const params = (prompt: string) => ({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user' as const, content: prompt }] });
const posts = (f: FakeAnthropic, path: string) => f.requests.filter((r) => r.method === 'POST' && r.path === path);

describe('fake Anthropic: the Message Batches endpoints, through the real SDK', () => {
  it('creates a batch, reports it in progress, then ended with counts, and streams its results as JSONL', async () => {
    const { fake, client } = await start({ processingMs: 1_500, result: ({ customId }) => (customId === 'bad' ? { error: 'overloaded_error' } : customId === 'tool' ? { toolUse: [{ name: 'lookup', input: { q: 'x' } }] } : undefined) });
    const created = await client.messages.batches.create({ requests: [{ custom_id: 'ok', params: params('hi') }, { custom_id: 'bad', params: params('hi') }, { custom_id: 'tool', params: params('hi') }] });
    expect(created).toMatchObject({ type: 'message_batch', processing_status: 'in_progress', request_counts: { processing: 3, succeeded: 0 }, results_url: null, ended_at: null });
    await expect(client.messages.batches.results(created.id)).rejects.toThrow(/results_url/); // not ended: no results yet
    let ended = await client.messages.batches.retrieve(created.id);
    while (ended.processing_status !== 'ended') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      ended = await client.messages.batches.retrieve(created.id);
    }
    expect(ended).toMatchObject({ processing_status: 'ended', request_counts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 } });
    expect(ended.results_url).toBe(`${fake.baseURL}/v1/messages/batches/${created.id}/results`);
    const lines = [];
    for await (const line of await client.messages.batches.results(created.id)) lines.push(line);
    expect(lines.map((line) => [line.custom_id, line.result.type])).toEqual([
      ['ok', 'succeeded'],
      ['bad', 'errored'],
      ['tool', 'succeeded'],
    ]);
    const ok = lines[0]!.result;
    expect(ok.type === 'succeeded' && ok.message.content[0]).toEqual({ type: 'text', text: DEFAULT_REPLY_TEXT });
    const bad = lines[1]!.result;
    expect(bad.type === 'errored' && bad.error.error.type).toBe('overloaded_error');
  });

  it('is as strict as the API: custom id pattern, unique custom ids, a non-empty list, 404 for unknown ids', async () => {
    const { client } = await start();
    await expect(client.messages.batches.create({ requests: [{ custom_id: 'has space', params: params('hi') }] })).rejects.toMatchObject({ status: 400 });
    await expect(client.messages.batches.create({ requests: [{ custom_id: 'a'.repeat(65), params: params('hi') }] })).rejects.toMatchObject({ status: 400 });
    await expect(client.messages.batches.create({ requests: [{ custom_id: 'x', params: params('hi') }, { custom_id: 'x', params: params('ho') }] })).rejects.toMatchObject({ status: 400 });
    await expect(client.messages.batches.create({ requests: [] })).rejects.toMatchObject({ status: 400 });
    await expect(client.messages.batches.retrieve('msgbatch_nope')).rejects.toMatchObject({ status: 404 });
    await expect(client.messages.batches.cancel('msgbatch_nope')).rejects.toMatchObject({ status: 404 });
  });

  it('errors a request the Messages API would refuse as an invalid_request_error line, not the batch', async () => {
    const { client } = await start();
    const refused = { ...params('hi'), thinking: { type: 'enabled' as const, budget_tokens: 100 } }; // below 1024
    const batch = await client.messages.batches.create({ requests: [{ custom_id: 'r', params: refused }] });
    const lines = [];
    for await (const line of await client.messages.batches.results(batch.id)) lines.push(line);
    expect(lines[0]!.result.type === 'errored' && lines[0]!.result.error.error.type).toBe('invalid_request_error');
  });

  it('cancels: canceling, then ended with every unprocessed request canceled; lists newest first', async () => {
    const { client } = await start({ processingMs: 60_000, cancelMs: 50 });
    const first = await client.messages.batches.create({ requests: [{ custom_id: 'a', params: params('hi') }] });
    const second = await client.messages.batches.create({ requests: [{ custom_id: 'b', params: params('hi') }, { custom_id: 'c', params: params('hi') }] });
    expect(await client.messages.batches.cancel(second.id)).toMatchObject({ processing_status: 'canceling' });
    let status = await client.messages.batches.retrieve(second.id);
    while (status.processing_status !== 'ended') {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = await client.messages.batches.retrieve(second.id);
    }
    expect(status).toMatchObject({ processing_status: 'ended', request_counts: { canceled: 2, succeeded: 0 } });
    const listed = [];
    for await (const batch of client.messages.batches.list({ limit: 1 })) listed.push(batch.id);
    expect(listed).toEqual([second.id, first.id]); // two pages of one
  });

  it('expires a batch that outlives expiresAfterMs: every request expired', async () => {
    const { client } = await start({ processingMs: 60_000, expiresAfterMs: 50 });
    const batch = await client.messages.batches.create({ requests: [{ custom_id: 'a', params: params('hi') }] });
    let status = await client.messages.batches.retrieve(batch.id);
    while (status.processing_status !== 'ended') {
      await new Promise((resolve) => setTimeout(resolve, 25));
      status = await client.messages.batches.retrieve(batch.id);
    }
    expect(status).toMatchObject({ request_counts: { expired: 1, succeeded: 0 } });
  });
});

describe('batchingModel over anthropicBatches (real SDK, real HTTP)', () => {
  const setup = async (batches: FakeBatchOptions) => {
    const { fake } = await start(batches);
    const claude = anthropicModel({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'claude-haiku-4-5' });
    const model = batchingModel(claude, { backend: anthropicBatches({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'claude-haiku-4-5' }), maxWaitMs: 20, pollInterval: { initialMs: 30, factor: 1, maxMs: 30 } });
    return { fake, model };
  };

  it('sends the gathered calls as one batch and answers each from its line: text, a classified error, a typed outcome', async () => {
    const { fake, model } = await setup({
      processingMs: 100,
      result: ({ params }) => {
        const prompt = JSON.stringify(params.messages);
        return prompt.includes('fail') ? { error: 'overloaded_error' } : prompt.includes('never') ? 'expired' : { text: 'half price' };
      },
    });
    const settle = (prompt: string) => lastValueFrom(model.stream({ prompt }).pipe(toArray())).then((events) => ({ events }), (error: unknown) => ({ error }));
    const [ok, failed, expired] = await Promise.all([settle('answer me'), settle('fail me'), settle('never mind')]);
    const events = 'events' in ok ? ok.events : [];
    // Submitted, polled until ended (how often depends on the wall clock), then the line as if streamed.
    const types = events.map((e) => e.type as string);
    expect(types[0]).toBe('batch.submitted');
    expect(types.slice(-3)).toEqual(['batch.ended', 'text', 'completion']);
    expect(types.slice(1, -3).every((type) => type === 'batch.polled')).toBe(true);
    const completion = (events.at(-1) as { completion: Completion }).completion;
    expect(completion.text).toBe('half price');
    expect(isBatchedCompletion(completion)).toBe(true);
    expect(completion.usage.outputTokens).toBeGreaterThan(0);
    const error = 'error' in failed ? failed.error : undefined;
    expect(isModelCallError(error) && error.code === 'OVERLOADED' && error.retryable).toBe(true);
    const outcome = 'error' in expired ? expired.error : undefined;
    expect(isBatchCallError(outcome) && outcome.code).toBe('BATCH_EXPIRED');
    const creates = posts(fake, '/v1/messages/batches');
    expect(creates).toHaveLength(1);
    expect((creates[0]!.body as { requests: unknown[] }).requests).toHaveLength(3);
    expect(posts(fake, '/v1/messages')).toHaveLength(0); // nothing went direct
  });

  it('cancels the batch at the API once every call in it was unsubscribed', async () => {
    const { fake, model } = await setup({ processingMs: 60_000 });
    const subscriptions: Subscription[] = [];
    const submitted = new Promise<void>((resolve) => {
      let count = 0;
      for (const prompt of ['a', 'b']) {
        subscriptions.push(
          model.stream({ prompt }).subscribe((event) => {
            if (event.type === ('batch.submitted' as string) && ++count === 2) resolve();
          }),
        );
      }
    });
    await submitted;
    for (const subscription of subscriptions) subscription.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fake.settled();
    const cancels = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'));
    expect(cancels.map((r) => r.path)).toEqual(['/v1/messages/batches/msgbatch_fake000001/cancel']);
  });

  it('sends the batch request with the Messages params anthropicModel would send', async () => {
    const { fake, model } = await setup({});
    await lastValueFrom(merge(model.complete({ prompt: 'hello', system: 'be brief', maxTokens: 50, temperature: 0 })));
    const body = posts(fake, '/v1/messages/batches')[0]!.body as { requests: { custom_id: string; params: Record<string, unknown> }[] };
    expect(body.requests[0]!.params).toEqual({ model: 'claude-haiku-4-5', max_tokens: 50, system: 'be brief', temperature: 0, messages: [{ role: 'user', content: 'hello' }] });
    expect(body.requests[0]!.custom_id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });
});

describe('Claude brings its Message Batches API: llm({ batch: true }) and execute(g, { batch }) need no setup', () => {
  it('anthropicModel().batches is the batch backend over the same client; a batched run goes through it at half price', async () => {
    const { fake } = await start({ processingMs: 200 });
    const { collect, execute, graph, llm } = await import('rx-orchestra');
    const model = anthropicModel({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'claude-haiku-4-5' });
    expect(model.batches.provider).toBe('anthropic');
    const g = graph()
      .node('a', { run: llm({ prompt: () => 'one', maxTokens: 32, batch: true }) })
      .node('b', { run: llm({ prompt: () => 'two', maxTokens: 32 }) })
      .build();
    const run = await collect(execute(g, { model, batch: { maxWaitMs: 50, pollInterval: { initialMs: 100 } } }));
    expect(run.summary.status).toBe('succeeded');
    expect(posts(fake, '/v1/messages/batches')).toHaveLength(1); // both calls in one batch (the run batches every call)
    expect(posts(fake, '/v1/messages')).toHaveLength(0);
    const created = posts(fake, '/v1/messages/batches')[0]!.body as { requests: { custom_id: string }[] };
    expect(created.requests).toHaveLength(2);
    const direct = await collect(execute(g, { model, batch: false }));
    expect(posts(fake, '/v1/messages')).toHaveLength(1); // only 'b': 'a' asks for a batch itself
    const directA = direct.summary.usage.byNode.b!.costUsd;
    expect(directA).toBeGreaterThan(0);
    expect(run.summary.usage.byNode.b!.costUsd).toBeCloseTo(directA / 2, 10); // the same call, batched: half the price
  }, 30_000);
});
