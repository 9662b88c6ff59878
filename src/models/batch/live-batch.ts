/**
 * The life of one created batch: polled with a growing interval on the scheduler, its results read
 * once it ended and handed to the calls waiting in it, canceled when every call in it was.
 * @module
 * @internal
 */
import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import type { Completion, ContentBlock, ModelEvent } from '../model.js';
import type { BatchBackend, BatchItemResult, BatchRequestCounts, BatchStatus } from './backend.js';
import { processingCounts } from './backend.js';
import { BatchCallError } from './errors.js';
import type { BatchReport } from './batch-events.js';
import { pollDelay, type BatchPollInterval } from './poll-delay.js';

/**
 * A completion that came out of a batch: priced at the batch discount.
 *
 * ## Example
 * ```ts
 * import { isBatchedCompletion, type Completion } from 'rx-orchestra';
 * const where = (completion: Completion) => (isBatchedCompletion(completion) ? completion.batch.batchId : 'direct');
 * ```
 */
export interface BatchedCompletion extends Completion {
  /** The batch it was answered in, and its custom id there. */
  batch: { batchId: string; customId: string };
}

/**
 * True for a completion answered through the Message Batches API (priced at the batch discount).
 *
 * ## Example
 * ```ts
 * import { isBatchedCompletion } from 'rx-orchestra';
 * model.complete({ prompt: 'hi' }).subscribe((c) => console.log(isBatchedCompletion(c) ? 'half price' : 'list price'));
 * ```
 */
export function isBatchedCompletion(completion: Completion): completion is BatchedCompletion {
  const batch = (completion as Partial<BatchedCompletion>).batch;
  return typeof batch === 'object' && batch !== null && typeof batch.batchId === 'string';
}

/** One call waiting in a batch. @internal */
export interface BatchCall {
  readonly key: string;
  readonly subscriber: Subscriber<ModelEvent>;
  /** When it joined (was gathered, or attached to a resumed batch), in scheduler ms. */
  readonly joinedAt: number;
  cancelled: boolean;
  /** Set once its result was handed to it. */
  settled: boolean;
  /** The batch it waits in, once there is one. */
  batch?: LiveBatch;
  /** Set for a call attached to a batch of an earlier process: what to do when its result is not an answer. */
  onUnanswered?: (result: BatchItemResult) => void;
  /** Called with an errored result before it is delivered (so a retry can go direct). */
  readonly onErrored?: () => void;
}

/** What a live batch needs from its batching model. @internal */
export interface LiveBatchContext {
  readonly backend: BatchBackend;
  readonly scheduler: SchedulerLike;
  readonly pollInterval: BatchPollInterval | undefined;
  /** Called once the batch is done with (every result handed out, or it was canceled). */
  readonly onDone: (batchId: string) => void;
}

const report = (call: BatchCall, event: BatchReport) => {
  if (!call.cancelled && !call.subscriber.closed) call.subscriber.next(event as unknown as ModelEvent);
};

/**
 * A created (or resumed) batch and the calls that wait for it. Polls after
 * `pollDelay(1)`, `pollDelay(2)`, ... (the first poll of a resumed batch at once), reads the results
 * once `ended`, and completes each call from its line. @internal
 */
export class LiveBatch {
  private readonly calls = new Map<string, BatchCall>();
  private readonly results = new Map<string, BatchItemResult>();
  private polls = 0;
  private counts: BatchRequestCounts;
  private timer: Subscription | undefined;
  private inFlight: Subscription | undefined;
  private finished = false;

  constructor(
    readonly id: string,
    readonly requests: number,
    private readonly context: LiveBatchContext,
  ) {
    this.counts = processingCounts(requests);
  }

  /** Adds a call waiting for `customId`; one that arrives after the results were read gets its line at once. */
  attach(customId: string, call: BatchCall, resumed: boolean): void {
    call.batch = this;
    report(call, { type: 'batch.submitted', batchId: this.id, customId, requests: this.requests, provider: this.context.backend.provider, resumed });
    const known = this.results.get(customId);
    if (this.finished && known) return this.deliver(customId, call, known);
    if (this.finished) return this.deliver(customId, call, undefined);
    this.calls.set(customId, call);
  }

  /** Starts polling: the first poll after `delayMs`. */
  start(delayMs: number = pollDelay(1, this.context.pollInterval)): void {
    if (!this.timer && !this.inFlight && !this.finished) this.schedulePoll(delayMs);
  }

  /** A call was cancelled: when none is left waiting, the batch is canceled at the provider. */
  cancelled(): void {
    if (this.finished || this.calls.size === 0) return;
    for (const call of this.calls.values()) if (!call.cancelled) return;
    this.finished = true;
    this.timer?.unsubscribe();
    this.inFlight?.unsubscribe();
    // Nobody waits for it any more: stop paying for what is not processed yet. Best effort: a failed
    // cancel leaves a batch whose results nobody reads (it is billed for what it processed).
    this.context.backend.cancel(this.id).subscribe({ error: () => undefined });
    this.context.onDone(this.id);
  }

  private schedulePoll(delayMs: number): void {
    this.timer = this.context.scheduler.schedule(() => {
      this.timer = undefined;
      this.poll();
    }, delayMs);
  }

  private poll(): void {
    this.inFlight = this.context.backend.retrieve(this.id).subscribe({
      next: (status) => this.polled(status),
      error: (error: unknown) => this.failed(error),
    });
  }

  private polled(status: BatchStatus): void {
    this.inFlight = undefined;
    this.polls += 1;
    this.counts = status.requestCounts;
    const ended = status.processingStatus === 'ended';
    const nextPollMs = ended ? undefined : pollDelay(this.polls + 1, this.context.pollInterval);
    for (const call of this.calls.values()) {
      report(call, { type: 'batch.polled', batchId: this.id, processingStatus: status.processingStatus, requestCounts: status.requestCounts, poll: this.polls, ...(nextPollMs !== undefined ? { nextPollMs } : {}) });
    }
    if (ended) this.readResults();
    else this.schedulePoll(nextPollMs!);
  }

  /** A poll or the results failed: a transient error polls again later, any other fails the waiting calls. */
  private failed(error: unknown): void {
    this.inFlight = undefined;
    if ((error as { retryable?: unknown } | null)?.retryable === true) {
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      const next = pollDelay(this.polls + 1, this.context.pollInterval);
      this.schedulePoll(typeof retryAfterMs === 'number' ? Math.max(retryAfterMs, next) : next);
      return;
    }
    this.finished = true;
    for (const call of this.calls.values()) if (!call.cancelled) call.subscriber.error(error);
    this.calls.clear();
    this.context.onDone(this.id);
  }

  private readResults(): void {
    this.inFlight = this.context.backend.results(this.id).subscribe({
      next: (result) => {
        this.results.set(result.customId, result);
        const call = this.calls.get(result.customId);
        if (!call) return;
        this.calls.delete(result.customId);
        this.deliver(result.customId, call, result);
      },
      error: (error: unknown) => this.failed(error),
      complete: () => {
        this.inFlight = undefined;
        this.finished = true;
        for (const [customId, call] of this.calls) this.deliver(customId, call, undefined);
        this.calls.clear();
        this.context.onDone(this.id);
      },
    });
  }

  /** Hands a call its line of the results: the answer as if streamed, the error, or a typed outcome. */
  private deliver(customId: string, call: BatchCall, result: BatchItemResult | undefined): void {
    if (call.cancelled || call.subscriber.closed) return;
    const unanswered = call.onUnanswered;
    call.onUnanswered = undefined;
    if (unanswered && result?.type !== 'succeeded') {
      call.batch = undefined;
      return unanswered(result ?? { customId, type: 'expired' });
    }
    call.settled = true;
    const waitedMs = this.context.scheduler.now() - call.joinedAt;
    report(call, { type: 'batch.ended', batchId: this.id, customId, result: result?.type ?? 'missing', requestCounts: this.counts, waitedMs });
    const { subscriber } = call;
    switch (result?.type) {
      case 'succeeded': {
        for (const event of streamedEvents(result.completion)) subscriber.next(event);
        const completion: BatchedCompletion = { ...result.completion, latencyMs: waitedMs, batch: { batchId: this.id, customId } };
        subscriber.next({ type: 'completion', completion });
        subscriber.complete();
        return;
      }
      case 'errored':
        call.onErrored?.();
        subscriber.error(result.error);
        return;
      case 'canceled':
        subscriber.error(new BatchCallError('BATCH_CANCELED', this.id, customId));
        return;
      case 'expired':
        subscriber.error(new BatchCallError('BATCH_EXPIRED', this.id, customId));
        return;
      default:
        subscriber.error(new BatchCallError('BATCH_RESULT_MISSING', this.id, customId));
    }
  }
}

/** The events a streamed call of this answer would have emitted before its completion: thinking, text, tool calls. */
function streamedEvents(completion: Completion): ModelEvent[] {
  const blocks: readonly ContentBlock[] = completion.content ?? (completion.text ? [{ type: 'text', text: completion.text }] : []);
  const events: ModelEvent[] = [];
  for (const block of blocks) {
    if (block.type === 'text' && block.text) events.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking' && block.thinking) events.push({ type: 'thinking', text: block.thinking });
    else if (block.type === 'tool_use') events.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
  }
  return events;
}
