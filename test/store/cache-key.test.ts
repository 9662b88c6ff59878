import { describe, expect, it } from 'vitest';
import type { CompletionRequest } from 'rx-orchestra';
import { cacheKeyOf } from '../../src/store/cache-key.js';

const readFile = { name: 'read_file', description: 'Read a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const grep = { name: 'grep', description: 'Search files', inputSchema: { type: 'object', properties: { pattern: { type: 'string' } } } };

describe('cacheKeyOf with tools, content blocks and thinking', () => {
  it('gives different keys when the tools, the tool choice, the thinking budget or the blocks differ', () => {
    const base: CompletionRequest = { prompt: 'Where is the engine?' };
    const call = { type: 'tool_use' as const, id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } };
    const variants: CompletionRequest[] = [
      base,
      { ...base, tools: [readFile] },
      { ...base, tools: [readFile, grep] },
      { ...base, tools: [readFile], toolChoice: 'any' },
      { ...base, tools: [readFile], toolChoice: { name: 'read_file' } },
      { ...base, thinking: { budgetTokens: 1024 } },
      { ...base, thinking: { budgetTokens: 2048 } },
      { ...base, tools: [{ ...readFile, description: 'Read one file' }] },
      { ...base, prompt: [{ type: 'text', text: 'Where is the engine?' }, { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }] },
      { ...base, tools: [readFile], history: [{ role: 'user', content: 'Where?' }, { role: 'assistant', content: [call] }], prompt: [{ type: 'tool_result', toolUseId: 'toolu_1', content: 'export {}' }] },
      { ...base, tools: [readFile], history: [{ role: 'user', content: 'Where?' }, { role: 'assistant', content: [call] }], prompt: [{ type: 'tool_result', toolUseId: 'toolu_1', content: 'export {}', isError: true }] },
    ];
    const keys = variants.map((request) => cacheKeyOf(request, 'claude-sonnet-4-6'));
    expect(new Set(keys).size).toBe(variants.length);
  });

  it('keys a prompt of one text block as its text, and schemas in any key order alike', () => {
    expect(cacheKeyOf({ prompt: [{ type: 'text', text: 'hi' }] }, 'm')).toBe(cacheKeyOf({ prompt: 'hi' }, 'm'));
    const reordered = { name: 'read_file', inputSchema: { required: ['path'], properties: { path: { type: 'string' } }, type: 'object' }, description: 'Read a file' };
    expect(cacheKeyOf({ prompt: 'p', tools: [reordered] }, 'm')).toBe(cacheKeyOf({ prompt: 'p', tools: [readFile] }, 'm'));
  });

  it('ignores prompt caching and deadlines, which do not change the answer', () => {
    expect(cacheKeyOf({ prompt: 'p', cache: true, timeoutMs: 5_000, idleMs: 100 }, 'm')).toBe(cacheKeyOf({ prompt: 'p' }, 'm'));
  });

  it('keeps the keys of requests without the new fields (entries stored before stay valid)', () => {
    // Computed with the key function before tools and blocks were added.
    expect(cacheKeyOf({ prompt: 'Three facts about RxJS', temperature: 0 }, 'claude-haiku-4-5')).toBe('8da4aab50985fb474d338a100d7443fe468abcdfd576df2ade1a0390148519f2');
    const request: CompletionRequest = {
      prompt: 'Fix it',
      system: 'Be strict.',
      history: [{ role: 'user', content: 'Give me JSON.' }, { role: 'assistant', content: '{"oops":' }],
      maxTokens: 100,
      jsonSchema: { type: 'object' },
    };
    expect(cacheKeyOf(request, 'claude-sonnet-4-6')).toBe('7f24026200168fdee3d051adb15173bd7f4e2bab100baa869fec84d645fbebd0');
  });
});
