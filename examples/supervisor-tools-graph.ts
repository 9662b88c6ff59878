/**
 * Seed 004's data standardizer, with workers that act: a supervisor (src/patterns/supervisor) routes
 * between a recommender, a post-processor and an auditor, and the two LLM workers are `agent()`s with
 * tools. Both reach the organisation's standards dictionary through an MCP server that the example
 * starts (examples/mcp/standards-server.ts, over stdio, with `mcpTools`): the recommender searches it
 * (`search_standards`), the auditor asks it for the domain rules (`domain_rules`) while it checks the
 * table's order with a local tool (`check_table_order`), both calls in one step, in parallel. The two
 * agents share one connection: the server starts when the recommender first needs it and is closed
 * by {@link SupervisorToolsSetup.close} (else a second after the last agent let it go).
 *
 * Offline the router is the seed's if/else as a `staticRouter`, and the model is the simulated
 * provider with a tool-calling policy ({@link workerPolicy}) that calls the tools, then answers from
 * what they returned. Used by `npx tsx examples/supervisor-tools.ts` and its test. Real time: the MCP
 * server is a real process.
 */
import { fileURLToPath } from 'node:url';
import { of, timer, map, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { agent, graph, simulatedModel, textOf, tool, type CompletionRequest, type ContentBlock, type Graph, type Model, type SimulatedToolPolicy } from 'rx-orchestra';
import { fromNodeRun, hasAnswered, lastMessage, staticRouter, supervisor, worker, type SupervisorResult } from 'rx-orchestra/patterns';
import { mcpTools, type McpToolset } from 'rx-orchestra/mcp';
import { DOMAIN_PRIORITY, POST_PROCESSING_MS, QUESTION, Recommendation } from './data-standardizer-graph.js';

export { QUESTION };

/** The repository root: where the MCP server is started from (so tsx and its dependencies resolve). */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The MCP server's entry. */
export const STANDARDS_SERVER = fileURLToPath(new URL('./mcp/standards-server.ts', import.meta.url));


const RECOMMENDER_SYSTEM = "You recommend standard column names from the organisation's data standards dictionary. Search it with search_standards; answer with JSON { logicalName, physicalName, domains, confidence }.";
const AUDITOR_SYSTEM = 'You audit data standardization answers: get the domain rules with domain_rules, check the table order with check_table_order, and list corrections (or say there are none).';

/** Local tool of the auditor: the domains of a markdown answer table, in the order of its rows. */
export const checkTableOrder = tool({
  name: 'check_table_order',
  description: 'Reads a markdown answer table (| logical name | physical name | domain | ... |) and lists its rows: physical name and domain, in order.',
  input: z.object({ table: z.string().min(1) }),
  run: ({ table }) => {
    const rows = table
      .split('\n')
      .filter((line) => line.startsWith('|') && !line.startsWith('|---'))
      .slice(1)
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map((cells) => ({ physicalName: cells[2], domain: cells[3] }));
    return of(rows);
  },
});

/** The text of a tool result. */
const resultText = (content: string | readonly ContentBlock[]) => (typeof content === 'string' ? content : textOf(content));

/** The tool results of the conversation so far, by tool name (the latest of each), from the request. */
function resultsByTool(request: CompletionRequest): Map<string, { text: string; isError: boolean }> {
  const names = new Map<string, string>();
  for (const turn of request.history ?? []) {
    if (turn.role === 'assistant' && typeof turn.content !== 'string') for (const block of turn.content) if (block.type === 'tool_use') names.set(block.id, block.name);
  }
  const results = new Map<string, { text: string; isError: boolean }>();
  for (const turn of [...(request.history ?? []), { role: 'user' as const, content: request.prompt }]) {
    if (turn.role !== 'user' || typeof turn.content === 'string') continue;
    for (const block of turn.content) if (block.type === 'tool_result') results.set(names.get(block.toolUseId) ?? '?', { text: resultText(block.content), isError: block.isError === true });
  }
  return results;
}

/**
 * The simulated workers: a deterministic tool-calling policy. The recommender (told apart by its
 * system prompt) searches the dictionary for the logical name in the question, then answers the
 * first hit as a `Recommendation`. The auditor asks for the rules of the table's domains and for the
 * table's row order (two calls in one step), then compares them and answers.
 */
export const workerPolicy: SimulatedToolPolicy = (request, { step }) => {
  const first = textOf(request.history?.[0]?.content ?? request.prompt);
  const results = resultsByTool(request);
  if (request.system === RECOMMENDER_SYSTEM) {
    if (step === 1) {
      const term = /for the (.+?) column/.exec(first)?.[1] ?? first;
      return { text: `Searching the standards for "${term}".`, toolUse: [{ name: 'search_standards', input: { term } }] };
    }
    const hits = JSON.parse(results.get('search_standards')?.text.startsWith('[') ? results.get('search_standards')!.text : '[]') as Recommendation[];
    const hit = hits[0];
    if (!hit) return { text: JSON.stringify({ logicalName: 'unknown', physicalName: 'UNKNOWN', domains: ['unknown'], confidence: 0 }) };
    return { text: JSON.stringify({ logicalName: hit.logicalName, physicalName: hit.physicalName, domains: hit.domains, confidence: hits.length === 1 ? 0.92 : 0.6 }) };
  }
  if (request.system === AUDITOR_SYSTEM) {
    const table = /```\n([\s\S]*?)\n```/.exec(first)?.[1] ?? '';
    if (step === 1) {
      const domains = [...new Set(table.split('\n').slice(2).map((row) => row.split('|')[3]?.trim()).filter((d): d is string => !!d))];
      return { text: 'Checking the rules and the table.', toolUse: [{ name: 'domain_rules', input: { domains } }, { name: 'check_table_order', input: { table } }] };
    }
    const rules = JSON.parse(results.get('domain_rules')?.text ?? '{}') as Record<string, { priority: number }>;
    const rows = JSON.parse(results.get('check_table_order')?.text ?? '[]') as { physicalName: string; domain: string }[];
    const priorities = rows.map((row) => rules[row.domain]?.priority ?? 99);
    const sorted = priorities.every((p, i) => i === 0 || priorities[i - 1]! <= p);
    const order = rows.map((row) => `${row.domain} (${rules[row.domain]?.priority ?? '?'})`).join(' before ');
    return { text: sorted ? `Domain priority verified: ${order}. ${rows[0]?.physicalName ?? '?'} follows the abbreviation dictionary. No corrections.` : `Domain priority violated: ${order}. Sort the rows by priority.` };
  }
  return undefined;
};

/** Settings of {@link buildSupervisorTools}. */
export interface SupervisorToolsOptions {
  /** The user's question. @default {@link QUESTION} */
  question?: string;
  /** Scheduler of the simulated model; pass the same one to `execute`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Seed of the simulated model's latencies. @default 4 */
  seed?: number;
  /** A real provider (e.g. `anthropicModel()`): the workers call it instead of the simulated one. */
  claude?: Model;
}

/** What {@link buildSupervisorTools} makes: the graph, the model to run it with, the MCP toolset, and `close`. */
export interface SupervisorToolsSetup {
  graph: Graph<{ question: string; standardize: SupervisorResult }>;
  model: Model;
  /** The MCP server's tools: `status` tells whether its process runs. */
  standards: McpToolset;
  /** Stops the MCP server now (call it when the run is over). */
  close(): Promise<void>;
}

/**
 * Builds the graph: `question` -> `standardize` (the supervisor), and the MCP toolset its workers
 * share (nothing starts until the recommender's first step).
 */
export function buildSupervisorTools(options: SupervisorToolsOptions = {}): SupervisorToolsSetup {
  const { question = QUESTION, seed = 4 } = options;
  const standards = mcpTools({ name: 'standards', command: process.execPath, args: ['--import', 'tsx', STANDARDS_SERVER], cwd: ROOT, stderr: 'inherit', timeout: 10_000 });
  const model =
    options.claude ?? simulatedModel({ model: 'claude-haiku-4-5', toolPolicy: workerPolicy, latency: { medianMs: 250, p95Ms: 400 }, seed, ...(options.scheduler ? { scheduler: options.scheduler } : {}) });

  const recommender = worker({
    description: 'standard abbreviations and domain candidates, from the standards dictionary (an MCP server)',
    run: fromNodeRun(
      agent({
        system: RECOMMENDER_SYSTEM,
        prompt: (request: string) => `Recommend the standard physical name (abbreviation) and domain candidates for:\n${request}`,
        tools: [standards],
        output: Recommendation,
        maxSteps: 4,
        model: 'claude-haiku-4-5',
      }),
    ),
    outputSchema: Recommendation,
  });

  const postProcessor = worker({
    description: 'assigns physical names and sorts the answer table by domain priority (no LLM)',
    input: (state) => lastMessage(state, 'recommender')?.payload as Recommendation,
    inputSchema: Recommendation,
    run: (rec, ctx) => timer(POST_PROCESSING_MS, ctx.scheduler).pipe(map(() => answerTable(rec))),
  });

  const auditor = worker({
    description: 'verifies the domain priority of a full-format answer table (rules from the MCP server, order by a local tool)',
    input: (state) => lastMessage(state, 'post_processor')?.content ?? '',
    run: fromNodeRun(
      agent({
        system: AUDITOR_SYSTEM,
        prompt: (table: string) => `Audit the domain priority of this answer table and list corrections:\n\`\`\`\n${table}\n\`\`\``,
        tools: [standards, checkTableOrder],
        maxSteps: 4,
        model: 'claude-haiku-4-5',
      }),
    ),
  });

  // Seed 004 §3: DataStandardizerAgent.run's if/else, as rules.
  const router = staticRouter([
    (s) => !hasAnswered(s, 'recommender') && 'recommender',
    (s) => !hasAnswered(s, 'post_processor') && 'post_processor',
    (s) => lastMessage(s, 'post_processor')?.content.startsWith('|') === true && !hasAnswered(s, 'auditor') && 'auditor',
  ]);

  const g = graph()
    .node('question', { run: () => [question] })
    .node('standardize', {
      deps: ['question'],
      run: supervisor({ name: 'data-standardizer', workers: { recommender, post_processor: postProcessor, auditor }, router, maxTurns: 6 }),
      meta: { agent: 'data_standardizer' },
    })
    .build();
  return { graph: g, model, standards, close: () => standards.close() };
}


/** The post-processor's table: one row per domain candidate, by domain priority. */
function answerTable(rec: Recommendation): string {
  const rows = [...rec.domains].sort((a, b) => (DOMAIN_PRIORITY[a] ?? 99) - (DOMAIN_PRIORITY[b] ?? 99));
  return ['| logical name | physical name | domain |', '|---|---|---|', ...rows.map((domain) => `| ${rec.logicalName} | ${rec.physicalName} | ${domain} |`)].join('\n');
}
