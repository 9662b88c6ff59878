/**
 * `batchingModel` over the simulated provider's Message Batches API, in virtual time: gathering
 * (maxWaitMs, maxBatchSize), polling with a growing interval, results as streamed events, errors
 * and typed outcomes, cancellation, and a resumed batch (journal) that submits nothing twice.
 * Every frame is exact.
 */
import { describe, expect, it } from 'vitest';
import { catchError, map, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  batchingModel,
  isBatchCallError,
  isBatchedCompletion,
  isSimulatedModelError,
  memoryBatchJournal,
  pollDelay,
  simulatedModel,
  ModelCallError,
  type BatchBackend,
  type Completion,
  type CompletionRequest,
  type ModelEvent,
  type SimulatedModelOptions,
} from 'rx-orchestra';
import { tagBatchOwner } from '../../../src/models/batch/call-key.js';

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FIXED = { medianMs: 1_000, p95Ms: 1_000 };
const POLL = { initialMs: 10_000, factor: 2, maxMs: 40_000 };

/** What was sent to a batch API. */
interface Sent {
  creates: string[][];
  retrieves: number;
  results: number;
  cancels: string[];
}

/** A batch API that counts what it is sent, over another one. */
function counting(inner: BatchBackend): { backend: BatchBackend; sent: Sent } {
  const sent: Sent = { creates: [], retrieves: 0, results: 0, cancels: [] };
  const backend: BatchBackend = {
    provider: inner.provider,
    create: (entries) => {
      sent.creates.push(entries.map((entry) => entry.customId));
      return inner.create(entries);
    },
    retrieve: (id) => {
      sent.retrieves += 1;
      return inner.retrieve(id);
    },
    results: (id) => {
      sent.results += 1;
      return inner.results(id);
    },
    cancel: (id) => {
      sent.cancels.push(id);
      return inner.cancel(id);
    },
  };
  return { backend, sent };
}

/** A simulated Sonnet whose batches take 60 s, and its counted batch API. */
function simulated(options: SimulatedModelOptions = {}) {
  const sim = simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', batch: { processingMs: 60_000 }, ...options });
  return { sim, ...counting(sim.batches) };
}

/**
 * Each event as a letter: s submitted, r resumed, p polled (in progress), e polled (ended),
 * n batch.ended, t text, c completion; an error as its code's first letter (O OVERLOADED, X BATCH_EXPIRED, C BATCH_CANCELED).
 */
function letter(event: ModelEvent): string {
  const { type } = event as { type: string };
  if (type === 'batch.submitted') return (event as unknown as { resumed: boolean }).resumed ? 'r' : 's';
  if (type === 'batch.polled') return (event as unknown as { processingStatus: string }).processingStatus === 'ended' ? 'e' : 'p';
  return ({ 'batch.ended': 'n', text: 't', completion: 'c' } as Record<string, string>)[type] ?? type;
}
const ERROR_LETTER: Record<string, string> = { OVERLOADED: 'O', BATCH_EXPIRED: 'X', BATCH_CANCELED: 'C' };
const letters = (source: Observable<ModelEvent>) =>
  source.pipe(
    map(letter),
    catchError((error: { code?: string }) => of(ERROR_LETTER[error.code ?? ''] ?? `?${String(error.code)}`)),
  );
const L = { s: 's', r: 'r', p: 'p', e: 'e', n: 'n', t: 't', c: 'c', O: 'O', X: 'X', C: 'C' };

/** A request as a node sends it: tagged with its node, so a resumed run finds it again. */
function nodeRequest(nodeId: string, prompt: string): CompletionRequest {
  const request: CompletionRequest = { prompt };
  tagBatchOwner(request, nodeId);
  return request;
}

describe('batchingModel: gathering and polling (virtual time)', () => {
  it('gathers the calls of maxWaitMs into one batch, polls at +10 s, +20 s, +40 s, and completes each call from its line', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 1_000, pollInterval: POLL });
      // a at 0 and b at 500 share the batch created at 1000 (it ends at 61000, read at the poll of 71000);
      // c at 1500 opens the next one, created at 2500.
      expectObservable(letters(model.stream({ prompt: 'a' }))).toBe('1000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      expectObservable(letters(model.stream({ prompt: 'b' })), '500ms ^').toBe('1000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      expectObservable(letters(model.stream({ prompt: 'c' })), '1500ms ^').toBe('2500ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      flush();
      expect(sent.creates.map((ids) => ids.length)).toEqual([2, 1]);
      expect(sent.retrieves).toBe(6); // three polls per batch
      expect(sent.results).toBe(2); // the results of each batch read once
    });
  });

  it('sends a full batch at once (maxBatchSize) without waiting for maxWaitMs', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated({ batch: { processingMs: 5_000 } });
      const model = batchingModel(sim, { backend, maxWaitMs: 60_000, maxBatchSize: 2, pollInterval: { initialMs: 5_000 } });
      expectObservable(letters(model.stream({ prompt: 'a' }))).toBe('s 4999ms (entc|)', L);
      expectObservable(letters(model.stream({ prompt: 'b' }))).toBe('s 4999ms (entc|)', L);
      // The third call opens a new batch, sent when maxWaitMs has passed.
      expectObservable(letters(model.stream({ prompt: 'c' }))).toBe('60000ms s 4999ms (entc|)', L);
      flush();
      expect(sent.creates.map((ids) => ids.length)).toEqual([2, 1]);
    });
  });

  it('answers as the model would, streamed as text then a completion marked as batched (latency = the wait)', () => {
    testScheduler().run(({ flush }) => {
      const { sim, backend } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 0, pollInterval: POLL });
      const seen: ModelEvent[] = [];
      model.stream({ prompt: 'Why is the sky blue?' }).subscribe((event) => seen.push(event));
      flush();
      const text = seen.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('');
      const completion = (seen.at(-1) as { completion: Completion }).completion;
      expect(text).toBe(completion.text);
      expect(completion.text).toBe('[sim] Why is the sky blue?');
      expect(isBatchedCompletion(completion)).toBe(true);
      expect(completion.latencyMs).toBe(70_000); // created at 0, read at the third poll (10 + 20 + 40 s)
      expect(completion.usage.outputTokens).toBeGreaterThan(0);
    });
  });

  it('takes the poll intervals from pollDelay: initialMs x factor^(n-1), at most maxMs', () => {
    expect([1, 2, 3, 4].map((n) => pollDelay(n, POLL))).toEqual([10_000, 20_000, 40_000, 40_000]);
    expect(pollDelay(1)).toBe(10_000);
  });

  it('sends requests that say batch: false (or all, with batchByDefault: false) directly', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, batchByDefault: false });
      expectObservable(model.complete({ prompt: 'a' }).pipe(map(() => 'c'))).toBe('1000ms (c|)');
      expectObservable(model.complete({ prompt: 'b', batch: false } as CompletionRequest).pipe(map(() => 'c'))).toBe('1000ms (c|)');
      flush();
      expect(sent.creates).toEqual([]);
    });
  });
});

describe('batchingModel: results that are not answers', () => {
  it('fails an errored line as a streamed call would fail (OVERLOADED, retryable)', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend } = simulated({ failureRate: 1 });
      const model = batchingModel(sim, { backend, maxWaitMs: 0, pollInterval: POLL });
      let error: unknown;
      model.stream({ prompt: 'a' }).subscribe({ error: (e: unknown) => (error = e) });
      expectObservable(letters(model.stream({ prompt: 'b' }))).toBe('s 9999ms p 19999ms p 39999ms (enO|)', L);
      flush();
      expect(isSimulatedModelError(error) && error.code === 'OVERLOADED' && error.retryable).toBe(true);
    });
  });

  it('fails the calls of a batch that expired with BATCH_EXPIRED (not retryable)', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend } = simulated({ batch: { processingMs: 100_000, expiresAfterMs: 50_000 } });
      const model = batchingModel(sim, { backend, maxWaitMs: 0, pollInterval: POLL });
      let error: unknown;
      model.stream({ prompt: 'a' }).subscribe({ error: (e: unknown) => (error = e) });
      expectObservable(letters(model.stream({ prompt: 'b' }))).toBe('s 9999ms p 19999ms p 39999ms (enX|)', L);
      flush();
      expect(isBatchCallError(error) && error.code === 'BATCH_EXPIRED' && error.retryable === false).toBe(true);
    });
  });
});

describe('batchingModel: cancellation', () => {
  it('cancels the batch (batches.cancel) once every call in it was cancelled, and polls no more', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 0, pollInterval: POLL });
      expectObservable(letters(model.stream({ prompt: 'a' })), '^ 14999ms !').toBe('s 9999ms p', L);
      expectObservable(letters(model.stream({ prompt: 'b' })), '^ 24999ms !').toBe('s 9999ms p', L);
      flush();
      expect(sent.cancels).toEqual(['msgbatch_sim_1']); // at 25000, when b went too
      expect(sent.retrieves).toBe(1);
      expect(sent.results).toBe(0);
    });
  });

  it('keeps the batch while one call still waits: only the cancelled call is dropped', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 0, pollInterval: POLL });
      expectObservable(letters(model.stream({ prompt: 'a' })), '^ 14999ms !').toBe('s 9999ms p', L);
      expectObservable(letters(model.stream({ prompt: 'b' }))).toBe('s 9999ms p 19999ms p 39999ms (entc|)', L);
      flush();
      expect(sent.cancels).toEqual([]);
    });
  });

  it('never sends a call cancelled while it was being gathered', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 1_000, pollInterval: POLL });
      expectObservable(letters(model.stream({ prompt: 'a' })), '^ 499ms !').toBe('', L);
      flush();
      expect(sent.creates).toEqual([]);
    });
  });
});

describe('batchingModel: a journal makes batches durable', () => {
  it('a new process (a second batching model, same journal) polls the batch of the first at once and submits nothing', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const sim = simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', batch: { processingMs: 60_000 } });
      const journal = memoryBatchJournal();
      const first = counting(sim.batches);
      const crashed = batchingModel(sim, { backend: first.backend, journal, maxWaitMs: 0, pollInterval: POLL });
      // The first process sends a and b at 0, then dies: its calls are never unsubscribed (a killed
      // process cancels nothing), so they are left running here; what counts is what the second one sends.
      crashed.stream(nodeRequest('a', 'prompt a')).subscribe();
      crashed.stream(nodeRequest('b', 'prompt b')).subscribe();
      // The resumed process, at 20000: same nodes, same requests; and one new call (c).
      const second = counting(sim.batches);
      const resumed = batchingModel(sim, { backend: second.backend, journal, maxWaitMs: 0, pollInterval: POLL });
      expectObservable(letters(resumed.stream(nodeRequest('a', 'prompt a'))), '20000ms ^').toBe('20000ms (rp) 19996ms p 39999ms (entc|)', L);
      expectObservable(letters(resumed.stream(nodeRequest('b', 'prompt b'))), '20000ms ^').toBe('20000ms (rp) 19996ms p 39999ms (entc|)', L);
      expectObservable(letters(resumed.stream(nodeRequest('c', 'prompt c'))), '20000ms ^').toBe('20000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      flush();
      expect(first.sent.creates).toEqual([[expect.stringMatching(/^a-[0-9a-f]{16}$/), expect.stringMatching(/^b-[0-9a-f]{16}$/)]]);
      expect(second.sent.creates).toEqual([[expect.stringMatching(/^c-/)]]); // a and b were not submitted again
      expect(journal.entries.map((entry) => entry.batchId)).toEqual(['msgbatch_sim_1', 'msgbatch_sim_1', 'msgbatch_sim_2']);
    });
  });

  it('submits again, in a new batch, a call whose earlier batch expired', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const sim = simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', batch: { processingMs: 100_000, expiresAfterMs: 30_000 } });
      const journal = memoryBatchJournal();
      const crashed = batchingModel(sim, { journal, maxWaitMs: 0, pollInterval: POLL });
      crashed.stream(nodeRequest('a', 'prompt a')).subscribe({ error: () => undefined });
      // Resumed at 50000, after the expiry (30000): the first poll finds the batch ended and the line
      // expired, so the call goes into a new batch (created at once), which expires too at 80000.
      const { backend, sent } = counting(sim.batches);
      const resumed = batchingModel(sim, { backend, journal, maxWaitMs: 0, pollInterval: POLL });
      expectObservable(letters(resumed.stream(nodeRequest('a', 'prompt a'))), '50000ms ^').toBe('50000ms (res) 9995ms p 19999ms (enX|)', L);
      flush();
      expect(sent.creates).toHaveLength(1);
    });
  });
});

describe('batchingModel: a resumed call whose first batch errored', () => {
  it('takes the answer of the batch its retry was sent in, instead of sending it a third time', () => {
    testScheduler().run(({ cold, flush }) => {
      const sim = simulatedModel({ latency: FIXED, model: 'claude-sonnet-4-6', batch: { processingMs: 60_000 } });
      // The batch API answers every line of the first batch with an overloaded error, the others as the model would.
      const flaky: BatchBackend = {
        ...sim.batches,
        results: (id) => sim.batches.results(id).pipe(map((line) => (id === 'msgbatch_sim_1' ? { customId: line.customId, type: 'errored' as const, error: new ModelCallError('OVERLOADED', 'overloaded') } : line))),
      };
      const journal = memoryBatchJournal();
      const crashed = batchingModel(sim, { backend: flaky, journal, maxWaitMs: 0, pollInterval: POLL });
      // The first process: a's batch errors (read at 70000), the node retries at once (a second batch), then the process dies.
      crashed.stream(nodeRequest('a', 'prompt a')).subscribe({ error: () => crashed.stream(nodeRequest('a', 'prompt a')).subscribe() });
      const { backend, sent } = counting(flaky);
      const resumed = batchingModel(sim, { backend, journal, maxWaitMs: 0, pollInterval: POLL });
      const seen: string[] = [];
      cold('200000ms x').subscribe(() => resumed.stream(nodeRequest('a', 'prompt a')).subscribe({ next: (event) => seen.push(letter(event)), error: (e: { code?: string }) => seen.push(`error ${String(e.code)}`) }));
      flush();
      expect(journal.entries.map((entry) => entry.batchId)).toEqual(['msgbatch_sim_1', 'msgbatch_sim_2']);
      expect(sent.creates).toEqual([]); // nothing sent a third time
      expect(seen.filter((l) => l === 'r')).toHaveLength(2); // attached to batch 1 (errored), then to batch 2
      expect(seen.slice(-3)).toEqual(['n', 't', 'c']);
    });
  });
});

describe('batchingModel: the batch queue (maxQueuedRequests), learned from 429s', () => {
  it('holds calls beyond maxQueuedRequests until a batch ends, then sends them', () => {
    testScheduler().run(({ expectObservable, flush }) => {
      const { sim, backend, sent } = simulated();
      const model = batchingModel(sim, { backend, maxWaitMs: 0, maxQueuedRequests: 2, pollInterval: POLL });
      expectObservable(letters(model.stream({ prompt: 'a' }))).toBe('s 9999ms p 19999ms p 39999ms (entc|)', L);
      expectObservable(letters(model.stream({ prompt: 'b' }))).toBe('s 9999ms p 19999ms p 39999ms (entc|)', L);
      // c waits for room: the first batch ends (read at 70000), then c's batch is created at once.
      expectObservable(letters(model.stream({ prompt: 'c' }))).toBe('70000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      flush();
      expect(sent.creates.map((ids) => ids.length)).toEqual([2, 1]);
    });
  });

  it('learns the queue size from a 429 on create while a batch is in flight, and sends the call when it ends', () => {
    testScheduler().run(({ expectObservable, cold, flush }) => {
      const { sim } = simulated();
      let live = 0;
      const creates: number[] = [];
      // A batch API whose queue holds one batch: a second create while one is unfinished is a 429.
      const full: BatchBackend = {
        ...sim.batches,
        create: (entries) => {
          creates.push(entries.length);
          if (live > 0) return cold('#', {}, new ModelCallError('RATE_LIMITED', 'batch queue full', { status: 429, retryAfterMs: 1_000 }));
          live += 1;
          return sim.batches.create(entries);
        },
        results: (id) => {
          live -= 1;
          return sim.batches.results(id);
        },
      };
      const model = batchingModel(sim, { backend: full, maxWaitMs: 0, pollInterval: POLL });
      expectObservable(letters(model.stream({ prompt: 'a' }))).toBe('s 9999ms p 19999ms p 39999ms (entc|)', L);
      expectObservable(letters(model.stream({ prompt: 'b' })), '1000ms ^').toBe('70000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      // d arrives while b waits: the queue was learned to hold one request, so d waits for b's batch too.
      expectObservable(letters(model.stream({ prompt: 'd' })), '2000ms ^').toBe('140000ms s 9999ms p 19999ms p 39999ms (entc|)', L);
      flush();
      expect(creates).toEqual([1, 1, 1, 1]); // a; b refused (429); b once a's batch ended; d once b's did
    });
  });
});

describe('batchingModel: options', () => {
  it('refuses bad settings and a model without a Message Batches API, naming the field', () => {
    const sim = simulatedModel();
    expect(() => batchingModel(sim, { maxWaitMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', field: 'maxWaitMs' }));
    expect(() => batchingModel(sim, { maxBatchSize: 0 })).toThrow(expect.objectContaining({ field: 'maxBatchSize' }));
    expect(() => batchingModel(sim, { pollInterval: { factor: 0 } })).toThrow(expect.objectContaining({ field: 'pollInterval.factor' }));
    expect(() => batchingModel(sim, { maxQueuedRequests: 0 })).toThrow(expect.objectContaining({ field: 'maxQueuedRequests' }));
    // A model without a Message Batches API: its direct calls work, its batched calls fail naming the fix.
    const bare = batchingModel({ model: 'x', stream: sim.stream, complete: sim.complete });
    let error: unknown;
    bare.stream({ prompt: 'hi' }).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).toMatchObject({ code: 'INVALID_OPTION', field: 'backend' });
  });
});

describe('batchingModel: a journal that cannot write', () => {
  it('fails the calls with the store error and cancels the batch it could not write down', async () => {
    const { sim, backend, sent } = simulated();
    const broken = {
      load: () => [],
      record: () => {
        throw new Error('disk full');
      },
    };
    let error: unknown;
    testScheduler().run(({ flush }) => {
      const model = batchingModel(sim, { backend, journal: broken, maxWaitMs: 0, pollInterval: POLL });
      model.stream({ prompt: 'a' }).subscribe({ error: (e: unknown) => (error = e) });
      flush();
    });
    await new Promise((resolve) => setTimeout(resolve, 0)); // the failed write is handled as a rejected Promise
    expect(error).toMatchObject({ message: 'disk full' });
    expect(sent.cancels).toEqual(['msgbatch_sim_1']);
    expect(sent.retrieves).toBe(0);
  });
});
