import { Observable, asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscriber } from 'rxjs';
import type { Completion, CompletionRequest, Model, ModelEvent } from './model.js';
import { OptionsError } from '../errors/options-error.js';
import { ModelAbortError, SimulatedModelError } from './errors.js';
import { checkLatencyProfile, logNormalLatency, seededRandom, type LatencyProfile } from './random.js';
import { pickFault, resolveFaults, type FaultKind, type SimulatedFaults } from './simulated/faults.js';
import { QuotaBuckets, checkQuota, type QuotaBucketName, type SimulatedQuota } from './simulated/quota-buckets.js';
import { inputTokensOf } from './simulated/request.js';
import { requestProblem } from './simulated/validate.js';
import { planAnswer, type SimulatedToolPolicy } from './simulated/answer.js';
import { DEFAULT_CACHE_MIN_TOKENS, PromptCache, type CacheSplit } from './simulated/prompt-cache.js';
import { dropPoint, replyTimeline, tokensBy, type Delta, type ReplyTimeline, type Segment } from './simulated/timeline.js';
import type { EnumPicker } from './simulated/json-schema-sample.js';
import { simulatedBatches, type OfflineAnswer, type SimulatedBatchOptions } from './simulated/batches.js';
import type { BatchBackend } from './batch/backend.js';

/** Settings of {@link simulatedModel}. Every field is optional. */
export interface SimulatedModelOptions {
  /**
   * Latency of a call, drawn log-normally per call. Without `outputTokensPerSecond` it is the
   * whole call; with it, the time to the first token. @default { medianMs: 1200, p95Ms: 2500 }
   */
  latency?: LatencyProfile;
  /** Seed of the model's own random sources: same seed, same latencies, faults and picks. @default 1 */
  seed?: number;
  /**
   * Share of calls, 0..1, that fail with a retryable `OVERLOADED` (529) {@link SimulatedModelError},
   * after a quarter of the call's drawn latency. Shorthand for `faults.overloaded`. @default 0
   */
  failureRate?: number;
  /** Transient failures to inject, as shares of the calls (see {@link SimulatedFaults}). @default none */
  faults?: SimulatedFaults;
  /**
   * When set, the text is generated at this rate after the first token: a stream emits it token by
   * token, and the call takes `outputTokens / outputTokensPerSecond` s longer. Without it, the whole
   * text arrives at the end of the latency. @default undefined
   */
  outputTokensPerSecond?: number;
  /**
   * Per-minute request, input-token and output-token limits, enforced like the real API's (429
   * with `retryAfterMs`) and reported in every completion's `rateLimit`. @default unlimited
   */
  quota?: SimulatedQuota;
  /**
   * Scripts the reply text: called once per admitted call with the request and the call's index
   * (0 for the first call this model admits; refused calls do not count, retries do). Without it,
   * the reply is JSON conforming to `request.jsonSchema` when there is one, else
   * `"[sim] <the prompt's first words>…"`. The text is still cut to `maxTokens`.
   * @default undefined
   */
  respond?: (request: CompletionRequest, call: number) => string;
  /**
   * Decides what the model answers when a request offers `tools`: tool calls (`{ toolUse: [{ name,
   * input }] }`, streamed as `{ type: 'tool_use' }` events and answered as `tool_use` blocks with ids
   * `toolu_sim_<n>`, `stopReason: 'tool_use'`), a text (`{ text }`), or undefined for the usual
   * answer (`respond`, or the default reply). It gets the request and `{ step, random, call }`:
   * `step` is 1 + the assistant turns in the history, `random` a source seeded from `seed` and the
   * call. A forced `toolChoice` (`'any'`, `{ name }`) is honoured even without a policy: the tool is
   * called with input sampled from its schema. See {@link SimulatedToolPolicy}.
   * @default undefined (text answers)
   */
  toolPolicy?: SimulatedToolPolicy;
  /**
   * Prompt caching (requests with `cache: true`): the shortest prefix the simulated cache stores,
   * in tokens, as the API's minimum cacheable length (1,024 for Sonnet, 2,048 or 4,096 for Haiku and
   * Opus models). Breakpoints sit where the Claude adapter puts them (after the tools, the system
   * prompt, the previous user turn and the prompt), so each step of a tool loop reads what the step
   * before sent and writes only its new turns. The cache belongs to the model instance; entries live
   * 5 minutes after their last use, in scheduler time.
   * @default 1024
   */
  cacheMinTokens?: number;
  /** Scheduler for every delay and for the quota's clock: virtual inside `TestScheduler.run`. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /**
   * The model id this simulator stands in for: reported in `Completion.model` when a request names
   * none, and so the id `llm()` prices its calls as (`'claude-haiku-4-5'`: simulated calls are
   * billed, estimated and budgeted at Haiku's list price, though nothing is spent). The offline
   * `defaultModel()` sets it to the model that would answer with `ANTHROPIC_API_KEY` set.
   * @default 'simulated' (free)
   */
  model?: string;
  /**
   * The simulated Message Batches API (`batches`, used by `batchingModel`): how long a batch takes
   * (minutes by default, in scheduler time), when it expires, how long canceling takes. Its answers
   * are the model's own (replies, faults as errored lines), without the per-minute quota.
   * @default { processingMs: { medianMs: 120000, p95Ms: 900000 }, expiresAfterMs: 86400000, cancelMs: 0 }
   */
  batch?: SimulatedBatchOptions;
}

/** A {@link Model} that answers offline after a simulated latency. */
export interface SimulatedModel extends Model {
  /** The model id it stands in for, reported in `Completion.model` (see {@link SimulatedModelOptions.model}). */
  readonly model: string;
  /** `'simulated'`: a response cache keeps its answers apart from the real model's (see {@link Model.cacheNamespace}). */
  readonly cacheNamespace: 'simulated';
  /** Its Message Batches API, in scheduler time (see {@link SimulatedModelOptions.batch}); what `batchingModel` uses. */
  readonly batches: BatchBackend;
}

const DEFAULT_LATENCY: LatencyProfile = { medianMs: 1200, p95Ms: 2500 };
/** An overloaded or failing API sheds load quickly: such a call errors after this share of its latency. */
const FAILURE_LATENCY_SHARE = 0.25;
/** A 429 comes back before any work is done: after this many ms. */
const REJECT_LATENCY_MS = 20;
/** An injected 429 asks to wait 1 to this many whole seconds. */
const INJECTED_RETRY_AFTER_MAX_S = 10;

const BUCKET_LABEL: Record<QuotaBucketName, string> = { requests: 'requests', inputTokens: 'input tokens', outputTokens: 'output tokens' };

/** How a call plays out: the text it sends and when, and how it ends. */
interface CallPlan extends ReplyTimeline {
  /** Undefined for a successful call. */
  error?: () => SimulatedModelError;
  /** Only for a successful call. */
  completion?: (now: number) => Completion;
}

/**
 * A simulated LLM provider for offline demos and tests. Each call is a cold Observable: on
 * subscription it checks the request as strictly as the real API does for what it can check (a bad
 * one gets a non-retryable `BAD_REQUEST` 400 at once: malformed blocks, a `tool_result` that answers
 * no `tool_use` of the previous assistant turn, a missing tool result, thinking blocks dropped from a
 * tool loop or changed, a thinking budget not below `maxTokens`, ...), asks the `quota` for room
 * (none: a `RATE_LIMITED` 429 after 20 ms, with `retryAfterMs`), draws a latency (log-normal, from
 * its own seeded random source) and maybe a fault, then plays the call out on the scheduler:
 * `stream` emits `{ type: 'thinking' }` then `{ type: 'text' }` deltas as they are generated,
 * `{ type: 'tool_use' }` when a tool call is written (see `toolPolicy`), and finally
 * `{ type: 'completion' }`; `complete` emits only the {@link Completion}. Input tokens are
 * estimated as `ceil(chars / 4)` over the tools, system prompt, history and prompt (tool calls and
 * results as their JSON, an image or PDF as 1,600 tokens); output tokens the same way (thinking
 * included). With `cache: true`, the stable prefix is read from and written to a simulated prompt
 * cache (see `cacheMinTokens`), reported as `cacheReadInputTokens` / `cacheCreationInputTokens`.
 *
 * Unsubscribing cancels the call (its output tokens so far are still charged to the quota); an
 * aborted `signal` errors with a {@link ModelAbortError}. Every admitted call draws the same
 * random numbers whatever the fault shares, quota or reply are, so changing them does not move
 * the latencies; refused calls draw nothing.
 *
 * ## Example
 * ```ts
 * import { graph, simulatedModel } from 'rx-orchestra';
 * const model = simulatedModel({
 *   latency: { medianMs: 1200, p95Ms: 2500 }, seed: 7, outputTokensPerSecond: 80,
 *   faults: { overloaded: 0.05, dropped: 0.02 }, quota: { requestsPerMinute: 50, outputTokensPerMinute: 8000 },
 * });
 * const g = graph()
 *   .node('research', { run: ({ signal }) => model.complete({ prompt: 'Research X' }, signal), retry: 2 })
 *   .build();
 * model.stream({ prompt: 'Tell me a story' }).subscribe((event) => event.type === 'text' && process.stdout.write(event.text));
 * ```
 * @throws {OptionsError} at call time, for an invalid option (named by field)
 */
export function simulatedModel(options: SimulatedModelOptions = {}): SimulatedModel {
  const { latency = DEFAULT_LATENCY, seed = 1, outputTokensPerSecond, scheduler = asyncScheduler, model = 'simulated', respond, quota, toolPolicy, cacheMinTokens = DEFAULT_CACHE_MIN_TOKENS } = options;
  const where = 'simulatedModel';
  checkLatencyProfile(latency, where);
  const rates = resolveFaults(options.failureRate, options.faults, where);
  if (outputTokensPerSecond !== undefined && !(typeof outputTokensPerSecond === 'number' && outputTokensPerSecond > 0 && Number.isFinite(outputTokensPerSecond))) {
    throw new OptionsError('outputTokensPerSecond', `${where}: 'outputTokensPerSecond' must be a finite number > 0, got ${String(outputTokensPerSecond)}`, 'models');
  }
  checkQuota(quota, where);
  if (respond !== undefined && typeof respond !== 'function') throw new OptionsError('respond', `${where}: 'respond' must be a function, got ${typeof respond}`, 'models');
  if (toolPolicy !== undefined && typeof toolPolicy !== 'function') throw new OptionsError('toolPolicy', `${where}: 'toolPolicy' must be a function, got ${typeof toolPolicy}`, 'models');
  if (!(Number.isInteger(cacheMinTokens) && cacheMinTokens >= 0)) throw new OptionsError('cacheMinTokens', `${where}: 'cacheMinTokens' must be an integer >= 0, got ${String(cacheMinTokens)}`, 'models');
  if (!(typeof model === 'string' && model.length > 0)) throw new OptionsError('model', `${where}: 'model' must be a non-empty string, got ${JSON.stringify(model)}`, 'models');

  // Two streams: the first keeps the draws of earlier versions (fault, then latency), the second
  // holds what was added since (fault details, structured-output picks), so old seeds replay.
  const random = seededRandom(seed);
  const extra = seededRandom((seed ^ 0x9e3779b9) | 0);
  // Created on first use, so that its clock starts on the scheduler the calls run on.
  let buckets: QuotaBuckets | undefined;
  let admitted = 0;
  let requests = 0;
  let toolUses = 0;
  const promptCache = new PromptCache(cacheMinTokens);

  /** Plans an admitted call: all its draws happen here, in a fixed order. */
  const planCall = (request: CompletionRequest, requestId: string, input: CacheSplit): CallPlan => {
    const call = admitted++;
    const faultDraw = random();
    const firstTokenMs = logNormalLatency(latency, random);
    const detailDraw = extra();
    const pickSeed = Math.floor(extra() * 2 ** 32);
    const pickEnum: EnumPicker = request.temperature === 0 || request.jsonSchema === undefined ? () => 0 : pickFrom(seededRandom(pickSeed));
    let policyRandom: (() => number) | undefined;
    const answer = planAnswer(request, {
      call,
      pickEnum,
      random: () => (policyRandom ??= seededRandom((pickSeed ^ 0x5bd1e995) | 0))(),
      ...(respond ? { respond } : {}),
      ...(toolPolicy ? { toolPolicy } : {}),
      nextToolUseId: () => `toolu_sim_${++toolUses}`,
      where,
    });
    const { text, tokens: outputTokens, stopReason, segments } = answer;
    const modelId = request.model ?? model;
    const timeline = replyTimeline(segments, outputTokens, firstTokenMs, outputTokensPerSecond);
    const fault = pickFault(rates, faultDraw);
    if (fault === undefined) {
      return {
        chunks: timeline.chunks,
        endMs: timeline.endMs,
        completion: (now) => {
          input.commit(now);
          return {
            text,
            ...(answer.content ? { content: answer.content } : {}),
            usage: { inputTokens: input.inputTokens, outputTokens, cacheCreationInputTokens: input.cacheCreationInputTokens, cacheReadInputTokens: input.cacheReadInputTokens },
            latencyMs: timeline.endMs,
            model: modelId,
            stopReason,
            requestId,
            ...(buckets ? { rateLimit: buckets.snapshot(now) } : {}),
          };
        },
      };
    }
    return faultPlan(fault, { modelId, requestId, segments, outputTokens, firstTokenMs, detailDraw, latencyMs: timeline.endMs });
  };

  const faultPlan = (fault: FaultKind, call: { modelId: string; requestId: string; segments: Segment[]; outputTokens: number; firstTokenMs: number; detailDraw: number; latencyMs: number }): CallPlan => {
    const { modelId, requestId } = call;
    const quick = Math.max(1, Math.round(call.latencyMs * FAILURE_LATENCY_SHARE));
    switch (fault) {
      case 'overloaded':
        return { chunks: noChunks, endMs: quick, error: () => new SimulatedModelError('OVERLOADED', `${modelId} is overloaded (simulated 529); try again`, { requestId }) };
      case 'serverError':
        return { chunks: noChunks, endMs: quick, error: () => new SimulatedModelError('SERVER_ERROR', `${modelId} had an internal error (simulated 500); try again`, { requestId }) };
      case 'rateLimited': {
        const retryAfterMs = (1 + Math.floor(call.detailDraw * INJECTED_RETRY_AFTER_MAX_S)) * 1000;
        const rateLimit = buckets?.snapshot(scheduler.now());
        return {
          chunks: noChunks,
          endMs: REJECT_LATENCY_MS,
          error: () => new SimulatedModelError('RATE_LIMITED', `${modelId} is rate limited (simulated 429); retry after ${retryAfterMs / 1000} s`, { requestId, retryAfterMs, ...(rateLimit ? { rateLimit } : {}) }),
        };
      }
      case 'dropped': {
        const sent = dropPoint(call.outputTokens, call.detailDraw);
        const timeline = replyTimeline(call.segments, call.outputTokens, call.firstTokenMs, outputTokensPerSecond, sent);
        return {
          chunks: timeline.chunks,
          endMs: timeline.endMs,
          error: () => new SimulatedModelError('CONNECTION', `${modelId}: the connection dropped after ${sent} of ${call.outputTokens} output tokens (simulated)`, { requestId }),
        };
      }
    }
  };

  const call = <T>(request: CompletionRequest, signal: AbortSignal | undefined, output: Output<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      if (signal?.aborted) {
        subscriber.error(new ModelAbortError(signal.reason));
        return;
      }
      const requestId = `req_sim_${++requests}`;
      const invalid = requestProblem(request);
      if (invalid) {
        subscriber.error(new SimulatedModelError('BAD_REQUEST', `${where}: ${invalid}`, { requestId }));
        return;
      }
      const start = scheduler.now();
      const input = promptCache.split(request, request.model ?? model, inputTokensOf(request), start);
      // What the quota counts: fresh input and cache writes; cache reads do not count (as the API's ITPM).
      const inputTokens = input.inputTokens + input.cacheCreationInputTokens;
      if (quota) buckets ??= new QuotaBuckets(quota, start);
      const verdict = buckets?.admit(inputTokens, start) ?? { admitted: true as const };
      let plan: CallPlan;
      if (verdict.admitted) {
        plan = planCall(request, requestId, input);
      } else if (verdict.tooLarge) {
        const limit = buckets?.limitOf('inputTokens');
        subscriber.error(new SimulatedModelError('REQUEST_TOO_LARGE', `${request.model ?? model}: ${inputTokens} input tokens can never fit the limit of ${limit} input tokens per minute (simulated 413)`, { requestId }));
        return;
      } else {
        const { bucket, retryAfterMs } = verdict;
        const rateLimit = buckets!.snapshot(start);
        const message = `${request.model ?? model}: over the limit of ${buckets!.limitOf(bucket)} ${BUCKET_LABEL[bucket]} per minute (simulated 429); retry after ${retryAfterMs / 1000} s`;
        plan = { chunks: noChunks, endMs: REJECT_LATENCY_MS, error: () => new SimulatedModelError('RATE_LIMITED', message, { retryAfterMs, rateLimit, requestId }) };
      }
      return play(plan, start, output, subscriber, signal);
    });

  /** Runs a plan on the scheduler: text chunks (when streaming), then the end. Returns the teardown. */
  const play = <T>(plan: CallPlan, start: number, output: Output<T>, subscriber: Subscriber<T>, signal: AbortSignal | undefined) => {
    const { delta } = output;
    const chunks = delta ? plan.chunks().filter((chunk) => chunk.delta !== undefined) : [];
    let settled = false;
    /** Charges the output tokens generated `elapsedMs` into the call, once. */
    const settle = (elapsedMs: number, now: number) => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (buckets) buckets.chargeOutput(tokensBy(plan, elapsedMs), now);
    };
    const onAbort = () => subscriber.error(new ModelAbortError(signal?.reason));
    let next = 0;
    const firstAt = chunks[0]?.atMs ?? plan.endMs;
    const action = scheduler.schedule(
      function (this: SchedulerAction<number>, due = firstAt) {
        while (next < chunks.length && chunks[next]!.atMs <= due && !subscriber.closed) subscriber.next(delta!(chunks[next++]!.delta!));
        if (subscriber.closed) return;
        const upcoming = chunks[next]?.atMs ?? plan.endMs;
        if (upcoming > due) {
          this.schedule(upcoming, upcoming - due);
          return;
        }
        const now = scheduler.now();
        settle(plan.endMs, now);
        if (plan.error) {
          subscriber.error(plan.error());
          return;
        }
        subscriber.next(output.completion(plan.completion!(now)));
        subscriber.complete();
      },
      firstAt,
      firstAt,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    return () => {
      action.unsubscribe();
      if (!settled) {
        const now = scheduler.now();
        settle(now - start, now);
      }
    };
  };

  /** A request answered offline, as one line of a batch: no quota, no timeline (the batch's end is its time). */
  const answerOffline: OfflineAnswer = (request, requestId, now) => {
    const invalid = requestProblem(request);
    if (invalid) return { error: new SimulatedModelError('BAD_REQUEST', `${where}: ${invalid}`, { requestId }) };
    const input = promptCache.split(request, request.model ?? model, inputTokensOf(request), now);
    const plan = planCall(request, requestId, input);
    return plan.error ? { error: plan.error() } : { completion: plan.completion!(now) };
  };
  const batches = simulatedBatches(answerOffline, seededRandom((seed ^ 0x6a7c4e1) | 0), scheduler, options.batch);

  return {
    model,
    batches,
    cacheNamespace: 'simulated', // priced as `model`, but never cached as its answers
    stream: (request, signal) => call(request, signal, STREAM_OUTPUT),
    complete: (request, signal) => call(request, signal, COMPLETE_OUTPUT),
  };
}

/** What a call emits: thinking and text deltas and finished tool calls (streaming only), and the completion. */
interface Output<T> {
  delta?: (delta: Delta) => T;
  completion: (completion: Completion) => T;
}
const STREAM_OUTPUT: Output<ModelEvent> = {
  delta: (delta) => (delta.kind === 'tool_use' ? { type: 'tool_use', id: delta.block.id, name: delta.block.name, input: delta.block.input } : { type: delta.kind, text: delta.text }),
  completion: (completion) => ({ type: 'completion', completion }),
};
const COMPLETE_OUTPUT: Output<Completion> = { completion: (completion) => completion };

const noChunks = () => [];

/** An enum picker drawing from `random`. */
function pickFrom(random: () => number): EnumPicker {
  return (count) => Math.floor(random() * count);
}
