/** llm() with content-block prompts (images and documents from inputs passed through) and extended thinking. */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { execute, graph, llm, isOptionsError } from 'rx-orchestra';
import type { ContentBlock } from '../../src/models/model.js';
import { record, testScheduler } from '../run/virtual-run.js';
import { fakeModel } from '../agents/fake-model.js';
import { asAny } from '../agents/support.js';

describe('llm(): content blocks and thinking', () => {
  it('sends a prompt of blocks as it is: an image and a document from the inputs pass through', () => {
    const image: ContentBlock = { type: 'image', source: { type: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } };
    const model = fakeModel([{ text: 'A cat.' }]);
    const events = testScheduler().run(() =>
      record(
        execute(
          graph()
            .node('photo', { run: () => of(image) }) // synchronous sources: a Promise would settle outside virtual time
            .node('report', { run: () => of({ type: 'document' as const, source: { type: 'text' as const, mediaType: 'text/plain' as const, data: 'Q3 report' }, title: 'Q3' }) })
            .node('describe', {
              deps: ['photo', 'report'],
              run: llm({ prompt: ({ photo, report }) => [{ type: 'text', text: 'What is in the picture, and does the report mention it?' }, photo, report], governed: false }),
            })
            .build(),
          { model },
        ),
      ),
    );
    expect(model.requests[0]!.prompt).toEqual([
      { type: 'text', text: 'What is in the picture, and does the report mention it?' },
      image,
      { type: 'document', source: { type: 'text', mediaType: 'text/plain', data: 'Q3 report' }, title: 'Q3' },
    ]);
    expect(asAny(events).find((e) => e.type === 'node.succeeded' && e.nodeId === 'describe')).toMatchObject({ value: 'A cat.' });
  });

  it('asks for thinking, streams it as node.thinking and keeps it out of the value and node.token', () => {
    const model = fakeModel([{ thinking: 'Hmm, 6 x 7.', text: '42', usage: { inputTokens: 10, outputTokens: 1500 } }]);
    const events = testScheduler().run(() =>
      record(execute(graph().node('q', { run: llm({ prompt: () => '6 x 7?', thinking: { budgetTokens: 1024 }, maxTokens: 2048, governed: false }) }).build(), { model })),
    );
    expect(model.requests[0]!.thinking).toEqual({ budgetTokens: 1024 });
    const typed = asAny(events).filter((e) => ['node.thinking', 'node.token', 'node.usage', 'node.succeeded'].includes(e.type));
    expect(typed.map((e) => `${e.type} ${JSON.stringify(e.text ?? e.value ?? (e.usage as { outputTokens: number }).outputTokens)}`)).toEqual([
      'node.thinking "Hmm, 6 x 7."',
      'node.token "42"',
      'node.usage 1500', // thinking tokens are output tokens: priced and counted in budgets
      'node.succeeded "42"',
    ]);
  });

  it('refuses a thinking budget the API would refuse, when llm() is called', () => {
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isOptionsError(error) ? `${error.field}: ${error.message}` : String(error);
      }
      return 'accepted';
    };
    expect(refused(() => llm({ prompt: () => 'x', thinking: { budgetTokens: 512 } }))).toBe("thinking.budgetTokens: llm: 'thinking.budgetTokens' must be an integer >= 1024, got 512");
    expect(refused(() => llm({ prompt: () => 'x', thinking: { budgetTokens: 2048 }, maxTokens: 2048 }))).toBe(
      "thinking.budgetTokens: llm: 'thinking.budgetTokens' (2048) must be below 'maxTokens' (2048): thinking tokens count towards it",
    );
  });
});
