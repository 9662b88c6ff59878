/**
 * A batched durable run killed with SIGKILL after its batch was created pays for nothing twice: a
 * child process runs a pipeline of batched Claude nodes (the official SDK over HTTP against the
 * fake Anthropic server's batch endpoints, whose request log counts every custom id submitted),
 * checkpointing to a real SQLite file (or Redis); it is killed while it polls its first batch; a
 * new process resumes the run, polls that same batch, takes a's and b's results from it, and
 * submits only c.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { redisStore, sqliteStore, type RunStore } from 'rx-orchestra/store';
import { startFakeAnthropic } from 'rx-orchestra/testing';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { tempDir } from './stores.js';
import { killAndResume, repaidCalls, submittedCustomIds } from '../models/batch/kill-resume.js';

let redis: TestRedis;
let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  dir.remove();
  await redis.stop();
});

const nodeOfCustomId = (customId: string) => customId.split('-')[0];

describe.each([
  { name: 'sqlite', location: () => join(dir.path, 'batch-runs.db'), reader: (location: string): RunStore => sqliteStore(location) },
  { name: 'redis', location: () => redis.url, reader: (location: string): RunStore => redisStore({ url: location }) },
])('a batched run killed with SIGKILL and resumed in a new process ($name store)', ({ location, reader }) => {
  it(
    'polls the batch the killed process created, takes its results, submits only what was never sent: 0 repaid calls',
    async () => {
      // The first batch (a, b) takes 2.5 s: the first process is killed while it polls it.
      const server = await startFakeAnthropic({ batches: { processingMs: (n) => (n === 1 ? 2_500 : 100), result: ({ params }) => ({ text: `answer-${/prompt:(\w+)/.exec(JSON.stringify(params.messages))?.[1]}` }) } });
      const store = location();
      const runId = `batch-kill-${Date.now()}`;
      const checkpoints = reader(store);
      try {
        const { killed, resumed, journal } = await killAndResume(server, store, checkpoints, runId);
        expect(killed.signal).toBe('SIGKILL');
        expect(killed.events.some((e) => e.type === 'node.succeeded')).toBe(false);
        expect(resumed.stderr).toBe('');
        expect(resumed.code).toBe(0);

        // The resumed process found a's and b's calls in the journal and polled their batch again.
        const submitted = resumed.events.filter((e) => e.type === ('batch.submitted' as string)) as unknown as { nodeId: string; batchId: string; resumed: boolean }[];
        expect(submitted.map((e) => [e.nodeId, e.batchId, e.resumed]).sort()).toEqual([
          ['a', 'msgbatch_fake000001', true],
          ['b', 'msgbatch_fake000001', true],
          ['c', 'msgbatch_fake000002', false],
        ]);
        expect(resumed.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', counts: { succeeded: 3 } } });

        // The fake server's request log: two batches, a and b in the first, c alone in the second, no direct call.
        expect(submittedCustomIds(server).map((ids) => ids.map(nodeOfCustomId))).toEqual([['a', 'b'], ['c']]);
        expect(repaidCalls(server)).toBe(0);
        const polled = server.requests.filter((r) => r.method === 'GET' && r.path === '/v1/messages/batches/msgbatch_fake000001');
        expect(polled.length).toBeGreaterThanOrEqual(2); // by both processes
        // c was asked with the answers taken from the first batch.
        const cRequest = server.requests.find((r) => r.path === '/v1/messages/batches' && JSON.stringify(r.body).includes('prompt:c'));
        expect(JSON.stringify(cRequest?.body)).toContain('prompt:c a=answer-a b=answer-b');
        expect(journal.map((entry) => entry.batchId)).toEqual(['msgbatch_fake000001', 'msgbatch_fake000001', 'msgbatch_fake000002']);
        // Priced at the batch discount: a node's usage costs half of the list price.
        const usage = resumed.events.find((e) => e.type === 'node.usage' && e.nodeId === 'c') as { costUsd: number; usage: { inputTokens: number; outputTokens: number } } | undefined;
        expect(usage!.costUsd).toBeCloseTo((usage!.usage.inputTokens * 1 + usage!.usage.outputTokens * 5) / 1_000_000 / 2, 12);
      } finally {
        await checkpoints.close();
        await server.close();
      }
    },
    60_000,
  );
});
