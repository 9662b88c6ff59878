import type { NodeState } from '../run/run-state.js';
import { formatCount } from './format.js';

/**
 * The children a fan-out (`forEach`) or a subgraph node added to a run (`node.expanded`), as the
 * terminal views group them: the parent's id, its direct children in the order they were added,
 * and how many of them are in each state (kept up to date as they move).
 *
 * ## Example
 * ```ts
 * import type { LiveGroup } from './live-groups.js';
 * const done = (g: LiveGroup) => g.counts.succeeded + g.counts.fellBack;
 * ```
 */
export interface LiveGroup<N = unknown> {
  readonly id: string;
  /** `undefined` when the group was rebuilt from a snapshot (which does not say). */
  kind: 'forEach' | 'subgraph' | undefined;
  readonly children: N[];
  readonly counts: Record<NodeState, number>;
}

/**
 * A group's progress on one line: `[412/1,000 done, 3 running, 1 failed]` (done: succeeded or fell
 * back; running: running or retrying; failed: failed or timed out; waiting, queued and skipped
 * when there are any). Pure.
 *
 * ## Example
 * ```ts
 * import { groupProgress } from './live-groups.js';
 * groupProgress(group); // '[2/3 done, 1 running]'
 * ```
 */
export function groupProgress(group: Pick<LiveGroup, 'children' | 'counts'>): string {
  const c = group.counts;
  const parts = [`${formatCount(c.succeeded + c.fellBack)}/${formatCount(group.children.length)} done`];
  const add = (n: number, label: string) => {
    if (n > 0) parts.push(`${formatCount(n)} ${label}`);
  };
  add(c.running + c.retrying, 'running');
  add(c.waiting, 'awaiting approval');
  add(c.queued, 'queued');
  add(c.failed + c.timedOut, 'failed');
  add(c.skipped, 'skipped');
  return `[${parts.join(', ')}]`;
}


/**
 * A short, one-line preview of an approval's payload: JSON cut to `max` characters. Pure.
 *
 * ## Example
 * ```ts
 * import { payloadPreview } from './live-groups.js';
 * payloadPreview({ to: 'team', body: 'v1' }); // '{"to":"team","body":"v1"}'
 * ```
 */
export function payloadPreview(payload: unknown, max = 120): string {
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? String(payload));
  } catch {
    text = Object.prototype.toString.call(payload);
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
