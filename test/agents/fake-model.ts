/**
 * A hand-written scripted Model for agent tests in virtual time: each call answers the next turn of
 * the script after `after` ms (on the ambient scheduler, virtual inside `TestScheduler.run`), with
 * thinking, text and tool_use blocks, and records what it was asked and how often it was cancelled.
 */
import { Observable, asyncScheduler, type Subscription } from 'rxjs';
import type { Completion, CompletionRequest, ContentBlock, Model, ModelEvent, TokenUsage } from '../../src/models/model.js';

/** One answer of the script. */
export interface FakeTurn {
  /** Time to the answer, in ms. @default 10 */
  after?: number;
  text?: string;
  thinking?: string;
  toolUse?: readonly { name: string; input: unknown; id?: string }[];
  usage?: TokenUsage;
  stopReason?: string;
}

export interface FakeModel extends Model {
  /** Every request, in call order. */
  readonly requests: CompletionRequest[];
  /** When each call started (scheduler ms). */
  readonly startedAt: number[];
  /** Calls unsubscribed before their answer. */
  readonly cancelled: number;
  /** Calls whose signal was aborted (before or after their teardown) without an answer. */
  readonly aborted: number;
}

/**
 * A model that answers `script[i]` to its i-th call (a function: computed from the request and the
 * call's index). An exhausted script fails the call.
 */
export function fakeModel(script: readonly FakeTurn[] | ((request: CompletionRequest, index: number) => FakeTurn), options: { model?: string } = {}): FakeModel {
  const requests: CompletionRequest[] = [];
  const startedAt: number[] = [];
  let cancelled = 0;
  const calls: { signal: AbortSignal | undefined; done: boolean }[] = [];
  let ids = 0;
  const stream = (request: CompletionRequest, signal?: AbortSignal): Observable<ModelEvent> =>
    new Observable<ModelEvent>((subscriber) => {
      const index = requests.length;
      requests.push(structuredClone(request));
      startedAt.push(asyncScheduler.now());
      const turn = typeof script === 'function' ? script(request, index) : script[index];
      if (!turn) {
        subscriber.error(new Error(`fake model: no turn ${index + 1} in the script`));
        return undefined;
      }
      const call = { signal, done: false };
      calls.push(call);
      const timer: Subscription = asyncScheduler.schedule(() => {
        call.done = true;
        const content: ContentBlock[] = [];
        if (turn.thinking !== undefined) {
          subscriber.next({ type: 'thinking', text: turn.thinking });
          content.push({ type: 'thinking', thinking: turn.thinking, signature: `sig-${index + 1}` });
        }
        if (turn.text !== undefined) {
          subscriber.next({ type: 'text', text: turn.text });
          content.push({ type: 'text', text: turn.text });
        }
        for (const use of turn.toolUse ?? []) {
          const block = { type: 'tool_use' as const, id: use.id ?? `toolu_${++ids}`, name: use.name, input: use.input };
          subscriber.next(block);
          content.push(block);
        }
        const completion: Completion = {
          text: turn.text ?? '',
          content,
          usage: turn.usage ?? { inputTokens: 100, outputTokens: 10 },
          latencyMs: turn.after ?? 10,
          model: request.model ?? model.model,
          stopReason: turn.stopReason ?? (turn.toolUse?.length ? 'tool_use' : 'end_turn'),
        };
        subscriber.next({ type: 'completion', completion });
        subscriber.complete();
      }, turn.after ?? 10);
      return () => {
        if (!call.done) cancelled += 1;
        timer.unsubscribe();
      };
    });
  const model: FakeModel = {
    model: options.model ?? 'claude-haiku-4-5',
    requests,
    startedAt,
    get cancelled() {
      return cancelled;
    },
    get aborted() {
      return calls.filter((call) => !call.done && call.signal?.aborted === true).length;
    },
    stream,
    complete: (request, signal) =>
      new Observable<Completion>((subscriber) =>
        stream(request, signal).subscribe({
          next: (event) => {
            if (event.type === 'completion') subscriber.next(event.completion);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      ),
  };
  return model;
}
