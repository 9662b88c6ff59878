import type { ToolResultContent } from '../agents/tool.js';

type ResultBlock = Exclude<ToolResultContent, string>[number];

/** The fields of an MCP `tools/call` result this module reads (the SDK validates the rest). @internal */
export interface McpCallResult {
  readonly content?: readonly McpContent[];
  readonly structuredContent?: unknown;
  readonly isError?: boolean;
}

/** An MCP content block, loosely: the kinds the protocol defines, read defensively. @internal */
export interface McpContent {
  readonly type: string;
  readonly text?: string;
  readonly data?: string;
  readonly mimeType?: string;
  readonly uri?: string;
  readonly name?: string;
  readonly description?: string;
  readonly resource?: { readonly uri?: string; readonly mimeType?: string; readonly text?: string; readonly blob?: string };
}

/** Bytes of base64 data, roughly. */
const bytesOf = (base64: string | undefined) => Math.floor(((base64?.length ?? 0) * 3) / 4);

/** One MCP content block as what the model can read: text or image; the rest described in text. */
function blockOf(content: McpContent): ResultBlock {
  switch (content.type) {
    case 'text':
      return { type: 'text', text: content.text ?? '' };
    case 'image':
      return { type: 'image', source: { type: 'base64', mediaType: content.mimeType ?? 'image/png', data: content.data ?? '' } };
    case 'audio':
      return { type: 'text', text: `[audio ${content.mimeType ?? ''}, ${bytesOf(content.data)} bytes: not shown]` };
    case 'resource_link':
      return { type: 'text', text: `[resource ${content.name ?? ''} ${content.uri ?? ''}${content.description ? `: ${content.description}` : ''}]` };
    case 'resource': {
      const resource = content.resource ?? {};
      if (typeof resource.text === 'string') return { type: 'text', text: resource.text };
      return { type: 'text', text: `[resource ${resource.uri ?? ''} (${resource.mimeType ?? 'binary'}), ${bytesOf(resource.blob)} bytes: not shown]` };
    }
    default:
      return { type: 'text', text: `[${content.type} content: not shown]` };
  }
}

/**
 * An MCP tool result as the model reads it: one string when it is all text (joined by newlines), else
 * text and image blocks; audio and binary resources are described, not sent. A result with no content
 * but `structuredContent` reads as its JSON.
 * @internal
 */
export function resultContent(result: McpCallResult): ToolResultContent {
  const content = result.content ?? [];
  if (content.length === 0) return result.structuredContent === undefined ? '' : JSON.stringify(result.structuredContent);
  const blocks = content.map(blockOf);
  return blocks.every((block) => block.type === 'text') ? blocks.map((block) => (block as { text: string }).text).join('\n') : blocks;
}

/** The text of an error result, for the error's message. @internal */
export function resultText(result: McpCallResult): string {
  const text = (result.content ?? []).map(blockOf).filter((block) => block.type === 'text').map((block) => (block as { text: string }).text).join('\n');
  return text === '' ? 'the tool reported an error without a message' : text;
}
