/**
 * The identity of a batched call: the node that makes it and a hash of what it asks, the same in a
 * resumed run (whose upstream values come from the checkpoint) as in the run that crashed. Its
 * custom id in a batch is derived from it.
 * @module
 * @internal
 */
import { createHash } from 'node:crypto';
import type { CompletionRequest } from '../model.js';

const owners = new WeakMap<object, string>();

/** Fields of a request that do not change what the model is asked (deadlines, the batch flag). */
const IGNORED: ReadonlySet<string> = new Set(['timeoutMs', 'firstTokenMs', 'idleMs', 'batch']);

/** Notes which node sends `request` (an `llm()` / `agent()` node tags its batched calls). @internal */
export function tagBatchOwner(request: object, nodeId: string): void {
  owners.set(request, nodeId);
}

/** JSON with object keys sorted, so equal requests hash alike. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * The call's key: `<node>:<sha256 of the request>` (deadlines and the batch flag left out), or
 * `:<hash>` for a call no node tagged. @internal
 */
export function batchCallKey(request: CompletionRequest): string {
  const fields = Object.fromEntries(Object.entries(request).filter(([field]) => !IGNORED.has(field)));
  const hash = createHash('sha256').update(stableJson(fields)).digest('hex');
  return `${owners.get(request) ?? ''}:${hash}`;
}

/**
 * A custom id for the call of `key` (the `n`-th of that key in its batch, from 0): the node id's
 * allowed characters (at most 40), a dash and 16 hex digits of the hash, then `-n` when n > 0.
 * Always matches the API's `^[a-zA-Z0-9_-]{1,64}$`. @internal
 */
export function customIdOf(key: string, n = 0): string {
  const cut = key.lastIndexOf(':');
  const owner = key.slice(0, cut).replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 40);
  const hash = key.slice(cut + 1, cut + 17);
  return `${owner ? `${owner}-` : ''}${hash}${n > 0 ? `-${n}` : ''}`;
}
