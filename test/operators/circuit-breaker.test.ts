import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { catchError, defer, mergeMap, of, type Observable } from 'rxjs';
import {
  CircuitOpenError,
  circuitBreaker,
  consecutiveFailures,
  createCircuitBreaker,
  failureRate,
  isCircuitOpenError,
  retryWithBackoff,
  type CircuitBreaker,
  type CircuitEvent,
} from 'rx-orchestra/operators';
import { anotherCopy } from '../errors/another-copy.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const overloaded = Object.assign(new Error('overloaded'), { status: 529 });
const badRequest = Object.assign(new Error('bad request'), { status: 400 });

/** Each subscription takes the next source: call 1 gets the first, call 2 the second, ... */
const scripted = <T>(...sources: Observable<T>[]) => {
  let call = 0;
  return defer(() => sources[Math.min(call++, sources.length - 1)] as Observable<T>);
};

/**
 * Starts one guarded call per value of `triggers` and maps each call to a letter: its own values on
 * success, `x` when it failed, `o` when the breaker refused it.
 */
const calls = (triggers: Observable<string>, source: Observable<string>, breaker: CircuitBreaker) =>
  triggers.pipe(
    mergeMap(() => source.pipe(circuitBreaker<string>(breaker), catchError((error: unknown) => of(isCircuitOpenError(error) ? 'o' : 'x')))),
  );

const record = (breaker: CircuitBreaker) => {
  const events: CircuitEvent[] = [];
  breaker.events$.subscribe((event) => events.push(event));
  return events;
};
const timeline = (events: CircuitEvent[]) => events.map((e) => `t=${e.at} ${e.type}${e.type === 'circuit.opened' ? ` failures=${e.failures}` : ''}`);

describe('circuitBreaker', () => {
  it('opens after exactly N consecutive failures, then fails fast without subscribing the source', () => {
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(3), cooldownMs: 100 });
      const source = cold('-#', undefined, overloaded);
      //                                      three calls fail, the 3rd opens it; calls 4 and 5 are refused at once
      expectObservable(calls(hot('            a-b-c-d-e'), source, breaker)).toBe('-x-x-xo-o');
      expectSubscriptions(source.subscriptions).toBe(['^!', '--^!', '----^!']);
    });
  });

  it('refuses with a typed CircuitOpenError carrying the cool-down left', async () => {
    const errors: unknown[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(1), cooldownMs: 50 });
      const guarded = cold('--#', undefined, overloaded).pipe(circuitBreaker(breaker));
      expectObservable(guarded).toBe('--#', undefined, overloaded); // opens at 2
      const refused = guarded.pipe(catchError((error: unknown) => (errors.push(error), of('o'))));
      expectObservable(refused, '30ms ^').toBe('30ms (o|)');
    });
    const [error] = errors;
    expect(isCircuitOpenError(error)).toBe(true);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ name: 'CircuitOpenError', code: 'CIRCUIT_OPEN', breaker: 'opus', retryable: false, retryAfterMs: 22, state: 'open' });
    const copy = await anotherCopy(() => import('../../operators/circuit-breaker.js'));
    expect(isCircuitOpenError(new copy.CircuitOpenError('opus', 22))).toBe(true); // from another copy of the package
    expect(isCircuitOpenError(Object.assign(new Error('x'), { code: 'CIRCUIT_OPEN' }))).toBe(false); // another class with the same code
    expect(isCircuitOpenError(new Error('x'))).toBe(false);
  });

  it('half-opens after the cool-down: one probe goes through, others fail fast, its success closes the breaker', () => {
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'sonnet', policy: consecutiveFailures(2), cooldownMs: 10 });
      events = record(breaker);
      const failing = cold('-#', undefined, overloaded);
      const healthy = cold('---(v|)');
      const triggers = hot('a 1ms b 2ms c 7ms d 1ms e 2ms f');
      //                    fails, fails (opens at 3), refused at 5, probe at 13 (ok at 16), refused at 15, closed again at 18
      expectObservable(calls(triggers, scripted(failing, failing, healthy), breaker)).toBe('-x-x-o 9ms ov 4ms v');
      expectSubscriptions(failing.subscriptions).toBe(['^!', '--^!']);
      expectSubscriptions(healthy.subscriptions).toBe(['13ms ^--!', '18ms ^--!']);
    });
    expect(timeline(events)).toEqual(['t=3 circuit.opened failures=2', 't=13 circuit.halfOpened', 't=16 circuit.closed']);
  });

  it('reopens when the probe fails, with a new cool-down counted from the probe failure', () => {
    const refusals: CircuitOpenError[] = [];
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'haiku', policy: consecutiveFailures(1), cooldownMs: 10 });
      events = record(breaker);
      const source = cold('-#', undefined, overloaded);
      const guarded = hot('a 10ms b 2ms c 7ms d').pipe(
        mergeMap(() =>
          source.pipe(
            circuitBreaker<string>(breaker),
            catchError((error: unknown) => (isCircuitOpenError(error) ? (refusals.push(error), of('o')) : of('x'))),
          ),
        ),
      );
      //        fails at 1 (opens); probe at 11 fails at 12 (reopens); refused at 14; probe again at 22 (= 12 + 10)
      expectObservable(guarded).toBe('-x 9ms -x-o 8ms x');
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '22ms ^!']);
    });
    expect(refusals.map((e) => e.retryAfterMs)).toEqual([8]); // 12 + 10 - 14
    expect(timeline(events)).toEqual([
      't=1 circuit.opened failures=1',
      't=11 circuit.halfOpened',
      't=12 circuit.opened failures=1',
      't=22 circuit.halfOpened',
      't=23 circuit.opened failures=1',
    ]);
  });

  it('reports every transition on events$ with exact virtual timestamps, and each to the onEvent of the call that caused it', () => {
    const seenBy: Record<string, string[]> = { first: [], second: [], probe: [] };
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(2), cooldownMs: 20 });
      events = record(breaker);
      const source = scripted(cold('-#', undefined, overloaded), cold('--#', undefined, overloaded), cold('-----(v|)'));
      const call = (name: string) => source.pipe(circuitBreaker(breaker, { onEvent: (e) => seenBy[name]?.push(`t=${e.at} ${e.type}`) }));
      expectObservable(call('first')).toBe('-#', undefined, overloaded);
      expectObservable(call('second'), '1ms ^').toBe('---#', undefined, overloaded);
      expectObservable(call('probe'), '25ms ^').toBe('30ms (v|)');
    });
    expect(events).toEqual([
      { type: 'circuit.opened', breaker: 'opus', at: 3, failures: 2, reason: { name: 'Error', message: 'overloaded', status: 529 } },
      { type: 'circuit.halfOpened', breaker: 'opus', at: 25 },
      { type: 'circuit.closed', breaker: 'opus', at: 30 },
    ]);
    expect(seenBy).toEqual({ first: [], second: ['t=3 circuit.opened'], probe: ['t=25 circuit.halfOpened', 't=30 circuit.closed'] });
  });

  it('reads `open` until a call after the cool-down half-opens it', () => {
    const states: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const breaker = createCircuitBreaker({ name: 'm', policy: consecutiveFailures(1), cooldownMs: 5 });
      const guarded = scripted(cold('#', undefined, overloaded), cold('--(v|)')).pipe(circuitBreaker(breaker));
      expectObservable(guarded).toBe('#', undefined, overloaded);
      expectObservable(guarded, '8ms ^').toBe('10ms (v|)');
      for (const t of [1, 7, 9, 11]) cold(`${t}ms a`).subscribe(() => states.push(`t=${t} ${breaker.state}`));
    });
    expect(states).toEqual(['t=1 open', 't=7 open', 't=9 halfOpen', 't=11 closed']);
  });

  it('failure-rate policy: opens when the share of failures over the sliding window reaches the threshold', () => {
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = createCircuitBreaker({
        name: 'sonnet',
        policy: failureRate({ threshold: 0.5, windowMs: 10, minimumCalls: 4 }),
        cooldownMs: 100,
      });
      events = record(breaker);
      const fail = cold('-#', undefined, overloaded);
      const ok = cold('-(v|)');
      //  calls end at: 1 fail, 2 fail (too few calls to judge), 13 ok, 14 ok (both failures have slid out),
      //  15 fail (1 of 3), 16 fail (2 of 4 = 50 %: opens); refused at 17
      const triggers = hot('ab 10ms cdef-g');
      expectObservable(calls(triggers, scripted(fail, fail, ok, ok, fail, fail), breaker)).toBe('-xx 10ms vvxxo');
    });
    expect(timeline(events)).toEqual(['t=16 circuit.opened failures=2']);
  });

  it('does not count errors that are the caller’s fault (retryable: false, 400): they even reset the consecutive count', () => {
    const seen: string[] = [];
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(2), cooldownMs: 100 });
      events = record(breaker);
      const fatal = cold('-#', undefined, Object.assign(new Error('unauthorized'), { retryable: false }));
      const invalid = cold('-#', undefined, badRequest);
      const transient = cold('-#', undefined, overloaded);
      //                   transient, 400, transient, 401, transient: never two transient failures in a row
      const source = scripted(transient, invalid, transient, fatal, transient);
      expectObservable(calls(hot('a-b-c-d-e'), source, breaker)).toBe('-x-x-x-x-x');
      expectSubscriptions(transient.subscriptions).toBe(['^!', '----^!', '--------^!']);
      cold('10ms a').subscribe(() => seen.push(breaker.state));
    });
    expect(seen).toEqual(['closed']);
    expect(events).toEqual([]);
  });

  it('counts what a custom isFailure says', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const breaker = createCircuitBreaker({ name: 'm', policy: consecutiveFailures(2), isFailure: () => true });
      expectObservable(calls(hot('a-b-c'), cold('-#', undefined, badRequest), breaker)).toBe('-x-xo');
    });
  });

  it('does not count a cancelled call, and a cancelled half-open probe frees the probe slot', () => {
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(1), cooldownMs: 10 });
      events = record(breaker);
      const slowFailure = cold('-----#', undefined, overloaded);
      const failure = cold('-#', undefined, overloaded);
      const slowProbe = cold('-----(v|)');
      const probe = cold('-(v|)');
      const guarded = scripted(slowFailure, failure, slowProbe, probe).pipe(circuitBreaker(breaker));
      expectObservable(guarded, '^-!').toBe(''); //                     cancelled at 2: not a failure
      expectObservable(guarded, '3ms ^').toBe('4ms #', undefined, overloaded); // the one failure that opens it, at 4
      expectObservable(guarded, '14ms ^-!').toBe(''); //                 the probe, cancelled at 16
      expectObservable(guarded, '17ms ^').toBe('18ms (v|)'); //          the next call probes, and closes it
      expectSubscriptions(slowFailure.subscriptions).toBe('^-!');
      expectSubscriptions(slowProbe.subscriptions).toBe('14ms ^-!');
      expectSubscriptions(probe.subscriptions).toBe('17ms ^!');
    });
    expect(timeline(events)).toEqual(['t=4 circuit.opened failures=1', 't=14 circuit.halfOpened', 't=18 circuit.closed']);
  });

  it('sits inside a retry: each attempt asks the breaker, and the retry stops at the refusal (not retryable)', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const breaker = createCircuitBreaker({ name: 'opus', policy: consecutiveFailures(2), cooldownMs: 1000 });
      const source = cold('-#', undefined, overloaded);
      const call = source.pipe(circuitBreaker(breaker), retryWithBackoff({ count: 5, initialDelay: 10, jitter: 0 }));
      //                       fails at 1, retries at 11, fails at 12 (opens), retry at 32 is refused at once
      expectObservable(call).toBe('32ms #', undefined, new CircuitOpenError('opus', 980));
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!']);
    });
  });

  it('ignores the outcome of a call let through before the breaker opened', () => {
    const seen: string[] = [];
    let events: CircuitEvent[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const breaker = createCircuitBreaker({ name: 'm', policy: consecutiveFailures(1), cooldownMs: 5 });
      events = record(breaker);
      const guarded = scripted(cold('-#', undefined, overloaded), cold('----------#', undefined, overloaded), cold('-(v|)')).pipe(
        circuitBreaker(breaker),
      );
      expectObservable(guarded).toBe('-#', undefined, overloaded); //                 opens at 1
      expectObservable(guarded, '^').toBe('10ms #', undefined, overloaded); //         let in before that: its failure at 10 is stale
      expectObservable(guarded, '6ms ^').toBe('7ms (v|)'); //                           the probe closes it at 7
      cold('11ms a').subscribe(() => seen.push(breaker.state));
    });
    expect(seen).toEqual(['closed']);
    expect(timeline(events)).toEqual(['t=1 circuit.opened failures=1', 't=6 circuit.halfOpened', 't=7 circuit.closed']);
  });

  it('rejects bad settings, naming the field', () => {
    expect(() => consecutiveFailures(0)).toThrow(/'n' must be an integer >= 1/);
    expect(() => failureRate({ threshold: 1.5 })).toThrow(/'threshold' must be greater than 0 and at most 1/);
    expect(() => failureRate({ windowMs: 0 })).toThrow(/'windowMs' must be a number of ms > 0/);
    expect(() => failureRate({ minimumCalls: 0.5 })).toThrow(/'minimumCalls' must be an integer >= 1/);
    expect(() => createCircuitBreaker({ name: '' })).toThrow(/'name' must be a non-empty string/);
    expect(() => createCircuitBreaker({ name: 'm', cooldownMs: -1 })).toThrow(/'cooldownMs' must be a number of ms >= 0/);
  });
});
