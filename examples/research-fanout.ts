/**
 * Seed 000's research DAG with a fan-out known only at run time: a planner lists sub-questions
 * (structured output), one researcher per sub-question runs under the run's concurrency (4, the
 * seed's semaphore), a writer drafts the report, and publishing waits for a person's approval
 * (see lib/research-fanout-graph.ts).
 *
 *     npx tsx examples/research-fanout.ts                         # offline, simulated models, real time
 *     npx tsx examples/research-fanout.ts --sub-questions 12      # the plan lists 12: 12 researchers run
 *     npx tsx examples/research-fanout.ts --fail web-retry-storms # that researcher 529s: retried, then the report says what is missing
 *     npx tsx examples/research-fanout.ts --decision reject       # without a terminal: reject instead of approve
 *
 * In a terminal, the approval is asked on stdin. Without one (CI, a pipe), the example decides by
 * itself (`--decision`, default approve) as `by: 'example'`, and says so. With ANTHROPIC_API_KEY
 * set, every node calls Claude (and --fail does nothing). Other options: --concurrency <n>
 * (default 4), --budget <usd> (default 0.5), --seed <n> (default 0).
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { tap } from 'rxjs';
import { anthropicModel, collect, describeSkip, execute, seededRandom, type Decision, type NodeOutcome, type RunEvent } from 'rx-orchestra';
import { progressPrinter } from './lib/progress.js';
import { formatTable } from './lib/table.js';
import { CANNED_SUB_QUESTIONS, DEFAULT_QUESTION, buildResearchFanout, type PublishRequest, type ResearchFanoutOutputs } from './lib/research-fanout-graph.js';

const { values } = parseArgs({
  options: {
    'sub-questions': { type: 'string', default: '8' },
    fail: { type: 'string', multiple: true, default: [] },
    decision: { type: 'string', default: 'approve' },
    concurrency: { type: 'string', default: '4' },
    budget: { type: 'string', default: '0.5' },
    seed: { type: 'string', default: '0' },
  },
});
if (values.decision !== 'approve' && values.decision !== 'reject') {
  console.error(`--decision must be approve or reject, got '${values.decision}'`);
  process.exit(2);
}
const unknownIds = values.fail.filter((id) => !CANNED_SUB_QUESTIONS.some((q) => q.id === id));
if (unknownIds.length > 0) {
  console.error(`unknown sub-question ${unknownIds.join(', ')}; ids: ${CANNED_SUB_QUESTIONS.map((q) => q.id).join(', ')}`);
  process.exit(2);
}

const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
const seed = Number(values.seed);
const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
const g = buildResearchFanout({ subQuestions: Number(values['sub-questions']), seed, failing: values.fail, ...(claude ? { claude } : {}) });
console.log(`Research fan-out: plan → research/<sub-question> (one per sub-question, known at run time) → write → publish (after approval)`);
console.log(`${claude ? 'real Claude' : `simulated models (seed ${seed}), real time`}, concurrency ${values.concurrency}`);
console.log(`Question: ${DEFAULT_QUESTION}\n`);

const run$ = execute(g, { concurrency: Number(values.concurrency), budget: { maxUsd: Number(values.budget) }, random: seededRandom(seed), runId: 'research-fanout' });
const printer = progressPrinter();

/** Lines for what the shared progress printer does not show: the fan-out, the wait, the decision. */
function onGrowth(event: RunEvent): void {
  if (event.type === 'node.expanded') {
    console.log(`         ⋔ ${event.nodeId} fans out into ${event.nodes.length} researchers: ${event.nodes.map((n) => n.id).join(', ')}`);
  } else if (event.type === 'node.waiting') {
    const request = event.payload as PublishRequest;
    console.log(`         ⏸ ${event.nodeId} waits for approval: "${request.title}", ${request.words} words${request.missing.length > 0 ? `, missing ${request.missing.join(', ')}` : ''}`);
    void decide(event.nodeId);
  } else if (event.type === 'node.decided') {
    console.log(`         ✔ ${event.nodeId} ${event.approve ? 'approved' : 'rejected'}${event.by ? ` by ${event.by}` : ''}${event.reason ? `: ${event.reason}` : ''}`);
  }
}

/** Asks on the terminal, or, without one, decides as `--decision` says (and says so). */
async function decide(nodeId: string): Promise<void> {
  let decision: Decision;
  if (interactive) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('         Publish this report? [y/N] ');
    rl.close();
    decision = /^y(es)?$/i.test(answer.trim()) ? { approve: true, by: 'terminal' } : { approve: false, reason: 'declined at the terminal', by: 'terminal' };
  } else {
    const approve = values.decision === 'approve';
    console.log(`         (no terminal: deciding automatically: ${approve ? 'approve' : 'reject'}, by: 'example')`);
    decision = approve ? { approve: true, by: 'example' } : { approve: false, reason: '--decision reject', by: 'example' };
  }
  run$.decide(nodeId, decision);
}

const { outcomes, summary } = await collect<ResearchFanoutOutputs>(run$.pipe(tap(printer), tap(onGrowth)));

// The researchers, in the plan's order (the fan-out's ids are `research/<sub-question id>`).
const ids = outcomes.plan.status === 'succeeded' ? outcomes.plan.value.subQuestions.map((q) => `research/${q.id}`) : [];
const rows = ids.map((id) => {
  const outcome = (outcomes as Record<string, NodeOutcome>)[id]!;
  return [id, statusOf(outcome), outcome.status === 'skipped' ? '—' : String(outcome.attempts), outcome.status === 'skipped' ? '—' : `${(outcome.durationMs / 1000).toFixed(2)} s`];
});
console.log(`\n${formatTable(['researcher', 'status', 'attempts', 'duration'], rows)}`);
const { total } = summary.usage;
console.log(`\n${summary.nodes} nodes (${ids.length} added at run time), ${total.calls} model calls, $${total.costUsd.toFixed(4)}, run ${summary.status} in ${(summary.makespanMs / 1000).toFixed(2)} s`);
if (outcomes.write.status === 'succeeded') console.log(`\n${outcomes.write.value}\n`);
const published = outcomes.publish;
console.log(published.status === 'succeeded' ? `Published "${published.value.title}" (${published.value.words} words), approved by ${published.value.approvedBy ?? 'nobody'}.` : `Not published: ${statusOf(published)}.`);

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
