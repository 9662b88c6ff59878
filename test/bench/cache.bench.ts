/**
 * `cache_savings_percent`: what prompt caching saves on an agent loop. One agent node, 10 steps (9
 * tool calls, then the answer), on the simulated provider priced as Claude Sonnet 4.6 (cache writes
 * at 1.25x the input price, reads at 0.1x, from `CLAUDE_PRICES`), run twice in virtual time: with
 * `cache: true` (the default of `agent()`) and with `cache: false`. Each step resends the system
 * prompt (about 2,000 tokens of instructions and context), the tool definitions and the whole
 * conversation so far; each tool result adds about 500 tokens. The figure is `1 - cost(on) / cost(off)`.
 *
 * `npx tsx test/bench/cache.bench.ts` (or `npm run bench -- cacheSavings`) runs it alone.
 */
import { pathToFileURL } from 'node:url';
import { VirtualTimeScheduler, VirtualAction, of } from 'rxjs';
import { z } from 'zod';
import { agent, execute, graph, simulatedModel, tool, type RunEvent, type RunSummary } from '../../src/index.js';
import { report, type Figure } from './report.js';

const MODEL = 'claude-sonnet-4-6';
const STEPS = 10;
/** About 2,000 tokens of stable instructions and context (4 characters a token, as the simulator counts). */
const SYSTEM = `You are a research agent. Use the tools to read the sources, then answer.\n${'Context: the project documents its sources and their status here. '.repeat(120)}`;
/** About 500 tokens per tool result. */
const PAGE = 'The source says many useful things about the question at hand. '.repeat(31);

const readSource = tool({ name: 'read_source', description: 'Reads one source by number', input: z.object({ n: z.number() }), run: ({ n }) => of(`source ${n}:\n${PAGE}`) });

function runLoop(cache: boolean): RunSummary {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const model = simulatedModel({
    model: MODEL,
    scheduler,
    seed: 5,
    toolPolicy: (_request, { step }) => (step < STEPS ? { text: `Reading source ${step}.`, toolUse: [{ name: 'read_source', input: { n: step } }] } : { text: `Summary of ${STEPS - 1} sources. `.repeat(40) }),
  });
  const g = graph().node('researcher', { run: agent({ system: SYSTEM, prompt: () => 'What do the sources say?', tools: [readSource], maxSteps: STEPS, cache }) }).build();
  let done: RunEvent | undefined;
  execute(g, { model, scheduler }).subscribe((event) => (done = event));
  scheduler.flush();
  if (done?.type !== 'run.completed' || done.summary.status !== 'succeeded') throw new Error('cache bench: the loop did not succeed');
  return done.summary;
}

/** `cache_savings_percent`; see the module comment. */
export async function cacheSavings(): Promise<Figure[]> {
  const on = runLoop(true).usage.total;
  const off = runLoop(false).usage.total;
  if (on.calls !== STEPS || off.calls !== STEPS) throw new Error(`cache bench: ${on.calls} and ${off.calls} calls instead of ${STEPS}`);
  const saved = (1 - on.costUsd / off.costUsd) * 100;
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  return [
    {
      name: 'cache_savings_percent',
      value: Math.round(saved * 10) / 10,
      unit: '%',
      note:
        `${STEPS}-step agent loop on the simulated provider priced as ${MODEL}: $${on.costUsd.toFixed(4)} cached vs $${off.costUsd.toFixed(4)} uncached; ` +
        `cached: ${k(on.cacheReadInputTokens)} tokens read, ${k(on.cacheCreationInputTokens)} written, ${k(on.inputTokens)} fresh; uncached: ${k(off.inputTokens)} input tokens; ${k(on.outputTokens)} output tokens each`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await cacheSavings());
