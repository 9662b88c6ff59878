/**
 * Seed 000's research DAG, grown at run time: a planner answers with sub-questions (structured
 * output) and one researcher per sub-question runs, as many as the plan lists, under the run's
 * concurrency; a writer drafts the report from their findings; publishing waits for a person's
 * approval.
 *
 *     plan ── research (forEach: research/<sub-question>, …) ── write ── publish (approve first)
 *
 * - `plan` answers { subQuestions: [{ id, question, source }] }: the fan-out's list, known only
 *   when the plan has run. The children's ids are the sub-questions' ids (`research/web-rate-limits`).
 * - Each researcher sees its sub-question and the research question only (seed 000: what goes down
 *   a fan-out stays under 200 tokens), is retried with backoff (3 retries) and then gives up.
 * - The join is `'outcomes'`: `write` receives every researcher's outcome, says in its prompt which
 *   sub-questions have no findings and why, and writes from the rest.
 * - `publish` waits (`node.waiting`, holding no slot) until someone approves; rejected, it fails
 *   with `APPROVAL_REJECTED` and nothing is published.
 *
 * Offline, the planner, the researchers and the writer are simulated models (canned replies priced
 * as the Claude model each names); with `claude`, every node calls it.
 */
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  describeSkip,
  graph,
  llm,
  simulatedModel,
  textOf,
  type CompletionRequest,
  type Graph,
  type LatencyProfile,
  type Model,
  type NodeOutcome,
  type NodeRetry,
} from '../../src/index.js';

/** The cheap model researches, the stronger one plans and writes (as in research-dag-graph.ts). */
export const FAST_MODEL = 'claude-haiku-4-5';
export const STRONG_MODEL = 'claude-sonnet-4-6';

/** Retries per call: exponential backoff 1 s, 2 s, 4 s, then the node gives up (seed 000). */
export const RESEARCH_RETRY = { count: 3, initialDelay: 1_000, factor: 2, maxDelay: 8_000 } as const satisfies NodeRetry;

/** How long `publish` waits for a decision before it ends timed out: one day. */
export const APPROVAL_TIMEOUT_MS = 86_400_000;

/** What goes down the fan-out to one researcher: at most this many tokens (seed 000). */
export const FANOUT_CONTEXT_MAX_TOKENS = 200;

/** One sub-question of the plan: its id becomes the researcher's id (`research/<id>`). */
export const SubQuestion = z.object({
  id: z.string().describe('a short kebab-case id, unique in the plan'),
  question: z.string().describe('one self-contained question a researcher can answer alone'),
  source: z.enum(['web', 'papers', 'code']).describe('where to look'),
});
export type SubQuestion = z.infer<typeof SubQuestion>;

/** The planner's structured output. */
export const Plan = z.object({ subQuestions: z.array(SubQuestion).describe('the sub-questions, 1 to 12') });
export type Plan = z.infer<typeof Plan>;

/** What `publish` asks a person to approve. */
export interface PublishRequest {
  readonly title: string;
  readonly words: number;
  readonly preview: string;
  /** Sub-questions without findings (failed researchers). */
  readonly missing: readonly string[];
}

/** What `publish` returns once approved. */
export interface Publication {
  readonly title: string;
  readonly words: number;
  readonly approvedBy: string | undefined;
}

/** What each node outputs. */
export interface ResearchFanoutOutputs {
  plan: Plan;
  research: NodeOutcome<string>[];
  write: string;
  publish: Publication;
}

export const DEFAULT_QUESTION = 'How can a team keep the cost and latency of multi-agent LLM pipelines under control?';

/** The planner's canned sub-questions offline, four per source; the plan lists the first `subQuestions`. */
export const CANNED_SUB_QUESTIONS: readonly SubQuestion[] = [
  { id: 'web-rate-limits', question: 'How do provider rate limits (requests and tokens per minute) shape a multi-agent pipeline?', source: 'web' },
  { id: 'papers-parallel-latency', question: 'How much latency does running independent LLM calls in parallel save, and where does it stop?', source: 'papers' },
  { id: 'code-dag-executors', question: 'How do open-source DAG executors bound concurrency and retry failed LLM calls?', source: 'code' },
  { id: 'web-retry-storms', question: 'What happens to cost when retries pile up during a provider incident?', source: 'web' },
  { id: 'papers-context-compression', question: 'How much accuracy survives when fan-out context is summarized to 200 tokens?', source: 'papers' },
  { id: 'code-cost-estimation', question: 'How do tools estimate the cost of a pipeline before running it?', source: 'code' },
  { id: 'web-timeouts', question: 'Which per-call timeouts keep p99 latency predictable?', source: 'web' },
  { id: 'papers-adaptive-concurrency', question: 'Does adaptive concurrency (AIMD) reach the throughput of a tuned fixed limit?', source: 'papers' },
  { id: 'code-failure-isolation', question: 'How do workflow engines keep one failed branch from failing the whole run?', source: 'code' },
  { id: 'web-prompt-caching', question: 'How does prompt caching change the cost model of repeated agent calls?', source: 'web' },
  { id: 'papers-agent-overhead', question: 'How does orchestration overhead grow with the number of agents?', source: 'papers' },
  { id: 'code-budget-guards', question: 'How do libraries stop a run once its spend crosses a budget?', source: 'code' },
];

/** Settings of {@link buildResearchFanout}. */
export interface ResearchFanoutOptions {
  /** The research question. @default {@link DEFAULT_QUESTION} */
  question?: string;
  /** How many sub-questions the simulated planner lists (1..12). @default 8 */
  subQuestions?: number;
  /** Seed of the simulated models. @default 0 */
  seed?: number;
  /** Scheduler of the simulated models; pass the same one to `execute`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** A real provider (e.g. `anthropicModel()`): when given, every node calls it. */
  claude?: Model;
  /** Sub-question ids whose researcher's calls all answer 529 (offline): retried, then that child fails. @default none */
  failing?: readonly string[];
  /** Called with every request a simulated model answers, by node kind. @default none */
  onRequest?: (node: 'plan' | 'research' | 'write', request: CompletionRequest) => void;
}

const LATENCY: Record<'plan' | 'research' | 'write', LatencyProfile> = {
  plan: { medianMs: 600, p95Ms: 800 },
  research: { medianMs: 700, p95Ms: 950 },
  write: { medianMs: 1_100, p95Ms: 1_400 },
};

/**
 * Builds the graph. Build one per run to replay the same simulated draws.
 *
 * ## Example
 * ```ts
 * const g = buildResearchFanout({ subQuestions: 12 });
 * const run$ = execute(g, { concurrency: 4 });
 * run$.subscribe((e) => e.type === 'node.waiting' && run$.decide(e.nodeId, { approve: true, by: 'ana' }));
 * ```
 */
export function buildResearchFanout(options: ResearchFanoutOptions = {}): Graph<ResearchFanoutOutputs> {
  const { question = DEFAULT_QUESTION, subQuestions = 8, seed = 0, scheduler, claude, failing = [], onRequest } = options;
  if (!Number.isInteger(subQuestions) || subQuestions < 1 || subQuestions > CANNED_SUB_QUESTIONS.length) {
    throw new RangeError(`subQuestions must be an integer in 1..${CANNED_SUB_QUESTIONS.length}, got ${subQuestions}`);
  }
  const simulated = (kind: 'plan' | 'research' | 'write', model: string, salt: number, overloaded = false): Model =>
    claude ??
    simulatedModel({
      latency: LATENCY[kind],
      seed: seed * 100 + salt,
      ...(overloaded ? { failureRate: 1 } : {}),
      respond: (request) => {
        onRequest?.(kind, request);
        return simulatedReply(kind, request, subQuestions);
      },
      model,
      ...(scheduler ? { scheduler } : {}),
    });
  // One provider per researcher, so each has its own latency draws and its own fault.
  const researchers = new Map<string, Model>();
  const researcherModel = (item: SubQuestion, index: number) => {
    let model = researchers.get(item.id);
    if (!model) researchers.set(item.id, (model = simulated('research', FAST_MODEL, 10 + index, failing.includes(item.id))));
    return model;
  };

  return graph()
    .node('plan', {
      run: llm({
        provider: simulated('plan', STRONG_MODEL, 0),
        model: STRONG_MODEL,
        system: 'You plan research. Split the question into independent sub-questions, each answerable from one source.',
        prompt: () => `Plan the research for: ${question}`,
        schema: Plan,
        maxTokens: 1_024,
      }),
      retry: RESEARCH_RETRY,
    })
    .forEach('research', {
      deps: ['plan'],
      items: ({ plan }) => plan.subQuestions,
      key: (item) => item.id,
      join: 'outcomes',
      // What goes down the fan-out: the sub-question and the research question, nothing else.
      run: (ctx) =>
        llm<{ plan: Plan }>({
          provider: researcherModel(ctx.item, ctx.index),
          model: FAST_MODEL,
          system: `You are a research assistant. Search ${SOURCE_LABEL[ctx.item.source]} and answer with findings and their evidence.`,
          prompt: () => researcherPrompt(question, ctx.item),
          maxTokens: 300,
        })(ctx),
      // The llm() call's own deadline (30 s from when it is admitted) counts, as for an llm() node.
      timeout: false,
      retry: RESEARCH_RETRY,
      estimate: LATENCY.research.medianMs,
      costEstimate: { model: FAST_MODEL, inputTokens: FANOUT_CONTEXT_MAX_TOKENS, outputTokens: 300 },
    })
    .node('write', {
      deps: ['plan', 'research'],
      run: llm<{ plan: Plan; research: NodeOutcome<string>[] }>({
        provider: simulated('write', STRONG_MODEL, 1),
        model: STRONG_MODEL,
        system: 'You write concise research reports in Markdown from researchers\' findings. Say plainly what is missing.',
        prompt: ({ plan, research }) => writerPrompt(question, plan, research),
        maxTokens: 1_000,
      }),
      retry: RESEARCH_RETRY,
    })
    .node('publish', {
      deps: ['plan', 'research', 'write'],
      approve: {
        request: ({ plan, research, write }): PublishRequest => ({
          title: titleOf(write),
          words: wordCount(write),
          preview: write.slice(0, 160),
          missing: plan.subQuestions.filter((_, k) => research[k]?.status !== 'succeeded').map((q) => q.id),
        }),
        timeout: APPROVAL_TIMEOUT_MS,
      },
      run: ({ inputs, approval }) => [{ title: titleOf(inputs.write), words: wordCount(inputs.write), approvedBy: approval?.by } satisfies Publication],
    })
    .build();
}

const SOURCE_LABEL: Record<SubQuestion['source'], string> = { web: 'the web', papers: 'academic papers', code: 'open-source code' };

/** A researcher's prompt: the research question and its one sub-question. */
export function researcherPrompt(question: string, item: SubQuestion): string {
  return `Research question: ${question}\nYour sub-question (${item.id}): ${item.question}\nAnswer in at most five findings, each with its evidence.`;
}

/** The writer's prompt: every sub-question with its findings, or why it has none. */
function writerPrompt(question: string, plan: Plan, research: readonly NodeOutcome<string>[]): string {
  const sections = plan.subQuestions.map((q, k) => {
    const outcome = research[k];
    return `## ${q.question}\n${outcome?.status === 'succeeded' ? outcome.value : `(no findings: ${unavailable(outcome)})`}`;
  });
  return `Write the final report (summary, evidence, open questions) for "${question}" from these findings:\n\n${sections.join('\n\n')}`;
}

/** Why a researcher has no findings, for the writer's prompt: `failed (OVERLOADED)`. */
function unavailable(outcome: NodeOutcome | undefined): string {
  switch (outcome?.status) {
    case 'skipped':
      return `skipped (${describeSkip(outcome.cause)})`;
    case 'failed':
    case 'timedOut':
      return `${outcome.status} (${outcome.error.code ?? outcome.error.name})`;
    default:
      return 'no value';
  }
}

const titleOf = (report: string) => /^# (.+)$/m.exec(report)?.[1] ?? 'Research report';
const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Canned offline answers: the plan's first `count` sub-questions, findings per sub-question, a report. */
function simulatedReply(kind: 'plan' | 'research' | 'write', request: CompletionRequest, count: number): string {
  const prompt = textOf(request.prompt);
  if (kind === 'plan') return JSON.stringify({ subQuestions: CANNED_SUB_QUESTIONS.slice(0, count) } satisfies Plan);
  if (kind === 'research') {
    const id = /Your sub-question \(([^)]+)\)/.exec(prompt)?.[1] ?? 'unknown';
    return `Findings (${id}): ${FINDINGS[id] ?? 'no clear evidence either way.'}`;
  }
  const found = (prompt.match(/^Findings \(/gm) ?? []).length;
  const missing = (prompt.match(/^\(no findings: /gm) ?? []).length;
  return (
    `# Keeping multi-agent LLM pipelines fast and affordable\n\n` +
    `**Answer.** Bound concurrency by the provider quota, summarize what goes down a fan-out, estimate cost before running, and retry only transient errors with backoff and a budget.\n\n` +
    `**Evidence.** Drawn from ${found} researchers' findings.` +
    (missing > 0 ? `\n\n**Gaps.** ${missing} sub-question(s) had no findings; their conclusions are open.` : '')
  );
}

const FINDINGS: Record<string, string> = {
  'web-rate-limits': 'per-minute request and token limits cap throughput; 429s carry retry-after, which clients should honour.',
  'papers-parallel-latency': 'parallel calls cut wall time 40-60 % until throttling sets in.',
  'code-dag-executors': 'executors use a semaphore of about 4 and exponential backoff on 429/529.',
  'web-retry-storms': 'a retry storm during a 529 incident doubled one team\'s bill; a retry budget fixed it.',
  'papers-context-compression': '200-token summaries kept about 90 % of downstream accuracy.',
  'code-cost-estimation': 'nodes x max tokens x price gives an upper bound that refuses over-budget runs.',
  'web-timeouts': 'a 30 s per-call deadline with three retries kept p99 predictable.',
  'papers-adaptive-concurrency': 'AIMD reaches near-optimal throughput without tuning.',
  'code-failure-isolation': 'engines mark failed nodes and let dependents degrade instead of failing the run.',
  'web-prompt-caching': 'cached prefixes cut input cost of repeated calls by up to 90 %.',
  'papers-agent-overhead': 'coordination overhead grows with the number of agents; 3-5 is a common sweet spot.',
  'code-budget-guards': 'runs stop when the spend crosses the budget; results so far are kept.',
};
