/**
 * Seed 003's 22 code-path explorers, discovered at run time: a `discover` node lists the code paths
 * (structured output), a fan-out explores each one as `explore/<path id>` under the run's
 * concurrency, and `aggregate` joins the findings (see lib/explorers-discovered-graph.ts). Same
 * provider, quota (tier 1) and calls as examples/code-explorers.ts, which writes the 22 nodes by
 * hand; this one learns them from the model. Runs in virtual time, so the figures are exact and
 * repeatable (always offline: the point is the scheduling, not the model).
 *
 *     npx tsx examples/explorers-discovered.ts
 *     npx tsx examples/explorers-discovered.ts --concurrency 4   # the seed's sweet spot, as a cap
 */
import { parseArgs } from 'node:util';
import { formatTable } from './lib/table.js';
import { runDiscovered } from './lib/explorers-discovered-graph.js';
import { CODE_PATHS, EXPLORER_QUOTA, quotaLowerBound, runStrategy } from './code-explorers-graph.js';

const { values } = parseArgs({ options: { concurrency: { type: 'string' } } });
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
  console.error(`--concurrency must be an integer >= 1, got '${values.concurrency}'`);
  process.exit(2);
}

const { requestsPerMinute, inputTokensPerMinute, outputTokensPerMinute } = EXPLORER_QUOTA;
console.log(`Seed 003, discovered at run time: discover → explore/<path> (one per path the model lists) → aggregate`);
console.log(`One quota of ${requestsPerMinute} requests, ${inputTokensPerMinute.toLocaleString('en')} input and ${outputTokensPerMinute.toLocaleString('en')} output tokens per minute; 10 s per call.\n`);

const wallStart = performance.now();
const run = runDiscovered(concurrency === undefined ? {} : { concurrency });
const wallMs = performance.now() - wallStart;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const expanded = run.events.find((e) => e.type === 'node.expanded');
if (expanded?.type === 'node.expanded') {
  console.log(`${seconds(expanded.at)}  discover listed ${expanded.nodes.length} code paths; explore fans out into ${expanded.nodes.map((n) => n.id).slice(0, 3).join(', ')}, … ${expanded.nodes.at(-1)!.id}`);
}
console.log(`${seconds(run.completionMs)}  aggregate joined ${run.aggregate?.explored ?? 0} findings; at most ${run.peakExplorers} explorers held a slot at once, ${run.rateLimited} calls were refused (429)\n`);

// The same exploration, written by hand (code-explorers.ts), for comparison.
const hand = runStrategy('default');
const waves = runStrategy('waves');
const bound = quotaLowerBound();
const label = concurrency === undefined ? 'discovered, defaults' : `discovered, concurrency ${concurrency}`;
console.log(
  formatTable(
    ['run', 'exploring', 'whole run', 'vs bound', 'done'],
    [
      [label, seconds(run.explorePhaseMs), seconds(run.completionMs), `${(run.explorePhaseMs / bound).toFixed(2)}x`, `${run.succeeded}/${CODE_PATHS.length}`],
      ['22 nodes written by hand, defaults', seconds(hand.completionMs), seconds(hand.completionMs), `${(hand.completionMs / bound).toFixed(2)}x`, `${hand.succeeded}/${CODE_PATHS.length}`],
      ['waves of 4 (inWaves)', seconds(waves.completionMs), seconds(waves.completionMs), `${(waves.completionMs / bound).toFixed(2)}x`, `${waves.succeeded}/${CODE_PATHS.length}`],
      ['quota lower bound', seconds(bound), '—', '1.00x', '—'],
    ],
  ),
);
console.log(`\n"exploring" runs from the fan-out's expansion (when discover ended) to its last explorer; the whole run adds discover's call.`);
console.log(`\nFirst findings (aggregate):\n${(run.aggregate?.report ?? '').split('\n').slice(0, 3).join('\n')}\n…`);
console.log(`\nAll figures are simulated: virtual time on the quota's own clock, computed in ${wallMs.toFixed(0)} ms of wall time.`);
