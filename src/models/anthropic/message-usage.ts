import type Anthropic from '@anthropic-ai/sdk';
import type { Completion, ContentBlock } from '../model.js';

/**
 * A Claude message's token usage as a completion's (cache fields 0 when absent): one mapping for
 * streamed calls and for Message Batches results. Pure. @internal
 */
export function usageOfMessage(usage: Anthropic.Messages.Usage): Completion['usage'] {
  return {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheCreationInputTokens: usage.cache_creation_input_tokens ?? 0,
    cacheReadInputTokens: usage.cache_read_input_tokens ?? 0,
  };
}

/** A completion's `text` and, when it has more than text, its `content` blocks. Pure. @internal */
export function textAndContent(content: readonly ContentBlock[]): Pick<Completion, 'text' | 'content'> {
  const text = content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  return content.some((block) => block.type !== 'text') ? { text, content: [...content] } : { text };
}
