/**
 * The assistant's content blocks, accumulated from the Messages API's stream events: text
 * deltas, thinking deltas and their signature, and each tool call's `input_json_delta` chunks,
 * parsed when its block stops.
 * @module
 * @internal
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ContentBlock, ModelEvent } from '../model.js';
import { ModelCallError } from '../model-error.js';

type Building =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown; json: string; done: boolean }
  /** Blocks the contract has no place for (server tools' blocks): kept out of the answer. */
  | { type: 'other' };

/** Folds one call's stream events into its content blocks, in the order the model wrote them. */
export class AnswerBlocks {
  readonly #blocks: Building[] = [];

  /**
   * Takes one stream event; returns the `tool_use` event when it completes a tool call.
   * @throws {ModelCallError} `API_ERROR` when a tool call's streamed input is not valid JSON
   */
  add(event: Anthropic.MessageStreamEvent): Extract<ModelEvent, { type: 'tool_use' }> | undefined {
    if (event.type === 'content_block_start') {
      this.#blocks[event.index] = start(event.content_block);
      return undefined;
    }
    const block = this.#blocks[(event as { index?: number }).index ?? -1];
    if (!block) return undefined;
    if (event.type === 'content_block_delta') {
      const delta = event.delta;
      if (delta.type === 'text_delta' && block.type === 'text') block.text += delta.text;
      else if (delta.type === 'thinking_delta' && block.type === 'thinking') block.thinking += delta.thinking;
      else if (delta.type === 'signature_delta' && block.type === 'thinking') block.signature = delta.signature;
      else if (delta.type === 'input_json_delta' && block.type === 'tool_use') block.json += delta.partial_json;
      return undefined;
    }
    if (event.type === 'content_block_stop' && block.type === 'tool_use' && !block.done) {
      block.done = true;
      if (block.json.trim() !== '') {
        try {
          block.input = JSON.parse(block.json);
        } catch (error) {
          throw new ModelCallError('API_ERROR', `tool_use ${block.id} (${block.name}): the streamed input is not valid JSON: ${(error as Error).message}`, { provider: 'anthropic', cause: error });
        }
      }
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    }
    return undefined;
  }

  /** The blocks so far, in the contract's shape. */
  content(): ContentBlock[] {
    const content: ContentBlock[] = [];
    for (const block of this.#blocks) {
      if (!block) continue;
      switch (block.type) {
        case 'text':
          content.push({ type: 'text', text: block.text });
          break;
        case 'thinking':
          content.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
          break;
        case 'redacted_thinking':
          content.push({ type: 'redacted_thinking', data: block.data });
          break;
        case 'tool_use':
          content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
          break;
        case 'other':
          break;
      }
    }
    return content;
  }
}

function start(block: Anthropic.RawContentBlockStartEvent['content_block']): Building {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input ?? {}, json: '', done: false };
    default:
      return { type: 'other' };
  }
}
