import type { ChatTurn } from '../../models/model.js';
import type { PeerMessage } from './message.js';

/**
 * The conversation as one peer sees it, ready for a model call: its own messages are its
 * (assistant) turns; every other message, whoever it was addressed to, is part of the user turn
 * between them, as `<message from="...">` blocks (consecutive ones merged into one turn). The last
 * user turn is the prompt; the turns before it are the history. @internal
 */
export function peerView(self: string, transcript: readonly PeerMessage[]): { history: ChatTurn[]; prompt: string } {
  const turns: ChatTurn[] = [];
  let pending: string[] = [];
  for (const message of transcript) {
    if (message.from === self) {
      if (pending.length > 0) turns.push({ role: 'user', content: pending.join('\n\n') });
      pending = [];
      turns.push({ role: 'assistant', content: message.text });
    } else {
      pending.push(`<message from="${message.from}">\n${message.text}\n</message>`);
    }
  }
  return { history: turns, prompt: pending.join('\n\n') };
}
