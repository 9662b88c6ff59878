import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { ScriptExhaustedError, scriptedAgent } from 'rx-orchestra/testing';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('scriptedAgent', () => {
  it('plays each call’s step after its latency, in virtual time', () => {
    const agent = scriptedAgent<string, string>([
      { reply: 'first', after: 3 },
      { fail: new Error('second fails'), after: 2 },
      { reply: 'third' },
    ]);
    testScheduler().run(({ expectObservable }) => {
      expectObservable(agent.call('a')).toBe('---(x|)', { x: 'first' });
      expectObservable(agent.call('b')).toBe('--#', undefined, new Error('second fails'));
      expectObservable(agent.call('c')).toBe('(x|)', { x: 'third' });
    });
    expect(agent.calls.map((c) => [c.input, c.startedAt, c.endedAt, c.result])).toEqual([
      ['a', 0, 3, 'replied'],
      ['b', 0, 2, 'failed'],
      ['c', 0, 0, 'replied'],
    ]);
    expect(agent.maxInFlight).toBe(3); // all three subscribed at t=0
    expect(agent.inFlight).toBe(0);
  });

  it('hangs until cancelled, records the cancel and whether the caller’s signal aborted', () => {
    const agent = scriptedAgent<string, never>([{ hang: true }]);
    const controller = new AbortController();
    testScheduler().run(({ expectObservable }) => {
      expectObservable(agent.call('x', controller.signal), '^ 9ms !').toBe('-');
    });
    expect(agent.calls[0]).toMatchObject({ result: 'cancelled', endedAt: 10, signalAborted: false });
    controller.abort();
    expect(agent.calls[0]?.signalAborted).toBe(true);
  });

  it('fails with a typed error when the script runs out, or repeats the last step if asked', () => {
    const strict = scriptedAgent<string, string>([{ reply: 'only' }]);
    const lenient = scriptedAgent<string, string>([{ reply: 'again', after: 1 }], { whenExhausted: 'repeatLast' });
    testScheduler().run(({ expectObservable }) => {
      expectObservable(strict.call('1')).toBe('(x|)', { x: 'only' });
      expectObservable(strict.call('2')).toBe('#', undefined, new ScriptExhaustedError('scripted agent: no step for call #1 (script has 1)'));
      expectObservable(lenient.call('1')).toBe('-(x|)', { x: 'again' });
      expectObservable(lenient.call('2')).toBe('-(x|)', { x: 'again' });
    });
  });
});
