/**
 * `loop()` nodes in virtual time: each iteration is a subscription to the body (asserted with
 * subscription diagrams), `node.iteration` reports each one at its exact frame, the value is the
 * converged iteration's, `MAX_ITERATIONS` keeps the last value, and cancellation aborts the body in
 * flight and starts no further iteration.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { concatMap, filter, map, NEVER, of, tap, timer, type Observable } from 'rxjs';
import { z } from 'zod';
import { collect, execute, graph, isLoopError, isOptionsError, llm, loop, LoopError, type RunEvent } from 'rx-orchestra';
import { scriptedModel } from 'rx-orchestra/testing';
import { NodeIterationEventSchema } from '../../src/nodes/loop-events.js';
import { record, testScheduler } from '../run/virtual-run.js';

/** An event as a plain record (`node.iteration` is not in `RunEvent` until the lead merges it). */
type AnyEvent = { type: string; at: number; nodeId?: string } & Record<string, unknown>;
const asAny = (events: readonly RunEvent[]) => events as unknown as AnyEvent[];

/** One short line per event the loop tests look at. */
function line(event: RunEvent): string {
  const e = event as unknown as AnyEvent;
  switch (e.type) {
    case 'node.iteration':
      return `#${String(e.iteration)}/${String(e.maxIterations)} ${e.converged ? 'converged' : 'again'} ${String(e.durationMs)}ms ${String(e.preview)}`;
    case 'node.succeeded':
      return `ok ${JSON.stringify(e.value)}`;
    case 'node.failed':
      return `failed ${String((e.error as { code?: string }).code)}`;
    case 'node.timedOut':
      return `timedOut`;
    case 'node.fellBack':
      return `fellBack ${JSON.stringify(e.value)}`;
    default:
      return e.type;
  }
}
const LOOP_EVENTS = ['node.iteration', 'node.succeeded', 'node.failed', 'node.timedOut', 'node.fellBack'];
const loopLines = (run$: Observable<RunEvent>) =>
  run$.pipe(
    filter((e) => LOOP_EVENTS.includes(e.type)),
    map(line),
  );

describe('loop(): bounded iterations with exact frames', () => {
  it('converges: iterations subscribe one after the other, each visible, the value is the converged one', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const bodies = [cold('----------(a|)', { a: 'draft 1' }), cold('----------(a|)', { a: 'draft 2' }), cold('-----(a|)', { a: 'final' })];
      const seen: { iteration: number; previous: string | undefined }[] = [];
      const g = graph()
        .node('article', {
          run: loop({
            body: ({ iteration, previous }) => {
              seen.push({ iteration, previous });
              return bodies[iteration - 1]!;
            },
            until: (draft: string) => draft === 'final',
            maxIterations: 5,
          }),
        })
        .build();
      expectObservable(loopLines(execute(g))).toBe('10ms a 9ms b 4ms (cd|)', {
        a: '#1/5 again 10ms draft 1',
        b: '#2/5 again 10ms draft 2',
        c: '#3/5 converged 5ms final',
        d: 'ok "final"',
      });
      expectSubscriptions(bodies[0]!.subscriptions).toBe('^---------!');
      expectSubscriptions(bodies[1]!.subscriptions).toBe('----------^---------!');
      expectSubscriptions(bodies[2]!.subscriptions).toBe('--------------------^----!');
      return () => expect(seen).toEqual([
        { iteration: 1, previous: undefined },
        { iteration: 2, previous: 'draft 1' },
        { iteration: 3, previous: 'draft 2' },
      ]);
    })();
  });

  it('hits its limit: fails with MAX_ITERATIONS keeping the last value; a fallback can use it', () => {
    const events = testScheduler().run(({ cold, expectObservable }) => {
      const body = cold('----------(a|)', { a: 1 });
      const stuck = loop({ body: ({ previous }) => body.pipe(map((n) => n + (previous ?? 0))), until: (n: number) => n > 10, maxIterations: 3 });
      const g = graph()
        .node('plain', { run: stuck })
        .node('rescued', {
          run: stuck,
          fallback: (error) => {
            if (isLoopError(error) && error.code === 'MAX_ITERATIONS') return error.lastValue as number;
            throw error;
          },
        })
        .build();
      const events: RunEvent[] = [];
      expectObservable(loopLines(execute(g, { concurrency: 1 }).pipe(tap((e) => events.push(e))))).toBe('10ms a 9ms b 9ms (cd) 6ms e 9ms f 9ms (gh|)', {
        a: '#1/3 again 10ms 1',
        b: '#2/3 again 10ms 2',
        c: '#3/3 again 10ms 3',
        d: 'failed MAX_ITERATIONS',
        e: '#1/3 again 10ms 1',
        f: '#2/3 again 10ms 2',
        g: '#3/3 again 10ms 3',
        h: 'fellBack 3',
      });
      return events;
    });
    const failed = events.find((e) => e.type === 'node.failed');
    expect(failed).toMatchObject({ nodeId: 'plain', attempts: 1, error: { name: 'LoopError', code: 'MAX_ITERATIONS', retryable: false } });
    for (const e of asAny(events).filter((e) => e.type === 'node.iteration')) expect(NodeIterationEventSchema.safeParse(JSON.parse(JSON.stringify(e))).success).toBe(true);
  });

  it('the error keeps the last value and the iteration count, and is branded', async () => {
    let caught: unknown;
    const run = loop<Record<string, never>, { score: number }>({ body: ({ iteration }) => [{ score: iteration }], until: () => false, maxIterations: 2 });
    const fallback = (error: unknown): never => {
      caught = error;
      throw error;
    };
    const { outcomes } = await collect(execute(graph().node('n', { run, fallback }).build()));
    expect(outcomes.n).toMatchObject({ status: 'failed', error: { name: 'LoopError', code: 'MAX_ITERATIONS', retryable: false } });
    expect(caught).toBeInstanceOf(LoopError);
    expect(isLoopError(caught) && [caught.code, caught.iterations, caught.lastValue]).toEqual(['MAX_ITERATIONS', 2, { score: 2 }]);
    expect((caught as Error).message).toBe("node 'n': no iteration converged in 2 (maxIterations); the last value is kept in lastValue");
  });

  it('cancellation mid-iteration aborts the body in flight and starts no further iteration', () => {
    const signals: AbortSignal[] = [];
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold('----------(a|)', { a: 'draft' });
      const g = graph()
        .node('article', {
          run: loop({
            body: ({ signal }) => {
              signals.push(signal);
              return body;
            },
            until: () => false,
            maxIterations: 5,
          }),
        })
        .build();
      expectObservable(loopLines(execute(g)), '^ 14ms !').toBe('10ms a', { a: '#1/5 again 10ms draft' });
      expectSubscriptions(body.subscriptions).toBe(['^---------!', '----------^----!']);
    });
    expect(signals.map((s) => s.aborted)).toEqual([false, true]); // the first ended normally; the second was aborted at 15
  });

  it('a node timeout mid-iteration aborts the body (the node ends timedOut)', () => {
    const reasons: unknown[] = [];
    testScheduler().run(({ expectObservable }) => {
      const g = graph()
        .node('article', {
          run: loop({
            body: ({ signal, iteration }) => {
              signal.addEventListener('abort', () => reasons.push(iteration));
              return iteration === 1 ? timer(10).pipe(map(() => 'one')) : NEVER;
            },
            until: () => false,
            maxIterations: 5,
          }),
          timeout: 25,
        })
        .build();
      expectObservable(loopLines(execute(g))).toBe('10ms a 14ms (b|)', { a: '#1/5 again 10ms one', b: 'timedOut' });
    });
    expect(reasons).toEqual([2]);
  });

  it('a body as critic + reviser: two llm() calls per iteration on scripted models, usage reported for each', () => {
    const Verdict = z.object({ score: z.number(), advice: z.string() });
    const events = testScheduler().run(({ expectObservable }) => {
      const writerModel = scriptedModel([
        { text: 'Schedulers decide when.', after: 20 },
        { text: 'Schedulers decide when work runs: asap, async, queue.', after: 20 },
      ]);
      const criticModel = scriptedModel([
        { json: { score: 4, advice: 'Name the schedulers.' }, after: 5 },
        { json: { score: 9, advice: 'Good.' }, after: 5 },
      ]);
      const revise = llm<{ topic: string; draft?: string; advice?: string }>({
        prompt: ({ topic, draft, advice }) => (draft ? `Revise this text on ${topic}:\n${draft}\nAdvice: ${advice}` : `Write one sentence on ${topic}.`),
        provider: writerModel,
        governed: false,
      });
      const critique = llm<{ draft: string }, z.infer<typeof Verdict>>({ prompt: ({ draft }) => `Score 1-10, advise:\n${draft}`, schema: Verdict, provider: criticModel, governed: false });
      const g = graph()
        .node('topic', { run: () => of('RxJS schedulers') })
        .node('article', {
          deps: ['topic'],
          run: loop({
            body: (ctx) =>
              revise({ ...ctx, inputs: { topic: ctx.inputs.topic, draft: ctx.previous?.draft, advice: ctx.previous?.verdict.advice } }).pipe(
                concatMap((draft) => critique({ ...ctx, inputs: { draft } }).pipe(map((verdict) => ({ draft, verdict })))),
              ),
            until: ({ verdict }: { draft: string; verdict: z.infer<typeof Verdict> }) => verdict.score >= 8,
            maxIterations: 3,
            preview: ({ draft, verdict }) => `${verdict.score}: ${draft}`,
          }),
        })
        .build();
      const recorded: RunEvent[] = [];
      const article$ = execute(g).pipe(
        tap((e) => recorded.push(e)),
        filter((e) => 'nodeId' in e && e.nodeId === 'article'),
      );
      expectObservable(loopLines(article$)).toBe('25ms a 24ms (bc|)', {
        a: '#1/3 again 25ms 4: Schedulers decide when.',
        b: '#2/3 converged 25ms 9: Schedulers decide when work runs: asap, async, queue.',
        c: 'ok {"draft":"Schedulers decide when work runs: asap, async, queue.","verdict":{"score":9,"advice":"Good."}}',
      });
      return () => {
        expect(writerModel.calls[1]!.request.prompt).toBe('Revise this text on RxJS schedulers:\nSchedulers decide when.\nAdvice: Name the schedulers.');
        return recorded;
      };
    })();
    const usage = events.filter((e) => e.type === 'node.usage' && e.nodeId === 'article');
    expect(usage.map((e) => e.at)).toEqual([20, 25, 45, 50]); // reviser, critic, reviser, critic
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', usage: { total: { calls: 4 } } } });
  });

  it('ends synchronous iterations without growing the stack', () => {
    const events = testScheduler().run(() => record(execute(graph().node('count', { run: loop({ body: ({ iteration }) => [iteration], until: (n) => n === 20_000, maxIterations: 20_000, preview: false }) }).build())));
    expect(events.find((e) => e.type === 'node.succeeded')).toMatchObject({ value: 20_000 });
    expect(asAny(events).filter((e) => e.type === 'node.iteration')).toHaveLength(20_000);
    expect(asAny(events).find((e) => e.type === 'node.iteration')).not.toHaveProperty('preview');
  });

  it('fails with the body error, EMPTY_ITERATION or UNTIL_FAILED, naming the node', async () => {
    const boom = new Error('model down');
    const { outcomes } = await collect(
      execute(
        graph()
          .node('throws', { run: loop({ body: () => Promise.reject(boom), until: () => true, maxIterations: 2 }) })
          .node('empty', { run: loop({ body: ({ iteration }) => (iteration === 1 ? ['x'] : []), until: () => false, maxIterations: 3 }) })
          .node('judge', {
            run: loop({
              body: () => ['x'],
              until: () => {
                throw new Error('bad judge');
              },
              maxIterations: 3,
            }),
          })
          .build(),
      ),
    );
    expect(outcomes.throws).toMatchObject({ status: 'failed', error: { message: boom.message } });
    expect(outcomes.empty).toMatchObject({ status: 'failed', error: { code: 'EMPTY_ITERATION', message: "node 'empty': its body completed without a value in iteration 2" } });
    expect(outcomes.judge).toMatchObject({ status: 'failed', error: { code: 'UNTIL_FAILED', message: "node 'judge': its until function threw in iteration 1: bad judge" } });
  });

  it('refuses bad options at once, naming the field', () => {
    const body = () => ['x'];
    const until = () => true;
    for (const [options, field] of [
      [{ until, maxIterations: 1 }, 'body'],
      [{ body, maxIterations: 1 }, 'until'],
      [{ body, until, maxIterations: 0 }, 'maxIterations'],
      [{ body, until, maxIterations: 1.5 }, 'maxIterations'],
      [{ body, until, maxIterations: 1, preview: 'yes' }, 'preview'],
    ] as const) {
      let caught: unknown;
      try {
        loop(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isOptionsError(caught) && caught.field).toBe(field);
    }
  });

  it('carries no node deadline, and the body estimate times maxIterations', () => {
    const body = llm({ prompt: () => 'write', model: 'claude-haiku-4-5', maxTokens: 500, estimatedInputTokens: 100 });
    const run = loop({ body, until: () => true, maxIterations: 4 });
    expect(run.defaultTimeout).toBe(false);
    const estimate = typeof run.costEstimate === 'function' ? run.costEstimate({ nodeId: 'n', deps: [], model: undefined, upstream: {}, upstreamOutputTokens: 0 }) : run.costEstimate;
    expect(estimate).toMatchObject({ model: 'claude-haiku-4-5', inputTokens: 100, outputTokens: 500, calls: 4 });
    expect(loop({ body: () => ['x'], until: () => true, maxIterations: 2 }).costEstimate).toBeUndefined();
  });

  it('types: the body sees the inputs typed from deps; the value type comes from until\'s annotated value and types previous and the node', () => {
    type Draft = { text: string; score: number };
    const g = graph()
      .node('topic', { run: async () => 'RxJS' })
      .node('draft', {
        deps: ['topic'],
        run: loop({
          body: ({ inputs, previous, iteration }) => {
            expectTypeOf(inputs).toEqualTypeOf<{ topic: string }>();
            expectTypeOf(previous).toEqualTypeOf<Draft | undefined>();
            expectTypeOf(iteration).toEqualTypeOf<number>();
            return of({ text: `${inputs.topic} ${previous?.text ?? ''}`, score: iteration });
          },
          until: (value: Draft) => value.score > 2,
          maxIterations: 3,
        }),
      })
      .node('after', {
        deps: ['draft'],
        run: ({ inputs }) => {
          expectTypeOf(inputs).toEqualTypeOf<{ draft: Draft }>();
          return [inputs.draft.text];
        },
      })
      .build();
    expect(g).toBeDefined();
    // @ts-expect-error the body must yield the value type
    loop({ body: () => of(1), until: (value: Draft) => value.score > 2, maxIterations: 1 });
  });
});
