/**
 * Half-price runs (issue 15):
 *
 * - `batch_cost_ratio`: what seed 000's research DAG (examples/research-dag-graph.ts, seed 0, its
 *   offline simulated providers) costs when the run's calls go through the Message Batches API
 *   (`execute(g, { model: batchingModel(...) })`: every node's calls batched, a batch per wave of
 *   ready nodes), over what the same run costs with direct calls; both priced from `node.usage`
 *   (Claude list prices of the nodes' models: Sonnet plans and writes, Haiku searches). Virtual time.
 *   Target <= 0.55.
 * - `batch_resume_repaid_calls`: calls submitted twice when a batched durable run (real SDK over HTTP
 *   against the fake Anthropic server, real SQLite) is SIGKILLed after its batch was created and
 *   resumed in a new process: custom ids submitted more than once, plus direct calls, counted in the
 *   fake server's request log. Target 0.
 *
 * `npx tsx test/bench/batch.bench.ts` (or `npm run bench -- batch`) runs it alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { batchingModel, execute, simulatedModel, type RunEvent } from '../../src/index.js';
import { sqliteStore } from '../../src/store/index.js';
import { startFakeAnthropic } from '../../src/testing/index.js';
import { killAndResume, repaidCalls, submittedCustomIds } from '../models/batch/kill-resume.js';
import { report, type Figure } from './report.js';

interface Measured {
  costUsd: number;
  makespanMs: number;
  batches: number;
  succeeded: number;
}

/** One run of the research DAG, seed 0, in virtual time; `batched` sends every call through batches. */
async function researchRun(batched: boolean): Promise<Measured> {
  const { buildResearchDag } = await import('../../examples/research-dag-graph.js');
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const g = buildResearchDag({ seed: 0, scheduler });
  // The run's batching model: each node's own simulated provider gets a sibling with these settings.
  const model = batchingModel(simulatedModel({ model: 'claude-sonnet-4-6', scheduler }), { maxWaitMs: 2_000, pollInterval: { initialMs: 30_000, factor: 1.5, maxMs: 300_000 }, scheduler });
  const events: RunEvent[] = [];
  execute(g, { scheduler, ...(batched ? { model } : {}) }).subscribe((event) => events.push(event));
  scheduler.flush();
  const done = events.at(-1);
  if (done?.type !== 'run.completed') throw new Error('batch bench: the research DAG did not complete');
  const costUsd = events.reduce((sum, event) => (event.type === 'node.usage' ? sum + event.costUsd : sum), 0);
  // Each node has its own simulated provider (as in the example), so a batch id is only unique per node.
  const batches = new Set(events.flatMap((event) => ((event.type as string) === 'batch.submitted' ? [`${(event as unknown as { nodeId: string }).nodeId}/${(event as unknown as { batchId: string }).batchId}`] : []))).size;
  return { costUsd, makespanMs: done.summary.makespanMs, batches, succeeded: done.summary.counts.succeeded };
}

/** The SIGKILL scenario once: repaid calls, and how many batches were created. */
async function resumeRepaid(): Promise<{ repaid: number; batches: number; succeeded: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'rxo-batch-bench-'));
  const server = await startFakeAnthropic({ batches: { processingMs: (n) => (n === 1 ? 2_500 : 100) } });
  const path = join(dir, 'runs.db');
  const store = sqliteStore(path);
  try {
    const { resumed } = await killAndResume(server, path, store, `batch-bench-${process.pid}`);
    const done = resumed.events.at(-1);
    return { repaid: repaidCalls(server), batches: submittedCustomIds(server).length, succeeded: done?.type === 'run.completed' && done.summary.status === 'succeeded' };
  } finally {
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const usd = (value: number) => `$${value.toFixed(5)}`;

export async function batch(): Promise<Figure[]> {
  const direct = await researchRun(false);
  const batched = await researchRun(true);
  const ratio = batched.costUsd / direct.costUsd;
  const resumed = await resumeRepaid();
  return [
    {
      name: 'batch_cost_ratio',
      value: Math.round(ratio * 10_000) / 10_000,
      unit: 'ratio',
      note: `research DAG seed 0: ${usd(batched.costUsd)} batched (${batched.batches} batches: one provider per node, makespan ${Math.round(batched.makespanMs / 1000)} s) vs ${usd(direct.costUsd)} direct (makespan ${Math.round(direct.makespanMs / 1000)} s), ${batched.succeeded}/${direct.succeeded} nodes succeeded; target <= 0.55`,
    },
    {
      name: 'batch_resume_repaid_calls',
      value: resumed.succeeded ? resumed.repaid : NaN,
      unit: 'calls',
      note: `SIGKILL while polling the first batch, resumed in a new process (real SDK, fake server, SQLite): ${resumed.batches} batches created in all; target 0`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await batch());
