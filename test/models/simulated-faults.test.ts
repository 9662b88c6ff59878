import { describe, expect, it } from 'vitest';
import { asyncScheduler, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isRetryable, retryAfterOf } from 'rx-orchestra/operators';
import { errorInfo } from '../../src/run/outcome.js';
import { isSimulatedModelError, simulatedModel, type ModelEvent, type SimulatedFaults, type SimulatedModelOptions } from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1000, p95Ms: 1000 };
/** 'hi there' → '[sim] hi there': 4 tokens: '[sim', '] hi', ' the', 're'. */
const HI = { prompt: 'hi there' };

/** Runs `count` calls from t=0 to the end in virtual time; records each one's events, error and end. */
function runCalls(options: SimulatedModelOptions, count: number, stream = false) {
  return testScheduler().run(({ flush }) => {
    const model = simulatedModel(options);
    const calls = Array.from({ length: count }, () => {
      const seen: { events: ModelEvent[]; error?: unknown; at?: number } = { events: [] };
      const source: Observable<unknown> = stream ? model.stream(HI) : model.complete(HI);
      source.subscribe({
        next: (value) => {
          if (stream) seen.events.push(value as ModelEvent);
          seen.at = asyncScheduler.now();
        },
        error: (error: unknown) => Object.assign(seen, { error, at: asyncScheduler.now() }),
      });
      return seen;
    });
    flush();
    return calls;
  });
}

const codes = (calls: { error?: unknown }[]) => calls.map((call) => (isSimulatedModelError(call.error) ? call.error.code : 'ok'));

describe('simulatedModel fault injection', () => {
  it.each([
    [{ overloaded: 1 }, { code: 'OVERLOADED', status: 529 }, 250],
    [{ serverError: 1 }, { code: 'SERVER_ERROR', status: 500 }, 250],
    [{ rateLimited: 1 }, { code: 'RATE_LIMITED', status: 429 }, 20],
  ] as [SimulatedFaults, object, number][])('%j: a typed, retryable error at the right time', (faults, expected, at) => {
    const [call] = runCalls({ latency: FIXED, faults }, 1);
    expect(call!.error).toMatchObject({ name: 'SimulatedModelError', retryable: true, requestId: 'req_sim_1', ...expected });
    expect(isRetryable(call!.error)).toBe(true);
    expect(errorInfo(call!.error)).toMatchObject(expected); // what the run's events carry
    expect(call!.at).toBe(at);
  });

  it('gives an injected 429 a retry-after of 1 to 10 whole seconds, drawn from the seed', () => {
    const calls = runCalls({ latency: FIXED, faults: { rateLimited: 1 }, seed: 2 }, 200);
    const waits = calls.map((call) => retryAfterOf(call.error)!);
    expect(waits.every((ms) => Number.isInteger(ms / 1000) && ms >= 1_000 && ms <= 10_000)).toBe(true);
    expect(new Set(waits).size).toBe(10);
    expect(runCalls({ latency: FIXED, faults: { rateLimited: 1 }, seed: 2 }, 200).map((call) => retryAfterOf(call.error))).toEqual(waits);
  });

  it('drops a stream after part of its text: the text so far, then CONNECTION (no HTTP status)', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10, faults: { dropped: 1 }, seed: 2 });
      const dropped = expect.objectContaining({ code: 'CONNECTION', status: undefined, retryable: true, message: expect.stringContaining('after 2 of 4 output tokens') });
      // seed 2 cuts this answer after 2 of its 4 tokens: the third one would have come at 1200
      expectObservable(model.stream(HI)).toBe('1000ms a 99ms b 99ms #', { a: { type: 'text', text: '[sim' }, b: { type: 'text', text: '] hi' } }, dropped);
    });
  });

  it('drops every stream after at least one token and before the last, and errors complete() at the same time', () => {
    const streamed = runCalls({ latency: FIXED, outputTokensPerSecond: 10, faults: { dropped: 1 }, seed: 3 }, 100, true);
    const completed = runCalls({ latency: FIXED, outputTokensPerSecond: 10, faults: { dropped: 1 }, seed: 3 }, 100);
    for (const [i, call] of streamed.entries()) {
      const text = call.events.map((event) => (event.type === 'text' ? event.text : '')).join('');
      expect(call.error).toMatchObject({ code: 'CONNECTION' });
      expect('[sim] hi there'.startsWith(text) && text.length >= 4 && text.length < 14).toBe(true);
      expect(call.at).toBe(1_000 + (text.length / 4) * 100);
      expect(completed[i]!.at).toBe(call.at);
    }
    expect(new Set(streamed.map((call) => call.at)).size).toBe(3); // cut after 1, 2 or 3 tokens
  });

  it('without a generation rate, sends the partial text and the error together at the end', () => {
    const [call] = runCalls({ latency: FIXED, faults: { dropped: 1 } }, 1, true);
    expect(call!.events).toEqual([{ type: 'text', text: expect.stringMatching(/^\[sim/) }]);
    expect(call!.at).toBe(1_000);
  });

  it('injects each fault at about its share, and the rest succeed', () => {
    const calls = runCalls({ latency: FIXED, seed: 8, faults: { overloaded: 0.1, serverError: 0.15, rateLimited: 0.05, dropped: 0.2 } }, 4000);
    const share = (code: string) => codes(calls).filter((c) => c === code).length / calls.length;
    expect(share('OVERLOADED')).toBeCloseTo(0.1, 1);
    expect(share('SERVER_ERROR')).toBeCloseTo(0.15, 1);
    expect(share('RATE_LIMITED')).toBeCloseTo(0.05, 1);
    expect(share('CONNECTION')).toBeCloseTo(0.2, 1);
    expect(share('ok')).toBeCloseTo(0.5, 1);
  });

  it('gives the same faults for the same seed, and other faults for another seed', () => {
    const faults = { overloaded: 0.1, serverError: 0.1, rateLimited: 0.1, dropped: 0.1 };
    const sequence = (seed: number) => runCalls({ seed, faults }, 60).map((call) => [codes([call])[0], call.at, retryAfterOf(call.error)]);
    expect(sequence(31)).toEqual(sequence(31));
    expect(sequence(31)).not.toEqual(sequence(32));
  });

  it('keeps failureRate as the shorthand for overloaded: same calls fail, at the same times', () => {
    const shorthand = runCalls({ seed: 5, failureRate: 0.3 }, 50);
    const spelled = runCalls({ seed: 5, faults: { overloaded: 0.3 } }, 50);
    expect(codes(spelled)).toEqual(codes(shorthand));
    expect(spelled.map((call) => call.at)).toEqual(shorthand.map((call) => call.at));
  });

  it('adds new faults without moving the overloads or the latencies of the seed', () => {
    const base = runCalls({ seed: 5, failureRate: 0.2 }, 50);
    const more = runCalls({ seed: 5, failureRate: 0.2, faults: { serverError: 0.2, dropped: 0.1 } }, 50);
    codes(base).forEach((code, i) => {
      if (code === 'OVERLOADED') expect(codes([more[i]!])[0]).toBe('OVERLOADED');
      if (codes([more[i]!])[0] === 'ok') expect(more[i]!.at).toBe(base[i]!.at); // the same latency
    });
    expect(codes(more).filter((code) => code === 'OVERLOADED').length).toBe(codes(base).filter((code) => code === 'OVERLOADED').length);
  });

  it('rejects bad fault settings with typed errors naming the field', () => {
    expect(() => simulatedModel({ faults: { serverError: 1.2 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'faults.serverError' }));
    expect(() => simulatedModel({ faults: { overloaded: 0.6, dropped: 0.6 } })).toThrow(expect.objectContaining({ field: 'faults' }));
    expect(() => simulatedModel({ failureRate: 0.1, faults: { overloaded: 0.2 } })).toThrow(expect.objectContaining({ field: 'faults.overloaded' }));
    expect(() => simulatedModel({ failureRate: 0.2, faults: { overloaded: 0.2, serverError: 0.8 } })).not.toThrow();
    expect(() => simulatedModel({ quota: { requestsPerMinute: -1 } })).toThrow(expect.objectContaining({ field: 'quota.requestsPerMinute' }));
  });
});
