/**
 * The simulated provider's Message Batches API (`simulatedModel().batches`) in virtual time: as
 * strict as the API on what it can check, and its batches end, expire and cancel on the scheduler.
 */
import { describe, expect, it } from 'vitest';
import { asyncScheduler, lastValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { simulatedModel, type BatchItemResult, type BatchStatus } from 'rx-orchestra';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Subscribes now and keeps the last value or the error (read after flush). */
function take<T>(source: { subscribe: (o: { next: (v: T) => void; error: (e: unknown) => void }) => unknown }) {
  const seen: { value?: T; values: T[]; error?: unknown } = { values: [] };
  source.subscribe({
    next: (value) => {
      seen.value = value;
      seen.values.push(value);
    },
    error: (error) => (seen.error = error),
  });
  return seen;
}

describe('simulatedModel().batches', () => {
  it('refuses what the API refuses: bad or duplicate custom ids, an empty batch; 404 for unknown ids', async () => {
    const { batches } = simulatedModel();
    const request = { prompt: 'hi' };
    await expect(lastValueFrom(batches.create([{ customId: 'has space', request }]))).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    await expect(lastValueFrom(batches.create([{ customId: 'x'.repeat(65), request }]))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(lastValueFrom(batches.create([{ customId: 'a', request }, { customId: 'a', request }]))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(lastValueFrom(batches.create([]))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(lastValueFrom(batches.retrieve('msgbatch_nope'))).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(lastValueFrom(batches.results('msgbatch_nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('is in progress (every request processing) until it ends, then ended with counts; results only once ended', () => {
    testScheduler().run(({ cold, flush }) => {
      const sim = simulatedModel({ batch: { processingMs: 1_000 }, faults: { overloaded: 0 } });
      const created = take<BatchStatus>(sim.batches.create([{ customId: 'a', request: { prompt: 'one' } }, { customId: 'b', request: { prompt: 'two', thinking: { budgetTokens: 10 } } }]));
      const early = take<BatchItemResult>(sim.batches.results('msgbatch_sim_1'));
      let before: { value?: BatchStatus } = {};
      let after: { value?: BatchStatus; values: BatchStatus[] } = { values: [] };
      let lines: { values: BatchItemResult[] } = { values: [] };
      cold('999ms x').subscribe(() => (before = take(sim.batches.retrieve('msgbatch_sim_1'))));
      cold('1000ms x').subscribe(() => {
        after = take(sim.batches.retrieve('msgbatch_sim_1'));
        lines = take(sim.batches.results('msgbatch_sim_1'));
      });
      flush();
      expect(created.value).toEqual({ id: 'msgbatch_sim_1', processingStatus: 'in_progress', requestCounts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 } });
      expect(early.error).toMatchObject({ code: 'BAD_REQUEST' });
      expect(before.value?.processingStatus).toBe('in_progress');
      // b asks for less thinking than the API allows: an errored line, as the API checks params when it processes them.
      expect(after.value).toEqual({ id: 'msgbatch_sim_1', processingStatus: 'ended', requestCounts: { processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 0 } });
      expect(lines.values.map((line) => [line.customId, line.type])).toEqual([
        ['a', 'succeeded'],
        ['b', 'errored'],
      ]);
    });
  });

  it('cancels: canceling for cancelMs, then ended with every request canceled', () => {
    testScheduler().run(({ cold, flush }) => {
      const sim = simulatedModel({ batch: { processingMs: 60_000, cancelMs: 500 } });
      take(sim.batches.create([{ customId: 'a', request: { prompt: 'one' } }]));
      let canceling: { value?: BatchStatus } = {};
      let ended: { value?: BatchStatus } = {};
      cold('1000ms x').subscribe(() => (canceling = take(sim.batches.cancel('msgbatch_sim_1'))));
      cold('1500ms x').subscribe(() => (ended = take(sim.batches.retrieve('msgbatch_sim_1'))));
      flush();
      expect(canceling.value?.processingStatus).toBe('canceling');
      expect(ended.value).toMatchObject({ processingStatus: 'ended', requestCounts: { canceled: 1, succeeded: 0 } });
    });
  });

  it('draws each batch its processing time from a log-normal profile by default (minutes), the same for a seed', () => {
    const endOf = (seed: number) =>
      testScheduler().run(({ flush }) => {
        const sim = simulatedModel({ seed });
        take(sim.batches.create([{ customId: 'a', request: { prompt: 'one' } }]));
        let at = -1;
        for (let t = 0; t <= 3_600_000; t += 5_000) {
          asyncScheduler.schedule(() => {
            if (at < 0 && take<BatchStatus>(sim.batches.retrieve('msgbatch_sim_1')).value?.processingStatus === 'ended') at = t;
          }, t);
        }
        flush();
        return at;
      });
    expect(endOf(1)).toBe(endOf(1));
    expect(endOf(1)).toBeGreaterThan(10_000);
    expect(endOf(1)).not.toBe(endOf(2));
  });
});
