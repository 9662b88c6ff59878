/**
 * What the real Messages API refuses in tools, thinking, prompt caching and the shape of a tool
 * conversation, so the fake refuses it too (HTTP 400 `invalid_request_error`, worded as the API
 * words it) and a client that builds a tool loop wrongly fails in tests as it would in production.
 * Pure.
 * @module
 */
import { isFakeThinkingSignature } from './thinking-signature.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The API's pattern for a client tool's name (the limit was 64 characters until mid-2025). */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,128}$/;

/** Most `cache_control` breakpoints one request may carry. */
export const MAX_CACHE_BREAKPOINTS = 4;

/** Smallest `thinking.budget_tokens` the API accepts. */
export const MIN_THINKING_BUDGET = 1024;

const THINKING_DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** The blocks of a message's content (a string is one text block). */
const blocksOf = (content: unknown): Json[] => (typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content.filter(isObject) : []);

/**
 * Why the real API would refuse this Messages request body for its tools, thinking settings,
 * cache breakpoints or tool conversation, or undefined when it would take it.
 *
 * - a tool name not matching `^[a-zA-Z0-9_-]{1,128}$`, or two tools with one name;
 * - thinking: `budget_tokens` below 1024 or not below `max_tokens`, a `temperature` other than 1,
 *   a `tool_choice` that forces tool use;
 * - more than 4 `cache_control` breakpoints (tools, system, message blocks, the top-level one);
 * - a thinking block whose signature the fake did not give it (altered, or made up);
 * - an assistant turn with `tool_use` blocks not followed by a user turn that starts with a
 *   `tool_result` for each;
 * - a `tool_result` whose `tool_use_id` matches no `tool_use` of the assistant turn just before;
 * - with thinking enabled, in a tool loop (the last user turn carries tool results), a last
 *   assistant turn that does not start with its thinking block.
 *
 * ## Example
 * ```ts
 * requestProblem({ model: 'claude-sonnet-4-6', max_tokens: 1024, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [] });
 * // '`max_tokens` must be greater than `thinking.budget_tokens`. ...'
 * ```
 */
export function requestProblem(body: Json | undefined): string | undefined {
  if (!body) return undefined;
  return toolsProblem(body) ?? thinkingProblem(body) ?? cacheProblem(body) ?? conversationProblem(body);
}

function toolsProblem(body: Json): string | undefined {
  if (!Array.isArray(body.tools)) return undefined;
  const names = new Set<string>();
  for (const [i, tool] of body.tools.entries()) {
    if (!isObject(tool) || (tool.type !== undefined && tool.type !== 'custom')) continue; // server tools have fixed names
    if (typeof tool.name !== 'string' || !TOOL_NAME_PATTERN.test(tool.name)) return `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (names.has(tool.name)) return 'tools: Tool names must be unique.';
    names.add(tool.name);
  }
  return undefined;
}

/** Whether the request enables extended thinking with a budget (`{ type: 'enabled' }`). */
export function thinkingEnabled(body: Json | undefined): boolean {
  return isObject(body?.thinking) && body.thinking.type === 'enabled';
}

function thinkingProblem(body: Json): string | undefined {
  if (!thinkingEnabled(body)) return undefined;
  const budget = (body.thinking as Json).budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget)) return 'thinking.enabled.budget_tokens: Input should be a valid integer';
  if (budget < MIN_THINKING_BUDGET) return `thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_THINKING_BUDGET}`;
  if (typeof body.max_tokens === 'number' && body.max_tokens <= budget) {
    return `\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${THINKING_DOCS}#max-tokens-and-context-window-size`;
  }
  if (body.temperature !== undefined && body.temperature !== 1) {
    return `\`temperature\` may only be set to 1 when thinking is enabled. Please consult our documentation at ${THINKING_DOCS}#important-considerations-when-using-extended-thinking`;
  }
  if (isObject(body.tool_choice) && (body.tool_choice.type === 'any' || body.tool_choice.type === 'tool')) return 'Thinking may not be enabled when tool_choice forces tool use.';
  return undefined;
}

/** Every place a breakpoint can sit, in prompt order: tools, system blocks, message blocks (and nested tool_result blocks). */
function countBreakpoints(body: Json): number {
  let count = isObject(body.cache_control) ? 1 : 0;
  const visit = (block: unknown) => {
    if (!isObject(block)) return;
    if (block.cache_control) count += 1;
    if (block.type === 'tool_result' && Array.isArray(block.content)) block.content.forEach(visit);
  };
  if (Array.isArray(body.tools)) body.tools.forEach(visit);
  if (Array.isArray(body.system)) body.system.forEach(visit);
  if (Array.isArray(body.messages)) for (const message of body.messages) if (isObject(message) && Array.isArray(message.content)) message.content.forEach(visit);
  return count;
}

function cacheProblem(body: Json): string | undefined {
  const found = countBreakpoints(body);
  return found > MAX_CACHE_BREAKPOINTS ? `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${found}.` : undefined;
}

function conversationProblem(body: Json): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isObject) : [];
  for (const [i, message] of messages.entries()) {
    const blocks = blocksOf(message.content);
    if (message.role === 'assistant') {
      for (const [j, block] of blocks.entries()) {
        if (block.type !== 'thinking') continue;
        if (typeof block.signature !== 'string') return `messages.${i}.content.${j}.thinking.signature: Field required`;
        if (typeof block.thinking !== 'string' || !isFakeThinkingSignature(block.thinking, block.signature)) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      }
      const calls = blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id));
      if (calls.length === 0) continue;
      // The next turn must open with a tool_result for each call: results after other blocks do not count.
      const next = messages[i + 1];
      const answered = new Set<string>();
      if (next?.role === 'user') {
        for (const block of blocksOf(next.content)) {
          if (block.type !== 'tool_result') break;
          answered.add(String(block.tool_use_id));
        }
      }
      const missing = calls.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    } else {
      const previous = messages[i - 1];
      const calls = new Set(previous?.role === 'assistant' ? blocksOf(previous.content).filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : []);
      for (const [j, block] of blocks.entries()) {
        if (block.type === 'tool_result' && !calls.has(String(block.tool_use_id))) {
          return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        }
      }
    }
  }
  return thinkingLoopProblem(body, messages);
}

/** With thinking on, a tool loop's last assistant turn must start with the thinking that led to its calls. */
function thinkingLoopProblem(body: Json, messages: readonly Json[]): string | undefined {
  if (!thinkingEnabled(body)) return undefined;
  const last = messages.at(-1);
  if (last?.role !== 'user' || !blocksOf(last.content).some((b) => b.type === 'tool_result')) return undefined;
  const i = messages.length - 2;
  const assistant = messages[i];
  if (assistant?.role !== 'assistant') return undefined;
  const first = blocksOf(assistant.content)[0];
  if (first?.type === 'thinking' || first?.type === 'redacted_thinking') return undefined;
  return `messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first?.type ?? 'nothing')}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${THINKING_DOCS}`;
}
