import { Observable, asyncScheduler, type SchedulerLike } from 'rxjs';
import { RxOrchestraError, brandError } from '../errors/rx-orchestra-error.js';

/** One scripted call: reply with a value, fail with an error, or hang until cancelled, after `after` ms. */
export type ScriptStep<T> =
  | { reply: T; after?: number }
  | { fail: unknown; after?: number }
  | { hang: true };

/** What a scripted agent saw of one call, in scheduler time. */
export interface CallRecord<I> {
  /** 0-based call number. */
  index: number;
  input: I;
  startedAt: number;
  /** When it replied, failed or was cancelled; undefined while in flight. */
  endedAt?: number;
  result?: 'replied' | 'failed' | 'cancelled';
  /** Whether the caller's AbortSignal had aborted by the end of the call. */
  signalAborted?: boolean;
}

/** Settings of {@link scriptedAgent}. */
export interface ScriptedAgentOptions {
  /** Scheduler for the latencies. @default asyncScheduler (virtual inside `TestScheduler.run`) */
  scheduler?: SchedulerLike;
  /** What to do when the script runs out: repeat the last step, or fail. @default 'fail' */
  whenExhausted?: 'repeatLast' | 'fail';
}

/** A fake agent whose every call follows a script; see {@link scriptedAgent}. */
export interface ScriptedAgent<I, T> {
  /** Makes a call: a cold Observable that plays the next script step when subscribed. */
  call(input: I, signal?: AbortSignal): Observable<T>;
  /** Every call so far. */
  readonly calls: readonly CallRecord<I>[];
  /** Calls currently in flight. */
  readonly inFlight: number;
  /** The largest number of calls that were in flight at once. */
  readonly maxInFlight: number;
}

/** Raised by a scripted agent whose script ran out. */
export class ScriptExhaustedError extends RxOrchestraError {
  static {
    brandError(this, 'ScriptExhaustedError');
  }
  override readonly name = 'ScriptExhaustedError';
  readonly code = 'SCRIPT_EXHAUSTED' as const;
  readonly retryable = false;
}

/**
 * A fake agent (or model) for marble-testing your own pipelines: each call plays the next step
 * of a script (reply, fail, or hang) after a latency, on a scheduler, so retries, timeouts and
 * concurrency play out exactly in virtual time. It records every call (start, end, result,
 * whether its signal aborted) and the peak number of calls in flight.
 *
 * ## Example
 * ```ts
 * import { scriptedAgent } from 'rx-orchestra/testing';
 * const writer = scriptedAgent<string, string>([
 *   { fail: Object.assign(new Error('overloaded'), { status: 529 }), after: 10 },
 *   { reply: 'draft v1', after: 30 },
 * ]);
 * graph().node('draft', { run: ({ signal }) => writer.call('write', signal), retry: 1 });
 * // in TestScheduler.run: the draft succeeds at t = 10 + backoff + 30
 * ```
 */
export function scriptedAgent<I, T>(script: readonly ScriptStep<T>[], options: ScriptedAgentOptions = {}): ScriptedAgent<I, T> {
  const { scheduler = asyncScheduler, whenExhausted = 'fail' } = options;
  const calls: CallRecord<I>[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  const call = (input: I, signal?: AbortSignal) =>
    new Observable<T>((subscriber) => {
      const index = calls.length;
      const record: CallRecord<I> = { index, input, startedAt: scheduler.now() };
      calls.push(record);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const end = (result: NonNullable<CallRecord<I>['result']>) => {
        if (record.result) return;
        inFlight -= 1;
        Object.assign(record, { result, endedAt: scheduler.now() });
        // The signal aborts after teardown; look again once the caller is done tearing down.
        record.signalAborted = signal?.aborted ?? false;
        signal?.addEventListener('abort', () => (record.signalAborted = true), { once: true });
      };
      const step = script[index] ?? (whenExhausted === 'repeatLast' ? script[script.length - 1] : undefined);
      if (!step) {
        end('failed');
        subscriber.error(new ScriptExhaustedError(`scripted agent: no step for call #${index} (script has ${script.length})`));
        return;
      }
      if ('hang' in step) return () => end('cancelled');
      const timer = scheduler.schedule(() => {
        if ('fail' in step) {
          end('failed');
          subscriber.error(step.fail);
        } else {
          end('replied');
          subscriber.next(step.reply);
          subscriber.complete();
        }
      }, step.after ?? 0);
      return () => {
        timer.unsubscribe();
        end('cancelled');
      };
    });

  return {
    call,
    calls,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  };
}
