/** A small research pipeline on the simulated provider, in real time with short latencies. */
import { VirtualAction, VirtualTimeScheduler, throwError } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { execute, fallbackTo, fallbacks, governedModel, graph, graphFromNodes, llm, simulatedModel, type Graph, type RunEvent } from 'rx-orchestra';

/** Node ids, in definition order. */
export const PIPELINE_NODES = ['plan', 'search_web', 'search_papers', 'search_code', 'synthesize', 'report'] as const;

/**
 * plan → three searches → synthesize → report; `search_papers` is overloaded on its first attempt
 * and retried after 120 ms. Every node streams its text token by token.
 */
export function researchPipeline(options: { scheduler?: SchedulerLike } = {}): Graph {
  const model = simulatedModel({
    latency: { medianMs: 120, p95Ms: 200 },
    outputTokensPerSecond: 400,
    seed: 4,
    model: 'claude-haiku-4-5',
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    respond: (request) => `Notes for "${request.prompt}": schedulers decide when work runs; virtual time makes it testable.`,
  });
  const ask = (prompt: string) => llm({ prompt: () => prompt, provider: model, maxTokens: 200 });
  const papers = ask('find papers on RxJS schedulers');
  return graph()
    .node('plan', { run: ask('plan research on RxJS schedulers') })
    .node('search_web', { deps: ['plan'], run: ask('search the web for RxJS schedulers') })
    .node('search_papers', {
      deps: ['plan'],
      run: (ctx) => (ctx.attempt === 1 ? throwError(() => Object.assign(new Error('overloaded (simulated 529)'), { status: 529, code: 'OVERLOADED' })) : papers(ctx)),
      retry: { count: 2, initialDelay: 120, jitter: 0 },
    })
    .node('search_code', { deps: ['plan'], run: ask('search code for RxJS schedulers') })
    .node('synthesize', { deps: ['search_web', 'search_papers', 'search_code'], run: ask('synthesize the findings') })
    .node('report', { deps: ['synthesize'], run: ask('write the report') })
    .build();
}

/** Node ids of {@link crowdedPipeline}, in definition order. */
export const CROWDED_NODES = ['plan', 'worker_1', 'worker_2', 'worker_3', 'worker_4', 'worker_5', 'worker_6', 'review', 'publish'] as const;

/**
 * plan → six workers → review → publish, sharing one governed model with a quota of 6 requests a
 * minute (so calls wait for the rate limiter); `review`'s model is down, so it retries once and
 * then falls back to the shared model. Meant for virtual time (about 31 s of it).
 */
export function crowdedPipeline(scheduler: SchedulerLike): Graph {
  const base = simulatedModel({ latency: { medianMs: 600, p95Ms: 900 }, outputTokensPerSecond: 40, seed: 9, model: 'claude-haiku-4-5', scheduler });
  const model = governedModel(base, { quota: { requestsPerMinute: 6 }, scheduler });
  const down = simulatedModel({ latency: { medianMs: 300, p95Ms: 300 }, failureRate: 1, model: 'claude-sonnet-4-6', scheduler });
  const ask = (prompt: string) => llm({ prompt: () => prompt, provider: model, maxTokens: 60 });
  const workers = CROWDED_NODES.filter((id) => id.startsWith('worker_'));
  return graphFromNodes([
    { id: 'plan', run: ask('plan the work') },
    ...workers.map((id, i) => ({ id, deps: ['plan'], run: ask(`do part ${i + 1} of the work`) })),
    {
      id: 'review',
      deps: workers,
      run: llm({ prompt: () => 'review the parts', provider: down }),
      retry: { count: 1, initialDelay: 500, jitter: 0 },
      fallback: fallbacks(fallbackTo(ask('review the parts, the cheap way'))),
    },
    { id: 'publish', deps: ['review'], run: ask('publish') },
  ]);
}

/**
 * The events of one run of {@link crowdedPipeline} in virtual time (retries, rate-limit waits, a
 * fallback, streamed text), all of them, in order.
 */
export function crowdedRun(options: { concurrency: number; runId?: string }): RunEvent[] {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const events: RunEvent[] = [];
  execute(crowdedPipeline(scheduler), { scheduler, ...options }).subscribe((event) => events.push(event));
  scheduler.flush();
  return events;
}
