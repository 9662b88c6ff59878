/**
 * `npx tsx examples/data-standardizer-bandit.ts`: seed 004's data standardizer, with routing that
 * learns. A bandit router chooses the recommender for each request — a cheap one (Haiku) or an
 * expensive one (Sonnet) — by Thompson sampling, per question type (lookup or table); it scores
 * each answer with the seed's rule (the physical name must be the dictionary's `PT_ID`) minus what
 * the call cost, and learns from it. An A/B experiment sends half the requests to the bandit and
 * half to the seed's fixed choice (always Sonnet), and the script prints the A/B report, what the
 * bandit learned, and an offline evaluation of other policies from the same log. Offline: every
 * model is simulated (the cheap recommender gets tables wrong 40% of the time, lookups 3%), in
 * virtual time, so 200 requests take a second.
 */
import { pathToFileURL } from 'node:url';
import { VirtualTimeScheduler, tap, type SchedulerLike } from 'rxjs';
import { collect, execute, graph, llm, seededRandom, simulatedModel, textOf, type CompletionRequest, type RunEvent } from 'rx-orchestra';
import {
  banditRouter,
  costAwareReward,
  evaluateRouters,
  experiment,
  experimentReport,
  fromNodeRun,
  hasAnswered,
  lastMessage,
  staticRouter,
  supervisor,
  worker,
  type ArmOutcome,
  type BanditRouter,
  type ExperimentReport,
  type LoggedDecision,
  type RouterEvaluation,
} from 'rx-orchestra/patterns';
import { map, timer } from 'rxjs';
import { DOMAIN_PRIORITY, POST_PROCESSING_MS, Recommendation } from './data-standardizer-graph.js';
import { formatTable } from './lib/table.js';

/** Questions of two types: lookups (an abbreviation) and tables (a sorted answer table). */
export const QUESTIONS = {
  lookup: 'What is the standard abbreviation for the patient identifier column?',
  table: 'Give me the standard abbreviation and domain for the patient identifier column, and sort the answer table by domain priority.',
} as const;

/** How often the simulated cheap recommender gets the physical name wrong, by question type. */
export const CHEAP_ERROR_RATE = { lookup: 0.03, table: 0.4 } as const;
/** Reward lost per USD spent: a simulated Sonnet call (~$0.0007) costs ~0.07 of a correct answer, a Haiku call ~0.02. */
export const COST_WEIGHT = 100;

/** Settings of {@link runBanditStandardizer}. */
export interface BanditStandardizerOptions {
  /** Requests to run, alternating lookups and tables. @default 200 */
  requests?: number;
  /** Seed of the simulated models and of the bandit. @default 4 */
  seed?: number;
}

/** What {@link runBanditStandardizer} returns. */
export interface BanditStandardizerResult {
  events: RunEvent[];
  report: ExperimentReport;
  bandit: BanditRouter;
  evaluation: RouterEvaluation;
}

/** The rule the seed's auditor applies: the physical name must be the dictionary's. */
const quality = ({ output }: ArmOutcome) => ((output as Recommendation | undefined)?.physicalName === 'PT_ID' ? 1 : 0);

/**
 * Builds the team and runs `requests` requests through it one after the other, in virtual time,
 * then reports. Fresh simulated models and bandit per call: the same seed gives the same run.
 */
export async function runBanditStandardizer(options: BanditStandardizerOptions = {}): Promise<BanditStandardizerResult> {
  const { requests = 200, seed = 4 } = options;
  const scheduler = new VirtualTimeScheduler();
  const mistakes = seededRandom(seed * 31);
  const recommender = (model: 'claude-haiku-4-5' | 'claude-sonnet-4-6', offset: number, errorRate: (type: keyof typeof QUESTIONS) => number, sched: SchedulerLike) =>
    worker({
      description: `standard abbreviations and domain candidates (${model})`,
      run: fromNodeRun(
        llm({
          prompt: (request: string) => `Recommend the standard physical name (abbreviation) and domain candidates for:\n${request}`,
          system: "You recommend standard column names from the organisation's data standards dictionary.",
          schema: Recommendation,
          repairs: 0,
          model,
          provider: simulatedModel({
            model,
            seed: seed * 10 + offset,
            scheduler: sched,
            latency: model === 'claude-haiku-4-5' ? { medianMs: 240, p95Ms: 320 } : { medianMs: 900, p95Ms: 1_400 },
            respond: (request: CompletionRequest) => recommendation(mistakes() < errorRate(typeOf(textOf(request.prompt)))),
          }),
        }),
      ),
    });
  const bandit = banditRouter({
    name: 'recommender-choice',
    arms: ['recommender_haiku', 'recommender_sonnet'],
    prior: { kind: 'gaussian', mean: 0.5, variance: 0.25 },
    reward: costAwareReward({ quality, costWeight: COST_WEIGHT }),
    context: (state) => typeOf(state.messages[0]?.content ?? ''),
    random: seededRandom(seed),
    // after the recommendation: the post-processor, unless the recommender failed
    then: staticRouter([(s) => !lastMessage(s)?.error && !hasAnswered(s, 'post_processor') && 'post_processor']),
  });
  const alwaysSonnet = staticRouter([(s) => !hasAnswered(s, 'recommender_sonnet') && 'recommender_sonnet', (s) => !lastMessage(s)?.error && !hasAnswered(s, 'post_processor') && 'post_processor']);
  const postProcessor = worker({
    description: 'assigns physical names and sorts the answer table by domain priority (no LLM)',
    input: (state) => lastMessage(state)?.payload as Recommendation,
    inputSchema: Recommendation,
    run: (rec, ctx) => timer(POST_PROCESSING_MS, ctx.scheduler).pipe(map(() => answerTable(rec))),
  });
  const team = supervisor({
    name: 'data-standardizer',
    workers: {
      recommender_haiku: bandit.meter(recommender('claude-haiku-4-5', 1, (type) => CHEAP_ERROR_RATE[type], scheduler)),
      recommender_sonnet: bandit.meter(recommender('claude-sonnet-4-6', 2, () => 0, scheduler)),
      post_processor: postProcessor,
    },
    router: experiment({ name: 'bandit-vs-sonnet', arms: { bandit, always_sonnet: alwaysSonnet }, split: { bandit: 0.5, always_sonnet: 0.5 } }),
    onWorkerError: 'report',
    maxTurns: 4,
  });
  const events: RunEvent[] = [];
  for (let i = 0; i < requests; i++) {
    const question = i % 2 === 0 ? QUESTIONS.lookup : QUESTIONS.table;
    const g = graph()
      .node('question', { run: () => [question] })
      .node('standardize', { deps: ['question'], run: team, meta: { agent: 'data_standardizer' } })
      .build();
    const done = collect(execute(g, { scheduler, runId: `request-${String(i).padStart(3, '0')}` }).pipe(tap((e) => events.push(e))));
    scheduler.flush();
    await done;
  }
  const report = experimentReport(events);
  const evaluation = evaluateRouters(events, {
    always_haiku: () => 'recommender_haiku',
    always_sonnet: () => 'recommender_sonnet',
    haiku_for_lookups: (d: LoggedDecision) => (d.context === 'lookup' ? 'recommender_haiku' : 'recommender_sonnet'),
  });
  return { events, report, bandit, evaluation };
}

/** A lookup or a table question. */
export function typeOf(text: string): keyof typeof QUESTIONS {
  return /table|sort/i.test(text) ? 'table' : 'lookup';
}

function recommendation(wrong: boolean): string {
  return JSON.stringify({ logicalName: 'patient identifier', physicalName: wrong ? 'PATIENT_NO' : 'PT_ID', domains: ['clinical encounter', 'patient info'], confidence: wrong ? 0.7 : 0.92 });
}

function answerTable(rec: Recommendation): string {
  const rows = [...rec.domains].sort((a, b) => (DOMAIN_PRIORITY[a] ?? 99) - (DOMAIN_PRIORITY[b] ?? 99));
  return ['| logical name | physical name | domain | priority |', '|---|---|---|---|', ...rows.map((d) => `| ${rec.logicalName} | ${rec.physicalName} | ${d} | ${DOMAIN_PRIORITY[d] ?? '-'} |`)].join('\n');
}

async function main(): Promise<void> {
  const requests = 200;
  console.log(`Data standardizer (seed 004) with a learning router: ${requests} requests, simulated models, virtual time\n`);
  const { report, bandit, evaluation, events } = await runBanditStandardizer({ requests });
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const usd = (x: number) => `$${x.toFixed(5)}`;
  console.log('A/B report (experiment bandit-vs-sonnet):');
  console.log(
    formatTable(
      ['arm', 'requests', 'success', '95% interval', 'cost/request', 'p50', 'p95', 'routing calls/request'],
      report.arms.map((a) => [a.arm, String(a.requests), pct(a.successRate), `${pct(a.successInterval[0])}–${pct(a.successInterval[1])}`, usd(a.costPerRequest), `${a.latencyP50Ms} ms`, `${a.latencyP95Ms} ms`, a.routingCallsPerRequest.toFixed(2)]),
    ),
  );
  console.log('\nwhat the bandit learned (posterior mean reward = quality - cost):');
  const rows: string[][] = [];
  for (const context of ['lookup', 'table'] as const) {
    const posteriors = await bandit.posteriors(context);
    for (const [arm, p] of Object.entries(posteriors)) rows.push([context, arm, String(p.n), p.mean.toFixed(3)]);
  }
  console.log(formatTable(['question', 'recommender', 'tries', 'mean reward'], rows));
  const late = events.filter((e) => (e.type as string) === 'router.chose').slice(-40) as unknown as { context: string; arm: string }[];
  for (const context of ['lookup', 'table'] as const) {
    const mine = late.filter((e) => e.context === context);
    console.log(`  last ${mine.length} ${context}s: ${pct(mine.filter((e) => e.arm === 'recommender_haiku').length / Math.max(1, mine.length))} routed to haiku`);
  }
  console.log(`\noffline evaluation of other policies from the bandit's log (${evaluation.decisions} decisions, best per question type ${evaluation.bestReward.toFixed(3)}):`);
  console.log(
    formatTable(
      ['policy', 'estimated reward', '± 1.96 se', 'regret/request', 'effective samples'],
      evaluation.candidates.map((c) => [c.name, c.estimatedReward.toFixed(3), (1.96 * c.stdError).toFixed(3), c.regret.toFixed(3), c.samples.toFixed(0)]),
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
