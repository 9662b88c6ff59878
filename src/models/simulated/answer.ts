import type { CompletionRequest, ContentBlock } from '../model.js';
import { OptionsError } from '../../errors/options-error.js';
import { sampleJsonSchema, type EnumPicker } from './json-schema-sample.js';
import { DEFAULT_MAX_TOKENS, capReply, defaultReply, firstWords, promptText, toolUseTokens } from './request.js';
import { thinkingSignature } from './signature.js';
import type { Segment, ToolUseBlock } from './timeline.js';

/** What a {@link SimulatedToolPolicy} passes besides the request. */
export interface ToolPolicyContext {
  /** The loop step this call is: 1 + the assistant turns in the request's history (1 for a fresh conversation). */
  step: number;
  /** A random source in [0, 1) seeded from the model's seed and this call: same seed, same picks. */
  random: () => number;
  /** The call's index among the calls this model admitted (0 for the first), as `respond` gets it. */
  call: number;
}

/**
 * What the simulated model answers when a {@link SimulatedToolPolicy} decides: tool calls (after an
 * optional text), or a text; either may start with `thinking` (used when the request enables it).
 */
export type SimulatedToolAnswer =
  | { toolUse: readonly { name: string; input: unknown }[]; text?: string; thinking?: string }
  | { text: string; thinking?: string };

/**
 * Decides what the simulated model answers when a request offers tools (and `toolChoice` is not
 * `'none'`): tool calls, a text, or undefined for the usual answer (`respond`, or the default
 * reply). Tool names are not checked against the tools offered: a policy may call an unknown tool,
 * as a real model can, to test how an agent copes.
 *
 * ## Example
 * ```ts
 * import { simulatedModel, type SimulatedToolPolicy } from 'rx-orchestra';
 * // read one file, then answer
 * const policy: SimulatedToolPolicy = (request, { step }) =>
 *   step === 1 ? { toolUse: [{ name: 'read_file', input: { path: 'src/index.ts' } }] } : { text: 'It exports the public API.' };
 * const model = simulatedModel({ toolPolicy: policy });
 * ```
 */
export type SimulatedToolPolicy = (request: CompletionRequest, context: ToolPolicyContext) => SimulatedToolAnswer | undefined;

/** Where an answer comes from, for one admitted call. @internal */
export interface AnswerSources {
  call: number;
  pickEnum: EnumPicker;
  /** The policy's random source (made on first use). */
  random: () => number;
  respond?: (request: CompletionRequest, call: number) => string;
  toolPolicy?: SimulatedToolPolicy;
  nextToolUseId: () => string;
  where: string;
}

/** An answer as the model sends it: its segments in order, cut to `maxTokens`. @internal */
export interface PlannedAnswer {
  segments: Segment[];
  tokens: number;
  text: string;
  /** Only when the answer holds more than text (thinking or tool calls). */
  content?: ContentBlock[];
  stopReason: 'end_turn' | 'max_tokens' | 'tool_use';
}

/**
 * What the simulated model answers a request: the tool policy's decision when tools are offered
 * (a forced `toolChoice` is always honoured: a call to the named tool, or the first one, with input
 * sampled from its schema, when the policy does not call it), else `respond`'s text, else the
 * default reply; thinking first when the request enables it (the policy's, else a short
 * `[sim thinking] …`), signed, at most `budgetTokens`. The whole answer is cut to `maxTokens`:
 * thinking, then text, then whole tool calls (a cut answer stops with `'max_tokens'`).
 * @throws {OptionsError} when `respond` or `toolPolicy` answers something malformed
 * @internal
 */
export function planAnswer(request: CompletionRequest, sources: AnswerSources): PlannedAnswer {
  const decided = decide(request, sources);
  // With thinking and no cap, the budget plus the default cap, as the Claude adapter sends.
  const maxTokens = request.maxTokens ?? (request.thinking ? request.thinking.budgetTokens + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS);
  const thinking = request.thinking ? capReply(decided.thinking ?? `[sim thinking] ${firstWords(promptText(request.prompt))}`, Math.min(request.thinking.budgetTokens, maxTokens)) : undefined;
  let left = maxTokens - (thinking?.outputTokens ?? 0);
  const text = capReply(decided.text, Math.max(0, left));
  left -= text.outputTokens;
  let cut = text.stopReason === 'max_tokens' || thinking?.stopReason === 'max_tokens';
  const calls: { block: ToolUseBlock; tokens: number }[] = [];
  for (const { name, input } of decided.toolUse) {
    const tokens = toolUseTokens(name, input);
    const id = sources.nextToolUseId();
    if (cut || tokens > left) {
      cut = true;
      continue;
    }
    left -= tokens;
    calls.push({ block: { type: 'tool_use', id, name, input }, tokens });
  }
  const segments: Segment[] = [];
  const content: ContentBlock[] = [];
  if (thinking) {
    segments.push({ kind: 'thinking', text: thinking.text });
    content.push({ type: 'thinking', thinking: thinking.text, signature: thinkingSignature(thinking.text) });
  }
  segments.push({ kind: 'text', text: text.text });
  if (text.text !== '') content.push({ type: 'text', text: text.text });
  for (const call of calls) {
    segments.push({ kind: 'tool_use', ...call });
    content.push(call.block);
  }
  const rich = thinking !== undefined || decided.toolUse.length > 0;
  return {
    segments,
    tokens: (thinking?.outputTokens ?? 0) + text.outputTokens + calls.reduce((sum, call) => sum + call.tokens, 0),
    text: text.text,
    ...(rich ? { content } : {}),
    stopReason: cut ? 'max_tokens' : calls.length > 0 ? 'tool_use' : 'end_turn',
  };
}

interface Decision {
  text: string;
  thinking?: string;
  toolUse: readonly { name: string; input: unknown }[];
}

function decide(request: CompletionRequest, sources: AnswerSources): Decision {
  const { call, where } = sources;
  const tools = request.tools ?? [];
  const offered = tools.length > 0 && request.toolChoice !== 'none';
  const step = 1 + (request.history ?? []).filter((turn) => turn.role === 'assistant').length;
  const policy = offered && sources.toolPolicy ? checkAnswer(sources.toolPolicy(request, { step, random: sources.random, call }), where, call) : undefined;
  const fallbackText = () => {
    const reply = sources.respond ? sources.respond(request, call) : defaultReply(request, sources.pickEnum);
    if (typeof reply !== 'string') throw new OptionsError('respond', `${where}: 'respond' must return a string, got ${typeof reply} (call ${call})`, 'models');
    return reply;
  };
  const decision: Decision =
    policy === undefined
      ? { text: fallbackText(), toolUse: [] }
      : { text: policy.text ?? '', toolUse: 'toolUse' in policy ? policy.toolUse : [], ...(policy.thinking !== undefined ? { thinking: policy.thinking } : {}) };
  const choice = request.toolChoice;
  if (!offered || choice === undefined || choice === 'auto') return decision;
  // A forced tool choice: the API prefills the turn, so there is no text before the tool call.
  if (choice === 'none') return decision; // not offered: unreachable, for the types
  const forced = choice === 'any' ? tools : tools.filter((tool) => tool.name === choice.name);
  const toolUse = decision.toolUse.filter((use) => forced.some((tool) => tool.name === use.name));
  const tool = forced[0]!;
  return { ...decision, text: '', toolUse: toolUse.length > 0 ? toolUse : [{ name: tool.name, input: sampleJsonSchema(tool.inputSchema, sources.pickEnum) }] };
}

function checkAnswer(answer: unknown, where: string, call: number): SimulatedToolAnswer | undefined {
  if (answer === undefined) return undefined;
  const fail = (what: string) => new OptionsError('toolPolicy', `${where}: 'toolPolicy' ${what} (call ${call})`, 'models');
  if (typeof answer !== 'object' || answer === null) throw fail(`must return { toolUse } or { text } or undefined, got ${answer === null ? 'null' : typeof answer}`);
  const { toolUse, text, thinking } = answer as Record<string, unknown>;
  if (text !== undefined && typeof text !== 'string') throw fail(`returned a 'text' that is not a string (${typeof text})`);
  if (thinking !== undefined && typeof thinking !== 'string') throw fail(`returned a 'thinking' that is not a string (${typeof thinking})`);
  if (toolUse === undefined) {
    if (text === undefined) throw fail('must return { toolUse } or { text } or undefined, got an object with neither');
    return answer as SimulatedToolAnswer;
  }
  if (!Array.isArray(toolUse)) throw fail(`returned a 'toolUse' that is not an array`);
  toolUse.forEach((use: unknown, i) => {
    const ok = typeof use === 'object' && use !== null && typeof (use as { name?: unknown }).name === 'string' && isRecord((use as { input?: unknown }).input);
    if (!ok) throw fail(`returned 'toolUse[${i}]' that is not { name: string, input: object }`);
  });
  return answer as SimulatedToolAnswer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
