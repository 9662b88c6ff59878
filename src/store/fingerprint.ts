import { createHash } from 'node:crypto';
import type { Graph } from '../graph/graph.js';
import type { ChangedDeps, GraphChanges } from './errors.js';

/**
 * A graph's shape as a checkpoint records it: node ids with their dependencies, and a user version.
 *
 * ## Example
 * ```ts
 * import { graphFingerprint, type GraphFingerprint } from 'rx-orchestra/store';
 * const fp: GraphFingerprint = graphFingerprint(g, 'v1');
 * fp.nodes; // [{ id: 'a', deps: [] }, { id: 'b', deps: ['a'] }]
 * ```
 */
export interface GraphFingerprint {
  /** SHA-256 (hex) of the shape: node ids and deps (order-independent) and the version. */
  hash: string;
  /** Every node with its dependencies, both sorted: kept so a mismatch can say what changed. */
  nodes: readonly { id: string; deps: readonly string[] }[];
  /** A version of your own (e.g. bump it when a prompt changes meaning). */
  version?: string;
}

/**
 * The fingerprint of a graph: a hash of its node ids and dependencies (not of the node functions,
 * which cannot be hashed reliably) plus an optional version of your own. Two graphs with the same
 * nodes and edges, defined in any order, have the same fingerprint; pass a new `version` when a
 * node's work changes meaning, so old checkpoints are refused.
 *
 * ## Example
 * ```ts
 * import { graphFingerprint } from 'rx-orchestra/store';
 * graphFingerprint(g, 'prompts-v2').hash; // 'b41c…'
 * ```
 */
export function graphFingerprint(graph: Graph<unknown, unknown>, version?: string): GraphFingerprint {
  const nodes = graph.nodes.map(({ id, deps }) => ({ id, deps: [...deps].sort() })).sort((a, b) => compare(a.id, b.id));
  const hash = createHash('sha256')
    .update(JSON.stringify({ nodes: nodes.map(({ id, deps }) => [id, deps]), version: version ?? null }))
    .digest('hex');
  return version === undefined ? { hash, nodes } : { hash, nodes, version };
}

/**
 * What changed between a checkpoint's fingerprint and the current one: added and removed nodes,
 * nodes whose dependencies changed, and the version. Empty lists when only the hash differs.
 *
 * ## Example
 * ```ts
 * import { diffFingerprints, graphFingerprint } from 'rx-orchestra/store';
 * diffFingerprints(stored, graphFingerprint(g)); // { added: ['review'], removed: [], changedDeps: [] }
 * ```
 */
export function diffFingerprints(before: GraphFingerprint, after: GraphFingerprint): GraphChanges {
  const old = new Map(before.nodes.map((n) => [n.id, n.deps]));
  const now = new Map(after.nodes.map((n) => [n.id, n.deps]));
  const added = [...now.keys()].filter((id) => !old.has(id));
  const removed = [...old.keys()].filter((id) => !now.has(id));
  const changedDeps: ChangedDeps[] = [];
  for (const [id, deps] of now) {
    const previous = old.get(id);
    if (previous && previous.join('\u0000') !== deps.join('\u0000')) changedDeps.push({ nodeId: id, before: previous, after: deps });
  }
  return {
    added,
    removed,
    changedDeps,
    ...(before.version !== after.version ? { version: { before: before.version, after: after.version } } : {}),
  };
}

/** Code-unit order, the same in every locale. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
