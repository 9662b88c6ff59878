/**
 * The SIGKILL scenario of batched durable runs, shared by test/store/batch-kill-resume.test.ts and
 * the `batch_resume_repaid_calls` bench: a child process runs the batched pipeline
 * (fixtures/batch-pipeline.ts) against the fake Anthropic server, is killed once its first batch
 * exists and is written in the run's store, and a new process resumes the run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../../src/index.js';
import type { FakeAnthropic, FakeRequest } from '../../../src/testing/index.js';
import { storeBatchJournal, type RunStore } from '../../../src/store/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/batch-pipeline.ts', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: RunEvent[];
  stderr: string;
}

/** Runs the batched pipeline in a new Node process; `kill` sends it SIGKILL. */
export function runBatchPipeline(mode: 'start' | 'resume', env: { url: string; store: string; runId: string }) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, FAKE_ANTHROPIC_URL: env.url, STORE: env.store, RUN_ID: env.runId, MODE: mode, ANTHROPIC_API_KEY: '', LEASE_TTL_MS: '1500' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const events = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && line.endsWith('}'))
      .map((line) => JSON.parse(line) as RunEvent);
  const closed = new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, events: events(), stderr }));
  });
  return { closed, events, kill: () => child.kill('SIGKILL') };
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, withinMs = 60_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
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
