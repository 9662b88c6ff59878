/**
 * Seed 003's experiment: 22 independent explorer agents, one per code path of a web shop, against
 * one provider with a per-minute quota (tier 1: 50 requests, 30,000 input and 8,000 output tokens
 * per minute). Each explorer sends about 2,000 input tokens and gets 500 output tokens back after
 * 10 s. Three ways to run them:
 *
 * - `raw`: everything at once, as the seed first did: 22 calls, no traffic control, each retried
 *   with exponential backoff (honouring retry-after) when the quota answers 429;
 * - `waves`: the seed's fix, `runInWaves(tasks, 4)`, as rx-orchestra's `inWaves(4)` operator;
 * - `default`: 22 `llm()` nodes and `execute(g, { model })`, nothing tuned: every call goes through
 *   a governed model (adaptive concurrency, a quota learned from the provider's rate-limit reports).
 *
 * Everything runs in virtual time on a `VirtualTimeScheduler` shared by the simulated provider, its
 * quota and the executor, so minutes of simulated traffic take milliseconds and every figure is
 * exact and repeatable.
 */
import { VirtualTimeScheduler, defer, from, type Observable } from 'rxjs';
import {
  estimateTokens,
  execute,
  graphFromNodes,
  llm,
  seededRandom,
  simulatedModel,
  textOf,
  type Model,
  type RunEvent,
  type SimulatedModel,
} from 'rx-orchestra';
import { QUOTA_PRESETS, inWaves, retryWithBackoff, type Quota, type WaveInfo } from 'rx-orchestra/operators';

/** The 22 code paths to explore: node id and what the explorer traces. */
export const CODE_PATHS = [
  ['auth-login', 'POST /login: password check, session cookie'],
  ['auth-refresh', 'access token refresh when the token has expired'],
  ['auth-logout', 'logout: session revocation on every device'],
  ['signup-verify', 'signup, then the email verification link'],
  ['password-reset', 'password reset request and token redemption'],
  ['cart-add', 'add to cart: stock reservation'],
  ['cart-merge', 'guest cart merged into the user cart at login'],
  ['checkout-quote', 'checkout: tax and shipping quote'],
  ['checkout-pay', 'payment capture, then order creation'],
  ['checkout-3ds', '3-D Secure challenge and its callback'],
  ['refund', 'refund request: ledger entries and the payment provider call'],
  ['order-cancel', 'order cancellation before shipment'],
  ['inventory-sync', 'nightly inventory import from the warehouse'],
  ['search-query', 'product search: query parsing and ranking'],
  ['search-reindex', 'reindexing when a product changes'],
  ['reviews-moderation', 'review submission and moderation queue'],
  ['email-confirmation', 'order confirmation email through the job queue'],
  ['carrier-webhook', 'carrier tracking webhook: signature check, status update'],
  ['price-change', 'admin price change: cache invalidation'],
  ['feature-flags', 'feature flag evaluation on each request'],
  ['api-rate-limit', 'API rate-limiting middleware'],
  ['data-export', 'GDPR data export job'],
] as const;
export type CodePathId = (typeof CODE_PATHS)[number][0];

/** The provider's quota: tier 1. */
export const EXPLORER_QUOTA = QUOTA_PRESETS.tier1;
/** How long one exploration call takes. */
export const EXPLORER_LATENCY_MS = 10_000;
/** The model the explorers name (simulated, at its prices). */
export const EXPLORER_MODEL = 'claude-haiku-4-5';
/** Retries of a task, the same in every strategy: backoff 1 s, 2 s, 4 s ... up to 30 s, or the retry-after if longer. */
export const EXPLORER_RETRY = { count: 20, initialDelay: 1_000, factor: 2, maxDelay: 30_000, jitter: 0.5 } as const;

const SYSTEM = 'You explore one code path of a web shop and report the functions it passes through, its side effects and its failure modes.';
/** Input tokens of an explorer's call: system prompt, task and repository map. */
const INPUT_TOKENS = 2_000;
/** Characters of the prompt (task and map), so that the call has exactly {@link INPUT_TOKENS}. */
const PROMPT_CHARS = (INPUT_TOKENS - estimateTokens(SYSTEM)) * 4;
/** What an explorer answers: 500 tokens (4 characters each, as the simulated provider counts). */
const ANSWER_TOKENS = 500;
const ANSWER_CHARS = ANSWER_TOKENS * 4;

/** The request of one explorer: the task and a repository map, 2,000 input tokens. */
export function explorerRequest(path: CodePathId): { system: string; prompt: string; maxTokens: number } {
  const description = CODE_PATHS.find(([id]) => id === path)![1];
  const task = `Trace the code path "${path}" (${description}). Repository map:\n`;
  const map = CODE_PATHS.map(([id], i) => `src/${id}/index.ts: export async function handle(ctx: Context${i}): Promise<Result>; // calls db, cache, queue`).join('\n');
  return { system: SYSTEM, prompt: (task + map.repeat(Math.ceil(PROMPT_CHARS / map.length))).slice(0, PROMPT_CHARS), maxTokens: 1_024 };
}

/** The simulated provider: 10 s per call, tier-1 quota (429 with retry-after when over it). */
export function explorerProvider(scheduler: VirtualTimeScheduler, quota: Quota = EXPLORER_QUOTA): SimulatedModel {
  return simulatedModel({
    latency: { medianMs: EXPLORER_LATENCY_MS, p95Ms: EXPLORER_LATENCY_MS },
    quota,
    respond: (request) => `Findings for ${/"([^"]+)"/.exec(textOf(request.prompt))?.[1]}: `.padEnd(ANSWER_CHARS, 'handle() -> db.query -> cache.set; '),
    model: EXPLORER_MODEL,
    scheduler,
  });
}

/** The three strategies compared. */
export const STRATEGIES = ['raw', 'waves', 'default'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const STRATEGY_LABEL: Record<Strategy, string> = {
  raw: 'all 22 at once (raw)',
  waves: 'waves of 4 (inWaves)',
  default: 'default (governed model)',
};

/** What one strategy achieved, in simulated (virtual) time. */
export interface StrategyResult {
  strategy: Strategy;
  /** When the last explorer finished, in simulated ms. */
  completionMs: number;
  /** Calls the quota refused with a 429. */
  rateLimited: number;
  /** Retries over all tasks (every refused call is retried). */
  retries: number;
  /** Explorers that finished with an answer (22 when all went well). */
  succeeded: number;
  /** Input and output tokens the answered calls used. */
  tokens: number;
  /** The waves, for `waves`: when each started. */
  waves: WaveInfo[];
}

/**
 * Runs the 22 explorers one way, in virtual time, and reports what happened. Synchronous: the
 * virtual scheduler is flushed before it returns.
 *
 * ## Example
 * ```ts
 * const { completionMs, rateLimited } = runStrategy('default'); // 40_000 simulated ms, 0
 * ```
 */
export function runStrategy(strategy: Strategy, quota: Quota = EXPLORER_QUOTA): StrategyResult {
  const scheduler = new VirtualTimeScheduler();
  const provider = explorerProvider(scheduler, quota);
  return strategy === 'waves' ? viaWaves(provider, scheduler) : viaEngine(strategy, provider, scheduler);
}

/** `raw` and `default`: 22 llm nodes through the executor; raw turns traffic control and the retry budget off. */
function viaEngine(strategy: 'raw' | 'default', provider: Model, scheduler: VirtualTimeScheduler): StrategyResult {
  const raw = strategy === 'raw';
  const g = graphFromNodes(
    CODE_PATHS.map(([id]) => ({
      id,
      run: llm({ ...explorerRequest(id), prompt: () => explorerRequest(id).prompt, model: EXPLORER_MODEL, ...(raw ? { governed: false } : {}) }),
      retry: EXPLORER_RETRY,
    })),
  );
  const events: RunEvent[] = [];
  const options = raw ? { concurrency: Infinity, retryBudget: false as const } : {};
  execute(g, { model: provider, scheduler, random: seededRandom(3), runId: strategy, ...options }).subscribe((event) => events.push(event));
  scheduler.flush();
  const done = events.at(-1);
  if (done?.type !== 'run.completed') throw new Error(`code explorers (${strategy}): the run did not complete`);
  const { total } = done.summary.usage;
  return {
    strategy,
    completionMs: done.summary.makespanMs,
    rateLimited: events.filter((e) => (e.type === 'node.retrying' || e.type === 'node.failed') && e.error.code === 'RATE_LIMITED').length,
    retries: done.summary.retries,
    succeeded: done.summary.counts.succeeded ?? 0,
    tokens: total.inputTokens + total.outputTokens,
    waves: [],
  };
}

/** `waves`: the seed's runInWaves(tasks, 4), each task a raw call with the same retries. */
function viaWaves(provider: Model, scheduler: VirtualTimeScheduler): StrategyResult {
  const random = seededRandom(3);
  const result: StrategyResult = { strategy: 'waves', completionMs: NaN, rateLimited: 0, retries: 0, succeeded: 0, tokens: 0, waves: [] };
  const tasks = CODE_PATHS.map(([id]) => () =>
    defer(() => provider.complete({ ...explorerRequest(id), model: EXPLORER_MODEL })).pipe(
      retryWithBackoff({
        ...EXPLORER_RETRY,
        random,
        scheduler,
        onRetry: ({ error }) => {
          result.retries += 1;
          if ((error as { code?: unknown }).code === 'RATE_LIMITED') result.rateLimited += 1;
        },
      }),
    ),
  );
  (from(tasks).pipe(inWaves(4, { scheduler, onWave: (wave) => result.waves.push(wave) })) as Observable<{ usage: { inputTokens: number; outputTokens: number } }>).subscribe({
    next: ({ usage }) => {
      result.succeeded += 1;
      result.tokens += usage.inputTokens + usage.outputTokens;
    },
    complete: () => (result.completionMs = scheduler.now()),
  });
  scheduler.flush();
  return result;
}

/**
 * The quota's lower bound on completion: the last call cannot start before each bucket, full at
 * the start, has refilled what the other calls took beyond its capacity (input tokens and requests
 * when calls are admitted, output tokens when they answer), and then it still takes one call's latency.
 */
export function quotaLowerBound(quota: Quota = EXPLORER_QUOTA): number {
  const tasks = CODE_PATHS.length;
  const wait = (needed: number, perMinute: number | undefined) => (perMinute === undefined ? 0 : Math.max(0, ((needed - perMinute) / perMinute) * 60_000));
  return Math.max(wait(tasks * INPUT_TOKENS, quota.inputTokensPerMinute), wait((tasks - 1) * ANSWER_TOKENS, quota.outputTokensPerMinute), wait(tasks, quota.requestsPerMinute)) + EXPLORER_LATENCY_MS;
}
