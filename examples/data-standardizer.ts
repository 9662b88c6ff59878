/**
 * `npx tsx examples/data-standardizer.ts`: seed 004's data standardizer as a supervisor. A router
 * picks the next worker (recommender, post_processor, auditor) or FINISH, turn by turn; the script
 * prints each decision and worker turn as it happens, the answer, the seed's per-agent x per-turn
 * timing, and how the seed's static if/else (migration step 1) compares with the LLM router
 * (step 3). Offline it runs on simulated models; with ANTHROPIC_API_KEY set the router and the LLM
 * workers call Claude.
 */
import { tap } from 'rxjs';
import { anthropicModel, collect, execute, hasValue, type RunEvent, type RunSummary } from 'rx-orchestra';
import { routingStats, type SupervisorResult } from 'rx-orchestra/patterns';
import { buildDataStandardizer, QUESTION } from './data-standardizer-graph.js';
import { formatTable } from './lib/table.js';

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

console.log(`Data standardizer supervisor (seed 004), ${claude ? 'real Claude' : 'simulated models, real time'}`);
console.log(`question: ${QUESTION}\n`);

const runs: { router: 'llm' | 'static'; summary: RunSummary; result: SupervisorResult; events: RunEvent[] }[] = [];
for (const router of ['llm', 'static'] as const) {
  console.log(`── ${router === 'llm' ? 'LLM router (seed 004 step 3)' : "static router: the seed's if/else (step 1)"} ──`);
  const events: RunEvent[] = [];
  let startedAt = 0;
  const { summary, outcomes } = await collect(
    execute(buildDataStandardizer({ router, ...(claude ? { claude } : {}) }), { runId: `standardize-${router}` }).pipe(
      tap((event) => {
        events.push(event);
        if (event.type === 'run.started') startedAt = event.at;
        const line = describe(event);
        if (line) console.log(`${seconds(event.at - startedAt).padStart(8)}  ${line}`);
      }),
    ),
  );
  const outcome = outcomes.standardize;
  if (!hasValue(outcome)) {
    console.log(`the supervisor did not finish: ${outcome?.status} ${'error' in (outcome ?? {}) ? JSON.stringify((outcome as { error: unknown }).error) : ''}`);
    process.exitCode = 1;
    break;
  }
  const result = outcome.value as SupervisorResult; // piping the run through tap drops its output types
  runs.push({ router, summary, result, events });
  const { reason, turns, routingCalls, messages } = result;
  console.log(`\nfinal messages (${reason}, ${turns} workers, ${routingCalls} routing calls):`);
  for (const message of messages) console.log(`  [${message.name ?? message.role}] ${message.content.replaceAll('\n', '\n    ')}`);
  console.log();
}

if (runs.length > 0) {
  const llmRun = runs[0]!;
  const stats = routingStats(llmRun.events);
  console.log('per agent x turn (the seed\'s [timing] lines), LLM router:');
  for (const t of stats.timings) console.log(`  ${JSON.stringify({ supervisor: t.supervisor, turn: t.turn, agent: t.agent, ms: t.ms })}`);
  console.log();
  console.log(
    formatTable(
      ['agent', 'calls', 'mean', 'max', 'total'],
      stats.agents.map((a) => [a.agent, String(a.calls), `${a.meanMs.toFixed(0)} ms`, `${a.maxMs.toFixed(0)} ms`, `${a.totalMs.toFixed(0)} ms`]),
    ),
  );
  console.log();
  console.log(
    formatTable(
      ['router', 'workers run', 'routing calls', 'routing time', 'makespan', 'model calls', 'cost'],
      runs.map(({ router, summary, result }) => [
        router,
        result.trace.flatMap((t) => (t.worker ? [t.worker.name] : [])).join(' → '),
        String(result.routingCalls),
        `${result.trace.reduce((sum, t) => sum + t.routingMs, 0)} ms`,
        seconds(summary.makespanMs),
        String(summary.usage.total.calls),
        `$${summary.usage.total.costUsd.toFixed(4)}`,
      ]),
    ),
  );
}

/** One line per supervisor event. */
function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'supervisor.routed':
      return `${event.supervisor} turn ${event.turn}: → ${event.next}${event.rationale ? `  (${event.rationale})` : ''}`;
    case 'supervisor.worker':
      if (event.status === 'started') return `${event.supervisor} turn ${event.turn}: ▶ ${event.worker}`;
      return `${event.supervisor} turn ${event.turn}: ${event.status === 'succeeded' ? '✓' : '✗'} ${event.worker} ${seconds(event.durationMs ?? 0)}${event.error ? ` ${event.error.message}` : ''}`;
    case 'supervisor.finished':
      return `${event.supervisor}: ■ ${event.reason} after ${event.turns} workers, ${event.routingCalls} routing calls`;
    default:
      return undefined;
  }
}
