import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Completion, CompletionRequest, ContentBlock, Model, ModelEvent, TokenUsage } from '../models/model.js';
import { ModelCallError } from '../models/model-error.js';
import { ModelAbortError } from '../models/errors.js';
import { estimateTokens, inputTokensOf, toolUseTokens } from '../models/simulated/request.js';
import { requestProblem } from '../models/simulated/validate.js';
import { thinkingSignature } from '../models/simulated/signature.js';
import { ScriptExhaustedError } from './scripted-agent.js';

/** A tool call a scripted step makes: `id` defaults to `toolu_<n>` (n counting this model's tool calls from 1). */
export interface ScriptedToolCall {
  name: string;
  input: unknown;
  id?: string;
}

/** What every answering step may add: when it answers, its thinking, and usage to report instead of the estimate. */
interface ScriptedAnswerBase {
  /** Ms of the scheduler from the call to its answer. @default 0 */
  after?: number;
  /** Extended thinking, streamed as one `{ type: 'thinking' }` event and sent back as a signed thinking block. */
  thinking?: string;
  /** Token counts to report instead of the estimates (e.g. cache reads). @default estimated: 4 characters a token */
  usage?: Partial<TokenUsage>;
}

/**
 * One scripted call of a {@link scriptedModel}: answer a text, call tools (after an optional text),
 * answer JSON (structured output), fail with an error, or hang until cancelled.
 */
export type ScriptedModelStep =
  | (ScriptedAnswerBase & { text: string; stopReason?: string })
  | (ScriptedAnswerBase & { toolUse: readonly ScriptedToolCall[]; text?: string })
  | (ScriptedAnswerBase & { json: unknown })
  | { fail: unknown; after?: number }
  | { hang: true };

/** What a scripted model saw of one call, in scheduler time. */
export interface ScriptedModelCall {
  /** 0-based call number (refused requests count too). */
  index: number;
  request: CompletionRequest;
  startedAt: number;
  /** When it answered, failed or was cancelled; undefined while in flight. */
  endedAt?: number;
  result?: 'replied' | 'failed' | 'cancelled';
  /** Whether the caller's AbortSignal had aborted by the end of the call. */
  signalAborted?: boolean;
}

/** Settings of {@link scriptedModel}. */
export interface ScriptedModelOptions {
  /** Scheduler for the `after` delays. @default asyncScheduler (virtual inside `TestScheduler.run`) */
  scheduler?: SchedulerLike;
  /** What to do when the script runs out: repeat the last step, or fail with a `ScriptExhaustedError`. @default 'fail' */
  whenExhausted?: 'repeatLast' | 'fail';
  /** The model id reported when a request names none (`'simulated'` is priced at 0). @default 'simulated' */
  model?: string;
  /**
   * Check every request as the simulated provider does (the real API's rules: tool results that
   * answer the previous turn's calls, thinking blocks passed back, ...) and refuse a bad one with a
   * non-retryable `ModelCallError` `BAD_REQUEST` (400), without using a step. @default true
   */
  validate?: boolean;
}

/** A {@link Model} whose calls follow a script; see {@link scriptedModel}. */
export interface ScriptedModel extends Model {
  /** Every call so far, with its request. */
  readonly calls: readonly ScriptedModelCall[];
  /** Steps not played yet. */
  readonly remaining: number;
  /** Calls currently in flight. */
  readonly inFlight: number;
  /** The largest number of calls that were in flight at once. */
  readonly maxInFlight: number;
}

/**
 * A fake {@link Model} for marble-testing agents and pipelines: each call plays the next step of a
 * script after `after` ms of the scheduler (virtual time inside `TestScheduler.run`), so a whole
 * tool loop runs with exact frames. `stream` emits, at that moment and in this order, the step's
 * thinking (`{ type: 'thinking' }`), its text (`{ type: 'text' }`, when not empty), one
 * `{ type: 'tool_use' }` per tool call, then the completion; `complete` only the completion. The
 * completion carries the blocks (`content`: thinking with its signature, text, tool_use with ids
 * `toolu_<n>` unless given), `stopReason` (`'tool_use'` for tool calls, else `'end_turn'`) and
 * estimated usage. Requests are checked like the simulated provider's (see `validate`) and recorded
 * in `calls`. An aborted signal fails the call with a `ModelAbortError`; a script that runs out
 * fails it with a `ScriptExhaustedError` (`SCRIPT_EXHAUSTED`).
 *
 * ## Example
 * ```ts
 * import { scriptedModel } from 'rx-orchestra/testing';
 * const model = scriptedModel([
 *   { toolUse: [{ name: 'read_file', input: { path: 'README.md' } }], after: 20 },
 *   { thinking: 'The README says it all.', text: 'It is an RxJS orchestrator.', after: 30 },
 * ]);
 * // an agent over `model` with a read_file tool of 10 ms: the tool call at t = 20, the answer at t = 60
 * model.calls[1]?.request.prompt; // [{ type: 'tool_result', toolUseId: 'toolu_1', content: '...' }]
 * ```
 */
export function scriptedModel(script: readonly ScriptedModelStep[], options: ScriptedModelOptions = {}): ScriptedModel {
  const { scheduler = asyncScheduler, whenExhausted = 'fail', model = 'simulated', validate = true } = options;
  const calls: ScriptedModelCall[] = [];
  let played = 0;
  let toolUses = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const call = <T>(request: CompletionRequest, signal: AbortSignal | undefined, emit: (completion: Completion, events: ModelEvent[]) => T[]) =>
    new Observable<T>((subscriber) => {
      const record: ScriptedModelCall = { index: calls.length, request, startedAt: scheduler.now() };
      calls.push(record);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const end = (result: NonNullable<ScriptedModelCall['result']>) => {
        if (record.result) return;
        inFlight -= 1;
        Object.assign(record, { result, endedAt: scheduler.now() });
        record.signalAborted = signal?.aborted ?? false;
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: unknown) => {
        end('failed');
        subscriber.error(error);
      };
      const onAbort = () => fail(new ModelAbortError(signal?.reason));
      if (signal?.aborted) return onAbort();
      const problem = validate ? requestProblem(request) : undefined;
      if (problem) return fail(new ModelCallError('BAD_REQUEST', `scriptedModel: ${problem}`, { status: 400, provider: 'scripted' }));
      const step = script[played] ?? (whenExhausted === 'repeatLast' ? script[script.length - 1] : undefined);
      if (!step) return fail(new ScriptExhaustedError(`scriptedModel: no step for call #${record.index} (the script has ${script.length})`));
      played += 1;
      signal?.addEventListener('abort', onAbort, { once: true });
      if ('hang' in step) return () => end('cancelled');
      const timer = scheduler.schedule(() => {
        if ('fail' in step) return fail(step.fail);
        const completion = completionOf(step, request, scheduler.now() - record.startedAt, record.index);
        end('replied');
        for (const value of emit(completion, eventsOf(completion))) subscriber.next(value);
        subscriber.complete();
      }, step.after ?? 0);
      return () => {
        timer.unsubscribe();
        end('cancelled');
      };
    });

  const completionOf = (step: Exclude<ScriptedModelStep, { fail: unknown } | { hang: true }>, request: CompletionRequest, latencyMs: number, index: number): Completion => {
    const text = 'json' in step ? JSON.stringify(step.json) : (step.text ?? '');
    const toolUse = 'toolUse' in step ? step.toolUse : [];
    const content: ContentBlock[] = [];
    if (step.thinking !== undefined) content.push({ type: 'thinking', thinking: step.thinking, signature: thinkingSignature(step.thinking) });
    if (text !== '') content.push({ type: 'text', text });
    let outputTokens = estimateTokens(step.thinking ?? '') + estimateTokens(text);
    for (const { name, input, id } of toolUse) {
      content.push({ type: 'tool_use', id: id ?? `toolu_${++toolUses}`, name, input });
      outputTokens += toolUseTokens(name, input);
    }
    const rich = step.thinking !== undefined || toolUse.length > 0;
    return {
      text,
      ...(rich ? { content } : {}),
      usage: { inputTokens: inputTokensOf(request), outputTokens, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, ...step.usage },
      latencyMs,
      model: request.model ?? model,
      stopReason: toolUse.length > 0 ? 'tool_use' : 'stopReason' in step && step.stopReason !== undefined ? step.stopReason : 'end_turn',
      requestId: `req_scripted_${index + 1}`,
    };
  };

  return {
    model,
    cacheNamespace: 'scripted',
    stream: (request, signal) => call(request, signal, (completion, events) => [...events, { type: 'completion', completion }]),
    complete: (request, signal) => call(request, signal, (completion) => [completion]),
    calls,
    get remaining() {
      return Math.max(0, script.length - played);
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** The stream events of a completion's blocks: thinking, text, then tool calls. */
function eventsOf(completion: Completion): ModelEvent[] {
  const blocks = completion.content ?? (completion.text === '' ? [] : [{ type: 'text' as const, text: completion.text }]);
  return blocks.flatMap((block): ModelEvent[] => {
    if (block.type === 'thinking') return [{ type: 'thinking', text: block.thinking }];
    if (block.type === 'text') return [{ type: 'text', text: block.text }];
    if (block.type === 'tool_use') return [{ type: 'tool_use', id: block.id, name: block.name, input: block.input }];
    return [];
  });
}
