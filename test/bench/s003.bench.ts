/**
 * Seed 003's experiment, exact in virtual time: 22 agent tasks against a provider with a
 * per-minute quota (tier 1: 50 RPM, 30,000 ITPM, 8,000 OTPM), four ways: everything at once,
 * waves of 4, a fixed semaphore of 4, and rx-orchestra's default (governed model: token-bucket
 * limiter + adaptive concurrency), with the quota declared and with it learned from the provider.
 */
import { VirtualTimeScheduler, VirtualAction, catchError, defer, from, map, throwError, toArray, type Observable } from 'rxjs';
import { execute, governedModel, graphFromNodes, llm, seededRandom, simulatedModel, type Model, type RunEvent } from '../../src/index.js';
import { QUOTA_PRESETS, retryWithBackoff } from '../../operators/index.js';
import { inWaves } from '../../operators/waves.js';
import type { Figure } from './report.js';

const TASKS = 22;
const LATENCY_MS = 10_000;
const INPUT_CHARS = 8_000; // 2,000 input tokens
const OUTPUT_TEXT = 'x'.repeat(2_000); // 500 output tokens
const QUOTA = QUOTA_PRESETS.tier1;
const RETRY = { count: 20, initialDelay: 1_000, factor: 2, maxDelay: 30_000, jitter: 0.5 };

interface Outcome {
  completionMs: number;
  rateLimited: number;
  retries: number;
  succeeded: number;
}

function provider(scheduler: VirtualTimeScheduler, quota: typeof QUOTA = QUOTA): Model {
  return simulatedModel({
    latency: { medianMs: LATENCY_MS, p95Ms: LATENCY_MS },
    quota,
    respond: () => OUTPUT_TEXT,
    model: 'claude-haiku-4-5',
    scheduler,
  });
}

const prompt = (i: number) => `task ${i} `.padEnd(INPUT_CHARS, '.');

/** Runs 22 llm nodes through the engine and counts what happened. */
function viaEngine(model: Model, concurrency: number | 'default', scheduler: VirtualTimeScheduler, handBuilt = false): Outcome {
  // The seed's hand-built strategies call the provider raw and retry without a run-wide budget;
  // the default is what `execute(g, { model })` does with no tuning at all.
  const g = graphFromNodes(
    Array.from({ length: TASKS }, (_, i) => ({
      id: `explore${i}`,
      run: llm({ prompt: () => prompt(i), maxTokens: 1024, ...(handBuilt ? { governed: false } : {}) }),
      retry: RETRY,
      timeout: false as const,
    })),
  );
  const events: RunEvent[] = [];
  const options = { model, scheduler, random: seededRandom(3), ...(concurrency === 'default' ? {} : { concurrency }), ...(handBuilt ? { retryBudget: false as const } : {}) };
  execute(g, options).subscribe((e) => events.push(e));
  scheduler.flush();
  const done = events.at(-1);
  if (done?.type !== 'run.completed') throw new Error('seed 003 bench: run did not complete');
  return {
    completionMs: done.summary.makespanMs,
    rateLimited: events.filter((e) => (e.type === 'node.retrying' || e.type === 'node.failed') && e.error.code === 'RATE_LIMITED').length,
    retries: done.summary.retries,
    succeeded: done.summary.counts.succeeded,
  };
}

/** Seed 003's runInWaves: 4 tasks at a time, each wave waits for its slowest task. */
function viaWaves(model: Model, scheduler: VirtualTimeScheduler): Outcome {
  let rateLimited = 0;
  let retries = 0;
  const random = seededRandom(3);
  const tasks = Array.from({ length: TASKS }, (_, i) => () =>
    defer(() => model.complete({ prompt: prompt(i), maxTokens: 1024 })).pipe(
      retryWithBackoff({
        ...RETRY,
        random,
        scheduler,
        onRetry: ({ error }) => {
          retries += 1;
          if ((error as { code?: string }).code === 'RATE_LIMITED') rateLimited += 1;
        },
      }),
    ),
  );
  let results: unknown[] = [];
  (from(tasks).pipe(inWaves(4), toArray()) as Observable<unknown[]>).subscribe((all) => (results = all));
  scheduler.flush();
  return { completionMs: scheduler.now(), rateLimited, retries, succeeded: results.length };
}

/**
 * The quota's lower bound on completion: the last call cannot be admitted before the input-token
 * bucket (full at the start) has refilled everyone else's excess, nor before the output-token
 * bucket has refilled the other calls' output; then it still takes one call's latency.
 */
export function quotaLowerBound(quota: typeof QUOTA = QUOTA): number {
  const input = Math.ceil(INPUT_CHARS / 4);
  const output = Math.ceil(OUTPUT_TEXT.length / 4);
  const perMs = (limit: number) => limit / 60_000;
  const inputWait = Math.max(0, (TASKS * input - quota.inputTokensPerMinute) / perMs(quota.inputTokensPerMinute));
  const outputWait = Math.max(0, ((TASKS - 1) * output - quota.outputTokensPerMinute) / perMs(quota.outputTokensPerMinute));
  const requestWait = Math.max(0, (TASKS - quota.requestsPerMinute) / perMs(quota.requestsPerMinute));
  return Math.max(inputWait, outputWait, requestWait) + LATENCY_MS;
}

export async function seed003(): Promise<Figure[]> {
  const bound = quotaLowerBound();
  const fresh = () => new VirtualTimeScheduler(VirtualAction, Infinity);
  const strategies: [string, () => Outcome][] = [
    ['unbounded', () => { const s = fresh(); return viaEngine(provider(s), Infinity, s, true); }],
    ['waves4', () => { const s = fresh(); return viaWaves(provider(s), s); }],
    ['semaphore4', () => { const s = fresh(); return viaEngine(provider(s), 4, s, true); }],
    // Quota declared: governedModel(provider, { quota }), everything else default.
    ['default', () => { const s = fresh(); return viaEngine(governedModel(provider(s), { quota: QUOTA, scheduler: s }), 'default', s); }],
    // Nothing declared: the raw provider, governed by default, learns the quota from its headers.
    ['default_undeclared', () => { const s = fresh(); return viaEngine(provider(s), 'default', s); }],
    // A provider that sends no rate-limit headers: the limit is found from 429s and retry-afters alone.
    ['default_blind', () => { const s = fresh(); return viaEngine(withoutRateLimitReports(provider(s)), 'default', s); }],
  ];
  const figures: Figure[] = [{ name: 's003_quota_bound', value: bound / 1000, unit: 's', note: `${TASKS} tasks x 2,000 in / 500 out tokens, ${LATENCY_MS / 1000} s each, tier 1 quota` }];
  for (const [name, run] of strategies) {
    const outcome = run();
    if (outcome.succeeded !== TASKS) throw new Error(`seed 003 bench: ${name} finished ${outcome.succeeded}/${TASKS}`);
    figures.push(
      { name: `s003_${name}_completion`, value: outcome.completionMs / 1000, unit: 's' },
      { name: `s003_${name}_ratio_to_quota_bound`, value: Math.round((outcome.completionMs / bound) * 1000) / 1000, unit: 'x', ...(name.startsWith('default') ? { note: `target <= ${name === 'default' ? '1.1' : '1.25'}` } : {}) },
      { name: `s003_${name}_429s`, value: outcome.rateLimited, unit: 'count', ...(name === 'default' ? { note: 'target 0' } : {}) },
      { name: `s003_${name}_retries`, value: outcome.retries, unit: 'count' },
    );
  }
  // A tighter quota (a third of tier 1's tokens) that four calls at once already overrun, with no
  // rate-limit headers: the default must find the pace from 429s and retry-afters alone.
  const tight = { ...QUOTA, inputTokensPerMinute: 10_000, outputTokensPerMinute: 2_700 } as unknown as typeof QUOTA;
  const tightBound = quotaLowerBound(tight);
  const s = fresh();
  const blind = viaEngine(withoutRateLimitReports(provider(s, tight)), 'default', s);
  if (blind.succeeded !== TASKS) throw new Error(`seed 003 bench: tight blind default finished ${blind.succeeded}/${TASKS}`);
  figures.push(
    { name: 's003_tight_quota_bound', value: tightBound / 1000, unit: 's', note: '10,000 ITPM / 2,700 OTPM, no rate-limit headers' },
    { name: 's003_tight_default_blind_ratio_to_quota_bound', value: Math.round((blind.completionMs / tightBound) * 1000) / 1000, unit: 'x', note: 'target <= 1.25' },
    { name: 's003_tight_default_blind_429s', value: blind.rateLimited, unit: 'count' },
    { name: 's003_tight_default_blind_retries', value: blind.retries, unit: 'count' },
  );
  return figures;
}

/** The same provider with its rate-limit reports (headers) stripped from answers and errors. */
function withoutRateLimitReports(model: Model): Model {
  const strip = <T>(value: T): T => {
    if (value && typeof value === 'object' && 'rateLimit' in value) {
      const { rateLimit: _dropped, ...rest } = value as T & { rateLimit?: unknown };
      return rest as T;
    }
    return value;
  };
  return {
    model: model.model,
    stream: (request, signal) =>
      model.stream(request, signal).pipe(
        map((event) => (event.type === 'completion' ? { ...event, completion: strip(event.completion) } : event)),
        catchError((error: unknown) => {
          if (error instanceof Error) Object.defineProperty(error, 'rateLimit', { value: undefined });
          return throwError(() => error);
        }),
      ),
    complete: (request, signal) => model.complete(request, signal).pipe(map(strip)),
  };
}
