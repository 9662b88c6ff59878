/**
 * Seed 000's research DAG: plan → three searches → a 200-token brief per search → two analysts per
 * brief → synthesize → report, 15 Claude calls (see research-dag-graph.ts). Before the run, the
 * cost is estimated and checked against a budget; during it, progress is printed live; after it,
 * a table gives each node's status, duration, tokens and cost.
 *
 *     npx tsx examples/research-dag.ts                        # offline, simulated models, real time
 *     npx tsx examples/research-dag.ts --budget 0.001         # refused before anything runs
 *     npx tsx examples/research-dag.ts --fail search_papers   # every call 529s: retried, then the branch is skipped
 *     npx tsx examples/research-dag.ts --stall search_code    # calls hang: timed out at 30 s, retried, skipped (~2 min)
 *
 * With ANTHROPIC_API_KEY set, every node calls Claude (and --fail/--stall do nothing). Options:
 * --budget <usd> (default 0.5), --question <text>, --seed <n> (default 0).
 */
import { parseArgs } from 'node:util';
import { tap } from 'rxjs';
import {
  anthropicModel,
  collect,
  describeSkip,
  estimateRunCost,
  execute,
  isBudgetExceededError,
  isOptionsError,
  seededRandom,
  type NodeOutcome,
  type RunCostEstimate,
  type RunEvent,
  type RunStream,
  type RunSummary,
} from 'rx-orchestra';
import { buildResearchDag, DEFAULT_QUESTION, RESEARCH_NODE_IDS, type InjectedFault, type ResearchNodeId, type ResearchOutputs } from './research-dag-graph.js';
import { progressPrinter } from './lib/progress.js';
import { formatTable } from './lib/table.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '0.5' },
    fail: { type: 'string', multiple: true, default: [] },
    stall: { type: 'string', multiple: true, default: [] },
    question: { type: 'string', default: DEFAULT_QUESTION },
    seed: { type: 'string', default: '0' },
  },
});

const faults: Partial<Record<ResearchNodeId, InjectedFault>> = {};
for (const [ids, fault] of [[values.fail, 'overloaded'], [values.stall, 'stalled']] as const) {
  for (const id of ids) {
    if (!isNodeId(id)) {
      console.error(`unknown node '${id}'; nodes: ${RESEARCH_NODE_IDS.join(', ')}`);
      process.exit(2);
    }
    faults[id] = fault;
  }
}

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
const seed = Number(values.seed);
const g = buildResearchDag({ question: values.question, seed, faults, ...(claude ? { claude } : {}) });
console.log(`Research DAG: ${RESEARCH_NODE_IDS.length} nodes, ${claude ? 'real Claude' : `simulated models (seed ${seed}), real time`}`);
console.log(`Question: ${values.question}\n`);

// The estimate `execute` makes before the run: maxTokens as the output bound, upstream outputs as input.
const estimate = estimateRunCost(g.nodes, { top: 3 });
const maxUsd = Number(values.budget);
console.log(`Estimated cost: ${usd(estimate.totalUsd)} (budget ${Number.isFinite(maxUsd) ? usd(maxUsd) : values.budget}); most expensive: ${estimate.top.map((n) => `${n.nodeId} ${usd(n.usd)}`).join(', ')}`);

let run$: RunStream<ResearchOutputs>;
try {
  run$ = execute(g, { budget: { maxUsd }, random: seededRandom(seed), runId: 'research-dag' });
} catch (error) {
  if (!isBudgetExceededError(error) && !isOptionsError(error, 'budget')) throw error;
  console.log(`\nRefused before any call: ${error.message}`);
  process.exit(1);
}
console.log('Within budget: running.\n');

const spent = new Map<string, { tokens: number; costUsd: number }>();
const countUsage = (event: RunEvent) => {
  if (event.type !== 'node.usage') return;
  const so = spent.get(event.nodeId) ?? { tokens: 0, costUsd: 0 };
  spent.set(event.nodeId, { tokens: so.tokens + event.usage.inputTokens + event.usage.outputTokens, costUsd: so.costUsd + event.costUsd });
};
const printer = progressPrinter({
  describe: (nodeId) => {
    const so = spent.get(nodeId);
    return so ? `${so.tokens} tokens, ${usd(so.costUsd)}` : '';
  },
});
const { outcomes, summary } = await collect<ResearchOutputs>(run$.pipe(tap(countUsage), tap(printer)));

console.log(`\n${resultTable(outcomes, summary, estimate)}`);
if (outcomes.report.status === 'succeeded') console.log(`\n${outcomes.report.value}`);

/** One row per node: status, attempts, duration, tokens and cost, against the pre-run estimate. */
function resultTable(outcomes: Record<string, NodeOutcome>, summary: RunSummary, estimate: RunCostEstimate): string {
  const estimated = new Map(estimate.byNode.map((n) => [n.nodeId, n]));
  const rows = RESEARCH_NODE_IDS.map((id) => {
    const outcome = outcomes[id]!;
    const usage = summary.usage.byNode[id];
    const ran = outcome.status !== 'skipped';
    return [
      id,
      estimated.get(id)?.model ?? '—',
      statusOf(outcome),
      ran ? String(outcome.attempts) : '—',
      ran ? `${(outcome.durationMs / 1000).toFixed(2)} s` : '—',
      usage ? String(usage.inputTokens) : '—',
      usage ? String(usage.outputTokens) : '—',
      usage ? usd(usage.costUsd) : '—',
      usd(estimated.get(id)?.usd ?? 0),
    ];
  });
  const { total } = summary.usage;
  rows.push([
    'total',
    '',
    `${summary.status}, ${summary.counts.succeeded}/${summary.nodes} ok`,
    String(summary.attempts),
    `${(summary.makespanMs / 1000).toFixed(2)} s`,
    String(total.inputTokens),
    String(total.outputTokens),
    usd(total.costUsd),
    usd(estimate.totalUsd),
  ]);
  return formatTable(['node', 'model', 'status', 'attempts', 'duration', 'in tokens', 'out tokens', 'cost', 'estimate'], rows);
}

function statusOf(outcome: NodeOutcome): string {
  switch (outcome.status) {
    case 'skipped':
      return `skipped (${describeSkip(outcome.cause)})`;
    case 'failed':
    case 'timedOut':
      return `${outcome.status} (${outcome.error.code ?? outcome.error.name})`;
    default:
      return outcome.status;
  }
}

function usd(amount: number): string {
  return `$${amount.toFixed(4)}`;
}

function isNodeId(id: string): id is ResearchNodeId {
  return (RESEARCH_NODE_IDS as readonly string[]).includes(id);
}
