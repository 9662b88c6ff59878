/**
 * Seed 002's meta-orchestrator as a graph: six sub-agents that do not depend on each other, and a
 * `synthesize` step that needs all six. Each agent is a simulated model with its own latency
 * profile and seed, so a run is repeatable. Used by the `npm start` demo and its test.
 */
import type { SchedulerLike } from 'rxjs';
import { graph, llm, simulatedModel, type Graph, type LatencyProfile, type Model } from 'rx-orchestra';

/** One sub-agent: what it is asked to do and how fast it usually answers. */
interface SubAgentProfile {
  system: string;
  task: string;
  latency: LatencyProfile;
}

/** The six sub-agents of seed 002, with latencies around 1–2 s. */
export const SUB_AGENTS = {
  web_search: { system: 'You search the web and cite sources.', task: 'Find recent public sources about', latency: { medianMs: 1300, p95Ms: 1700 } },
  code_analysis: { system: 'You review code and architecture.', task: 'Analyse the code paths affected by', latency: { medianMs: 1450, p95Ms: 1850 } },
  doc_retrieval: { system: 'You retrieve internal documentation.', task: 'Retrieve the internal docs relevant to', latency: { medianMs: 1100, p95Ms: 1450 } },
  data_extraction: { system: 'You extract structured data as JSON.', task: 'Extract metrics and figures about', latency: { medianMs: 1250, p95Ms: 1600 } },
  fact_check: { system: 'You verify claims against sources.', task: 'List and verify the key claims about', latency: { medianMs: 1350, p95Ms: 1750 } },
  context_summary: { system: 'You condense conversation history.', task: 'Summarise what the user already said about', latency: { medianMs: 1150, p95Ms: 1500 } },
} as const satisfies Record<string, SubAgentProfile>;

export type SubAgentId = keyof typeof SUB_AGENTS;
export const SUB_AGENT_IDS = Object.keys(SUB_AGENTS) as readonly SubAgentId[];

/** Per-attempt deadline of a sub-agent, and its retries on transient (529) failures. */
export const SUB_AGENT_TIMEOUT_MS = 5_000;
export const SUB_AGENT_RETRIES = 2;
const SYNTHESIS_LATENCY: LatencyProfile = { medianMs: 420, p95Ms: 560 };

/** Settings of {@link buildMetaOrchestrator}. */
export interface MetaOrchestratorOptions {
  /** Seed of every agent's simulated model (each derives its own). @default 2 */
  seed?: number;
  /** Share of sub-agent calls that fail with a transient 529. @default 0.1 */
  failureRate?: number;
  /** Scheduler of the models; pass the same one to `execute`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** The user's question. */
  query?: string;
  /** A real provider (e.g. `anthropicModel()`): when given, every node calls it instead of a simulated model. */
  claude?: Model;
}

/** Sub-agents run on Haiku, the synthesis on Sonnet (simulated offline, at the same prices). */
export const SUB_AGENT_MODEL = 'claude-haiku-4-5';
export const SYNTHESIS_MODEL = 'claude-sonnet-4-6';

type Outputs = { [K in SubAgentId | 'synthesize']: string };

/**
 * Builds the meta-orchestrator graph. Offline, each agent gets a fresh simulated model with its own
 * latency profile and seed (build one graph per run to replay the same draws); with `claude`, every
 * node calls Claude.
 *
 * ## Example
 * ```ts
 * const g = buildMetaOrchestrator({ seed: 2 });
 * const { summary } = await run(g, { concurrency: 6 });
 * ```
 */
export function buildMetaOrchestrator(options: MetaOrchestratorOptions = {}): Graph<Outputs> {
  const { seed = 2, failureRate = 0.1, scheduler, claude, query = 'Should we move our payment service from REST polling to event streaming?' } = options;
  const subAgent = (id: SubAgentId, index: number) => {
    const { system, task, latency } = SUB_AGENTS[id];
    const provider = claude ?? simulatedModel({ latency, failureRate, seed: seed * 100 + index, scheduler, model: SUB_AGENT_MODEL });
    return {
      run: llm({ system, prompt: () => `${task}: ${query}`, maxTokens: 512, model: SUB_AGENT_MODEL, provider }),
      retry: SUB_AGENT_RETRIES,
      timeout: claude ? 60_000 : SUB_AGENT_TIMEOUT_MS,
      estimate: latency.medianMs,
      meta: { agent: id, model: SUB_AGENT_MODEL },
    };
  };
  const synthesizer = claude ?? simulatedModel({ latency: SYNTHESIS_LATENCY, seed: seed * 100 + 99, scheduler, model: SYNTHESIS_MODEL });
  return graph()
    .node('web_search', subAgent('web_search', 0))
    .node('code_analysis', subAgent('code_analysis', 1))
    .node('doc_retrieval', subAgent('doc_retrieval', 2))
    .node('data_extraction', subAgent('data_extraction', 3))
    .node('fact_check', subAgent('fact_check', 4))
    .node('context_summary', subAgent('context_summary', 5))
    .node('synthesize', {
      deps: SUB_AGENT_IDS,
      run: llm({
        system: 'You are the meta-orchestrator. Merge the sub-agent reports into one answer.',
        prompt: (inputs) => `Question: ${query}\n${SUB_AGENT_IDS.map((id) => `## ${id}\n${inputs[id]}`).join('\n')}`,
        model: SYNTHESIS_MODEL,
        provider: synthesizer,
      }),
      timeout: claude ? 120_000 : 10_000,
      estimate: SYNTHESIS_LATENCY.medianMs,
      meta: { agent: 'meta-orchestrator', model: SYNTHESIS_MODEL },
    })
    .build();
}
