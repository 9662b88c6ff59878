/**
 * `npx tsx examples/critic-loop.ts`: a writer and a critic improve a paragraph, two ways, side by
 * side in one run. `loop` is a bounded loop node (`loop()`): each iteration the reviser writes and
 * the critic scores (structured output), until the score reaches 8 or 4 iterations were made. `peers`
 * is a peer collaboration (`collaboration()`): a writer and a critic message each other over the
 * bus until the critic answers APPROVED or 8 turns were made. Prints each iteration and each turn as
 * it happens, then both texts and the run's cost. Offline it runs on the simulated provider, whose
 * replies follow a small script (so the critic's verdicts make sense); with ANTHROPIC_API_KEY set,
 * every call goes to Claude.
 */
import { fileURLToPath } from 'node:url';
import { concatMap, map, tap } from 'rxjs';
import { z } from 'zod';
import { anthropicModel, collect, execute, graph, hasValue, llm, loop, simulatedModel, textOf, type CompletionRequest, type Model, type RunEvent } from 'rx-orchestra';
import { collaboration, peer, type CollaborationResult } from 'rx-orchestra/patterns';

export const TOPIC = 'RxJS schedulers';

const Verdict = z.object({ score: z.number(), advice: z.string() });
/** One iteration of the loop: the draft and the critic's verdict on it. */
export type Reviewed = { draft: string; verdict: z.infer<typeof Verdict> };

const REVISER = 'You are a technical writer. Write one short paragraph; when given advice, revise the paragraph accordingly. Answer with the paragraph only.';
const SCORER = 'You are a strict technical editor. Score the paragraph from 1 to 10 and give one piece of advice.';
const WRITER = 'You are a technical writer. Write one short paragraph; when the critic gives advice, send back the revised paragraph only.';
const CRITIC = 'You are a strict technical editor. Give one piece of advice on the paragraph, or answer APPROVED alone when it is ready to publish.';

/**
 * Builds the run: the loop node and the collaboration node, both after `topic`, on `model` (the
 * offline script when none is given).
 */
export function buildCriticLoop(model: Model = offlineModel()) {
  const revise = llm<{ topic: string; last?: Reviewed }>({
    system: REVISER,
    prompt: ({ topic, last }) => (last ? `Revise this paragraph on ${topic}:\n${last.draft}\nAdvice: ${last.verdict.advice}` : `Write a paragraph on ${topic}.`),
    maxTokens: 400,
  });
  const critique = llm<{ draft: string }, z.infer<typeof Verdict>>({ system: SCORER, prompt: ({ draft }) => `Paragraph:\n${draft}`, schema: Verdict, maxTokens: 200 });
  const g = graph()
    .node('topic', { run: () => [TOPIC] })
    .node('loop', {
      deps: ['topic'],
      run: loop({
        body: (ctx) =>
          revise({ ...ctx, inputs: { topic: ctx.inputs.topic, last: ctx.previous } }).pipe(
            concatMap((draft) => critique({ ...ctx, inputs: { draft } }).pipe(map((verdict) => ({ draft, verdict })))),
          ),
        until: ({ verdict }: Reviewed) => verdict.score >= 8,
        maxIterations: 4,
        preview: ({ draft, verdict }) => `score ${verdict.score}: ${verdict.advice}  | ${draft}`,
      }),
    })
    .node('peers', {
      deps: ['topic'],
      run: collaboration({
        peers: { writer: peer({ system: WRITER, maxTokens: 400 }), critic: peer({ system: CRITIC, maxTokens: 200 }) },
        start: { to: 'writer', message: ({ topic }) => `Write a paragraph on ${topic}.` },
        until: (message) => message.from === 'critic' && message.text.trim() === 'APPROVED',
        maxTurns: 8,
      }),
    })
    .build();
  return { graph: g, model };
}

/** The three drafts the offline writer knows, each answering the advice given on the previous one. */
export const DRAFTS = [
  'Schedulers decide when RxJS work runs.',
  'Schedulers decide when RxJS work runs: asyncScheduler on timers, asapScheduler on microtasks.',
  'Schedulers decide when RxJS work runs: asyncScheduler on timers, asapScheduler on microtasks. In tests, TestScheduler runs them in virtual time.',
] as const;

/** The offline critic: the score and the advice a draft gets. */
function review(text: string): z.infer<typeof Verdict> {
  if (text.includes('TestScheduler')) return { score: 9, advice: 'Ready to publish.' };
  if (text.includes('asyncScheduler')) return { score: 7, advice: 'Add a testing tip.' };
  return { score: 4, advice: 'Name a concrete scheduler.' };
}

/** The offline writer: the draft that answers the advice in the prompt. */
function write(prompt: string): string {
  if (prompt.includes('Add a testing tip')) return DRAFTS[2];
  if (prompt.includes('Name a concrete scheduler')) return DRAFTS[1];
  return DRAFTS[0];
}

/** The simulated provider (standing in for Haiku's prices), answering by the script above. */
function offlineModel(): Model {
  return simulatedModel({
    model: 'claude-haiku-4-5',
    latency: { medianMs: 200, p95Ms: 400 },
    seed: 4,
    respond: (request: CompletionRequest) => {
      const prompt = textOf(request.prompt);
      if (request.jsonSchema) return JSON.stringify(review(prompt)); // the scorer of the loop
      if (request.system === CRITIC) return review(prompt).score >= 8 ? 'APPROVED' : review(prompt).advice;
      return write(prompt);
    },
  });
}

/** One line per iteration and per turn. */
export function describe(event: RunEvent): string | undefined {
  const e = event as unknown as Record<string, unknown> & { type: string };
  switch (e.type) {
    case 'node.iteration':
      return `loop  · iteration ${String(e.iteration)}/${String(e.maxIterations)} ${e.converged ? 'converged' : 'again'}  ${String(e.preview)}`;
    case 'peer.turn':
      return `peers · turn ${String(e.turn)} ${String(e.from)} → ${String(e.to)}: ${String(e.preview)}`;
    case 'peer.finished':
      return `peers · finished (${String(e.reason)}) after ${String(e.turns)} turns`;
    default:
      return undefined;
  }
}

async function main(): Promise<void> {
  const claude = process.env.ANTHROPIC_API_KEY ? anthropicModel() : undefined;
  console.log(`Writer and critic on "${TOPIC}", ${claude ? 'on Claude' : 'on the simulated provider'}: a loop() node and a collaboration() node\n`);
  const { graph: g, model } = buildCriticLoop(claude);
  let startedAt = 0;
  const { summary, outcomes } = await collect(
    execute(g, { model, runId: 'critic-loop', budget: { maxUsd: 1 } }).pipe(
      tap((event: RunEvent) => {
        if (event.type === 'run.started') startedAt = event.at;
        const line = describe(event);
        if (line) console.log(`${((event.at - startedAt) / 1000).toFixed(2).padStart(6)}s  ${line}`);
      }),
    ),
  );
  const looped = outcomes.loop;
  const talked = outcomes.peers;
  console.log(`\nloop(): ${hasValue(looped) ? (looped.value as Reviewed).draft : `ended ${looped?.status}`}`);
  console.log(`collaboration(): ${hasValue(talked) ? (talked.value as CollaborationResult<'writer' | 'critic'>).output : `ended ${talked?.status}`}`);
  const { total } = summary.usage;
  console.log(`\n${total.calls} model calls, ${total.inputTokens} input and ${total.outputTokens} output tokens, $${total.costUsd.toFixed(4)}; run ${summary.status}`);
  if (summary.status !== 'succeeded') process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
