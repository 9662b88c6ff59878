/**
 * A run that waits for a person does not need its process: the process is killed (SIGKILL) while
 * node `approve` waits, and a new process resumes the run later with the decision. The fan-out's
 * children, the planner and the draft are restored from the checkpoint (real SQLite), and the fake
 * Anthropic server's request log shows that no model call was repeated: one request per node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteStore } from 'rx-orchestra/store';
import type { RunEvent } from 'rx-orchestra';
import { startFakeAnthropic, type FakeAnthropic, type FakeRequest } from 'rx-orchestra/testing';
import { tempDir } from './stores.js';
import { runFixture, waitUntil } from '../support/child-run.js';

const fixture = fileURLToPath(new URL('./fixtures/approval-pipeline.ts', import.meta.url));

const promptOf = (request: FakeRequest) => ((request.body?.messages ?? []) as { content: string }[]).at(-1)?.content ?? '';

const runPipeline = (env: Record<string, string>) => runFixture(fixture, { ...env, LEASE_TTL_MS: '1500' });

const ids = (events: RunEvent[], type: RunEvent['type'], restored?: boolean) =>
  events
    .filter((e) => e.type === type && (restored === undefined || Boolean((e as { restored?: boolean }).restored) === restored))
    .map((e) => (e as { nodeId: string }).nodeId)
    .sort();

let dir: ReturnType<typeof tempDir>;
let server: FakeAnthropic;
beforeAll(async () => {
  dir = tempDir();
  server = await startFakeAnthropic({
    respond: (request) => {
      const prompt = promptOf(request);
      if (prompt === 'prompt:plan') return { text: 'q1,q2,q3' };
      if (prompt.startsWith('prompt:research ')) return { text: `notes on ${prompt.slice('prompt:research '.length)}` };
      if (prompt.startsWith('prompt:draft ')) return { text: 'Draft: three findings' };
      return { text: 'published' };
    },
  });
}, 20_000);
afterAll(async () => {
  dir.remove();
  await server.close();
});

describe('durable approval: SIGKILL while a node waits for a person, resumed later with the decision', () => {
  it('restores everything computed (the fan-out value included), asks again, takes the decision, and repeats no model call', async () => {
    const store = join(dir.path, 'approval.db');
    const runId = `approval-${Date.now()}`;
    const checkpoints = sqliteStore(store);
    try {
      const first = runPipeline({ FAKE_ANTHROPIC_URL: server.baseURL, STORE: store, RUN_ID: runId, MODE: 'start' });
      await waitUntil('the approval node waits', () => first.events().some((e) => e.type === 'node.waiting'));
      first.kill();
      const killed = await first.closed;
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.events.find((e) => e.type === 'node.waiting')).toMatchObject({ nodeId: 'approve', payload: { draft: 'Draft: three findings', channel: '#announcements' } });
      const saved = (await checkpoints.loadRun(runId))!;
      expect(saved.status).toBe('running');
      expect(Object.keys(saved.nodes).sort()).toEqual(['draft', 'plan', 'research', 'research[0]', 'research[1]', 'research[2]']);
      // The waiting state is checkpointed: another process can see what the run asks.
      expect(saved.waiting).toEqual({ approve: { nodeId: 'approve', payload: { draft: 'Draft: three findings', channel: '#announcements' }, timeoutMs: null, since: expect.any(Number) } });
      expect(server.requests).toHaveLength(5); // plan, three researchers, draft

      await waitUntil("the killed process's lease expires", async () => {
        const probe = await checkpoints.acquireLease(runId, 'probe', 1);
        if (probe.acquired) await checkpoints.releaseLease(runId, 'probe');
        return probe.acquired;
      });
      const second = await runPipeline({ FAKE_ANTHROPIC_URL: server.baseURL, STORE: store, RUN_ID: runId, MODE: 'resume', DECISION: 'approve' }).closed;
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      // The fan-out's value is restored whole (its children need not run or be listed again).
      expect(ids(second.events, 'node.succeeded', true)).toEqual(['draft', 'plan', 'research']);
      expect(ids(second.events, 'node.started')).toEqual(['approve', 'publish']);
      expect(second.events.find((e) => e.type === 'node.decided')).toMatchObject({ nodeId: 'approve', approve: true, by: 'release-manager' });
      expect(second.events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 3 } });
      // One request per model node over both processes: nothing was paid for twice.
      const prompts = server.requests.map(promptOf).sort();
      expect(prompts).toEqual(['prompt:draft notes on q1|notes on q2|notes on q3', 'prompt:plan', 'prompt:publish Draft: three findings', 'prompt:research q1', 'prompt:research q2', 'prompt:research q3']);
      const final = (await checkpoints.loadRun(runId))!;
      expect(final.status).toBe('succeeded');
      expect(final).not.toHaveProperty('waiting'); // decided: nothing waits any more
    } finally {
      await checkpoints.close();
    }
  }, 120_000);
});
