import { Observable, asyncScheduler, defer, filter, map, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { inputTokensOf } from './request-tokens.js';
import { CallDeadlineError } from './model-error.js';
import { ModelAbortError } from './errors.js';
import { ConcurrencyLimiter, type AdaptiveLimitConfig, type CallFeedback, type Slot } from '../../operators/concurrency-limiter.js';
import { RateLimiter, type Permit, type Quota, type RateLimitWait } from '../../operators/rate-limiter.js';
import { isOverloadError } from '../../operators/limit-concurrency.js';
import { createCircuitBreaker, type BreakerPermit, type CircuitBreaker, type CircuitBreakerConfig } from '../../operators/circuit-breaker.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, RetryAfterTooLongError, isRetryable } from '../../operators/retry.js';
import { timeout } from '../../operators/timeout.js';
import { failureRate } from '../../operators/breaker-policy.js';
import { OptionsError } from '../errors/options-error.js';
import { isAnswer, type Completion, type CompletionRequest, type GovernanceEvent, type Model, type ModelEvent, type RateLimitSnapshot } from './model.js';

/** Settings of {@link governedModel}. */
export interface GovernedModelOptions {
  /**
   * The provider's quota, or a shared {@link RateLimiter}. A declared limit is a ceiling (your share
   * of a key): the provider's reported limits may lower it, never raise it. Without one, a limiter
   * is still created and learns the limits from the provider's rate-limit reports and retry-afters.
   * @default learned
   */
  quota?: Quota | RateLimiter;
  /**
   * Calls in flight: a fixed number, an adaptive (AIMD) configuration, or a shared
   * {@link ConcurrencyLimiter}. @default adaptive, starting at 4, between 1 and 64
   */
  concurrency?: number | AdaptiveLimitConfig | ConcurrencyLimiter;
  /**
   * A circuit breaker per model id: when the provider keeps failing (by default, half the calls of
   * the last minute, at least 10 of them; transient noise such as 20 % of calls failing does not
   * trip it) calls to that model fail fast with a `CircuitOpenError` (non-retryable, so a node's
   * fallback chain takes over) until a probe succeeds after the cool-down. Rate limiting (429) does
   * not count: the limiter handles it. Pass settings (e.g. `{ policy: consecutiveFailures(5) }`), a
   * function giving each model id its breaker (to share them), or `false`.
   * @default failureRate({ threshold: 0.5, windowMs: 60_000, minimumCalls: 10 }), 30 s cool-down
   */
  breaker?: Omit<CircuitBreakerConfig, 'name' | 'scheduler'> | ((modelId: string) => CircuitBreaker) | false;
  /**
   * The longest retry-after (from a 429 or 529) that pauses the quota, in ms. A call refused with a
   * longer one fails with a non-retryable `RetryAfterTooLongError` (code `RETRY_AFTER_TOO_LONG`)
   * instead of holding every queued call for that long.
   * @default 600000 (10 minutes)
   */
  maxRetryAfterMs?: number;
  /** Output tokens to reserve for a call before it answers. @default the running mean of real answers (at first, min(maxTokens, 1024)) */
  expectedOutputTokens?: (request: CompletionRequest) => number;
  /** @default asyncScheduler */
  scheduler?: SchedulerLike;
}

/** A {@link Model} with traffic control, exposing its limiters so they can be shared and watched. */
export interface GovernedModel extends Model {
  readonly rateLimiter: RateLimiter;
  readonly concurrency: ConcurrencyLimiter;
  /** The breaker guarding a model id (created on first use); undefined when breakers are off. */
  breakerFor(modelId: string): CircuitBreaker | undefined;
}


/** Provider trouble that should trip a breaker: transient failures, but not rate limiting. */
const isProviderFailure = (error: unknown) => isRetryable(error) && !((error as { code?: unknown; status?: unknown })?.code === 'RATE_LIMITED' || (error as { status?: unknown })?.status === 429);


/**
 * Puts a model behind rx-orchestra's traffic control, so the right behaviour is the default: a
 * circuit breaker per model id fails calls fast while the provider is down; every call holds a
 * slot of a (by default adaptive) concurrency limit and waits for room in the
 * quota's token buckets (requests, input and output tokens per minute) before it is sent. Real
 * usage and the provider's rate-limit reports correct the buckets (never above a declared limit);
 * a 429 or 529 halves the adaptive limit, and its retry-after pauses every queued call (one longer
 * than `maxRetryAfterMs` fails the call with a `RetryAfterTooLongError` instead). A call whose
 * AbortSignal aborts while it waits never starts. A request's `timeoutMs` bounds
 * the call from its admission, so time spent queueing never times a call out. Waits and limit changes are
 * reported as events in the call's stream (and so on the run's stream). Share one governed model
 * between runs, nested pipelines and pools: they then share one quota and one concurrency budget.
 *
 * ## Example
 * ```ts
 * import { anthropicModel, governedModel, execute } from 'rx-orchestra';
 * import { QUOTA_PRESETS } from 'rx-orchestra/operators';
 * const claude = governedModel(anthropicModel(), { quota: QUOTA_PRESETS.tier1 });
 * execute(g, { model: claude, concurrency: Infinity }); // the model's limits do the pacing
 * ```
 */
export function governedModel(model: Model, options: GovernedModelOptions = {}): GovernedModel {
  const scheduler = options.scheduler ?? asyncScheduler;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  if (!(typeof maxRetryAfterMs === 'number' && maxRetryAfterMs >= 0)) {
    throw new OptionsError('maxRetryAfterMs', `governedModel: 'maxRetryAfterMs' must be a number of ms >= 0, got ${String(maxRetryAfterMs)}`, 'operators');
  }
  const rateLimiter = options.quota instanceof RateLimiter ? options.quota : new RateLimiter(options.quota ?? {}, { scheduler });
  const concurrency =
    options.concurrency instanceof ConcurrencyLimiter
      ? options.concurrency
      : new ConcurrencyLimiter(options.concurrency ?? { initial: 4, min: 1, max: 64 }, { scheduler });
  const breakers = new Map<string, CircuitBreaker>();
  const breakerFor = (modelId: string): CircuitBreaker | undefined => {
    const setting = options.breaker;
    if (setting === false) return undefined;
    let breaker = breakers.get(modelId);
    if (!breaker) {
      breaker =
        typeof setting === 'function'
          ? setting(modelId)
          : createCircuitBreaker({ isFailure: isProviderFailure, policy: failureRate({ threshold: 0.5, windowMs: 60_000, minimumCalls: 10 }), ...setting, name: modelId, scheduler });
      breakers.set(modelId, breaker);
    }
    return breaker;
  };
  let answered = 0;
  let outputSum = 0;
  const expectedOutput =
    options.expectedOutputTokens ??
    ((request: CompletionRequest) => (answered > 0 ? Math.ceil(outputSum / answered) : Math.min(request.maxTokens ?? 1024, 1024)));

  const stream = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> =>
    new Observable<ModelEvent>((subscriber) => {
      const report = (event: GovernanceEvent) => subscriber.next(event);
      const breaker = breakerFor(request.model ?? model.model);
      let guard: BreakerPermit | undefined;
      let permit: Permit | undefined;
      let release: ((feedback: CallFeedback) => void) | undefined;
      let call: Subscription | undefined;
      const finish = (feedback: CallFeedback) => {
        if (!release) return;
        const previous = concurrency.limit;
        const done = release;
        release = undefined;
        done(feedback);
        if (concurrency.limit !== previous) {
          const reason = feedback.kind === 'success' ? (concurrency.limit > previous ? 'increase' : 'latency') : 'overload';
          report({ type: 'concurrency.changed', limit: concurrency.limit, previous, reason });
        }
      };
      /** The caller aborted the call while it waited: it never reached the provider. */
      const abandon = (reason: unknown, slotStartedAt: number) => {
        guard?.cancel();
        finish({ kind: 'cancelled', startedAt: slotStartedAt });
        subscriber.error(new ModelAbortError(reason));
      };
      /** Ends the call with an error: frees the quota's unused estimate, the breaker probe and the slot. */
      const fail = (error: unknown, slotStartedAt: number) => {
        if (signal?.aborted) {
          // The caller aborted it (the provider's error says so): not the provider's fault, and the
          // slot and the unused tokens are handed on only after the caller's teardown, which may
          // cancel the calls queued next.
          permit?.settle({ outputTokens: 0 }, { cancelled: true });
          guard?.cancel();
          finish({ kind: 'cancelled', startedAt: slotStartedAt });
          subscriber.error(error);
          return;
        }
        const { retryAfterMs, rateLimit } = (error ?? {}) as { retryAfterMs?: number; rateLimit?: RateLimitSnapshot };
        const overload = isOverloadError(error);
        // A refused call used no tokens; a failed one produced no output worth charging.
        permit?.settle(overload ? { inputTokens: 0, outputTokens: 0 } : { outputTokens: 0 });
        if (rateLimit) rateLimiter.observe(reportedQuota(rateLimit));
        const tooLong = typeof retryAfterMs === 'number' && retryAfterMs > maxRetryAfterMs;
        if (typeof retryAfterMs === 'number' && !tooLong) rateLimiter.pause(retryAfterMs); // the service asked everyone to wait
        guard?.failure(error); // before the slot goes to the next call, so it sees an opened breaker
        finish({ kind: overload ? 'overload' : 'failure', startedAt: slotStartedAt });
        // An absurd retry-after (a daily cap, 30 days) fails the call instead of holding the quota.
        subscriber.error(tooLong ? new RetryAfterTooLongError(retryAfterMs, maxRetryAfterMs, { cause: error }) : error);
      };
      /** Admitted by the quota: sends the call, under its deadlines from now. */
      const send = (admitted: Permit, slotStartedAt: number) => {
        permit = admitted;
        const startedAt = scheduler.now();
        // Deadlines start here, at admission: time spent queueing never times a call out.
        call = defer(() => model.stream(request, signal))
          .pipe(callDeadlines(request, scheduler))
          .subscribe({
            next: (event) => {
              if (event.type === 'completion') {
                const { usage, rateLimit } = event.completion;
                answered += 1;
                outputSum += usage.outputTokens;
                // The provider's input-token quota counts cache writes as input (cache reads it does not).
                admitted.settle({ inputTokens: usage.inputTokens + (usage.cacheCreationInputTokens ?? 0), outputTokens: usage.outputTokens });
                if (rateLimit) rateLimiter.observe(reportedQuota(rateLimit));
              }
              subscriber.next(event);
            },
            error: (error: unknown) => fail(error, slotStartedAt),
            complete: () => {
              guard?.success();
              finish({ kind: 'success', latencyMs: scheduler.now() - startedAt, startedAt: slotStartedAt });
              subscriber.complete();
            },
          });
      };
      /** Holding a slot: asks the breaker, then waits for room in the quota. */
      const onSlot = (held: Slot) => {
        release = held.release;
        try {
          // Asked when the call's turn comes, not when it joined the queue: calls queued before the
          // breaker opened fail fast too.
          const verdict = breaker?.acquire(({ at: _at, ...event }) =>
            report(event.type === 'circuit.opened' ? { type: event.type, breaker: event.breaker, failures: event.failures } : event),
          );
          if (verdict instanceof Error) {
            finish({ kind: 'failure', startedAt: held.startedAt }); // failed fast: the slot goes on at once
            subscriber.error(verdict);
            return;
          }
          guard = verdict;
          const inputTokens = inputTokensOf(request);
          const onWait = ({ waitMs, limitedBy, queued }: RateLimitWait) => report({ type: 'ratelimit.waiting', waitMs, limitedBy, queued });
          subscriber.add(
            rateLimiter.acquire({ inputTokens, outputTokens: expectedOutput(request) }, onWait, signal).subscribe({
              next: (admitted) => send(admitted, held.startedAt),
              error: (reason: unknown) => abandon(reason, held.startedAt),
            }),
          );
        } catch (error) {
          fail(error, held.startedAt); // a throwing estimator or a malformed request must not leak the slot
        }
      };
      if (concurrency.inFlight >= concurrency.limit) {
        report({ type: 'ratelimit.waiting', waitMs: 0, limitedBy: 'concurrency', queued: concurrency.waiting + 1 });
      }
      // Both limiters skip a call whose signal aborted while it waited: it never starts.
      const slot = concurrency.acquire(signal).subscribe({ next: onSlot, error: (reason: unknown) => abandon(reason, 0) });
      return () => {
        slot.unsubscribe();
        call?.unsubscribe();
        // Cancelled: no output (a no-op once settled). The tokens given back, like the slot, go to
        // waiting calls only after this teardown, which may be about to cancel them too.
        permit?.settle({ outputTokens: 0 }, { cancelled: true });
        finish({ kind: 'cancelled', startedAt: 0 });
        guard?.cancel(); // a no-op once success or failure was recorded
      };
    });

  return {
    model: model.model,
    ...(model.cacheNamespace !== undefined ? { cacheNamespace: model.cacheNamespace } : {}),
    // The provider's Message Batches API passes through (batched calls skip the direct quota).
    ...('batches' in model ? { get batches() { return (model as { batches?: unknown }).batches; } } : {}),
    rateLimiter,
    concurrency,
    breakerFor,
    stream,
    complete: (request, signal) =>
      stream(request, signal).pipe(
        filter((event): event is Extract<ModelEvent, { type: 'completion' }> => event.type === 'completion'),
        map((event): Completion => event.completion),
      ),
  };
}

function reportedQuota(snapshot: RateLimitSnapshot) {
  return { requests: snapshot.requests, inputTokens: snapshot.inputTokens, outputTokens: snapshot.outputTokens };
}

/**
 * A request's call deadlines, applied to the provider's own stream once the call is admitted:
 * `timeoutMs` for the whole call, `firstTokenMs` for the first text (or the answer), `idleMs` for
 * the longest silence, from admission on: every event counts as life, `liveness` included.
 */
function callDeadlines(request: CompletionRequest, scheduler: SchedulerLike): MonoTypeOperatorFunction<ModelEvent> {
  const { timeoutMs: total, firstTokenMs: first, idleMs: idle } = request;
  if (total === undefined && first === undefined && idle === undefined) return (source) => source;
  return timeout<ModelEvent>({ total, first, idle, meetsFirst: isAnswer, scheduler, with: (kind, ms) => new CallDeadlineError(kind, ms) });
}
