/** Fallback chains on a node: Opus → Sonnet → Haiku → a static default, recorded as node.fellBack. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { execute, fallbacks, fallbackTo, graph, llm, simulatedModel, type RunEvent } from 'rx-orchestra';
import { eventTimeline } from 'rx-orchestra/testing';
import { record, testScheduler } from '../run/virtual-run.js';

const FIXED = { medianMs: 100, p95Ms: 100 };
const down = (model: string) => simulatedModel({ latency: FIXED, model, failureRate: 1 });
const up = (model: string) => simulatedModel({ latency: FIXED, model, respond: () => `answer from ${model}` });

describe('a node falling back along a chain of models', () => {
  it('tries each step in order, with the node’s inputs, and records which step answered', () => {
    const events: RunEvent[] = testScheduler().run(() => {
      const prompt = ({ notes }: { notes: string }) => `Summarise: ${notes}`;
      const g = graph()
        .node('notes', { run: () => ['rx notes'] })
        .node('summary', {
          deps: ['notes'],
          run: llm({ prompt, provider: down('claude-opus-4-6') }),
          fallback: fallbacks(
            fallbackTo(llm({ prompt, provider: down('claude-sonnet-4-6') })),
            fallbackTo(llm({ prompt, provider: up('claude-haiku-4-5') })),
            { value: 'summary unavailable' },
          ),
        })
        .build();
      return record(execute(g));
    });
    const fellBack = events.find((e) => e.type === 'node.fellBack');
    expect(fellBack).toMatchObject({ nodeId: 'summary', reason: 'failed', via: 1, value: 'answer from claude-haiku-4-5', error: { code: 'OVERLOADED' } });
    // three calls: Opus fails at 25 ms, Sonnet at 50, Haiku answers at 150; each reported its usage or failure
    expect(eventTimeline(events, { only: ['node.fellBack'] })).toEqual(['t=150 node.fellBack summary']);
    expect(events.filter((e) => e.type === 'node.usage').map((e) => e.model)).toEqual(['claude-haiku-4-5']);
  });

  it('ends on the static default when every model fails', () => {
    const events = testScheduler().run(() => {
      const g = graph()
        .node('summary', { run: llm({ prompt: () => 'x', provider: down('claude-opus-4-6') }), fallback: [fallbackTo(llm({ prompt: () => 'x', provider: down('claude-haiku-4-5') })), { value: 'n/a' }] }) // one type: a plain array
        .build();
      return record(execute(g));
    });
    expect(events.find((e) => e.type === 'node.fellBack')).toMatchObject({ via: 1, value: 'n/a' });
  });

  it('widens the output type to the chain’s types', () => {
    graph()
      .node('n', { run: () => Promise.resolve(1), fallback: fallbacks(fallbackTo(() => Promise.resolve(2)), { value: 'none' as const }) })
      .node('use', {
        deps: ['n'],
        run: ({ inputs }) => {
          expectTypeOf(inputs.n).toEqualTypeOf<number | 'none'>();
          return [inputs.n];
        },
      });
  });
});
