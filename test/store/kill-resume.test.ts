/**
 * A run that dies halfway does not pay again for the calls that succeeded. For real: a child
 * process runs a pipeline of Claude nodes (the official SDK over HTTP against the fake Anthropic
 * server, which counts requests per prompt), checkpointing to a SQLite file (or Redis); it is
 * killed with SIGKILL while node `d` is in flight, after a, b, c and e succeeded; a new process
 * resumes it (once the killed process's run lease, 1.5 s here, has expired: see run-lease.test.ts).
 * Every node ends exactly once as succeeded, and none that had succeeded calls the model again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisStore, sqliteStore, type RunCheckpoint, type RunStore } from 'rx-orchestra/store';
import { type RunEvent } from 'rx-orchestra';
import { startFakeAnthropic, type FakeAnthropic, type FakeRequest } from 'rx-orchestra/testing';
import { startRedis, type TestRedis } from '../support/redis-server.js';
import { tempDir } from './stores.js';
import { runFixture, waitUntil } from '../support/child-run.js';

const fixture = fileURLToPath(new URL('./fixtures/durable-pipeline.ts', import.meta.url));
const NODES = ['a', 'b', 'c', 'd', 'e', 'f'];

const promptOf = (request: FakeRequest) => ((request.body?.messages ?? []) as { content: string }[]).at(-1)?.content ?? '';
/** `prompt:c a=answer-a b=answer-b` → `c` */
const nodeOf = (request: FakeRequest) => /^prompt:(\w+)/.exec(promptOf(request))?.[1];

/** Runs the fixture pipeline in a new Node process; `kill` sends it SIGKILL. */
const runPipeline = (mode: 'start' | 'resume', env: { url: string; store: string; runId: string }) =>
  runFixture(fixture, { FAKE_ANTHROPIC_URL: env.url, STORE: env.store, RUN_ID: env.runId, MODE: mode, LEASE_TTL_MS: '1500' });

const succeededIn = (checkpoint: RunCheckpoint | undefined) =>
  Object.values(checkpoint?.nodes ?? {})
    .filter((node) => node.outcome.status === 'succeeded')
    .map((node) => node.nodeId)
    .sort();
const ended = (events: RunEvent[], restored: boolean) =>
  events
    .filter((e) => e.type === 'node.succeeded' && Boolean(e.restored) === restored)
    .map((e) => (e as { nodeId: string }).nodeId)
    .sort();

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

describe.each([
  { name: 'sqlite', location: () => join(dir.path, 'runs.db'), reader: (location: string): RunStore => sqliteStore(location) },
  { name: 'redis', location: () => redis.url, reader: (location: string): RunStore => redisStore({ url: location }) },
])('a run killed with SIGKILL and resumed in a new process ($name store)', ({ location, reader }) => {
  it(
    'restores the four nodes that succeeded, runs only d and f, and pays for each succeeded call once',
    async () => {
      let stallD = true;
      const server: FakeAnthropic = await startFakeAnthropic({
        respond: (request) => {
          const id = nodeOf(request);
          if (id === 'd' && stallD) return { text: 'never sent', firstByteDelayMs: 600_000 }; // in flight when the process dies
          return { text: `answer-${id}`, usage: { input_tokens: 50, output_tokens: 5 } };
        },
      });
      const store = location();
      const runId = `kill-resume-${Date.now()}`;
      const checkpoints = reader(store);
      const requestsFor = (id: string) => server.requests.filter((r) => nodeOf(r) === id);
      try {
        // 1. The first process: a, b, c and e succeed and are checkpointed; d hangs; then SIGKILL.
        const first = runPipeline('start', { url: server.baseURL, store, runId });
        await waitUntil('a, b, c and e are checkpointed and reported, and d is in flight', async () => {
          const saved = await checkpoints.loadRun(runId);
          return succeededIn(saved).join() === 'a,b,c,e' && ended(first.events(), false).join() === 'a,b,c,e' && requestsFor('d').length === 1;
        });
        first.kill();
        const killed = await first.closed;
        expect(killed.signal).toBe('SIGKILL');
        expect(ended(killed.events, false)).toEqual(['a', 'b', 'c', 'e']);
        expect(killed.events.some((e) => e.type === 'run.completed')).toBe(false);
        const afterKill = (await checkpoints.loadRun(runId))!;
        expect(afterKill.status).toBe('running');
        expect(Object.keys(afterKill.nodes).sort()).toEqual(['a', 'b', 'c', 'e']);
        await waitUntil('the fake server sees the killed request close', () => requestsFor('d')[0]!.clientClosed);

        // 2. A new process resumes the run, once the dead owner's lease has expired.
        await waitUntil("the killed process's lease expires", async () => {
          const probe = await checkpoints.acquireLease(runId, 'probe', 1);
          if (probe.acquired) await checkpoints.releaseLease(runId, 'probe');
          return probe.acquired;
        });
        stallD = false;
        const second = await runPipeline('resume', { url: server.baseURL, store, runId }).closed;
        expect(second.stderr).toBe('');
        expect(second.code).toBe(0);
        const { events } = second;
        expect(ended(events, true)).toEqual(['a', 'b', 'c', 'e']); // restored, marked so
        expect(ended(events, false)).toEqual(['d', 'f']); // ran
        expect(events.filter((e) => e.type === 'node.started').map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual(['d', 'f']);
        expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 4, counts: { succeeded: 6 } } });

        // Every node ended exactly once as succeeded, over both processes.
        const endedOnce = [...ended(killed.events, false), ...ended(events, false)].sort();
        expect(endedOnce).toEqual(NODES);

        // No node that had succeeded called the model again; d was paid for twice only because it never finished.
        expect(Object.fromEntries(NODES.map((id) => [id, requestsFor(id).length]))).toEqual({ a: 1, b: 1, c: 1, d: 2, e: 1, f: 1 });
        // Restored values reached their dependents: f's prompt has d's new answer and e's stored one.
        expect(promptOf(requestsFor('f')[0]!)).toBe('prompt:f d=answer-d e=answer-e');

        const final = (await checkpoints.loadRun(runId))!;
        expect(final.status).toBe('succeeded');
        expect(succeededIn(final)).toEqual(NODES);
        expect(final.nodes.a!.usage).toMatchObject({ calls: 1, inputTokens: 50, outputTokens: 5 }); // from the first process
      } finally {
        await checkpoints.close();
        await server.close();
      }
    },
    150_000,
  );
});
