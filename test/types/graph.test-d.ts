/**
 * Type tests (vitest typecheck): what the builder, `execute`/`collect`/`run` and the operators
 * infer. Nothing here runs; `// @ts-expect-error` lines must fail to compile.
 */
import { expectTypeOf, test } from 'vitest';
import { Observable, of } from 'rxjs';
import { approval, collect, execute, graph, graphFromNodes, llm, run, type Graph, type NodeOutcome, type RunResult } from 'rx-orchestra';
import { z } from 'zod';
import { fallback } from 'rx-orchestra/operators';

const text = (s: string): Observable<string> => of(s);

test('upstream outputs arrive typed in run: Promise, Observable, async generator, array', () => {
  graph()
    .node('p', { run: async () => 42 })
    .node('o', { run: () => text('x') })
    .node('g', {
      run: async function* () {
        yield true;
      },
    })
    .node('a', { run: () => [1n, 2n] })
    .node('sink', {
      deps: ['p', 'o', 'g', 'a'],
      run: ({ inputs }) => {
        expectTypeOf(inputs.p).toEqualTypeOf<number>();
        expectTypeOf(inputs.o).toEqualTypeOf<string>();
        expectTypeOf(inputs.g).toEqualTypeOf<boolean>();
        expectTypeOf(inputs.a).toEqualTypeOf<bigint>();
        return of(0);
      },
    });
});

test('inputs hold only the declared deps', () => {
  graph()
    .node('x', { run: async () => 1 })
    .node('y', { run: () => text('y') })
    .node('z', {
      deps: ['x'],
      run: ({ inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<{ x: number }>();
        // @ts-expect-error 'y' exists but is not a dependency of 'z'
        void inputs.y;
        return of(inputs.x);
      },
    })
    .node('none', {
      run: ({ inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<{ [K in never]: never }>();
        return of(1);
      },
    });
});

test('a dependency must name an earlier node', () => {
  const b = graph().node('a', { run: async () => 1 });
  // @ts-expect-error 'nope' is not a node
  b.node('b', { deps: ['nope'], run: () => of(1) });
  // @ts-expect-error a node cannot depend on itself (it is not defined yet)
  b.node('c', { deps: ['c'], run: () => of(1) });
  b.node('d', { deps: ['a'], run: () => of(1) });
});

test('a duplicate id does not compile', () => {
  const b = graph().node('a', { run: async () => 1 });
  // @ts-expect-error 'a' is already defined
  b.node('a', { run: async () => 2 });
  b.node('b', { run: async () => 2 });
});

test('run must return an ObservableInput', () => {
  // @ts-expect-error a bare number is neither an Observable, a Promise nor an iterable
  graph().node('a', { run: () => 1 });
});

test('a fallback widens the node output downstream', () => {
  graph()
    .node('constant', { run: async () => 1, fallback: { value: 'n/a' } })
    .node('fn', { run: () => text('t'), fallback: (_error) => 0 })
    .node('promised', { run: async () => 1, fallback: async () => null })
    .node('plain', { run: async () => 1 })
    .node('sink', {
      deps: ['constant', 'fn', 'promised', 'plain'],
      run: ({ inputs }) => {
        expectTypeOf(inputs.constant).toEqualTypeOf<number | string>();
        expectTypeOf(inputs.fn).toEqualTypeOf<string | number>();
        expectTypeOf(inputs.promised).toEqualTypeOf<number | null>();
        expectTypeOf(inputs.plain).toEqualTypeOf<number>();
        return of(1);
      },
    });
});

test("onUpstreamFailure 'partial' makes inputs Partial", () => {
  graph()
    .node('x', { run: async () => 1 })
    .node('y', { run: () => text('y') })
    .node('partial', {
      deps: ['x', 'y'],
      onUpstreamFailure: 'partial',
      run: ({ inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<Partial<{ x: number; y: string }>>();
        expectTypeOf(inputs.x).toEqualTypeOf<number | undefined>();
        return of(inputs.y ?? 'none');
      },
    })
    .node('skip', {
      deps: ['x'],
      onUpstreamFailure: 'skip',
      run: ({ inputs }) => {
        expectTypeOf(inputs.x).toEqualTypeOf<number>();
        return of(1);
      },
    })
    .node('fail', {
      deps: ['x'],
      onUpstreamFailure: 'fail',
      run: ({ inputs }) => {
        expectTypeOf(inputs.x).toEqualTypeOf<number>();
        return of(1);
      },
    });
});

test('build() gives a Graph of the outputs; execute/collect/run type the outcomes', async () => {
  const g = graph()
    .node('facts', { run: async () => ['a', 'b'] })
    .node('count', { deps: ['facts'], run: ({ inputs }) => of(inputs.facts.length) })
    .node('label', { deps: ['count'], run: ({ inputs }) => text(String(inputs.count)), fallback: { value: 0 } })
    .build();
  expectTypeOf(g).toEqualTypeOf<Graph<{ facts: string[]; count: number; label: string | number }, unknown>>();

  const collected = await collect(execute(g));
  const ran = await run(g, { concurrency: 2 });
  expectTypeOf(collected).toEqualTypeOf<RunResult<{ facts: string[]; count: number; label: string | number }>>();
  expectTypeOf(ran).toEqualTypeOf(collected);
  expectTypeOf(ran.outcomes.count).toEqualTypeOf<NodeOutcome<number>>();
  expectTypeOf(ran.outcomes.label).toEqualTypeOf<NodeOutcome<string | number>>();
  // @ts-expect-error no such node
  void ran.outcomes.nope;

  const { facts } = collected.outcomes;
  if (facts.status === 'succeeded') expectTypeOf(facts.value).toEqualTypeOf<string[]>();
  if (facts.status === 'fellBack') expectTypeOf(facts.value).toEqualTypeOf<string[]>();
  if (facts.status === 'skipped') {
    // @ts-expect-error a skipped node has no value
    void facts.value;
  }
  if (facts.status === 'failed') expectTypeOf(facts.error.message).toEqualTypeOf<string>();
});

test('ctx.context is typed from graph<C>() and execute checks it', () => {
  const g = graph<{ apiKey: string }>()
    .node('a', {
      run: ({ context }) => {
        expectTypeOf(context).toEqualTypeOf<{ apiKey: string }>();
        return of(context.apiKey);
      },
    })
    .node('b', {
      deps: ['a'],
      run: ({ context, inputs }) => {
        expectTypeOf(context.apiKey).toEqualTypeOf<string>();
        return of(inputs.a);
      },
    })
    .build();
  expectTypeOf(g).toEqualTypeOf<Graph<{ a: string; b: string }, { apiKey: string }>>();
  execute(g, { context: { apiKey: 'k' } });
  // @ts-expect-error the context must match the graph's context type
  execute(g, { context: { apiKey: 1 } });
  // @ts-expect-error a declared context is required
  execute(g);
  // @ts-expect-error a declared context is required
  void run(g, { concurrency: 2 });

  graph().node('untyped', {
    run: ({ context }) => {
      expectTypeOf(context).toEqualTypeOf<unknown>();
      return of(1);
    },
  });
});

test('ctx.upstream is typed by dependency: outcomes of their output types, nothing else', () => {
  graph()
    .node('n', { run: async () => 1 })
    .node('s', { run: () => text('x') })
    .node('join', {
      deps: ['n', 's'],
      onUpstreamFailure: 'partial',
      run: ({ upstream }) => {
        expectTypeOf(upstream.n).toEqualTypeOf<NodeOutcome<number>>();
        expectTypeOf(upstream.s).toEqualTypeOf<NodeOutcome<string>>();
        // @ts-expect-error not a dependency
        void upstream.other;
        return of(upstream.n.status);
      },
    });
});

test('graphFromNodes gives an untyped graph', async () => {
  const g = graphFromNodes([
    { id: 'a', run: () => of(1) },
    { id: 'b', deps: ['a'], run: ({ inputs }) => of(String(inputs.a)) },
  ]);
  expectTypeOf(g).toEqualTypeOf<Graph<Record<string, unknown>, unknown>>();
  const { outcomes } = await run(g);
  expectTypeOf(outcomes.anything).toEqualTypeOf<NodeOutcome<unknown> | undefined>(); // noUncheckedIndexedAccess
});

test('operator fallback widens the stream type', () => {
  const n$ = of(1);
  expectTypeOf(n$.pipe(fallback({ value: 'n/a' }))).toEqualTypeOf<Observable<number | string>>();
  expectTypeOf(n$.pipe(fallback(() => 'n/a'))).toEqualTypeOf<Observable<number | string>>();
  expectTypeOf(n$.pipe(fallback(() => text('cheaper model')))).toEqualTypeOf<Observable<number | string>>();
  expectTypeOf(n$.pipe(fallback(async () => 'later'))).toEqualTypeOf<Observable<number | string>>();
  expectTypeOf(n$.pipe(fallback({ value: 0 }))).toEqualTypeOf<Observable<number>>();
});

test("the README's 'Graphs that grow' example compiles as written", () => {
  const publish = (draft: string) => Promise.resolve(`published ${draft.length} chars`);
  const g = graph()
    .node('plan', { run: llm({ prompt: () => 'Split "RxJS schedulers" into sub-questions', schema: z.object({ questions: z.array(z.string()) }) }) })
    .forEach('research', {
      deps: ['plan'],
      items: ({ plan }) => plan.questions,
      run: llm({ prompt: (_inputs, { item }) => `Answer briefly: ${String(item)}` }),
      retry: 2,
      join: { atLeast: 2 },
    })
    .node('draft', { deps: ['research'], run: llm({ prompt: ({ research }) => `Write a post from:\n${research.join('\n')}` }) })
    .node('approve', { deps: ['draft'], run: approval({ request: ({ draft }) => ({ draft }) }) })
    .node('publish', { deps: ['approve'], run: ({ inputs }) => publish(inputs.approve.draft) })
    .build();
  const run$ = execute(g, { concurrency: 4 });
  run$.subscribe((event) => {
    if (event.type === 'node.waiting') run$.decide(event.nodeId, { approve: true, by: 'ana' });
  });
  type Outputs = typeof g extends Graph<infer O> ? O : never;
  expectTypeOf<Outputs['research']>().toEqualTypeOf<string[]>();
  expectTypeOf<Outputs['approve']>().toEqualTypeOf<{ draft: string }>();
});
