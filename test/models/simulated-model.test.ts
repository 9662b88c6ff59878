import { describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom, merge, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { isRetryable } from 'rx-orchestra/operators';
import {
  ModelAbortError,
  ModelOptionsError,
  SimulatedModelError,
  isModelAbortError,
  isSimulatedModelError,
  logNormalLatency,
  seededRandom,
  simulatedModel,
  type Completion,
} from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1000, p95Ms: 1000 }; // p95 = median: every call takes exactly 1000 ms

/** Subscribes and records what the call did, in virtual time (inside `TestScheduler.run`; read it after `flush()`). */
function record<T>(source: Observable<T>) {
  const seen: { value?: T; error?: unknown; at?: number } = {};
  source.subscribe({
    next: (value) => Object.assign(seen, { value, at: asyncScheduler.now() }),
    error: (error: unknown) => Object.assign(seen, { error, at: asyncScheduler.now() }),
  });
  return seen;
}

describe('seededRandom and logNormalLatency', () => {
  it('repeats a sequence for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draws latencies whose median and 95th percentile match the profile', () => {
    const random = seededRandom(7);
    const draws = Array.from({ length: 20_000 }, () => logNormalLatency({ medianMs: 1200, p95Ms: 2500 }, random)).sort((a, b) => a - b);
    expect(draws[10_000]! / 1200).toBeCloseTo(1, 1);
    expect(draws[19_000]! / 2500).toBeCloseTo(1, 1);
  });

  it('rejects bad settings with typed errors naming the field', () => {
    expect(() => seededRandom(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'seed' }));
    expect(() => logNormalLatency({ medianMs: 1000, p95Ms: 900 }, Math.random)).toThrow(ModelOptionsError);
    expect(() => simulatedModel({ failureRate: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'failureRate' }));
    expect(() => simulatedModel({ latency: { medianMs: 0, p95Ms: 10 } })).toThrow(expect.objectContaining({ field: 'latency.medianMs' }));
    expect(() => simulatedModel({ outputTokensPerSecond: 0 })).toThrow(expect.objectContaining({ field: 'outputTokensPerSecond' }));
  });
});

describe('simulatedModel', () => {
  it('answers after its latency, in virtual time', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED });
      const expected: Completion = {
        text: '[sim] Explain marble tests to a new colleague',
        usage: { inputTokens: Math.ceil('Explain marble tests to a new colleague'.length / 4) + Math.ceil('Be brief.'.length / 4), outputTokens: 12 },
        latencyMs: 1000,
        model: 'simulated',
      };
      expectObservable(model.complete({ prompt: 'Explain marble tests to a new colleague', system: 'Be brief.' })).toBe('1000ms (a|)', { a: expected });
    });
  });

  it('is cold: every subscription is a new call with its own latency', () => {
    testScheduler().run(({ expectObservable }) => {
      const model = simulatedModel({ latency: FIXED, outputTokensPerSecond: 10 });
      const call = model.complete({ prompt: 'one two three four five six seven eight nine ten' }); // 12 output tokens
      const ends = merge(call, call).pipe(toArray());
      // each call: 1000 ms to the first token + 12 tokens at 10 tokens/s = 2200 ms, both in parallel
      expectObservable(ends).toBe('2200ms (a|)', { a: [expect.objectContaining({ latencyMs: 2200 }), expect.objectContaining({ latencyMs: 2200 })] });
    });
  });

  it('is deterministic for a seed', () => {
    const latencies = (seed: number) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed });
        const calls = Array.from({ length: 8 }, (_, i) => record(model.complete({ prompt: `question ${i}` })));
        flush();
        return calls.map((call) => [call.value?.latencyMs, call.at]);
      });
    expect(latencies(3)).toEqual(latencies(3));
    expect(latencies(3)).not.toEqual(latencies(4));
    for (const [latencyMs, at] of latencies(3)) expect(at).toBe(latencyMs);
  });

  it('injects typed, retryable OVERLOADED errors at about the requested rate', () => {
    testScheduler().run(({ flush }) => {
      const model = simulatedModel({ seed: 11, failureRate: 0.2, latency: FIXED });
      const calls = Array.from({ length: 2000 }, () => record(model.complete({ prompt: 'hi' })));
      flush();
      const failures = calls.filter((call) => call.error !== undefined);
      expect(failures.length / calls.length).toBeGreaterThan(0.17);
      expect(failures.length / calls.length).toBeLessThan(0.23);
      for (const { error, at } of failures) {
        expect(error).toBeInstanceOf(SimulatedModelError);
        expect(error).toMatchObject({ code: 'OVERLOADED', status: 529, retryable: true });
        expect(isSimulatedModelError(error) && isRetryable(error)).toBe(true);
        expect(at).toBe(250); // an overload is reported after a quarter of the latency
      }
    });
  });

  it('does not shift latencies when the failure rate changes', () => {
    const latencies = (failureRate: number) =>
      testScheduler().run(({ flush }) => {
        const model = simulatedModel({ seed: 5, failureRate });
        const calls = Array.from({ length: 20 }, () => record(model.complete({ prompt: 'hi' })));
        flush();
        return calls
          .filter((call) => call.value)
          .map((call) => call.value!.latencyMs);
      });
    const all = latencies(0);
    const some = latencies(0.5);
    expect(some.length).toBeLessThan(all.length);
    expect(some.every((latency) => all.includes(latency))).toBe(true);
  });

  it('cancels the call when unsubscribed: nothing is emitted, no timer is left', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const model = simulatedModel({ latency: FIXED });
      expectObservable(model.complete({ prompt: 'hi' }), '^ 500ms !').toBe('');
      flush();
      expect(scheduler.frame).toBe(501); // the reply, due at 1000, was taken off the queue
    });
  });

  it('errors with a typed AbortError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort('user left');
    const error: unknown = await lastValueFrom(simulatedModel().complete({ prompt: 'hi' }, controller.signal)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelAbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED', retryable: false, cause: 'user left' });
    expect(isModelAbortError(error)).toBe(true);
  });

  it('errors when the signal aborts mid-call, at that moment, and stops the timer', () => {
    const scheduler = testScheduler();
    scheduler.run(({ expectObservable, flush }) => {
      const controller = new AbortController();
      asyncScheduler.schedule(() => controller.abort(), 300);
      expectObservable(simulatedModel({ latency: FIXED }).complete({ prompt: 'hi' }, controller.signal)).toBe(
        '300ms #',
        undefined,
        expect.objectContaining({ name: 'AbortError', code: 'ABORTED' }),
      );
      flush();
      expect(scheduler.frame).toBe(300); // the reply, due at 1000, was taken off the queue
    });
  });

  it('answers a malformed request with a non-retryable INVALID_REQUEST (400)', () => {
    testScheduler().run(({ flush }) => {
      const call = record(simulatedModel().complete({ prompt: 'hi', maxTokens: 0 }));
      flush();
      expect(call.error).toMatchObject({ code: 'INVALID_REQUEST', status: 400, retryable: false });
      expect(call.at).toBe(0);
    });
  });
});
