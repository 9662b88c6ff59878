/**
 * Type tests (vitest typecheck) for `llm()` nodes: the prompt's inputs are typed from the node's
 * `deps`, and the node's output (text, or the schema's type) is typed downstream, with no type
 * arguments written. Nothing here runs; `// @ts-expect-error` lines must fail to compile.
 */
import { expectTypeOf, test } from 'vitest';
import { of } from 'rxjs';
import { z } from 'zod';
import { anthropicModel, collect, execute, fallbacks, fallbackTo, graph, llm, type Graph, type NodeContext, type NodeOutcome } from 'rx-orchestra';

test('the prompt receives its inputs typed from deps', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'Three facts about RxJS schedulers' }) })
    .node('count', { run: async () => 3 })
    .node('outline', {
      deps: ['research', 'count'],
      run: llm({
        prompt: (inputs, ctx) => {
          expectTypeOf(inputs).toEqualTypeOf<{ research: string; count: number }>();
          expectTypeOf(ctx.inputs).toEqualTypeOf<{ research: string; count: number }>();
          expectTypeOf(ctx.upstream.count).toEqualTypeOf<NodeOutcome<number>>();
          return `${inputs.research.toUpperCase()} x${inputs.count.toFixed(0)}`;
        },
      }),
    });
});

test('the issue example compiles: a destructured dependency is a string', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('o', { deps: ['research'], run: llm({ prompt: ({ research }) => research.toUpperCase() }) });
});

test('a misspelt input does not compile', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    // @ts-expect-error 'reserch' is not a dependency (misspelt 'research')
    .node('o', { deps: ['research'], run: llm({ prompt: ({ reserch }) => String(reserch) }) });
});

test('a node that exists but is not a dependency is not an input', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('style', { run: llm({ prompt: () => 'a style guide' }) })
    // @ts-expect-error 'style' is a node, but not a dependency of 'o'
    .node('o', { deps: ['research'], run: llm({ prompt: ({ research, style }) => research + String(style) }) });
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    // @ts-expect-error with no deps there are no inputs
    .node('o', { run: llm({ prompt: ({ research }) => String(research) }) });
});

test('a dependency must name an earlier node', () => {
  const b = graph().node('research', { run: llm({ prompt: () => 'facts' }) });
  // @ts-expect-error 'nope' is not a node
  b.node('o', { deps: ['nope'], run: llm({ prompt: () => 'x' }) });
});

test('an llm() node outputs a string; with a schema, the schema type, downstream', () => {
  const Outline = z.object({ title: z.string(), sections: z.array(z.string()) });
  const g = graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('outline', { deps: ['research'], run: llm({ prompt: ({ research }) => research, schema: Outline }) })
    .node('next', {
      deps: ['outline'],
      run: llm({
        prompt: ({ outline }) => {
          expectTypeOf(outline).toEqualTypeOf<{ title: string; sections: string[] }>();
          return outline.sections.join('\n');
        },
      }),
    })
    .node('sink', {
      deps: ['research', 'outline', 'next'],
      run: ({ inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<{ research: string; outline: { title: string; sections: string[] }; next: string }>();
        return of(inputs.outline.title);
      },
    })
    .build();
  expectTypeOf(g).toEqualTypeOf<Graph<{ research: string; outline: { title: string; sections: string[] }; next: string; sink: string }, unknown>>();
});

test('the run is typed from deps as well, with retry, timeout and fallback beside it', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }), retry: 3 })
    .node('summary', {
      deps: ['research'],
      run: llm({ prompt: ({ research }) => research.slice(0, 10) }),
      retry: { count: 2 },
      timeout: 60_000,
      fallback: { value: null },
    })
    .node('sink', {
      deps: ['summary'],
      run: llm({
        prompt: ({ summary }) => {
          expectTypeOf(summary).toEqualTypeOf<string | null>();
          return summary ?? 'none';
        },
      }),
    });
});

test("onUpstreamFailure 'partial' makes the prompt's inputs Partial", () => {
  graph()
    .node('a', { run: llm({ prompt: () => 'a' }) })
    .node('b', { run: async () => 1 })
    .node('join', {
      deps: ['a', 'b'],
      onUpstreamFailure: 'partial',
      run: llm({
        prompt: (inputs, { upstream }) => {
          expectTypeOf(inputs).toEqualTypeOf<Partial<{ a: string; b: number }>>();
          expectTypeOf(upstream.b).toEqualTypeOf<NodeOutcome<number>>();
          return inputs.a ?? 'a is missing';
        },
      }),
    });
});

test('fallbackTo(llm()) steps get the same typed inputs', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('summary', {
      deps: ['research'],
      run: llm({ prompt: ({ research }) => `Summarise: ${research}`, model: 'claude-opus-4-6' }),
      fallback: [
        fallbackTo(
          llm({
            prompt: ({ research }) => {
              expectTypeOf(research).toEqualTypeOf<string>();
              return `Summarise: ${research}`;
            },
            model: 'claude-haiku-4-5',
          }),
        ),
        { value: 'summary unavailable' },
      ],
    })
    .node('sink', {
      deps: ['summary'],
      run: ({ inputs }) => {
        expectTypeOf(inputs.summary).toEqualTypeOf<string>();
        return of(1);
      },
    });
  // inside fallbacks(...), write the prompt apart with its inputs annotated (see its TSDoc)
  const summarise = ({ research }: { research: string }) => `Summarise: ${research}`;
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('summary', {
      deps: ['research'],
      run: llm({ prompt: summarise }),
      fallback: fallbacks(fallbackTo(llm({ prompt: summarise, model: 'claude-sonnet-4-6' })), fallbackTo(llm({ prompt: summarise, model: 'claude-haiku-4-5' })), { value: null }),
    })
    .node('sink', {
      deps: ['summary'],
      run: ({ inputs }) => {
        expectTypeOf(inputs.summary).toEqualTypeOf<string | null>();
        return of(1);
      },
    });
});

test('a fallback function gets the typed inputs; a misspelt input in a fallback prompt does not compile', () => {
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('summary', {
      deps: ['research'],
      run: llm({ prompt: ({ research }) => research }),
      fallback: (_error, { inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<{ research: string }>();
        return inputs.research.slice(0, 100);
      },
    })
    .node('other', {
      deps: ['research'],
      run: llm({ prompt: ({ research }) => research }),
      // @ts-expect-error 'reserch' is not a dependency (misspelt 'research')
      fallback: [fallbackTo(llm({ prompt: ({ reserch }) => String(reserch), model: 'claude-haiku-4-5' }))],
    });
  const needsTopic = llm<{ topic: string }>({ prompt: ({ topic }) => topic });
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    // @ts-expect-error the fallback's run needs a 'topic' input, which this node does not have
    .node('summary', { deps: ['research'], run: llm({ prompt: ({ research }) => research }), fallback: fallbackTo(needsTopic) });
});

test('llm() nodes in a graph with a typed context', () => {
  const g = graph<{ audience: string }>()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('pitch', { deps: ['research'], run: llm({ prompt: ({ research }) => `Pitch: ${research.trim()}` }) })
    .build();
  expectTypeOf(g).toEqualTypeOf<Graph<{ research: string; pitch: string }, { audience: string }>>();
});

test('a prompt written apart, with its inputs annotated, still works; so do explicit type arguments', () => {
  const prompt = ({ research }: { research: string }) => `Summarise: ${research}`;
  const shared = llm<{ topic: string }>({ prompt: ({ topic }) => topic });
  expectTypeOf(shared).parameter(0).toExtend<NodeContext<{ topic: string }, unknown, unknown>>();
  graph()
    .node('research', { run: llm({ prompt: () => 'facts' }) })
    .node('topic', { run: async () => 'schedulers' })
    .node('summary', { deps: ['research'], run: llm({ prompt }) })
    .node('about', { deps: ['topic'], run: shared })
    // @ts-expect-error the shared run needs a 'topic' input, and 'research' is not it
    .node('wrong', { deps: ['research'], run: shared })
    .node('sink', {
      deps: ['summary', 'about'],
      run: ({ inputs }) => {
        expectTypeOf(inputs).toEqualTypeOf<{ summary: string; about: string }>();
        return of(1);
      },
    });
});

test("the README's 'Claude as a node' example compiles as written", async () => {
  const g = graph()
    .node('research', { run: llm({ prompt: () => 'Three facts about RxJS schedulers', model: 'claude-haiku-4-5' }), retry: 3 })
    .node('outline', {
      deps: ['research'],
      run: llm({
        prompt: ({ research }) => `Outline an article from:\n${research}`, // typed upstream output
        system: 'You are a technical editor.',
        schema: z.object({ title: z.string(), sections: z.array(z.string()) }), // value: the validated object
        idleTimeout: 20_000, // a stalled stream fails (retryably)
      }),
      retry: 3,
    })
    .build();

  const { summary, outcomes } = await collect(execute(g, { model: anthropicModel() })); // one client per run
  void summary.usage; // calls, input/output/cache tokens and USD cost: total, byNode, byModel
  expectTypeOf(outcomes.research).toEqualTypeOf<NodeOutcome<string>>();
  expectTypeOf(outcomes.outline).toEqualTypeOf<NodeOutcome<{ title: string; sections: string[] }>>();
});
