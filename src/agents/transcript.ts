import type { ChatTurn, Completion, ContentBlock, MessageContent } from '../models/model.js';

/**
 * An agent's conversation, turn by turn, as content blocks: the user's prompt, then each assistant
 * turn (thinking, text and `tool_use` blocks, as the model wrote them) followed by a user turn of
 * `tool_result` blocks (one per `tool_use`), and so on. What `agent.finished` carries, what
 * `transcript: 'value'` returns, and what a `MAX_STEPS` error keeps.
 */
export type Transcript = readonly ChatTurn[];

/** A `tool_use` block of an assistant turn. */
export type ToolUseBlock = Extract<ContentBlock, { type: 'tool_use' }>;

/** A `tool_result` block of a user turn. */
export type ToolResultBlock = Extract<ContentBlock, { type: 'tool_result' }>;

/**
 * The assistant's turn as it must be sent back: the completion's blocks unchanged (thinking blocks
 * keep their signatures: the API refuses a tool loop that drops them), or one text block.
 */
export function assistantTurn(completion: Completion): ChatTurn {
  return { role: 'assistant', content: completion.content ?? (completion.text === '' ? [] : [{ type: 'text', text: completion.text }]) };
}

/** The `tool_use` blocks of a completion, in the order the model wrote them. */
export function toolUsesOf(completion: Completion): ToolUseBlock[] {
  const uses: ToolUseBlock[] = [];
  for (const block of completion.content ?? []) if (block.type === 'tool_use') uses.push(block);
  return uses;
}

/**
 * A growing conversation. `request()` splits it the way a {@link CompletionRequest} takes it: every
 * turn but the last as `history`, the last (always a user turn) as `prompt`.
 * @internal
 */
export class Conversation {
  readonly #turns: ChatTurn[];

  constructor(prompt: MessageContent) {
    this.#turns = [{ role: 'user', content: prompt }];
  }

  /** Turns so far. */
  get length(): number {
    return this.#turns.length;
  }

  append(turn: ChatTurn): void {
    this.#turns.push(turn);
  }

  /** What the next call sends: history and prompt (the newest user turn). */
  request(): { history: readonly ChatTurn[]; prompt: MessageContent } {
    const turns = this.#turns;
    return { history: turns.slice(0, -1), prompt: turns[turns.length - 1]!.content };
  }

  /** A copy of the turns, safe to hand out. */
  snapshot(): ChatTurn[] {
    return this.#turns.slice();
  }
}
