/**
 * `npx tsx examples/supervisor-tools.ts`: seed 004's data standardizer as a supervisor whose LLM
 * workers are tool-using agents. The recommender searches the standards dictionary through an MCP
 * server that this script starts (examples/mcp/standards-server.ts, over stdio); the auditor asks the
 * same server for the domain rules and checks the table with a local tool, both in one step. Prints
 * each routing decision, worker turn and tool call as it happens, then the answer and the run's
 * figures. Offline it runs on the simulated provider with a tool-calling policy (real time: the MCP
 * server is a real process); with ANTHROPIC_API_KEY set the workers call Claude.
 */
import { tap } from 'rxjs';
import { anthropicModel, collect, execute, hasValue, type RunEvent } from 'rx-orchestra';
import type { SupervisorResult } from 'rx-orchestra/patterns';
import { buildSupervisorTools, QUESTION } from './supervisor-tools-graph.js';

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

console.log(`Data standardizer supervisor (seed 004) with tool-using workers, ${claude ? 'on Claude' : 'on the simulated provider'}`);
console.log(`question: ${QUESTION}\n`);

const setup = buildSupervisorTools(claude ? { claude } : {});
let startedAt = 0;
try {
  const { summary, outcomes } = await collect(
    execute(setup.graph, { model: setup.model, runId: 'supervisor-tools' }).pipe(
      tap((event: RunEvent) => {
        if (event.type === 'run.started') startedAt = event.at;
        const line = describe(event);
        if (line) console.log(`${seconds(event.at - startedAt).padStart(8)}  ${line}`);
      }),
    ),
  );
  const outcome = outcomes.standardize;
  if (!hasValue(outcome)) {
    console.log(`\nthe supervisor did not finish: ${outcome?.status}`);
    process.exitCode = 1;
  } else {
    const result = outcome.value as SupervisorResult; // piping the run through tap drops its output types
    console.log(`\nfinal messages (${result.reason}, ${result.turns} workers, ${result.routingCalls} routing decisions):`);
    for (const message of result.messages) console.log(`  [${message.name ?? message.role}] ${message.content.replaceAll('\n', '\n    ')}`);
    const { total } = summary.usage;
    console.log(`\n${total.calls} model calls, ${total.inputTokens + total.cacheCreationInputTokens + total.cacheReadInputTokens} input tokens (${total.cacheReadInputTokens} read from the cache), ${total.outputTokens} output tokens, $${total.costUsd.toFixed(4)}; ${seconds(summary.makespanMs)}`);
  }
} finally {
  await setup.close(); // stops the MCP server process
}

/** One line per supervisor decision, worker turn and tool call. */
function describe(event: RunEvent): string | undefined {
  switch (event.type) {
    case 'supervisor.routed':
      return `turn ${event.turn}: → ${event.next}${event.rationale ? `  (${event.rationale})` : ''}`;
    case 'supervisor.worker':
      if (event.status === 'started') return `turn ${event.turn}: ▶ ${event.worker}`;
      return `turn ${event.turn}: ${event.status === 'succeeded' ? '✓' : '✗'} ${event.worker} ${seconds(event.durationMs ?? 0)}${event.error ? ` ${event.error.message}` : ''}`;
    case 'agent.step':
      return `    step ${event.step}: ${event.stopReason}${event.toolCalls > 0 ? `, ${event.toolCalls} tool call(s)` : ''}`;
    case 'tool.called':
      return `      ⚙ ${event.tool}(${JSON.stringify(event.input).slice(0, 90)})`;
    case 'tool.succeeded':
      return `      ✓ ${event.tool} ${event.durationMs} ms, ${event.resultChars} chars`;
    case 'tool.failed':
      return `      ✗ ${event.tool}: ${event.error.message}`;
    case 'supervisor.finished':
      return `■ ${event.reason} after ${event.turns} workers`;
    default:
      return undefined;
  }
}
