/**
 * Seed 003's 22 explorers as real agents: each is an `agent()` node that explores one part of this
 * repository's own source with read-only tools (`list_dir`, `grep`, `read_file`, confined to the
 * repository: see lib/repo-tools.ts) and answers what it found as typed JSON. They run under the
 * default governance (`execute(g, { model })`: every step of every loop through the run's governed
 * model), with prompt caching on (the tools, the system prompt with its repository map, and each
 * loop's conversation so far are a cached prefix).
 *
 * Offline the provider is the simulated one priced as Claude Sonnet 4.6, with a tool-calling policy
 * ({@link explorerPolicy}) that plays a careful explorer: it lists the directory of its topic, greps
 * the topic's symbol, reads the file the first match is in, then answers from what the tools
 * returned (so every file it reports exists). One explorer also tests the fence: it asks for two
 * paths outside the repository, is refused, and says so. With a real provider (`claude`) the same
 * agents and tools run against Claude. Used by `npx tsx examples/code-explorers-agents.ts` and its test.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualTimeScheduler, asyncScheduler, tap, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import {
  agent,
  collect,
  costUsd,
  execute,
  graphFromNodes,
  hasValue,
  priceOf,
  seededRandom,
  simulatedModel,
  textOf,
  type CompletionRequest,
  type ContentBlock,
  type Model,
  type RunEvent,
  type RunSummary,
  type SimulatedToolAnswer,
  type SimulatedToolPolicy,
} from 'rx-orchestra';
import { QUOTA_PRESETS, type Quota } from 'rx-orchestra/operators';
import { repoTools } from './lib/repo-tools.js';

/** This repository: what the explorers explore. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The model the explorers name: the simulated provider is priced as it, and caches from 1,024 tokens as it does. */
export const EXPLORER_MODEL = 'claude-sonnet-4-6';

/** The simulated provider's quota: tier 1, as in seed 003. */
export const EXPLORER_QUOTA: Quota = QUOTA_PRESETS.tier1;

/** One explorer: its node id, what it traces, the directory to start in and the symbol to look for (a regular expression). */
export interface Explorer {
  readonly id: string;
  readonly question: string;
  readonly dir: string;
  readonly symbol: string;
}

/** The 22 explorers, one per code path of rx-orchestra (seed 003 had 22 paths of a web shop). */
export const EXPLORERS: readonly Explorer[] = [
  { id: 'run-loop', question: 'how the run loop starts ready nodes and settles them', dir: 'src/run', symbol: 'class RunLoop' },
  { id: 'ready-queue', question: 'how ready nodes are ordered by priority', dir: 'src/run', symbol: 'class ReadyQueue' },
  { id: 'execute', question: 'what execute() sets up before the first node starts', dir: 'src/run', symbol: 'export function execute<' },
  { id: 'usage-ledger', question: 'how a run adds up calls, tokens and cost', dir: 'src/run', symbol: 'class UsageLedger' },
  { id: 'retry', question: 'retry with exponential backoff and retry-after', dir: 'operators', symbol: 'export function retryWithBackoff' },
  { id: 'circuit-breaker', question: 'how the circuit breaker opens, half-opens and resets', dir: 'operators', symbol: 'export function circuitBreaker' },
  { id: 'token-bucket', question: 'the token bucket behind quotas and rate limits', dir: 'operators', symbol: 'class TokenBucket' },
  { id: 'concurrency-limiter', question: 'how concurrency slots are handed over', dir: 'operators', symbol: 'class ConcurrencyLimiter' },
  { id: 'timeout', question: 'total, first-value and idle deadlines', dir: 'operators', symbol: 'export function timeout<' },
  { id: 'fallback-chain', question: 'falling back from one model to the next', dir: 'operators', symbol: 'export function fallbackChain' },
  { id: 'governed-model', question: 'quota, adaptive concurrency and breaker around a model', dir: 'src/models', symbol: 'export function governedModel' },
  { id: 'anthropic-adapter', question: 'how requests become Messages API calls and streams become events', dir: 'src/models/anthropic', symbol: 'export function anthropicModel' },
  { id: 'simulated-provider', question: 'how the simulated provider plays a call out in scheduler time', dir: 'src/models', symbol: 'export function simulatedModel' },
  { id: 'prompt-cache', question: 'how the simulated prompt cache finds the cached prefix', dir: 'src/models/simulated', symbol: 'class PromptCache' },
  { id: 'llm-node', question: 'what an llm() node does around one model call', dir: 'src/nodes', symbol: 'export function llm<' },
  { id: 'agent-loop', question: 'the agent loop: model call, tools, results, next call', dir: 'src/agents', symbol: 'export function agentLoop' },
  { id: 'tool-runner', question: 'how one step runs its tool calls in parallel, each under its limits', dir: 'src/agents', symbol: 'export function runToolCalls' },
  { id: 'mcp-tools', question: "how an MCP server's tools become agent tools", dir: 'src/mcp', symbol: 'export function mcpTools' },
  { id: 'supervisor', question: 'how the supervisor routes between its workers', dir: 'src/patterns/supervisor', symbol: 'export function supervisor\\(' },
  { id: 'budget', question: 'the pre-run cost estimate of a graph', dir: 'src/budget', symbol: 'export function estimateRunCost' },
  { id: 'durable-runs', question: 'how a run is checkpointed and resumed', dir: 'src/store', symbol: 'export function executeDurable' },
  { id: 'repo-sandbox', question: "whether the explorers' own tools keep them inside the repository", dir: 'examples/lib', symbol: 'class RepoAccessError' },
];

/** The explorer whose policy also tries to read outside the repository, and the paths it tries. */
export const ESCAPE_EXPLORER = 'repo-sandbox';
export const ESCAPE_PATHS = ['../package.json', '/etc/passwd'] as const;

/** What an explorer answers (the `output` of its agent): a summary and the files it points at. */
export const Findings = z.object({
  explorer: z.string(),
  summary: z.string(),
  files: z.array(z.object({ path: z.string(), line: z.number().optional(), note: z.string() })).min(1),
});
export type Findings = z.infer<typeof Findings>;

const SYSTEM_INTRO = [
  'You explore one part of the rx-orchestra repository (TypeScript, RxJS) with read-only tools: list_dir, grep and read_file.',
  'Paths are relative to the repository root. Look before you answer: find where the thing you were asked about is defined and read it.',
  'Then answer with JSON: { "explorer": your id, "summary": what you found, "files": [{ "path", "line", "note" }] } naming only files you saw.',
].join('\n');

/**
 * The system prompt: instructions and a map of the repository's source files with their sizes, the
 * same for every explorer, so it is a prefix the prompt cache shares between all of them.
 */
export function explorerSystem(root: string = REPO_ROOT): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (name.endsWith('.ts')) files.push(`${relative(root, path).split(sep).join('/')} (${stat.size} bytes)`);
    }
  };
  for (const top of ['src', 'operators', 'examples']) walk(join(root, top));
  return `${SYSTEM_INTRO}\n\nRepository map (${files.length} TypeScript files):\n${files.join('\n')}`;
}

/** The first message of an explorer: its id, its question, where to start. */
export function explorerPrompt(explorer: Explorer): string {
  return `Explorer ${explorer.id}: find out ${explorer.question}. Start in ${explorer.dir}/ and look for /${explorer.symbol}/.`;
}

/** The text of a tool_result's content. */
const resultText = (content: string | readonly ContentBlock[]): string => (typeof content === 'string' ? content : textOf(content));

/** Every tool call of the conversation so far with its result: name, input, result text, error flag. */
function toolCalls(request: CompletionRequest): { name: string; input: Record<string, unknown>; text: string; isError: boolean }[] {
  const turns = [...(request.history ?? []), { role: 'user' as const, content: request.prompt }];
  const results = new Map<string, { text: string; isError: boolean }>();
  for (const turn of turns) {
    if (turn.role !== 'user' || typeof turn.content === 'string') continue;
    for (const block of turn.content) if (block.type === 'tool_result') results.set(block.toolUseId, { text: resultText(block.content), isError: block.isError === true });
  }
  const calls: ReturnType<typeof toolCalls> = [];
  for (const turn of turns) {
    if (turn.role !== 'assistant' || typeof turn.content === 'string') continue;
    for (const block of turn.content) {
      if (block.type !== 'tool_use') continue;
      const result = results.get(block.id) ?? { text: '', isError: true };
      calls.push({ name: block.name, input: block.input as Record<string, unknown>, ...result });
    }
  }
  return calls;
}

/**
 * The simulated explorer: a deterministic tool-calling policy that reads the topic from the first
 * message, then step 1 lists the topic's directory (the sandbox explorer also asks for two paths
 * outside the repository, in parallel), step 2 greps its symbol there, step 3 reads the file of the
 * first match (else the first file listed), step 4 answers the `Findings` JSON from what the tools
 * returned: the matches, the file's size and what it exports, and any refusal.
 */
export const explorerPolicy: SimulatedToolPolicy = (request, { step }) => {
  const first = request.history?.[0]?.content ?? request.prompt;
  const id = /^Explorer (\S+):/.exec(textOf(typeof first === 'string' ? first : first.filter((b) => b.type === 'text')))?.[1];
  const explorer = EXPLORERS.find((e) => e.id === id);
  if (!explorer) return { text: JSON.stringify({ explorer: id ?? 'unknown', summary: 'No topic given.', files: [] }) };
  const calls = toolCalls(request);
  const last = (name: string) => calls.filter((call) => call.name === name && !call.isError).at(-1);
  if (step === 1) {
    const escape = explorer.id === ESCAPE_EXPLORER ? ESCAPE_PATHS.map((path) => ({ name: 'read_file', input: { path } })) : [];
    return { text: `Listing ${explorer.dir}/ first.`, toolUse: [{ name: 'list_dir', input: { path: explorer.dir } }, ...escape] };
  }
  if (step === 2) return { text: `Searching for ${explorer.symbol}.`, toolUse: [{ name: 'grep', input: { pattern: explorer.symbol, path: explorer.dir } }] };
  const matches = [...(last('grep')?.text ?? '').matchAll(/^(.+?):(\d+): (.*)$/gm)].map(([, path, line, text]) => ({ path: path!, line: Number(line), text: text! }));
  if (step === 3) {
    const listed = /^(\S+\.ts) \(\d+ bytes\)$/m.exec(last('list_dir')?.text ?? '')?.[1];
    const path = matches[0]?.path ?? (listed ? `${explorer.dir}/${listed}` : `${explorer.dir}/index.ts`);
    return { text: `Reading ${path}.`, toolUse: [{ name: 'read_file', input: { path } }] };
  }
  return { text: JSON.stringify(findingsOf(explorer, matches, last('read_file'), calls)) } satisfies SimulatedToolAnswer;
};

/** The simulated explorer's answer, from its tool results. */
function findingsOf(explorer: Explorer, matches: { path: string; line: number; text: string }[], read: { input: Record<string, unknown>; text: string } | undefined, calls: ReturnType<typeof toolCalls>): Findings {
  const files: Findings['files'] = matches.slice(0, 3).map(({ path, line, text }) => ({ path, line, note: text.slice(0, 120) }));
  const summary: string[] = [];
  if (read) {
    const path = String(read.input.path);
    const lines = read.text.split('\n').length;
    const exports = [...new Set([...read.text.matchAll(/^export (?:abstract )?(?:async )?(?:function|class|const|interface|type) (\w+)/gm)].map((m) => m[1]!))];
    const doc = docAbove(read.text, matches.find((m) => m.path === path)?.line);
    if (!files.some((file) => file.path === path)) files.push({ path, note: `${lines} lines` });
    summary.push(matches[0] ? `/${explorer.symbol}/ is at ${matches[0].path}:${matches[0].line}.` : `/${explorer.symbol}/ matched nothing in ${explorer.dir}/; read ${path} instead.`);
    summary.push(`${path} has ${lines} lines${exports.length ? ` and exports ${exports.slice(0, 6).join(', ')}${exports.length > 6 ? `, +${exports.length - 6} more` : ''}` : ''}.`);
    if (doc) summary.push(`Its TSDoc: "${doc}"`);
  }
  const refused = calls.filter((call) => call.isError);
  if (refused.length > 0) summary.push(`The tools refused ${refused.map((call) => `${call.name}(${JSON.stringify(call.input.path)})`).join(' and ')}: ${refused[0]!.text.replace(/^Tool '\w+' failed: /, '').replace(/ Paths are relative.*$/s, '')}`);
  return { explorer: explorer.id, summary: summary.join(' '), files };
}

/** The first sentence of the TSDoc comment right above line `line` (1-based) of `text`, if there is one. */
function docAbove(text: string, line: number | undefined): string | undefined {
  if (line === undefined) return undefined;
  const lines = text.split('\n');
  let end = line - 2;
  while (end >= 0 && lines[end]!.trim() === '') end -= 1;
  if (end < 0 || !lines[end]!.trim().endsWith('*/')) return undefined;
  let start = end;
  while (start > 0 && !lines[start]!.trim().startsWith('/**')) start -= 1;
  const prose = lines
    .slice(start, end + 1)
    .map((l) => l.trim().replace(/^\/\*\*|\*\/$|^\*/g, '').trim())
    .join(' ')
    .trim();
  const sentence = /^(.+?\.)(\s|$)/.exec(prose)?.[1] ?? prose;
  return sentence === '' ? undefined : sentence.length > 160 ? `${sentence.slice(0, 159)}…` : sentence;
}

/** Settings of {@link buildExplorerAgents} and {@link runExplorerAgents}. */
export interface ExplorerAgentsOptions {
  /** Scheduler of the simulated provider; pass the same one to `execute`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Seed of the simulated provider's latencies. @default 3 */
  seed?: number;
  /** A real provider (e.g. `anthropicModel()`): the explorers call it instead of the simulated one. */
  claude?: Model;
  /** The repository to explore. @default this one */
  root?: string;
  /** Prompt caching on the agents' calls. @default true */
  cache?: boolean;
  /** The simulated provider's per-minute quota. @default tier 1 (50 requests, 30,000 input and 8,000 output tokens per minute), as seed 003 */
  quota?: Quota;
}

/** The simulated provider: Sonnet-priced, streaming at 80 tokens/s after a ~1.2 s first token, with the explorer policy. */
export function explorerProvider(scheduler: SchedulerLike = asyncScheduler, seed = 3, quota: Quota = EXPLORER_QUOTA): Model {
  return simulatedModel({ model: EXPLORER_MODEL, toolPolicy: explorerPolicy, latency: { medianMs: 1200, p95Ms: 2500 }, outputTokensPerSecond: 80, quota, seed, scheduler });
}

/**
 * The 22 explorer agents as one graph (no dependencies: all may run at once, as far as the
 * governed model lets them), and the provider to pass to `execute`.
 */
export function buildExplorerAgents(options: ExplorerAgentsOptions = {}) {
  const root = options.root ?? REPO_ROOT;
  const repo = repoTools({ root });
  const system = explorerSystem(root);
  const g = graphFromNodes(
    EXPLORERS.map((explorer) => ({
      id: explorer.id,
      run: agent({ system, prompt: () => explorerPrompt(explorer), tools: repo.all, output: Findings, maxSteps: 8, model: EXPLORER_MODEL, cache: options.cache ?? true }),
      meta: { agent: 'explorer' },
    })),
  );
  return { graph: g, model: options.claude ?? explorerProvider(options.scheduler, options.seed, options.quota) };
}

/** What a run of the explorers produced. */
export interface ExplorerAgentsResult {
  /** Each explorer's answer, by id (missing: it failed; see `summary.counts`). */
  findings: Record<string, Findings>;
  summary: RunSummary;
  events: RunEvent[];
  /** The run's cost, and what the same tokens would have cost without prompt caching. */
  cache: CacheSavings;
  /** Wall-clock time of the run. */
  wallMs: number;
}

/**
 * Runs the 22 explorers: in virtual time on the simulated provider (a fraction of a second of wall
 * time for minutes of simulated work), or in real time against `claude`.
 */
export async function runExplorerAgents(options: ExplorerAgentsOptions & { onEvent?: (event: RunEvent) => void } = {}): Promise<ExplorerAgentsResult> {
  const virtual = options.claude ? undefined : ((options.scheduler as VirtualTimeScheduler | undefined) ?? new VirtualTimeScheduler());
  const { graph: g, model } = buildExplorerAgents({ ...options, ...(virtual ? { scheduler: virtual } : {}) });
  const events: RunEvent[] = [];
  const started = performance.now();
  const done = collect(
    execute(g, { model, runId: 'explorers', random: seededRandom(3), ...(virtual ? { scheduler: virtual } : {}) }).pipe(
      tap((event) => {
        events.push(event);
        options.onEvent?.(event);
      }),
    ),
  );
  if (virtual instanceof VirtualTimeScheduler) virtual.flush();
  const { summary, outcomes } = await done;
  const findings: Record<string, Findings> = {};
  for (const [id, outcome] of Object.entries(outcomes)) if (hasValue(outcome)) findings[id] = outcome.value as Findings;
  return { findings, summary, events, cache: cacheSavings(summary.usage.total), wallMs: performance.now() - started };
}

/** A run's cost with prompt caching, and without: the same tokens all billed as fresh input. */
export interface CacheSavings {
  costUsd: number;
  uncachedUsd: number;
  /** `1 - costUsd / uncachedUsd`, in percent. */
  savedPercent: number;
}

/** Prices `usage` as it was billed (cache writes at 1.25x input, reads at 0.1x) and as if nothing had been cached. */
export function cacheSavings(usage: RunSummary['usage']['total'], model: string = EXPLORER_MODEL): CacheSavings {
  const price = priceOf(model);
  const cost = costUsd(usage, price);
  const uncachedUsd = costUsd({ inputTokens: usage.inputTokens + usage.cacheCreationInputTokens + usage.cacheReadInputTokens, outputTokens: usage.outputTokens }, price);
  return { costUsd: cost, uncachedUsd, savedPercent: uncachedUsd > 0 ? (1 - cost / uncachedUsd) * 100 : 0 };
}
