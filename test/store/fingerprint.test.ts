/** A graph's fingerprint: ids and deps in any order, plus a version; a diff names what changed. */
import { describe, expect, it } from 'vitest';
import { diffFingerprints, graphFingerprint } from 'rx-orchestra/store';
import { graph } from 'rx-orchestra';

const run = () => ['x'];
const base = graph()
  .node('a', { run })
  .node('b', { run })
  .node('c', { deps: ['a', 'b'], run })
  .node('d', { deps: ['c'], run })
  .build();

describe('graphFingerprint', () => {
  it('depends on node ids and deps, not on definition order, functions or settings', () => {
    const reordered = graph()
      .node('b', { run: () => ['other'], retry: 3 })
      .node('a', { run, timeout: 5 })
      .node('c', { deps: ['b', 'a'], run })
      .node('d', { deps: ['c'], run })
      .build();
    expect(graphFingerprint(reordered)).toEqual(graphFingerprint(base));
    expect(graphFingerprint(base).hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with the version', () => {
    expect(graphFingerprint(base, 'v2').hash).not.toBe(graphFingerprint(base, 'v1').hash);
    expect(graphFingerprint(base, 'v1').version).toBe('v1');
  });
});

describe('diffFingerprints', () => {
  it('lists added and removed nodes, changed deps and the version', () => {
    const changed = graph()
      .node('a', { run })
      .node('b', { run })
      .node('c', { deps: ['a'], run })
      .node('e', { deps: ['c'], run })
      .build();
    expect(diffFingerprints(graphFingerprint(base, 'v1'), graphFingerprint(changed, 'v2'))).toEqual({
      added: ['e'],
      removed: ['d'],
      changedDeps: [{ nodeId: 'c', before: ['a', 'b'], after: ['a'] }],
      version: { before: 'v1', after: 'v2' },
    });
    expect(diffFingerprints(graphFingerprint(base), graphFingerprint(base))).toEqual({ added: [], removed: [], changedDeps: [] });
  });
});
