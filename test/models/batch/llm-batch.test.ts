/**
 * `llm({ batch: true })`, `agent({ batch: true })` and a run whose model is a batching model, in
 * virtual time over the simulated provider: the calls go into batches (none direct), the batch
 * reports reach the run's stream stamped with their node, usage is priced at half, node retries
 * resubmit an errored call, and the pre-run estimate knows the discount.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  agent,
  batchingModel,
  estimateRunCost,
  execute,
  graph,
  llm,
  simulatedModel,
  tool,
  CLAUDE_PRICES,
  batchPrice,
  costUsd,
  priceOf,
  SimulatedModelError,
  type RunEvent,
  type SimulatedModelOptions,
} from 'rx-orchestra';
import { map } from 'rxjs';
import { testScheduler, record } from '../../run/virtual-run.js';
import { registerRunBatching } from '../../../src/models/batch/run-batching.js';
import { BatchEndedEventSchema, BatchPolledEventSchema, BatchSubmittedEventSchema } from '../../../src/models/batch/batch-events.js';

const FIXED = { medianMs: 1_000, p95Ms: 1_000 };
const sonnet = (options: SimulatedModelOptions = {}) => simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', batch: { processingMs: 30_000 }, ...options });

type Report = { type: string; nodeId?: string; at: number; costUsd?: number; batchId?: string; resumed?: boolean; result?: string };
const reports = (events: RunEvent[], type: string) => (events as unknown as Report[]).filter((e) => e.type === type);

describe('llm({ batch: true })', () => {
  it('sends the ready nodes of a wave as one batch, priced at half, with batch reports on the run stream', () => {
    testScheduler().run(({ flush }) => {
      const model = sonnet();
      const build = (batch: boolean) =>
        graph()
          .node('a', { run: llm({ prompt: () => 'first question', batch }) })
          .node('b', { run: llm({ prompt: () => 'second question', batch }) })
          .node('c', { deps: ['a', 'b'], run: llm({ prompt: ({ a, b }) => `combine ${String(a)} and ${String(b)}`, batch }) })
          .build();
      const batched = record(execute(build(true), { model }));
      flush();
      const direct = record(execute(build(false), { model: sonnet() }));
      flush();
      // a and b gathered into one batch at 2000 (maxWaitMs 2 s), c alone in the next one.
      expect(reports(batched, 'batch.submitted').map((e) => [e.nodeId, e.batchId, e.at])).toEqual([
        ['a', 'msgbatch_sim_1', 2_000],
        ['b', 'msgbatch_sim_1', 2_000],
        ['c', 'msgbatch_sim_2', expect.any(Number)],
      ]);
      expect(reports(batched, 'batch.ended').map((e) => [e.nodeId, e.result])).toEqual([
        ['a', 'succeeded'],
        ['b', 'succeeded'],
        ['c', 'succeeded'],
      ]);
      const cost = (events: RunEvent[]) => reports(events, 'node.usage').reduce((sum, e) => sum + e.costUsd!, 0);
      expect(cost(direct)).toBeGreaterThan(0);
      expect(cost(batched) / cost(direct)).toBeCloseTo(0.5, 10); // same answers, half the price
      expect(batched.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
      // Every batch report on the run's stream matches its declared schema (strictly: no field left out or added).
      const schemas = { 'batch.submitted': BatchSubmittedEventSchema, 'batch.polled': BatchPolledEventSchema, 'batch.ended': BatchEndedEventSchema } as const;
      const batchEvents = (batched as unknown as { type: string }[]).filter((e) => e.type in schemas);
      expect(batchEvents.length).toBeGreaterThan(6);
      for (const event of batchEvents) expect(schemas[event.type as keyof typeof schemas].strict().parse(event)).toEqual(event);
    });
  });

  it('batches every call of a run whose model is a batching model, except nodes that say batch: false', () => {
    testScheduler().run(({ flush }) => {
      const sim = sonnet();
      const model = batchingModel(sim, { maxWaitMs: 0, pollInterval: { initialMs: 30_000 } });
      const g = graph()
        .node('a', { run: llm({ prompt: () => 'a' }) })
        .node('b', { run: llm({ prompt: () => 'b', batch: false }) })
        .build();
      const events = record(execute(g, { model }));
      flush();
      expect(reports(events, 'batch.submitted').map((e) => e.nodeId)).toEqual(['a']);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });

  it('batches a run without a model of its own (the default model) through the run registry, as execute(g, { batch }) does', () => {
    if (process.env.ANTHROPIC_API_KEY) return; // the default model is then Claude, whose batches need anthropicBatches()
    testScheduler().run(({ flush }) => {
      const g = graph()
        .node('a', { run: llm({ prompt: () => 'a' }) })
        .node('b', { run: llm({ prompt: () => 'b' }) })
        .build();
      const release = registerRunBatching('registry-run', { batchByDefault: true, settings: { maxWaitMs: 0 } });
      const events = record(execute(g, { runId: 'registry-run' }));
      flush();
      release();
      expect(reports(events, 'batch.submitted').map((e) => [e.nodeId, e.batchId])).toEqual([
        ['a', expect.stringMatching(/^msgbatch_sim_/)],
        ['b', expect.stringMatching(/^msgbatch_sim_/)],
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });

  it('has no call deadline while it waits for its batch (a 30 s default would cut a 10-minute batch)', () => {
    testScheduler().run(({ flush }) => {
      const model = sonnet({ batch: { processingMs: 600_000 } });
      const g = graph().node('slow', { run: llm({ prompt: () => 'take your time', batch: true, timeout: 5_000 }) }).build();
      const events = record(execute(g, { model }));
      flush();
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });

  it.each([
    { retryAs: 'batch' as const, batches: 2, listPriced: 0 },
    { retryAs: 'direct' as const, batches: 1, listPriced: 1 },
  ])('retries a call its batch answered with a retryable error: retryAs $retryAs', ({ retryAs, batches, listPriced }) => {
    testScheduler().run(({ flush }) => {
      const sim = sonnet();
      // The batch API answers the first line ever with an overloaded error, then as the model would.
      let lines = 0;
      const flaky = {
        ...sim.batches,
        results: (id: string) =>
          sim.batches.results(id).pipe(map((line) => (lines++ === 0 ? { customId: line.customId, type: 'errored' as const, error: new SimulatedModelError('OVERLOADED', 'overloaded (scripted)') } : line))),
      };
      const model = batchingModel(sim, { backend: flaky, retryAs, maxWaitMs: 0, pollInterval: { initialMs: 30_000 } });
      const g = graph().node('n', { run: llm({ prompt: () => 'q' }), retry: { count: 1, initialDelay: 1_000 } }).build();
      const events = record(execute(g, { model }));
      flush();
      expect(reports(events, 'node.retrying')).toHaveLength(1);
      expect(reports(events, 'batch.submitted')).toHaveLength(batches);
      const usage = reports(events, 'node.usage') as unknown as { costUsd: number; usage: { inputTokens: number; outputTokens: number } }[];
      const atList = usage.filter((u) => Math.abs(u.costUsd - costUsd(u.usage, priceOf('claude-sonnet-4-6'))) < 1e-12);
      expect(atList).toHaveLength(listPriced);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });

  it('refuses batch: true on a provider without a Message Batches API, naming the fix', () => {
    testScheduler().run(({ flush }) => {
      const sim = sonnet();
      const bare = { model: sim.model, stream: sim.stream, complete: sim.complete };
      const g = graph().node('n', { run: llm({ prompt: () => 'q', batch: true }) }).build();
      const events = record(execute(g, { model: bare }));
      flush();
      expect(events.find((e) => e.type === 'node.failed')).toMatchObject({ error: { code: 'INVALID_OPTION', message: expect.stringContaining('anthropicBatches') } });
    });
  });

  it('refuses a batch option that is not a boolean when llm() is called', () => {
    expect(() => llm({ prompt: () => 'q', batch: 'yes' as never })).toThrow(expect.objectContaining({ field: 'batch' }));
  });
});

describe('agent({ batch: true })', () => {
  it('batches each step: one batch per model call of the loop', () => {
    testScheduler().run(({ flush }) => {
      const lookup = tool({ name: 'lookup', description: 'Looks a key up', input: z.object({ key: z.string() }), run: ({ key }) => `value of ${key}` });
      const model = sonnet({ toolPolicy: (_request, { step }) => (step === 1 ? { toolUse: [{ name: 'lookup', input: { key: 'k' } }] } : { text: 'done' }) });
      const g = graph().node('agent', { run: agent({ prompt: () => 'find k', tools: [lookup], batch: true }) }).build();
      const events = record(execute(g, { model }));
      flush();
      expect(reports(events, 'batch.submitted').map((e) => e.batchId)).toEqual(['msgbatch_sim_1', 'msgbatch_sim_2']);
      expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded' } });
    });
  });
});

describe('the pre-run estimate knows the batch discount', () => {
  it('prices nodes that batch at half, a batched run at half except nodes that say batch: false', () => {
    const nodes = [
      { id: 'a', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1_000_000, outputTokens: 100_000, batch: true } },
      { id: 'b', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1_000_000, outputTokens: 100_000 } },
      { id: 'c', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1_000_000, outputTokens: 100_000, batch: false } },
    ];
    const list = costUsd({ inputTokens: 1_000_000, outputTokens: 100_000 }, priceOf('claude-sonnet-4-6')); // 4.5
    expect(estimateRunCost(nodes).byNode.map((n) => [n.nodeId, n.usd])).toEqual([
      ['b', list],
      ['c', list],
      ['a', list / 2],
    ]);
    expect(estimateRunCost(nodes, { batch: true }).totalUsd).toBeCloseTo(list / 2 + list / 2 + list, 10);
    expect(batchPrice(CLAUDE_PRICES['claude-sonnet-4-6']!)).toEqual({ inputPerMTok: 1.5, outputPerMTok: 7.5, batchShare: 1 });
    const custom = batchPrice({ inputPerMTok: 3, outputPerMTok: 15, batchShare: 0.6 });
    expect(custom.inputPerMTok).toBeCloseTo(1.8, 12);
    expect(custom.outputPerMTok).toBeCloseTo(9, 12);
    expect(() => estimateRunCost([{ id: 'x', costEstimate: { model: 'claude-sonnet-4-6', inputTokens: 1, outputTokens: 1, batch: 'yes' as never } }])).toThrow(expect.objectContaining({ field: 'batch' }));
  });

  it("an llm({ batch: true }) node's estimate says so", () => {
    const g = graph()
      .node('a', { run: llm({ prompt: () => 'q', batch: true, model: 'claude-sonnet-4-6', estimatedInputTokens: 1_000, maxTokens: 1_000 }) })
      .node('b', { run: llm({ prompt: () => 'q', model: 'claude-sonnet-4-6', estimatedInputTokens: 1_000, maxTokens: 1_000 }) })
      .build();
    const { byNode } = estimateRunCost(g.nodes);
    expect(byNode.find((n) => n.nodeId === 'a')).toMatchObject({ batch: true, usd: (1_000 * 3 + 1_000 * 15) / 1_000_000 / 2 });
    expect(byNode.find((n) => n.nodeId === 'b')!.usd).toBe((1_000 * 3 + 1_000 * 15) / 1_000_000);
  });
});
