import type { CompletionRequest, ContentBlock } from '../model.js';
import { thinkingSignature } from './signature.js';

/**
 * What is wrong with a request, as the real API's 400 would say (in the request's own field names,
 * e.g. `'history[2].content[0]'`); undefined when it is fine. It checks the fields' types and
 * ranges, every content block, where each kind of block may appear (tool calls and thinking in
 * assistant turns; tool results, images and documents in user turns), the tool loop (every
 * `tool_use` of an assistant turn answered by a `tool_result` in the next turn, every
 * `tool_result` answering one of the previous turn's `tool_use` ids, tool results first, ids
 * unique, `tools` defined), the tools and `toolChoice`, and extended thinking's rules (a budget of
 * at least 1,024 tokens, below `maxTokens` when it is given, no forced tool use, thinking blocks
 * passed back unchanged at the head of the assistant turn whose tool calls are being answered). As
 * the Claude adapter does, a request with thinking and no `maxTokens` gets the budget plus the
 * default cap, and its `temperature` is ignored (the API takes no other value than 1).
 * Consecutive turns of one role are merged first, as the API does.
 * @internal
 */
export function requestProblem(request: CompletionRequest): string | undefined {
  if (request === null || typeof request !== 'object') return `the request must be an object, got ${describe(request)}`;
  return fieldProblem(request) ?? conversationProblem(request) ?? toolsProblem(request) ?? thinkingProblem(request);
}

type Role = 'user' | 'assistant';
/** One block of the conversation, with the field it came from. */
interface Located {
  block: ContentBlock;
  path: string;
}
/** Consecutive turns of one role, merged. */
interface Message {
  role: Role;
  path: string;
  blocks: Located[];
}

/** The API's pattern for a tool's name (64 characters until mid-2025, 128 since). */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const TOOL_USE_ID = /^[a-zA-Z0-9_-]+$/;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const MIN_THINKING_BUDGET = 1024;

function fieldProblem(request: CompletionRequest): string | undefined {
  const prompt = contentProblem(request.prompt, 'prompt', 'user');
  if (prompt) return prompt;
  if (request.system !== undefined && typeof request.system !== 'string') return `'system' must be a string, got ${typeof request.system}`;
  const { maxTokens, temperature, model, history, jsonSchema, cache } = request;
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) return `'maxTokens' must be an integer > 0, got ${String(maxTokens)}`;
  if (temperature !== undefined && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 1)) {
    return `'temperature' must be a number between 0 and 1, got ${String(temperature)}`;
  }
  if (model !== undefined && !(typeof model === 'string' && model.length > 0)) return `'model' must be a non-empty string, got ${JSON.stringify(model)}`;
  if (history !== undefined) {
    if (!Array.isArray(history)) return `'history' must be an array of turns, got ${typeof history}`;
    for (let i = 0; i < history.length; i++) {
      const turn: unknown = history[i];
      if (!(isObject(turn) && (turn.role === 'user' || turn.role === 'assistant'))) return `'history[${i}]' must be { role: 'user' | 'assistant', content: string | ContentBlock[] }`;
      const problem = contentProblem(turn.content, `history[${i}].content`, turn.role);
      if (problem) return problem;
    }
  }
  if (jsonSchema !== undefined && !(typeof jsonSchema === 'object' && jsonSchema !== null && !Array.isArray(jsonSchema))) {
    return `'jsonSchema' must be a JSON Schema object, got ${Array.isArray(jsonSchema) ? 'an array' : typeof jsonSchema}`;
  }
  if (cache !== undefined && typeof cache !== 'boolean') return `'cache' must be a boolean, got ${describe(cache)}`;
  return undefined;
}

function contentProblem(content: unknown, path: string, role: Role): string | undefined {
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return `'${path}' must be a string or an array of content blocks, got ${describe(content)}`;
  if (content.length === 0) return `'${path}' must not be empty: give a string or at least one content block`;
  for (let i = 0; i < content.length; i++) {
    const problem = blockProblem(content[i], `${path}[${i}]`, role);
    if (problem) return problem;
  }
  return undefined;
}

function blockProblem(block: unknown, path: string, role: Role): string | undefined {
  if (!isObject(block) || typeof block.type !== 'string') return `'${path}' must be a content block ({ type: 'text' | 'image' | ... }), got ${describe(block)}`;
  const only = (wanted: Role) => (role === wanted ? undefined : `'${path}': a ${block.type} block may only appear in ${wanted === 'user' ? 'a user turn' : 'an assistant turn'}`);
  switch (block.type) {
    case 'text':
      return textProblem(block, path);
    case 'image':
      return only('user') ?? imageProblem(block, path);
    case 'document':
      return only('user') ?? documentProblem(block, path);
    case 'tool_use':
      if (role !== 'assistant') return only('assistant');
      if (!(typeof block.id === 'string' && TOOL_USE_ID.test(block.id))) return `'${path}.id' must match ${String(TOOL_USE_ID)}, got ${describe(block.id)}`;
      if (!(typeof block.name === 'string' && block.name.length > 0)) return `'${path}.name' must be a non-empty string, got ${describe(block.name)}`;
      return isObject(block.input) ? undefined : `'${path}.input' must be an object (a tool's input is a JSON object), got ${describe(block.input)}`;
    case 'tool_result':
      return only('user') ?? toolResultProblem(block, path);
    case 'thinking':
      if (role !== 'assistant') return only('assistant');
      if (typeof block.thinking !== 'string') return `'${path}.thinking' must be a string, got ${describe(block.thinking)}`;
      if (typeof block.signature !== 'string' || block.signature !== thinkingSignature(block.thinking)) {
        return `'${path}': invalid 'signature' in thinking block: thinking blocks must be passed back exactly as the model wrote them`;
      }
      return undefined;
    case 'redacted_thinking':
      if (role !== 'assistant') return only('assistant');
      return typeof block.data === 'string' ? undefined : `'${path}.data' must be a string, got ${describe(block.data)}`;
    default:
      return `'${path}.type' must be one of text, image, document, tool_use, tool_result, thinking, redacted_thinking; got ${JSON.stringify(block.type)}`;
  }
}

function textProblem(block: Record<string, unknown>, path: string): string | undefined {
  if (typeof block.text !== 'string') return `'${path}.text' must be a string, got ${describe(block.text)}`;
  return block.text.length > 0 ? undefined : `'${path}': text content blocks must be non-empty`;
}

function imageProblem(block: Record<string, unknown>, path: string): string | undefined {
  const source = block.source;
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string') return undefined;
  if (isObject(source) && source.type === 'base64' && typeof source.data === 'string' && typeof source.mediaType === 'string') {
    return IMAGE_TYPES.has(source.mediaType) ? undefined : `'${path}.source.mediaType' must be one of ${[...IMAGE_TYPES].join(', ')}; got ${JSON.stringify(source.mediaType)}`;
  }
  return `'${path}.source' must be { type: 'base64', mediaType, data } or { type: 'url', url }, got ${describe(source)}`;
}

function documentProblem(block: Record<string, unknown>, path: string): string | undefined {
  const source = block.source;
  if (block.title !== undefined && typeof block.title !== 'string') return `'${path}.title' must be a string, got ${describe(block.title)}`;
  if (isObject(source) && source.type === 'url' && typeof source.url === 'string') return undefined;
  if (isObject(source) && source.type === 'text' && source.mediaType === 'text/plain' && typeof source.data === 'string') return undefined;
  if (isObject(source) && source.type === 'base64' && typeof source.data === 'string') {
    return source.mediaType === 'application/pdf' ? undefined : `'${path}.source.mediaType' must be 'application/pdf' for a base64 document, got ${JSON.stringify(source.mediaType)}`;
  }
  return `'${path}.source' must be { type: 'base64', mediaType: 'application/pdf', data }, { type: 'text', mediaType: 'text/plain', data } or { type: 'url', url }, got ${describe(source)}`;
}

function toolResultProblem(block: Record<string, unknown>, path: string): string | undefined {
  if (typeof block.toolUseId !== 'string') return `'${path}.toolUseId' must be a string, got ${describe(block.toolUseId)}`;
  if (block.isError !== undefined && typeof block.isError !== 'boolean') return `'${path}.isError' must be a boolean, got ${describe(block.isError)}`;
  const content = block.content;
  if (typeof content === 'string') return undefined;
  if (!Array.isArray(content)) return `'${path}.content' must be a string or an array of text and image blocks, got ${describe(content)}`;
  for (let i = 0; i < content.length; i++) {
    const part: unknown = content[i];
    const at = `${path}.content[${i}]`;
    if (isObject(part) && part.type === 'text') {
      const problem = textProblem(part, at);
      if (problem) return problem;
    } else if (isObject(part) && part.type === 'image') {
      const problem = imageProblem(part, at);
      if (problem) return problem;
    } else return `'${at}' must be a text or image block, got ${describe(part)}`;
  }
  return undefined;
}

/** The conversation as the API sees it: the history then the prompt, consecutive turns of one role merged. */
function messagesOf(request: CompletionRequest): Message[] {
  const turns = [...(request.history ?? []).map((turn, i) => ({ ...turn, path: `history[${i}].content` })), { role: 'user' as const, content: request.prompt, path: 'prompt' }];
  const messages: Message[] = [];
  for (const turn of turns) {
    const blocks: Located[] = typeof turn.content === 'string' ? [{ block: { type: 'text', text: turn.content }, path: turn.path }] : turn.content.map((block, i) => ({ block, path: `${turn.path}[${i}]` }));
    const last = messages[messages.length - 1];
    if (last && last.role === turn.role) last.blocks.push(...blocks);
    else messages.push({ role: turn.role, path: turn.path, blocks });
  }
  return messages;
}

function conversationProblem(request: CompletionRequest): string | undefined {
  const messages = messagesOf(request);
  const seen = new Map<string, string>();
  let toolBlocks = 0;
  for (let m = 0; m < messages.length; m++) {
    const message = messages[m]!;
    if (message.role === 'assistant') {
      const calls = message.blocks.filter(({ block }) => block.type === 'tool_use') as (Located & { block: Extract<ContentBlock, { type: 'tool_use' }> })[];
      toolBlocks += calls.length;
      for (const { block, path } of calls) {
        const earlier = seen.get(block.id);
        if (earlier !== undefined) return `'${path}.id': tool_use ids must be unique; '${block.id}' is also used at '${earlier}'`;
        seen.set(block.id, path);
      }
      const next = messages[m + 1];
      const answered = new Set(next?.blocks.flatMap(({ block }) => (block.type === 'tool_result' ? [block.toolUseId] : [])));
      const missing = calls.filter(({ block }) => !answered.has(block.id)).map(({ block }) => block.id);
      if (missing.length > 0) {
        return `'${next?.path ?? message.path}': tool_use ids were found without tool_result blocks immediately after: ${missing.join(', ')}. Each tool_use block must have a corresponding tool_result block in the next message`;
      }
      continue;
    }
    const previous = messages[m - 1];
    const asked = new Set(previous?.blocks.flatMap(({ block }) => (block.type === 'tool_use' ? [block.id] : [])));
    let other: Located | undefined;
    for (const located of message.blocks) {
      const { block, path } = located;
      if (block.type !== 'tool_result') {
        other ??= located;
        continue;
      }
      toolBlocks++;
      if (!asked.has(block.toolUseId)) {
        return `'${path}': unexpected tool_use_id found in tool_result blocks: ${block.toolUseId}. Each tool_result block must have a corresponding tool_use block in the previous message`;
      }
      if (other) return `'${path}': tool_result blocks must come first in a user turn, before any other content (found ${other.block.type} at '${other.path}')`;
    }
  }
  if (toolBlocks > 0 && !(request.tools && request.tools.length > 0)) return `requests which include tool_use or tool_result blocks must define 'tools'`;
  return undefined;
}

function toolsProblem(request: CompletionRequest): string | undefined {
  const { tools, toolChoice } = request;
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return `'tools' must be an array of tool definitions, got ${describe(tools)}`;
    const names = new Set<string>();
    for (let i = 0; i < tools.length; i++) {
      const tool: unknown = tools[i];
      if (!isObject(tool)) return `'tools[${i}]' must be { name, description, inputSchema }, got ${describe(tool)}`;
      if (!(typeof tool.name === 'string' && TOOL_NAME.test(tool.name))) return `'tools[${i}].name' must match ${String(TOOL_NAME)}, got ${describe(tool.name)}`;
      if (tool.description !== undefined && typeof tool.description !== 'string') return `'tools[${i}].description' must be a string, got ${describe(tool.description)}`;
      if (!(isObject(tool.inputSchema) && tool.inputSchema.type === 'object')) return `'tools[${i}].inputSchema' must be a JSON Schema of type 'object', got ${describe(tool.inputSchema)}`;
      if (names.has(tool.name)) return `'tools[${i}].name': tool names must be unique; '${tool.name}' is defined twice`;
      names.add(tool.name);
    }
  }
  if (toolChoice === undefined) return undefined;
  const named = isObject(toolChoice) && typeof toolChoice.name === 'string';
  if (!(toolChoice === 'auto' || toolChoice === 'any' || toolChoice === 'none' || named)) return `'toolChoice' must be 'auto', 'any', 'none' or { name }, got ${describe(toolChoice)}`;
  if (!tools || tools.length === 0) return `'toolChoice' may only be given with 'tools'`;
  if (named && !tools.some((tool) => tool.name === toolChoice.name)) return `'toolChoice.name' names no tool of 'tools': ${JSON.stringify(toolChoice.name)}`;
  return undefined;
}

function thinkingProblem(request: CompletionRequest): string | undefined {
  const { thinking } = request;
  if (thinking === undefined) return undefined;
  if (!isObject(thinking)) return `'thinking' must be { budgetTokens }, got ${describe(thinking)}`;
  const budget = thinking.budgetTokens;
  if (!(Number.isInteger(budget) && budget >= MIN_THINKING_BUDGET)) return `'thinking.budgetTokens' must be an integer >= ${MIN_THINKING_BUDGET}, got ${String(budget)}`;
  if (request.maxTokens !== undefined && !(request.maxTokens > budget)) return `'maxTokens' (${request.maxTokens}) must be greater than 'thinking.budgetTokens' (${budget})`;
  if (request.toolChoice === 'any' || isObject(request.toolChoice)) return `'toolChoice': thinking may not be enabled when toolChoice forces tool use (use 'auto' or 'none')`;
  // The assistant turn whose tool calls the prompt answers must start with its thinking, passed back.
  const messages = messagesOf(request);
  const last = messages[messages.length - 1]!;
  const previous = messages[messages.length - 2];
  if (previous && last.blocks.some(({ block }) => block.type === 'tool_result') && previous.blocks.some(({ block }) => block.type === 'tool_use')) {
    const first = previous.blocks[0]!;
    if (first.block.type !== 'thinking' && first.block.type !== 'redacted_thinking') {
      return `'${first.path}': expected thinking or redacted_thinking, but found ${first.block.type}. When thinking is enabled, the assistant turn whose tool calls are being answered must start with its thinking block: pass the thinking blocks back unchanged`;
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
}
