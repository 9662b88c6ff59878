/**
 * A {@link CompletionRequest} in the Messages API's shape: content blocks in snake_case, tools,
 * tool choice, extended thinking within the API's rules, and prompt-caching breakpoints. Pure.
 * @module
 * @internal
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ChatTurn, CompletionRequest, ContentBlock, MediaSource, MessageContent, ToolChoice } from '../model.js';
import { ModelCallError } from '../model-error.js';
import { jsonSchemaForClaude } from './json-schema-for-claude.js';

type BlockParam = Anthropic.ContentBlockParam;
type ToolResultContent = Exclude<Anthropic.ToolResultBlockParam['content'], string | undefined>;

const EPHEMERAL: Anthropic.CacheControlEphemeral = { type: 'ephemeral' };

/**
 * The request body of one call. With `thinking`, `temperature` is left out (the API takes no other
 * value than 1 with thinking) and, when the request sets no `maxTokens`, `max_tokens` is the budget
 * plus the default cap, so the answer keeps room after the thinking.
 *
 * @throws {ModelCallError} `BAD_REQUEST` for a block the API cannot take (an image with a text
 *   source) or a structured-output schema Claude cannot express
 */
export function toParams(request: CompletionRequest, model: string, maxTokens: number): Anthropic.MessageStreamParams {
  const thinking = request.thinking;
  const cache = request.cache === true;
  const messages = [...(request.history ?? []), { role: 'user', content: request.prompt } satisfies ChatTurn].map(
    (turn): Anthropic.MessageParam => ({ role: turn.role, content: toContent(turn.content) }),
  );
  if (cache) markConversation(messages);
  const tools = request.tools?.map((tool): Anthropic.Tool => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema as Anthropic.Tool.InputSchema }));
  if (cache && tools && tools.length > 0) tools[tools.length - 1] = { ...tools[tools.length - 1]!, cache_control: EPHEMERAL };
  const system = request.system === undefined ? undefined : cache && request.system !== '' ? [{ type: 'text' as const, text: request.system, cache_control: EPHEMERAL }] : request.system;
  return {
    model: request.model ?? model,
    max_tokens: request.maxTokens ?? (thinking ? thinking.budgetTokens + maxTokens : maxTokens),
    messages,
    ...(system !== undefined ? { system } : {}),
    ...(request.temperature !== undefined && !thinking ? { temperature: request.temperature } : {}),
    ...(tools ? { tools } : {}),
    ...(request.toolChoice ? { tool_choice: toToolChoice(request.toolChoice) } : {}),
    ...(thinking ? { thinking: { type: 'enabled', budget_tokens: thinking.budgetTokens } } : {}),
    ...(request.jsonSchema ? { output_config: { format: { type: 'json_schema', schema: jsonSchemaForClaude(request.jsonSchema) } } } : {}),
  };
}

/**
 * Cache breakpoints in the conversation: the last block of the final user turn (what the next call
 * resends), and the last block of the user turn before it (where the previous call of a loop put
 * its breakpoint, so the read is exact however many blocks the last step added). With the tools'
 * and the system prompt's, at most 4, as the API allows.
 */
function markConversation(messages: Anthropic.MessageParam[]): void {
  const userTurns = messages.flatMap((message, i) => (message.role === 'user' ? [i] : []));
  for (const i of userTurns.slice(-2)) {
    const message = messages[i]!;
    const blocks: BlockParam[] = typeof message.content === 'string' ? (message.content === '' ? [] : [{ type: 'text', text: message.content }]) : [...message.content];
    const last = blocks.at(-1);
    if (!last || last.type === 'thinking' || last.type === 'redacted_thinking') continue; // nothing the API lets us mark
    blocks[blocks.length - 1] = { ...last, cache_control: EPHEMERAL } as BlockParam;
    messages[i] = { role: 'user', content: blocks };
  }
}

function toContent(content: MessageContent): string | BlockParam[] {
  return typeof content === 'string' ? content : content.map(toBlock);
}

/** One block in the API's shape (camelCase fields to snake_case). */
export function toBlock(block: ContentBlock): BlockParam {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      return { type: 'image', source: toImageSource(block.source) };
    case 'document':
      return { type: 'document', source: toDocumentSource(block.source), ...(block.title !== undefined ? { title: block.title } : {}) };
    case 'tool_use':
      return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    case 'tool_result':
      return {
        type: 'tool_result',
        tool_use_id: block.toolUseId,
        content: typeof block.content === 'string' ? block.content : block.content.map((part): ToolResultContent[number] => (part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image', source: toImageSource(part.source) })),
        ...(block.isError !== undefined ? { is_error: block.isError } : {}),
      };
    case 'thinking':
      return { type: 'thinking', thinking: block.thinking, signature: block.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: block.data };
  }
}

function toImageSource(source: MediaSource): Anthropic.ImageBlockParam['source'] {
  if (source.type === 'url') return { type: 'url', url: source.url };
  if (source.type === 'base64') return { type: 'base64', media_type: source.mediaType as Anthropic.Base64ImageSource['media_type'], data: source.data };
  throw new ModelCallError('BAD_REQUEST', `an image block takes a base64 or url source, not '${source.type}'`, { provider: 'anthropic' });
}

function toDocumentSource(source: MediaSource): Anthropic.DocumentBlockParam['source'] {
  if (source.type === 'url') return { type: 'url', url: source.url };
  if (source.type === 'text') return { type: 'text', media_type: 'text/plain', data: source.data };
  return { type: 'base64', media_type: source.mediaType as Anthropic.Base64PDFSource['media_type'], data: source.data };
}

function toToolChoice(choice: ToolChoice): Anthropic.ToolChoice {
  return typeof choice === 'string' ? { type: choice } : { type: 'tool', name: choice.name };
}
