/**
 * The same kind of pipeline, across processes: three research calls and a report, each node a
 * BullMQ job run by a fleet of worker processes that share one per-minute quota through Redis.
 *
 *     redis-server --port 6379 --save '' --appendonly no &        # or any Redis; REDIS_URL to point elsewhere
 *     npx tsx examples/distributed-fleet.ts worker                # in as many terminals (or machines) as you like
 *     npx tsx examples/distributed-fleet.ts orchestrator          # runs the pipeline on the fleet
 *     npx tsx examples/distributed-fleet.ts all                   # or: 3 workers + the orchestrator, in one go
 *
 * With ANTHROPIC_API_KEY set, the workers call Claude; without it, the simulated provider.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tap } from 'rxjs';
import {
  collect,
  defaultModel,
  execute,
  graphFromNodes,
  llm,
} from 'rx-orchestra';
import {
  createDispatcher,
  fleetRateLimiter,
  limitsOfQuota,
  remoteNode,
  startWorker,
  type AgentContext,
} from 'rx-orchestra/distributed';
import { QUOTA_PRESETS } from 'rx-orchestra/operators';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queue = 'rx-orchestra-example';
const TOPICS = ['schedulers', 'backpressure', 'cancellation'];

/** A worker process: registers the agents, shares the tier-1 quota with every other worker. */
async function worker(): Promise<void> {
  const research = llm<{ topic: string }>({ prompt: ({ topic }) => `Three facts about RxJS ${topic}, one line each.`, maxTokens: 200 });
  const write = llm<{ notes: string[] }>({ prompt: ({ notes }) => `Write a short report from these notes:\n${notes.join('\n')}`, maxTokens: 400 });
  const quota = fleetRateLimiter({ connection, name: 'rx-orchestra-example', limits: limitsOfQuota(QUOTA_PRESETS.tier1) });
  const fleetWorker = await startWorker({
    connection,
    queue,
    concurrency: 2,
    model: defaultModel(),
    quota,
    handlers: {
      researcher: (_input: { topic: string }, ctx: AgentContext<{ topic: string }>) => research(ctx),
      writer: (_input: { notes: string[] }, ctx: AgentContext<{ notes: string[] }>) => write(ctx),
    },
  });
  fleetWorker.events.subscribe((e) => console.log(`[${fleetWorker.id}] ${e.type}${'nodeId' in e ? ` ${e.nodeId}` : ''}${'durationMs' in e ? ` ${e.durationMs} ms` : ''}`));
  console.log(`worker ${fleetWorker.id} ready on queue '${queue}' (agents: ${fleetWorker.agents.join(', ')})`);
  process.once('SIGTERM', () => void fleetWorker.close().then(() => quota.close()));
  process.once('SIGINT', () => void fleetWorker.close().then(() => quota.close()));
}

/** The orchestrator: an ordinary graph whose nodes run on the fleet. */
async function orchestrator(): Promise<void> {
  const fleet = createDispatcher({ connection, queue });
  const pipeline = graphFromNodes([
    ...TOPICS.map((topic) => ({ id: topic, run: remoteNode<string>('researcher', { dispatcher: fleet, input: () => ({ topic }) }), retry: 2, timeout: 60_000 })),
    {
      id: 'report',
      deps: TOPICS,
      run: remoteNode<string>('writer', { dispatcher: fleet, input: (inputs) => ({ notes: TOPICS.map((t) => String(inputs[t])) }) }),
      retry: 2,
      timeout: 120_000,
    },
  ]);
  const run$ = execute(pipeline).pipe(
    tap((event) => {
      if (event.type === 'node.started' || event.type === 'node.succeeded' || event.type === 'node.failed') console.log(`${event.type} ${event.nodeId}`);
      if (event.type === 'node.token' && event.nodeId === 'report') process.stdout.write(event.text);
    }),
  );
  const { summary, outcomes } = await collect(run$);
  console.log(`\n\nrun ${summary.status} in ${Math.round(summary.makespanMs)} ms, ${summary.usage.total.calls} calls, $${summary.usage.total.costUsd.toFixed(4)}`);
  if (outcomes.report?.status === 'succeeded') console.log(`report: ${String(outcomes.report.value).slice(0, 200)}…`);
  await fleet.close();
}

/** Three worker processes and the orchestrator. */
async function all(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const workers = [1, 2, 3].map(() => spawn(process.execPath, ['--import', 'tsx', self, 'worker'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await Promise.all(
    workers.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('exit', (code) => reject(new Error(`a worker exited (${code}): is Redis running at ${connection}?`)));
          createInterface({ input: child.stdout! }).on('line', (line) => {
            console.log(line);
            if (line.includes(' ready on queue ')) resolve();
          });
        }),
    ),
  );
  try {
    await orchestrator();
  } finally {
    for (const child of workers) child.kill('SIGTERM');
  }
}

const mode = process.argv[2];
if (mode === 'worker') await worker();
else if (mode === 'orchestrator') await orchestrator();
else if (mode === 'all') await all();
else {
  console.error('usage: npx tsx examples/distributed-fleet.ts worker | orchestrator | all');
  process.exitCode = 2;
}
