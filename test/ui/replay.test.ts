/** Playing recorded events back on a scheduler, in virtual time. */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { replayRunEvents } from 'rx-orchestra/ui';
import { isOptionsError, type RunEvent } from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const runId = 'r';
const started = (at: number, id = runId): RunEvent => ({ type: 'run.started', runId: id, at, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
const token = (at: number, text: string, id = runId): RunEvent => ({ type: 'node.token', runId: id, nodeId: 'a', at, attempt: 1, text });

describe('replayRunEvents', () => {
  const events = [started(1_000), token(1_000, 'x'), token(1_100, 'y'), token(1_400, 'z')];

  it('keeps the recorded spacing, divided by the speed, and the original timestamps', () => {
    testScheduler().run(({ expectObservable }) => {
      const [a, b, c, d] = events;
      expectObservable(replayRunEvents(events, { speed: 2 })).toBe('(ab) 46ms c 149ms (d|)', { a, b, c, d });
    });
  });

  it('plays in real time at speed 1', () => {
    testScheduler().run(({ expectObservable }) => {
      const [a, b, c, d] = events;
      expectObservable(replayRunEvents(events)).toBe('(ab) 96ms c 299ms (d|)', { a, b, c, d });
    });
  });

  it('emits everything at once at speed Infinity', () => {
    testScheduler().run(({ expectObservable }) => {
      const [a, b, c, d] = events;
      expectObservable(replayRunEvents(events, { speed: Infinity })).toBe('(abcd|)', { a, b, c, d });
    });
  });

  it('caps long pauses, and the pause before the next run of a log to a second', () => {
    const log = [started(0), token(5_000, 'late'), started(3_600_000, 'next'), token(3_600_010, 'n', 'next')];
    testScheduler().run(({ expectObservable }) => {
      const [a, b, c, d] = log;
      expectObservable(replayRunEvents(log, { maxGapMs: 2_000 })).toBe('a 1999ms b 999ms c 9ms (d|)', { a, b, c, d });
    });
  });

  it('stops when unsubscribed', () => {
    testScheduler().run(({ expectObservable }) => {
      const [a, b, c] = events;
      expectObservable(replayRunEvents(events, { speed: 1 }), '^ 150ms !').toBe('(ab) 96ms c', { a, b, c });
    });
  });

  it('refuses a speed that is not a positive number, naming the field', () => {
    for (const speed of [0, -1, Number.NaN]) {
      let caught: unknown;
      try {
        replayRunEvents(events, { speed });
      } catch (error) {
        caught = error;
      }
      expect(isOptionsError(caught, 'dashboard') && caught.field).toBe('replay.speed');
    }
  });
});
