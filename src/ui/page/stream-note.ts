/**
 * What the node panel says about a node's streamed text, so that its box is never silently empty:
 * "nothing streamed" for a finished node that streamed nothing, "streamed before you connected"
 * when the page holds none (or only the tail) of what the node streamed. Pure; runs in the browser and in Node.
 */
import type { NodeState } from '../../run/run-state.js';
import { formatInt } from './format.js';

/** Why the text box shows what it shows. */
export type StreamNoteKind = 'text' | 'tail' | 'nothing' | 'notStarted' | 'notYet' | 'before' | 'evicted';

/** The note: its kind, the heading's small print, and (when the page holds no text) what the box says instead. */
export interface StreamNote {
  kind: StreamNoteKind;
  /** `1,234 chars`, `the last 16,000 of 40,210 chars`. */
  summary: string;
  /** Said in the box when there is no text to show. */
  empty: string | undefined;
}

const ENDED: ReadonlySet<NodeState> = new Set<NodeState>(['succeeded', 'failed', 'timedOut', 'fellBack', 'skipped']);
const NOT_STARTED: ReadonlySet<NodeState> = new Set<NodeState>(['pending', 'queued', 'waiting']);

/**
 * The note for a node's text box.
 *
 * ```ts
 * streamNote({ state: 'succeeded', text: '', textCut: 'no', streamedChars: 0 }).empty; // 'Nothing streamed.'
 * streamNote({ state: 'running', text: '', textCut: 'no', streamedChars: 812 }).kind; // 'before'
 * ```
 */
export function streamNote(node: { readonly state: NodeState; readonly text: string; readonly textCut: 'no' | 'tail' | 'evicted'; readonly streamedChars: number }): StreamNote {
  const chars = formatInt(node.streamedChars);
  if (node.text === '') {
    if (node.textCut === 'evicted') {
      return { kind: 'evicted', summary: `${chars} chars, not held`, empty: `Streamed before you connected (or dropped to keep the page's memory bounded): the page does not hold these ${chars} characters.` };
    }
    if (node.streamedChars > 0) return { kind: 'before', summary: `${chars} chars, not held`, empty: `Streamed before you connected: the page does not hold these ${chars} characters.` };
    if (ENDED.has(node.state)) return { kind: 'nothing', summary: '0 chars', empty: node.state === 'skipped' ? 'Nothing streamed: the node was skipped.' : 'Nothing streamed.' };
    if (NOT_STARTED.has(node.state)) return { kind: 'notStarted', summary: '0 chars', empty: 'Nothing streamed yet: the node has not started.' };
    return { kind: 'notYet', summary: '0 chars', empty: 'Nothing streamed yet.' };
  }
  if (node.textCut === 'tail' || node.streamedChars > node.text.length) {
    const rest = node.textCut === 'tail' ? '' : '; the rest streamed before you connected';
    return { kind: 'tail', summary: `the last ${formatInt(node.text.length)} of ${chars} chars${rest}`, empty: undefined };
  }
  return { kind: 'text', summary: `${chars} chars`, empty: undefined };
}
