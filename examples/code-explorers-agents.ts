/**
 * Seed 003's 22 explorers as real agents: each explores one code path of this repository with
 * read-only tools (list_dir, grep, read_file, confined to the repository) and answers what it found
 * as typed JSON; all under the default governance (every step of every loop through the run's
 * governed model, against a tier-1 quota), with prompt caching on. See code-explorers-agents-graph.ts.
 *
 * Offline (the default) the provider is simulated, priced as Claude Sonnet 4.6, with a tool-calling
 * policy, and the run is in virtual time: minutes of simulated work in about a second. With
 * ANTHROPIC_API_KEY set, the same agents and tools run against Claude, in real time.
 *
 *     npx tsx examples/code-explorers-agents.ts
 */
import { anthropicModel, type RunEvent } from 'rx-orchestra';
import { formatTable } from './lib/table.js';
import { ESCAPE_EXPLORER, EXPLORER_MODEL, EXPLORER_QUOTA, EXPLORERS, runExplorerAgents } from './code-explorers-agents-graph.js';

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const usd = (value: number) => `$${value.toFixed(4)}`;
const count = (value: number) => value.toLocaleString('en');

const { requestsPerMinute, inputTokensPerMinute, outputTokensPerMinute } = EXPLORER_QUOTA;
console.log(`Seed 003 as agents: ${EXPLORERS.length} explorers over this repository's source, each with list_dir, grep and read_file (read-only, confined to the repository),`);
console.log(
  claude
    ? `on Claude (${EXPLORER_MODEL}), real time.\n`
    : `on the simulated provider priced as ${EXPLORER_MODEL} (quota: ${requestsPerMinute} requests, ${count(inputTokensPerMinute!)} input / ${count(outputTokensPerMinute!)} output tokens per minute), in virtual time.\n`,
);

const { findings, summary, events, cache, wallMs } = await runExplorerAgents(claude ? { claude } : {});

const finished = new Map<string, Extract<RunEvent, { type: 'agent.finished' }>>();
const durations = new Map<string, number>();
for (const event of events) {
  if (event.type === 'agent.finished') finished.set(event.nodeId, event);
  if (event.type === 'node.succeeded' || event.type === 'node.failed') durations.set(event.nodeId, event.durationMs);
}
for (const { id } of EXPLORERS) {
  const found = findings[id];
  const agentEnd = finished.get(id);
  const stats = agentEnd ? `${agentEnd.steps} steps, ${agentEnd.toolCalls} tool calls, ${seconds(durations.get(id) ?? 0)}` : 'no answer';
  console.log(`${found ? '✓' : '✗'} ${id}  (${stats})`);
  if (!found) {
    const failure = events.find((e) => e.type === 'node.failed' && e.nodeId === id);
    if (failure?.type === 'node.failed') console.log(`    ${failure.error.message}`);
    continue;
  }
  console.log(`    ${found.summary}`);
  for (const file of found.files) console.log(`    → ${file.path}${file.line !== undefined ? `:${file.line}` : ''}  ${file.note}`);
}

const refused = events.filter((e): e is Extract<RunEvent, { type: 'tool.failed' }> => e.type === 'tool.failed');
if (refused.length > 0) {
  console.log(`\nThe fence: ${refused.length} tool call(s) refused, each sent back to the model as an error result it read:`);
  for (const e of refused) console.log(`  ${e.nodeId} step ${e.step}: ${e.tool}  ${e.error.message}`);
} else if (!claude) {
  console.log(`\n(${ESCAPE_EXPLORER} asked for no path outside the repository this time.)`);
}

const { total } = summary.usage;
const toolCalls = events.filter((e) => e.type === 'tool.called').length;
const rateLimited = events.filter((e) => (e.type === 'node.retrying' || e.type === 'node.failed') && e.error.code === 'RATE_LIMITED').length;
console.log('');
console.log(
  formatTable(
    ['run', 'value'],
    [
      ['explorers answered', `${Object.keys(findings).length}/${EXPLORERS.length}`],
      ['model calls (agent steps)', count(total.calls)],
      ['tool calls', count(toolCalls)],
      ['input tokens, fresh', count(total.inputTokens)],
      ['input tokens, cache writes', count(total.cacheCreationInputTokens)],
      ['input tokens, cache reads', count(total.cacheReadInputTokens)],
      ['output tokens', count(total.outputTokens)],
      ['cost with prompt caching', usd(cache.costUsd)],
      ['same tokens uncached', usd(cache.uncachedUsd)],
      ['saved by caching', `${cache.savedPercent.toFixed(1)} %`],
      ['429s from the provider', String(rateLimited)],
      [claude ? 'time' : 'time (simulated)', seconds(summary.makespanMs)],
      ['wall time', `${wallMs.toFixed(0)} ms`],
    ],
  ),
);
if (!claude) console.log(`\nSimulated: every figure is exact and repeatable (virtual time, seeded latencies); nothing was spent.`);
if (summary.status !== 'succeeded') process.exitCode = 1;
