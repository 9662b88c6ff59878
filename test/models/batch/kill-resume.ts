/**
 * The SIGKILL scenario of batched durable runs, shared by test/store/batch-kill-resume.test.ts and
 * the `batch_resume_repaid_calls` bench: a child process runs the batched pipeline
 * (fixtures/batch-pipeline.ts) against the fake Anthropic server, is killed once its first batch
 * exists and is written in the run's store, and a new process resumes the run.
 */
import { fileURLToPath } from 'node:url';
import { runFixture, waitUntil } from '../../support/child-run.js';
import type { FakeAnthropic, FakeRequest } from '../../../src/testing/index.js';
import { storeBatchJournal, type RunStore } from '../../../src/store/index.js';

const fixture = fileURLToPath(new URL('./fixtures/batch-pipeline.ts', import.meta.url));

export type { ChildExit as Exit } from '../../support/child-run.js';
export { waitUntil } from '../../support/child-run.js';

/** Runs the batched pipeline in a new Node process; `kill` sends it SIGKILL. */
export function runBatchPipeline(mode: 'start' | 'resume', env: { url: string; store: string; runId: string }) {
  return runFixture(fixture, { FAKE_ANTHROPIC_URL: env.url, STORE: env.store, RUN_ID: env.runId, MODE: mode, LEASE_TTL_MS: '1500' });
}

/** The custom ids of every batch the fake server was asked to create, in order. */
export function submittedCustomIds(server: FakeAnthropic): string[][] {
  return server.requests
    .filter((r: FakeRequest) => r.method === 'POST' && r.path === '/v1/messages/batches' && r.status === 200)
    .map((r) => ((r.body as { requests?: { custom_id: string }[] }).requests ?? []).map((request) => request.custom_id));
}

/** Calls paid for twice: custom ids submitted more than once, plus any direct Messages call. */
export function repaidCalls(server: FakeAnthropic): number {
  const ids = submittedCustomIds(server).flat();
  const direct = server.requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages').length;
  return ids.length - new Set(ids).size + direct;
}

/**
 * Kills the first process once the fake server created its first batch and the run's store holds
 * it, waits for the dead owner's lease to expire, and resumes the run in a new process.
 */
export async function killAndResume(server: FakeAnthropic, store: string, checkpoints: RunStore, runId: string) {
  const first = runBatchPipeline('start', { url: server.baseURL, store, runId });
  const journal = storeBatchJournal(checkpoints, runId);
  await waitUntil('the first batch is created and written down', async () => submittedCustomIds(server).length === 1 && (await journal.load()).length === 2);
  first.kill();
  const killed = await first.closed;
  await waitUntil("the killed process's lease expires", async () => {
    const probe = await checkpoints.acquireLease(runId, 'probe', 1);
    if (probe.acquired) await checkpoints.releaseLease(runId, 'probe');
    return probe.acquired;
  });
  const resumed = await runBatchPipeline('resume', { url: server.baseURL, store, runId }).closed;
  return { killed, resumed, journal: await journal.load() };
}
