import { Observable, defer, type MonoTypeOperatorFunction, type Subscription } from 'rxjs';
import type { z } from 'zod';
import type { NodeContext } from '../graph/node-spec.js';
import type { ChatTurn, Completion, CompletionRequest, MessageContent } from '../models/model.js';
import { streamCall, type NodeModel } from '../nodes/model-call.js';
import { tagStep } from '../models/call-scope.js';
import { isBudgetStopError } from '../budget/errors.js';
import { isRetryable, retryWithBackoff, type RetryConfig } from '../../operators/retry.js';
import { errorInfo } from '../run/outcome.js';
import { parseStructured, repairPrompt } from '../nodes/structured-output.js';
import { AgentNodeError, isAgentNodeError, type AgentNodeErrorCode } from './errors.js';
import { emitReport } from './report.js';
import { runToolCalls, type ToolCallOutcome, type ToolRunSettings } from './tool-runner.js';
import { Conversation, assistantTurn, toolUsesOf, type Transcript } from './transcript.js';

/** Where an agent's transcript goes: `agent.finished` only, also the value (`{ answer, transcript }`), or nowhere. */
export type TranscriptMode = 'event' | 'value' | 'none';

/** What the loop runs with, settled by `agent()` and the attempt. @internal */
export interface AgentLoopSettings<T> {
  readonly model: NodeModel;
  /** Every field of each call but the conversation (`history`, `prompt`). */
  readonly request: Omit<CompletionRequest, 'prompt' | 'history'>;
  readonly tools: ToolRunSettings;
  readonly maxSteps: number;
  readonly maxConsecutiveToolErrors: number;
  readonly output: { readonly schema: z.ZodType<T>; readonly repairs: number } | undefined;
  readonly transcript: TranscriptMode;
  /** How each step's model call is retried (`agent({ callRetry })`); undefined: not at all. */
  readonly callRetry: AgentCallRetryConfig | undefined;
}

/**
 * How an agent retries a failed model call within its loop (`agent({ callRetry })`): the retries
 * and their backoff, and the longest retry-after honoured. Fields as in `retryWithBackoff`.
 */
export type AgentCallRetryConfig = Pick<RetryConfig, 'count' | 'initialDelay' | 'factor' | 'maxDelay' | 'jitter' | 'maxRetryAfter'>;

/**
 * The reactive agent loop, for one attempt of an agent node: model call (streamed like `llm()`) ->
 * if it asked for tools, `agent.step`, run them all (see {@link runToolCalls}), append the assistant
 * turn and one `tool_result` per `tool_use` -> next call; until the model ends its turn (the value:
 * its text, or its JSON parsed by the `output` schema, repaired by feeding the issues back) or
 * `maxSteps` calls were made. A call that fails with a retryable error is sent again, the same
 * request, after a backoff (`callRetry`, on the node's scheduler, an error's retry-after honoured;
 * `agent.retrying` each time): a retry is the same step, and no tool runs again. Retries spent, the
 * node fails with the call's error. Emits the value once, after `agent.finished`. Unsubscribing aborts the
 * call, the retry wait or the tools in flight. Stopped by the run's budget (its signal aborts with a
 * `BudgetStopError`), it emits `agent.finished` with reason `budget` and the transcript so far, from
 * its abort listener: the run lets that last report through before it skips the node. Steps that complete synchronously are chained in a loop, not by
 * recursion, so a long loop of instant fakes does not grow the stack. @internal
 */
export function agentLoop<T>(prompt: MessageContent, settings: AgentLoopSettings<T>, ctx: NodeContext<unknown>): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const { maxSteps, output } = settings;
    const conversation = new Conversation(prompt);
    let step = 0;
    let toolCalls = 0;
    let consecutiveErrors = 0;
    let repairsLeft = output?.repairs ?? 0;
    let current: Subscription | undefined;
    const tools: ToolRunSettings = { ...settings.tools, transcript: () => conversation.snapshot() };
    const retried = callRetryOf(settings.callRetry, ctx, () => step);

    // A trampoline: a step that completes while the previous one is still on the stack only leaves
    // its continuation here; the outer `drive` runs it once the stack has unwound.
    let pending: (() => void) | undefined;
    let driving = false;
    const drive = (next: () => void) => {
      pending = next;
      if (driving) return;
      driving = true;
      try {
        while (pending && !subscriber.closed) {
          const run = pending;
          pending = undefined;
          run();
        }
      } finally {
        driving = false;
        pending = undefined;
      }
    };

    const transcriptField = (): { transcript?: ChatTurn[] } => (settings.transcript === 'none' ? {} : { transcript: conversation.snapshot() });

    const finish = (reason: string, answer: unknown) => {
      emitReport(ctx, { type: 'agent.finished', steps: step, reason, toolCalls, ...transcriptField() });
      subscriber.next(settings.transcript === 'value' ? { answer, transcript: conversation.snapshot() } : answer);
      subscriber.complete();
    };

    const fail = (error: unknown) => {
      if (subscriber.closed) return;
      if (ctx.signal.aborted) return void subscriber.error(error); // torn down: nothing more to report
      const maxed = isAgentNodeError(error) && error.code === 'MAX_STEPS';
      emitReport(ctx, { type: 'agent.finished', steps: step, reason: maxed ? 'max_steps' : 'failed', toolCalls, ...transcriptField() });
      subscriber.error(error);
    };

    const failWith = (code: AgentNodeErrorCode, message: string, extra: { rawText?: string; issues?: readonly string[] } = {}) =>
      fail(new AgentNodeError(code, ctx.nodeId, message, { transcript: conversation.snapshot(), steps: step, ...extra }));

    const callModel = () => {
      if (ctx.signal.aborted) return; // stopped between steps (run cancelled, over budget): the teardown follows
      step += 1;
      const startedAt = ctx.scheduler.now();
      let completion: Completion | undefined;
      const request: CompletionRequest = { ...settings.request, ...conversation.request() };
      tagStep(request, { step, stepStartedAt: startedAt }); // the SDK's spans of this call (and its retries) nest under the step's (src/models/call-scope.ts)
      // Each attempt is a new call of the same request; only the attempt that answers emits a completion.
      const call = retried ? defer(() => (ctx.signal.aborted ? abortedCall(ctx.signal) : streamCall(settings.model, request, ctx))).pipe(retried) : streamCall(settings.model, request, ctx);
      current = call.subscribe({
        next: (answer) => (completion = answer),
        error: fail,
        complete: () => {
          if (completion) {
            const answer = completion;
            drive(() => afterCall(answer, ctx.scheduler.now() - startedAt));
          } else failWith('NO_ANSWER', `the model's stream at step ${step} ended without an answer`);
        },
      });
    };

    const afterCall = (completion: Completion, durationMs: number) => {
      const uses = toolUsesOf(completion);
      const stopReason = completion.stopReason ?? (uses.length > 0 ? 'tool_use' : 'end_turn');
      const { inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens } = completion.usage;
      const tokens = {
        inputTokens,
        outputTokens,
        ...(cacheCreationInputTokens !== undefined ? { cacheCreationInputTokens } : {}),
        ...(cacheReadInputTokens !== undefined ? { cacheReadInputTokens } : {}),
      };
      emitReport(ctx, { type: 'agent.step', step, stopReason, toolCalls: uses.length, tokens, durationMs });
      conversation.append(assistantTurn(completion));
      if (uses.length > 0) {
        if (step >= maxSteps) return failWith('MAX_STEPS', `the model still asked for tools after ${maxSteps} step(s) (maxSteps)`);
        toolCalls += uses.length;
        let outcomes: ToolCallOutcome[] = [];
        current = runToolCalls(uses, step, tools, ctx).subscribe({
          next: (ended) => (outcomes = ended),
          error: fail,
          complete: () => drive(() => afterTools(outcomes)),
        });
        return;
      }
      const text = completion.text;
      if (!output) {
        if (text.trim() === '') return failWith('NO_ANSWER', `the model ended its turn (${stopReason}) at step ${step} without text or tool calls`);
        return finish(stopReason, text);
      }
      const parsed = parseStructured(text, output.schema);
      if (parsed.ok) return finish('output', parsed.value);
      if (repairsLeft > 0 && step < maxSteps) {
        repairsLeft -= 1;
        conversation.append({ role: 'user', content: repairPrompt(parsed.issues) });
        return callModel();
      }
      const why = repairsLeft > 0 ? `no step left for a repair (maxSteps ${maxSteps})` : `${output.repairs} repair(s)`;
      failWith('INVALID_OUTPUT', `output did not match its schema after ${why}: ${parsed.issues.join('; ')}`, { rawText: text, issues: parsed.issues });
    };

    const afterTools = (outcomes: readonly ToolCallOutcome[]) => {
      for (const outcome of outcomes) {
        if (outcome.status === 'error') consecutiveErrors += 1;
        else if (outcome.status === 'ok') consecutiveErrors = 0;
      }
      conversation.append({ role: 'user', content: outcomes.map((outcome) => outcome.result) });
      if (consecutiveErrors > settings.maxConsecutiveToolErrors) {
        return failWith('TOO_MANY_TOOL_ERRORS', `${consecutiveErrors} tool calls in a row failed (maxConsecutiveToolErrors ${settings.maxConsecutiveToolErrors})`);
      }
      callModel();
    };

    // The run's budget stop aborts the signal with a BudgetStopError and lets what is reported from
    // this listener through (synchronously): the loop says where it stopped.
    const { signal } = ctx;
    const onAbort = () => {
      if (subscriber.closed || !isBudgetStopError(signal.reason)) return;
      emitReport(ctx, { type: 'agent.finished', steps: step, reason: 'budget', toolCalls, ...transcriptField() });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    drive(callModel);
    return () => {
      signal.removeEventListener('abort', onAbort);
      current?.unsubscribe();
    };
  });
}

/**
 * The retry of each step's model call, or undefined for none: `retryWithBackoff` on the node's
 * scheduler, emitting `agent.retrying`. An error is retried when the engine says it is retryable
 * (429, 529, 5xx, a dropped connection, a deadline; not a 400, a refused retry-after, an open
 * breaker) and the node has not been stopped: a call that fails because its node was cancelled is
 * not sent again. The run's retry budget and random source are not part of a node's context: the
 * retries are bounded by `count` only, and jittered with `Math.random`.
 */
function callRetryOf(config: AgentCallRetryConfig | undefined, ctx: NodeContext<unknown>, step: () => number): MonoTypeOperatorFunction<Completion> | undefined {
  if (!config || config.count === 0) return undefined;
  return retryWithBackoff<Completion>({
    ...config,
    scheduler: ctx.scheduler,
    retryIf: (error) => !ctx.signal.aborted && isRetryable(error),
    onRetry: ({ attempt, error, delayMs }) => emitReport(ctx, { type: 'agent.retrying', step: step(), callAttempt: attempt, delayMs, error: errorInfo(error) }),
  });
}

/** An attempt that starts after its node was stopped: fails with the signal's reason, calls nothing. */
function abortedCall(signal: AbortSignal): Observable<never> {
  return new Observable<never>((subscriber) => subscriber.error(signal.reason));
}

export type { Transcript };
