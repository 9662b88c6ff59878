import { describe, expect, it } from 'vitest';
import { EmptyError, firstValueFrom, from, mergeMap, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { inWaves, runInWaves, type WaveInfo } from 'rx-orchestra/operators';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('inWaves', () => {
  it('waits for the whole wave: tasks of 10, 30, 10, 10 ms in waves of 2 take 30 + 10 = 40 ms', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('10ms (a|)');
      const b = cold('30ms (b|)');
      const c = cold('10ms (c|)');
      const d = cold('10ms (d|)');
      const tasks = [a, b, c, d].map((task) => () => task);
      //                                            wave 1: a, b  | wave 2: c, d (from 30)
      expectObservable(from(tasks).pipe(inWaves(2))).toBe('10ms a 19ms b 9ms (cd|)');
      // the idle slot: a's slot is free at 10, but c waits for b until 30
      expectSubscriptions(a.subscriptions).toBe('^ 9ms !');
      expectSubscriptions(b.subscriptions).toBe('^ 29ms !');
      expectSubscriptions(c.subscriptions).toBe('30ms ^ 9ms !');
      expectSubscriptions(d.subscriptions).toBe('30ms ^ 9ms !');
    });
  });

  it('work-conserving mergeMap(task, 2) on the same tasks takes 30 ms: c starts the moment a finishes', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('10ms (a|)');
      const b = cold('30ms (b|)');
      const c = cold('10ms (c|)');
      const d = cold('10ms (d|)');
      const tasks = [a, b, c, d].map((task) => () => task);
      expectObservable(from(tasks).pipe(mergeMap((task) => task(), 2))).toBe('10ms a 9ms c 9ms (bd|)');
      expectSubscriptions(c.subscriptions).toBe('10ms ^ 9ms !');
      expectSubscriptions(d.subscriptions).toBe('20ms ^ 9ms !');
    });
  });

  it('emits values as tasks produce them (finishing order within a wave), every value of a task', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const tasks = [() => cold('----x|'), () => cold('-y-z|')];
      expectObservable(from(tasks).pipe(inWaves(2))).toBe('-y-zx|');
    });
  });

  it('reports each wave as it starts, 1-based, with its size and scheduler time; the last wave may be smaller', () => {
    const waves: WaveInfo[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const tasks = [5, 8, 3, 2, 4].map((ms, i) => () => cold(`${ms}ms (${'abcde'[i]}|)`));
      //                                                                                 wave 1 (0-8), wave 2 (8-11), wave 3 (11-15)
      expectObservable(from(tasks).pipe(inWaves(2, { onWave: (info) => waves.push(info) }))).toBe('5ms a 2ms b 1ms d c 3ms (e|)');
    });
    expect(waves).toEqual([
      { wave: 1, size: 2, at: 0 },
      { wave: 2, size: 2, at: 8 },
      { wave: 3, size: 1, at: 11 },
    ]);
  });

  it('calls a task only when its wave starts', () => {
    const called: string[] = [];
    testScheduler().run(({ cold, expectObservable, flush }) => {
      const task = (name: string) => () => {
        called.push(name);
        return cold('5ms (v|)', { v: name });
      };
      expectObservable(from([task('a'), task('b'), task('c')]).pipe(inWaves(2))).toBe('5ms (ab)-(c|)', { a: 'a', b: 'b', c: 'c' });
      flush();
    });
    expect(called).toEqual(['a', 'b', 'c']);
  });

  it('errors like Promise.all: a failing task cancels the rest of its wave, and later waves never start', () => {
    const boom = new Error('boom');
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('20ms (s|)');
      const failing = cold('5ms #', undefined, boom);
      const later = cold('1ms (l|)');
      expectObservable(from([() => slow, () => failing, () => later]).pipe(inWaves(2))).toBe('5ms #', undefined, boom);
      expectSubscriptions(slow.subscriptions).toBe('^ 4ms !');
      expectSubscriptions(later.subscriptions).toBe([]);
    });
  });

  it('starts a wave once it is full or the tasks complete, and queues waves behind each other', () => {
    testScheduler().run(({ cold, hot, expectObservable }) => {
      const t = (v: string) => () => cold('10ms (v|)', { v });
      // tasks arrive at 1, 3, 5 and the source completes at 7: wave 1 (a, b) runs 3-13, wave 2 (c) 13-23
      const tasks = hot('-a-b-c-|', { a: t('a'), b: t('b'), c: t('c') });
      expectObservable(tasks.pipe(inWaves(2))).toBe('13ms (ab) 6ms (c|)', { a: 'a', b: 'b', c: 'c' });
    });
  });

  it('takes Promise tasks, as in the seed', async () => {
    const values = await firstValueFrom(from([() => Promise.resolve(1), () => Promise.resolve(2), () => Promise.resolve(3)]).pipe(inWaves<number>(2), toArray()));
    expect(values).toEqual([1, 2, 3]);
  });

  it('rejects a wave size that is not a whole number >= 1, naming the field', () => {
    expect(() => inWaves(0)).toThrow(/'size' must be an integer >= 1, got 0/);
    expect(() => inWaves(2.5)).toThrow(/'size'/);
    expect(() => runInWaves([], Number.NaN)).toThrow(/runInWaves: 'size'/);
  });
});

describe('runInWaves', () => {
  it('emits one array of results in task order once the last wave is done', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const tasks = [30, 10, 10, 10].map((ms, i) => () => cold(`${ms}ms (${'abcd'[i]}|)`, { a: 'a', b: 'b', c: 'c', d: 'd' }));
      expectObservable(runInWaves(tasks, 2)).toBe('40ms (r|)', { r: ['a', 'b', 'c', 'd'] });
    });
  });

  it('keeps the last value of a task, and is cold (each subscription runs the tasks again)', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const result = runInWaves([() => cold('-1-2|'), () => cold('3|')], 4);
      expectObservable(result).toBe('----(r|)', { r: ['2', '3'] });
      expectObservable(result).toBe('----(r|)', { r: ['2', '3'] });
    });
  });

  it('runs Promise tasks in waves of 4 by default, like the seed', async () => {
    let running = 0;
    let peak = 0;
    const task = (n: number) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      await Promise.resolve();
      running -= 1;
      return n * 10;
    };
    const results = await firstValueFrom(runInWaves(Array.from({ length: 9 }, (_, n) => task(n))));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
    expect(peak).toBe(4);
  });

  it('emits an empty array for no tasks, and fails with EmptyError for a task that completes without a value', async () => {
    expect(await firstValueFrom(runInWaves([]))).toEqual([]);
    await expect(firstValueFrom(runInWaves([() => Promise.resolve(1), () => []]))).rejects.toBeInstanceOf(EmptyError);
  });
});
