/**
 * Seed 003's explorers, discovered at run time: instead of 22 nodes written into the graph (see
 * code-explorers-graph.ts), a `discover` node asks the model which code paths there are
 * (structured output), a fan-out explores each one (`explore/<path id>`) under the run's
 * concurrency, and `aggregate` joins the findings:
 *
 *     discover ── explore (forEach: explore/auth-login, explore/auth-refresh, …) ── aggregate
 *
 * The same simulated provider as code-explorers-graph.ts (10 s per call, tier-1 quota: 50 requests,
 * 30,000 input and 8,000 output tokens per minute), the same explorer requests (2,000 tokens in,
 * 500 out) and retries, the same governed `llm()` calls. Everything runs in virtual time on one
 * `VirtualTimeScheduler`, so the figures are exact and repeatable.
 */
import { VirtualTimeScheduler } from 'rxjs';
import { z } from 'zod';
import { execute, graph, llm, seededRandom, simulatedModel, textOf, type EventOf, type Model, type RunEvent } from '../../src/index.js';
import { CODE_PATHS, EXPLORER_LATENCY_MS, EXPLORER_MODEL, EXPLORER_QUOTA, EXPLORER_RETRY, explorerRequest, type CodePathId } from '../code-explorers-graph.js';

const PATH_IDS = CODE_PATHS.map(([id]) => id) as [CodePathId, ...CodePathId[]];

/** What `discover` answers: the code paths worth exploring. */
export const Discovery = z.object({
  paths: z.array(z.object({ id: z.enum(PATH_IDS).describe('the code path id'), description: z.string().describe('what the explorer should trace') })),
});
export type Discovery = z.infer<typeof Discovery>;

/** What `aggregate` makes of the findings. */
export interface Aggregate {
  readonly explored: number;
  /** One line per path: its id and the start of its findings. */
  readonly report: string;
}

const DISCOVER_PROMPT = 'List the code paths of this web shop worth tracing one by one: request handlers, jobs, webhooks.';

/**
 * The provider: seed 003's (10 s per call, tier-1 quota), answering the discovery with the 22 code
 * paths (or the first `paths` of them) and each explorer with its findings.
 */
export function discoveryProvider(scheduler: VirtualTimeScheduler, paths: number = CODE_PATHS.length): Model {
  return simulatedModel({
    latency: { medianMs: EXPLORER_LATENCY_MS, p95Ms: EXPLORER_LATENCY_MS },
    quota: EXPLORER_QUOTA,
    respond: (request) => {
      if (request.jsonSchema) return JSON.stringify({ paths: CODE_PATHS.slice(0, paths).map(([id, description]) => ({ id, description })) } satisfies Discovery);
      // An explorer: 500 tokens of findings, as in code-explorers-graph.ts.
      return `Findings for ${/"([^"]+)"/.exec(textOf(request.prompt))?.[1]}: `.padEnd(2_000, 'handle() -> db.query -> cache.set; ');
    },
    model: EXPLORER_MODEL,
    scheduler,
  });
}

/**
 * The graph: discover, then one explorer per discovered path, then the aggregate.
 *
 * ## Example
 * ```ts
 * const scheduler = new VirtualTimeScheduler();
 * execute(buildExplorersDiscovered(), { model: discoveryProvider(scheduler), scheduler }).subscribe(console.log);
 * scheduler.flush();
 * ```
 */
export function buildExplorersDiscovered() {
  return graph()
    .node('discover', {
      run: llm({ prompt: () => DISCOVER_PROMPT, schema: Discovery, model: EXPLORER_MODEL, maxTokens: 2_048 }),
      retry: EXPLORER_RETRY,
    })
    .forEach('explore', {
      deps: ['discover'],
      items: ({ discover }) => discover.paths,
      key: (path) => path.id,
      // Each child is what code-explorers-graph.ts writes by hand per path: the same request, retries and governed call.
      run: (ctx) => llm({ ...explorerRequest(ctx.item.id), prompt: () => explorerRequest(ctx.item.id).prompt, model: EXPLORER_MODEL })(ctx),
      // The call's own deadline (30 s from when the governed model admits it) is the one that counts, as
      // for an llm() node: a node deadline from the slot's start would expire while calls wait for the quota.
      timeout: false,
      retry: EXPLORER_RETRY,
      estimate: EXPLORER_LATENCY_MS,
    })
    .node('aggregate', {
      deps: ['discover', 'explore'],
      run: ({ inputs }): [Aggregate] => [
        {
          explored: inputs.explore.length,
          report: inputs.discover.paths.map((path, k) => `${path.id}: ${inputs.explore[k]!.slice(0, 60).trimEnd()}`).join('\n'),
        },
      ],
    })
    .build();
}

/** What one run of the discovered explorers did, in simulated (virtual) ms. */
export interface DiscoveredResult {
  readonly events: readonly RunEvent[];
  /** When the run completed. */
  readonly completionMs: number;
  /** When `discover` ended and the fan-out was added. */
  readonly expandedAtMs: number;
  /** From the fan-out's expansion to its last explorer's end. */
  readonly explorePhaseMs: number;
  /** Explorers that ended with a value. */
  readonly succeeded: number;
  /** Calls the quota refused with a 429 (each then retried). */
  readonly rateLimited: number;
  /** Most explorers running at once. */
  readonly peakExplorers: number;
  readonly aggregate: Aggregate | undefined;
}

/**
 * Runs the graph in virtual time with the run's `concurrency` (default: `execute`'s, with the
 * governed model pacing the calls). Synchronous: the scheduler is flushed before it returns.
 */
export function runDiscovered(options: { concurrency?: number; paths?: number } = {}): DiscoveredResult {
  const scheduler = new VirtualTimeScheduler();
  const events: RunEvent[] = [];
  const model = discoveryProvider(scheduler, options.paths);
  execute(buildExplorersDiscovered(), { model, scheduler, random: seededRandom(3), runId: 'explorers-discovered', ...(options.concurrency ? { concurrency: options.concurrency } : {}) }).subscribe((event) => events.push(event));
  scheduler.flush();
  const done = events.at(-1);
  if (done?.type !== 'run.completed') throw new Error('explorers-discovered: the run did not complete');
  const expanded = events.find((e): e is EventOf<'node.expanded'> => e.type === 'node.expanded');
  const exploreEnd = events.find((e) => e.type !== 'node.expanded' && 'nodeId' in e && e.nodeId === 'explore' && e.type.startsWith('node.') && e.type !== 'node.queued');
  const aggregated = events.find((e): e is EventOf<'node.succeeded'> => e.type === 'node.succeeded' && e.nodeId === 'aggregate');
  const running = new Set<string>();
  let peakExplorers = 0;
  for (const e of events) {
    if (!('nodeId' in e) || !e.nodeId.startsWith('explore/')) continue;
    if (e.type === 'node.started') running.add(e.nodeId);
    else if (e.type === 'node.succeeded' || e.type === 'node.failed' || e.type === 'node.timedOut' || e.type === 'node.fellBack' || e.type === 'node.skipped') running.delete(e.nodeId);
    peakExplorers = Math.max(peakExplorers, running.size);
  }
  return {
    events,
    completionMs: done.summary.makespanMs,
    expandedAtMs: expanded?.at ?? NaN,
    explorePhaseMs: exploreEnd && expanded ? exploreEnd.at - expanded.at : NaN,
    succeeded: events.filter((e) => e.type === 'node.succeeded' && e.nodeId.startsWith('explore/')).length,
    rateLimited: events.filter((e) => (e.type === 'node.retrying' || e.type === 'node.failed') && e.error.code === 'RATE_LIMITED').length,
    peakExplorers,
    aggregate: aggregated?.value as Aggregate | undefined,
  };
}
