/**
 * Seed 004's data standardizer as a supervisor: a router picks the next worker or FINISH among a
 * recommender (RAG + LLM, structured handoff), a post-processor (physical names and table sorting,
 * no LLM) and an auditor (domain-priority rules + LLM). Offline every model is simulated with the
 * seed's latencies (routing ~0.3 s, retrieval ~0.25 s, audit ~1.8 s) and scripted replies: the
 * simulated router decides from the conversation it is shown, as the seed's prompt asks. Used by
 * `npx tsx examples/data-standardizer.ts` and its test.
 */
import { map, timer, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  fromNodeRun,
  hasAnswered,
  lastMessage,
  llmRouter,
  staticRouter,
  supervisor,
  worker,
  type Router,
  type SupervisorResult,
} from 'rx-orchestra/patterns';
import {
  graph,
  llm,
  simulatedModel,
  textOf,
  type CompletionRequest,
  type Graph,
  type LatencyProfile,
  type Model,
} from 'rx-orchestra';

/** The seed's question. */
export const QUESTION = 'Give me the standard abbreviation and domain for the patient identifier column, and sort the answer table by domain priority.';

/** The workers in the order the seed's scenario runs them. */
export const WORKERS = ['recommender', 'post_processor', 'auditor'] as const;

/** The seed's supervisor prompt (section 4.2). */
export const SUPERVISOR_PROMPT = [
  'You are the data standardization supervisor. Look at the request and pick the next worker:',
  '- recommender: when standard abbreviations or domain recommendations (RAG) are needed',
  '- post_processor: when physical names or table sorting are needed',
  '- auditor: when a full-format answer table needs its domain priority verified',
  '- FINISH: when enough information has been gathered',
  'Pick exactly one worker at a time.',
].join('\n');

/** The recommender's structured handoff (seed 004 §6.2). */
export const Recommendation = z.object({
  logicalName: z.string(),
  physicalName: z.string(),
  domains: z.array(z.string()).min(1),
  confidence: z.number().min(0).max(1),
});
export type Recommendation = z.infer<typeof Recommendation>;

/** Domain priorities the post-processor sorts by and the auditor checks (lower first). */
export const DOMAIN_PRIORITY: Record<string, number> = { 'patient info': 1, 'clinical encounter': 2, 'billing': 3 };

const ROUTER_LATENCY: LatencyProfile = { medianMs: 330, p95Ms: 420 };
const RECOMMENDER_LATENCY: LatencyProfile = { medianMs: 240, p95Ms: 320 };
const AUDITOR_LATENCY: LatencyProfile = { medianMs: 1800, p95Ms: 2100 };
/** The post-processor is local code (classifier + abbreviation dictionary): a fixed 120 ms. */
export const POST_PROCESSING_MS = 120;

/** Settings of {@link buildDataStandardizer}. */
export interface DataStandardizerOptions {
  /** `llm`: an LLM router (seed 004 step 3); `static`: the seed's if/else as rules (step 1). @default 'llm' */
  router?: 'llm' | 'static';
  /** The user's question. @default {@link QUESTION} */
  question?: string;
  /** Seed of the simulated models. @default 4 */
  seed?: number;
  /** Scheduler of the simulated models; pass the same one to `execute`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** A real provider (e.g. `anthropicModel()`): when given, the router and the LLM workers call it. */
  claude?: Model;
}

/**
 * Builds the graph: `question` → `standardize` (the supervisor). Build one graph per run: fresh
 * simulated models replay the same seeded latencies.
 *
 * ## Example
 * ```ts
 * import { collect, execute } from 'rx-orchestra';
 * const { outcomes } = await collect(execute(buildDataStandardizer({ router: 'llm' })));
 * ```
 */
export function buildDataStandardizer(options: DataStandardizerOptions = {}): Graph<{ question: string; standardize: SupervisorResult }> {
  const { seed = 4, scheduler, claude, question = QUESTION } = options;
  const simulated = (latency: LatencyProfile, offset: number, model: string, respond: (request: CompletionRequest) => string) =>
    simulatedModel({ latency, seed: seed * 10 + offset, model, respond, ...(scheduler ? { scheduler } : {}) });
  const routerModel = claude ?? simulated(ROUTER_LATENCY, 1, 'claude-haiku-4-5', simulatedRouterReply);
  const recommenderModel = claude ?? simulated(RECOMMENDER_LATENCY, 2, 'claude-haiku-4-5', simulatedRecommendation);
  const auditorModel = claude ?? simulated(AUDITOR_LATENCY, 3, 'claude-sonnet-4-6', simulatedAudit);

  const recommender = worker({
    description: 'standard abbreviations and domain candidates, from the standards dictionary (RAG + LLM)',
    run: fromNodeRun(
      llm({
        prompt: (request: string) => `Recommend the standard physical name (abbreviation) and domain candidates for:\n${request}`,
        system: 'You recommend standard column names from the organisation\'s data standards dictionary.',
        schema: Recommendation,
        provider: recommenderModel,
        model: 'claude-haiku-4-5',
      }),
    ),
    outputSchema: Recommendation, // the structured handoff, validated at the boundary
  });

  const postProcessor = worker({
    description: 'assigns physical names and sorts the answer table by domain priority (no LLM)',
    input: (state) => lastMessage(state, 'recommender')?.payload as Recommendation,
    inputSchema: Recommendation,
    run: (rec, ctx) => timer(POST_PROCESSING_MS, ctx.scheduler).pipe(map(() => answerTable(rec))),
  });

  const auditor = worker({
    description: 'verifies the domain priority of a full-format answer table (rules + LLM)',
    input: (state) => lastMessage(state, 'post_processor')?.content ?? '',
    run: fromNodeRun(
      llm({
        prompt: (table: string) => `Audit the domain priority of this answer table and list corrections:\n${table}`,
        system: 'You audit data standardization answers against the domain priority rules.',
        provider: auditorModel,
        model: 'claude-sonnet-4-6',
      }),
    ),
  });

  const router: Router =
    options.router === 'static'
      ? // seed 004 §3, DataStandardizerAgent.run's if/else as rules
        staticRouter([
          (s) => !hasAnswered(s, 'recommender') && 'recommender',
          (s) => !hasAnswered(s, 'post_processor') && 'post_processor',
          (s) => isFullFormat(lastMessage(s, 'post_processor')?.content) && !hasAnswered(s, 'auditor') && 'auditor',
        ])
      : llmRouter({ system: SUPERVISOR_PROMPT, provider: routerModel, model: 'claude-haiku-4-5', rationale: true });

  return graph()
    .node('question', { run: () => [question] })
    .node('standardize', {
      deps: ['question'],
      run: supervisor({ name: 'data-standardizer', workers: { recommender, post_processor: postProcessor, auditor }, router, maxTurns: 6 }),
      meta: { agent: 'data_standardizer' },
    })
    .build();
}

/** A full-format answer is a markdown table. */
export function isFullFormat(text: string | undefined): boolean {
  return text?.trimStart().startsWith('|') ?? false;
}

/** The post-processor's table: one row per domain candidate, by domain priority. */
function answerTable(rec: Recommendation): string {
  const rows = [...rec.domains].sort((a, b) => (DOMAIN_PRIORITY[a] ?? 99) - (DOMAIN_PRIORITY[b] ?? 99));
  return [
    '| logical name | physical name | domain | priority |',
    '|---|---|---|---|',
    ...rows.map((domain) => `| ${rec.logicalName} | ${rec.physicalName} | ${domain} | ${DOMAIN_PRIORITY[domain] ?? '-'} |`),
  ].join('\n');
}

/** Offline stand-in for the router LLM: decides from the conversation it is shown, as the seed's prompt asks. */
function simulatedRouterReply(request: CompletionRequest): string {
  const prompt = textOf(request.prompt);
  const said = (who: string) => prompt.includes(`<message from="${who}">`);
  const request_ = /<message from="user">\n([\s\S]*?)\n<\/message>/.exec(prompt)?.[1] ?? '';
  const table = /<message from="post_processor">\n([\s\S]*?)\n<\/message>/.exec(prompt)?.[1];
  const decide = (next: string, rationale: string) => JSON.stringify({ next, rationale });
  if (!said('recommender')) return decide('recommender', 'the request needs a standard abbreviation and domain candidates');
  if (/table|sort/i.test(request_) && !said('post_processor')) return decide('post_processor', 'the answer table needs physical names and sorting');
  if (isFullFormat(table) && !said('auditor')) return decide('auditor', 'a full-format table: verify its domain priority');
  return decide('FINISH', 'the answer is complete');
}

function simulatedRecommendation(): string {
  return JSON.stringify({ logicalName: 'patient identifier', physicalName: 'PT_ID', domains: ['clinical encounter', 'patient info'], confidence: 0.92 });
}

function simulatedAudit(): string {
  return 'Domain priority verified: patient info (1) before clinical encounter (2). PT_ID follows the abbreviation dictionary. No corrections.';
}
