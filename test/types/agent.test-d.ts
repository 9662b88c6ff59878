/**
 * Type tests (vitest typecheck) for `agent()` nodes: the prompt's inputs are typed from the node's
 * `deps` with no type arguments (as `llm()`), the value is the text, the `output` schema's type, or
 * `{ answer, transcript }` with `transcript: 'value'`, and tools are typed by their zod input.
 * Nothing here runs; `// @ts-expect-error` lines must fail to compile.
 */
import { expectTypeOf, test } from 'vitest';
import { of } from 'rxjs';
import { z } from 'zod';
import { graph, llm, type Graph, type NodeOutcome } from 'rx-orchestra';
import { agent, type AgentAnswer } from '../../src/agents/agent.js';
import { tool, type Tool } from '../../src/agents/tool.js';
import type { Transcript } from '../../src/agents/transcript.js';
import type { ContentBlock } from '../../src/models/model.js';

const readFile = tool({
  name: 'read_file',
  description: 'Reads a file of the repository',
  input: z.object({ path: z.string(), maxBytes: z.number().optional() }),
  run: (input) => {
    expectTypeOf(input).toEqualTypeOf<{ path: string; maxBytes?: number | undefined }>();
    return of(`contents of ${input.path}`);
  },
});

test('a tool is typed by its zod input and its value', () => {
  expectTypeOf(readFile).toEqualTypeOf<Tool<{ path: string; maxBytes?: number | undefined }, string, unknown>>();
});

test('the prompt receives its inputs typed from deps', () => {
  graph()
    .node('files', { run: async () => ['a.ts', 'b.ts'] })
    .node('question', { run: llm({ prompt: () => 'a question' }) })
    .node('explore', {
      deps: ['files', 'question'],
      run: agent({
        tools: [readFile],
        prompt: (inputs, ctx) => {
          expectTypeOf(inputs).toEqualTypeOf<{ files: string[]; question: string }>();
          expectTypeOf(ctx.upstream.files).toEqualTypeOf<NodeOutcome<string[]>>();
          return `${inputs.question} in ${inputs.files.join(', ')}`;
        },
      }),
    });
});

test('a misspelt input, or a node that is not a dependency, does not compile', () => {
  graph()
    .node('files', { run: async () => ['a.ts'] })
    // @ts-expect-error 'flies' is not a dependency (misspelt 'files')
    .node('explore', { deps: ['files'], run: agent({ prompt: ({ flies }) => String(flies) }) });
  graph()
    .node('files', { run: async () => ['a.ts'] })
    // @ts-expect-error with no deps there are no inputs
    .node('explore', { run: agent({ prompt: ({ files }) => String(files) }) });
});

test('the value: text; the output schema type; { answer, transcript } with transcript: value', () => {
  const Finding = z.object({ file: z.string(), summary: z.string() });
  const g = graph()
    .node('plain', { run: agent({ prompt: () => 'x', tools: [readFile] }) })
    .node('typed', { run: agent({ prompt: () => 'x', tools: [readFile], output: Finding }) })
    .node('withTranscript', { run: agent({ prompt: () => 'x', output: Finding, transcript: 'value' }) })
    .node('textTranscript', { run: agent({ prompt: () => 'x', transcript: 'value' }) })
    .node('none', { run: agent({ prompt: () => 'x', transcript: 'none' }) })
    .node('sink', {
      deps: ['plain', 'typed', 'withTranscript', 'textTranscript'],
      run: ({ inputs }) => {
        expectTypeOf(inputs.plain).toEqualTypeOf<string>();
        expectTypeOf(inputs.typed).toEqualTypeOf<{ file: string; summary: string }>();
        expectTypeOf(inputs.withTranscript).toEqualTypeOf<AgentAnswer<{ file: string; summary: string }>>();
        expectTypeOf(inputs.withTranscript.transcript).toEqualTypeOf<Transcript>();
        expectTypeOf(inputs.textTranscript.answer).toEqualTypeOf<string>();
        return of(inputs.typed.file);
      },
    })
    .build();
  expectTypeOf(g).toEqualTypeOf<
    Graph<
      {
        plain: string;
        typed: { file: string; summary: string };
        withTranscript: AgentAnswer<{ file: string; summary: string }>;
        textTranscript: AgentAnswer<string>;
        none: string;
        sink: string;
      },
      unknown
    >
  >();
});

test('a prompt may return content blocks; bad options do not compile', () => {
  const image: ContentBlock = { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } };
  graph()
    .node('photo', { run: async () => image })
    .node('describe', { deps: ['photo'], run: agent({ prompt: ({ photo }) => [{ type: 'text', text: 'Describe' }, photo], thinking: { budgetTokens: 2048 } }) });
  // @ts-expect-error 'both' is not a transcript mode
  agent({ prompt: () => 'x', transcript: 'both' });
  // @ts-expect-error onToolError is 'report' or 'fail'
  agent({ prompt: () => 'x', onToolError: 'ignore' });
  // @ts-expect-error a prompt returns text or blocks
  agent({ prompt: () => 42 });
});

test('agent and llm nodes chain, typed end to end', () => {
  graph()
    .node('plan', { run: llm({ prompt: () => 'plan', schema: z.object({ steps: z.array(z.string()) }) }) })
    .node('act', {
      deps: ['plan'],
      run: agent({
        prompt: ({ plan }) => {
          expectTypeOf(plan).toEqualTypeOf<{ steps: string[] }>();
          return plan.steps.join('\n');
        },
        tools: [readFile],
        output: z.object({ done: z.boolean() }),
      }),
    })
    .node('report', {
      deps: ['act'],
      run: llm({
        prompt: ({ act }) => {
          expectTypeOf(act).toEqualTypeOf<{ done: boolean }>();
          return String(act.done);
        },
      }),
    });
});
