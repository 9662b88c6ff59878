import { catchError, defer, forkJoin, from, isObservable, map, mergeMap, of, throwError, type Observable, type SchedulerLike } from 'rxjs';
import type { NodeContext } from '../graph/node-spec.js';
import { attempt } from '../../operators/attempt.js';
import { timeout } from '../../operators/timeout.js';
import { retryWithBackoff } from '../../operators/retry.js';
import { ConcurrencyLimiter } from '../../operators/concurrency-limiter.js';
import { limitConcurrency } from '../../operators/limit-concurrency.js';
import { errorInfo } from '../run/outcome.js';
import type { Tool, ToolContext, ToolResultContent } from './tool.js';
import { AgentNodeError, ToolCallError, isToolCallError } from './errors.js';
import { emitReport } from './report.js';
import type { ToolResultBlock, ToolUseBlock, Transcript } from './transcript.js';

/** A tool of any input, value and context type, as the runner holds it. @internal */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tools of every input type go in one list
export type AnyTool = Tool<any, any, any>;

/** What the runner needs besides the calls. @internal */
export interface ToolRunSettings {
  /** The agent's tools by name. */
  readonly tools: ReadonlyMap<string, AnyTool>;
  /** A tool that throws or times out: an error result the model reads, or the node fails. */
  readonly onToolError: 'report' | 'fail';
  /** The conversation so far, for the `TOOL_FAILED` error. */
  readonly transcript?: () => Transcript;
}

/** How one tool call ended, as the loop counts it. @internal */
export interface ToolCallOutcome {
  /** The `tool_result` block the model reads. */
  readonly result: ToolResultBlock;
  /** `ok`: answered; `error`: failed (unknown tool, invalid input, threw, timed out); `refused`: `approve` said no. */
  readonly status: 'ok' | 'error' | 'refused';
}

/** One limiter per tool object and scheduler, shared by every agent (and run) that uses the tool. */
const limiters = new WeakMap<AnyTool, WeakMap<SchedulerLike, ConcurrencyLimiter>>();

function limiterOf(tool: AnyTool, scheduler: SchedulerLike): ConcurrencyLimiter | undefined {
  if (tool.concurrency === undefined) return undefined;
  let byScheduler = limiters.get(tool);
  if (!byScheduler) limiters.set(tool, (byScheduler = new WeakMap()));
  let limiter = byScheduler.get(scheduler);
  if (!limiter) byScheduler.set(scheduler, (limiter = new ConcurrencyLimiter(tool.concurrency, { scheduler })));
  return limiter;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Characters of a result as the model reads it (text; an image counts as none). */
function charsOf(content: ToolResultContent): number {
  if (typeof content === 'string') return content.length;
  let chars = 0;
  for (const block of content) if (block.type === 'text') chars += block.text.length;
  return chars;
}

/**
 * Runs one step's tool calls, all at once (each under its tool's concurrency limit, deadline and
 * retries; `approve` first), and emits, in order, the list of outcomes, one `tool_result` per
 * `tool_use`. Emits `tool.called` for each call as it starts, then `tool.succeeded` or `tool.failed`
 * with its duration. An unknown tool name or input that fails the tool's schema never runs: the
 * model gets an error result with the issues. A call that throws or times out is an error result,
 * or (with `onToolError: 'fail'`) fails with a `TOOL_FAILED` {@link AgentNodeError}, which
 * unsubscribes, and so aborts, the calls still running. Unsubscribing aborts every running call's
 * signal. @internal
 */
export function runToolCalls(uses: readonly ToolUseBlock[], step: number, settings: ToolRunSettings, ctx: NodeContext<unknown>): Observable<ToolCallOutcome[]> {
  return forkJoin(uses.map((use) => runToolCall(use, step, settings, ctx)));
}

function runToolCall(use: ToolUseBlock, step: number, settings: ToolRunSettings, ctx: NodeContext<unknown>): Observable<ToolCallOutcome> {
  return defer(() => {
    const { scheduler } = ctx;
    const startedAt = scheduler.now();
    const base = { step, tool: use.name, toolUseId: use.id };
    emitReport(ctx, { type: 'tool.called', ...base, input: use.input });

    const failed = (error: unknown, content: string, status: 'error' | 'refused'): ToolCallOutcome => {
      emitReport(ctx, { type: 'tool.failed', ...base, durationMs: scheduler.now() - startedAt, error: errorInfo(error), handling: 'reported' });
      return { result: { type: 'tool_result', toolUseId: use.id, content, isError: true }, status };
    };

    const tool = settings.tools.get(use.name);
    if (!tool) {
      const known = [...settings.tools.keys()];
      const message = `Unknown tool '${use.name}'. Available tools: ${known.length > 0 ? known.join(', ') : 'none'}.`;
      return of(failed(new ToolCallError('UNKNOWN_TOOL', use.name, message), message, 'error'));
    }
    const checked = tool.check(use.input);
    if (!checked.ok) {
      const message = `Invalid input for tool '${use.name}':\n${checked.issues.map((issue) => `- ${issue}`).join('\n')}`;
      return of(failed(new ToolCallError('INVALID_INPUT', use.name, message, { issues: checked.issues }), message, 'error'));
    }

    const contextFor = (signal: AbortSignal): ToolContext => ({
      signal,
      scheduler,
      context: ctx.context,
      runId: ctx.runId,
      nodeId: ctx.nodeId,
      toolUseId: use.id,
      step,
      ...(ctx.waitForApproval ? { waitForApproval: ctx.waitForApproval } : {}),
    });
    // One try: the tool's run with its own signal, under its deadline (from admission), holding a slot.
    let once = attempt((handle) => tool.run(checked.value, contextFor(handle.signal)), {
      signal: ctx.signal,
      empty: () => new ToolCallError('NO_RESULT', tool.name, `Tool '${tool.name}' completed without a result.`),
    });
    if (tool.timeout !== false) {
      const ms = tool.timeout;
      once = once.pipe(timeout({ total: ms, scheduler, with: () => new ToolCallError('TIMED_OUT', tool.name, `Tool '${tool.name}' timed out after ${ms} ms.`, { timeoutMs: ms }) }));
    }
    const limiter = limiterOf(tool, scheduler);
    if (limiter) once = once.pipe(limitConcurrency(limiter, { signal: ctx.signal }));
    const retried = tool.retry > 0 ? once.pipe(retryWithBackoff({ count: tool.retry, scheduler })) : once;

    const approved: Observable<unknown> = tool.approve
      ? defer(() => {
          const verdict = tool.approve!(checked.value, contextFor(ctx.signal));
          // A plain answer or an Observable (a person's decision on the run's stream) stays in the run's time.
          return isObservable(verdict) ? verdict : isThenable(verdict) ? from(verdict) : of(verdict);
        }).pipe(
          mergeMap((verdict) => {
            if (verdict === true) return retried;
            const reason = typeof verdict === 'string' && verdict !== '' ? verdict : `the call to '${tool.name}' was not approved`;
            return throwError(() => new ToolCallError('REFUSED', tool.name, `Refused: ${reason}`));
          }),
        )
      : retried;

    return approved.pipe(
      map((value): ToolCallOutcome => {
        const content = tool.format(value);
        emitReport(ctx, { type: 'tool.succeeded', ...base, durationMs: scheduler.now() - startedAt, resultChars: charsOf(content) });
        return { result: { type: 'tool_result', toolUseId: use.id, content }, status: 'ok' };
      }),
      catchError((error: unknown) => {
        if (ctx.signal.aborted) throw error; // cancelled with the node: nothing to report
        if (isToolCallError(error) && error.code === 'REFUSED') return of(failed(error, error.message, 'refused'));
        const message = isToolCallError(error) ? error.message : `Tool '${tool.name}' failed: ${error instanceof Error ? error.message : String(error)}`;
        if (settings.onToolError === 'report') return of(failed(error, message, 'error'));
        emitReport(ctx, { type: 'tool.failed', ...base, durationMs: scheduler.now() - startedAt, error: errorInfo(error), handling: 'fatal' });
        throw new AgentNodeError('TOOL_FAILED', ctx.nodeId, `tool '${tool.name}' (call ${use.id}, step ${step}) failed: ${error instanceof Error ? error.message : String(error)}`, {
          tool: tool.name,
          toolUseId: use.id,
          steps: step,
          ...(settings.transcript ? { transcript: settings.transcript() } : {}),
          cause: error,
        });
      }),
    );
  });
}
