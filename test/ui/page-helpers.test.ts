/**
 * The dashboard page's pure helpers: which nodes are problems, finding nodes by id, the metrics
 * table's rows per family of agents, what the node panel says about streamed text, the grid of the
 * "problems only" view, and state colours that can be told apart.
 */
import { describe, expect, it } from 'vitest';
import type { AgentTally } from '../../src/run/run-state.js';
import { agentFamily, agentRows } from '../../src/ui/page/agent-groups.js';
import { STATE_COLORS } from '../../src/ui/page/colors.js';
import { gridLayout } from '../../src/ui/page/grid-layout.js';
import { NODE_STATES } from '../../src/ui/page/model.js';
import { findNodes, problemNodes, problemOf } from '../../src/ui/page/problems.js';
import { streamNote } from '../../src/ui/page/stream-note.js';

const tally = (agent: string, calls: number, extra: Partial<AgentTally> = {}): AgentTally => ({
  agent,
  calls,
  succeeded: calls,
  failures: 0,
  retries: 0,
  fellBack: 0,
  durations: [calls * 10],
  durationCount: 1,
  inputTokens: calls * 100,
  outputTokens: calls * 10,
  costUsd: calls * 0.001,
  ...extra,
});

describe('problems', () => {
  it('are nodes that failed, timed out, fell back, are retrying or took more than one attempt', () => {
    expect(NODE_STATES.filter((state) => problemOf({ state, attempts: 1 }) !== undefined)).toEqual(['retrying', 'fellBack', 'failed', 'timedOut']);
    expect(problemOf({ state: 'succeeded', attempts: 2 })).toBe('retried');
    expect(problemOf({ state: 'running', attempts: 3 })).toBe('retried');
    expect(problemOf({ state: 'failed', attempts: 3 })).toBe('failed');
    const nodes = [
      { id: 'a', state: 'succeeded' as const, attempts: 1 },
      { id: 'b', state: 'failed' as const, attempts: 1 },
      { id: 'c', state: 'succeeded' as const, attempts: 2 },
      { id: 'd', state: 'skipped' as const, attempts: 0 },
    ];
    expect(problemNodes(nodes).map((n) => n.id)).toEqual(['b', 'c']);
  });

  it('finds nodes by a part of their id, case-insensitive, the exact id first', () => {
    const nodes = ['fetch_12', 'fetch_1', 'Parse_1', 'fetch_100'].map((id) => ({ id }));
    expect(findNodes(nodes, 'fetch_1').map((n) => n.id)).toEqual(['fetch_1', 'fetch_12', 'fetch_100']);
    expect(findNodes(nodes, ' PARSE ').map((n) => n.id)).toEqual(['Parse_1']);
    expect(findNodes(nodes, '  ')).toEqual([]);
    expect(findNodes(nodes, 'nope')).toEqual([]);
  });
});

describe('metrics rows', () => {
  it('name a family of agents by the name without its index, path or number', () => {
    expect(['explore[3]', 'research/q7', 'worker_12', 'fetch-0042', 'planner', '42', 'a.b'].map(agentFamily)).toEqual(['explore', 'research', 'worker', 'fetch', 'planner', '42', 'a.b']);
  });

  it('are one per agent while they fit, else one per family, the busiest first', () => {
    const few = [tally('planner', 1), tally('writer', 3)];
    expect(agentRows(few, 40).map((r) => [r.name, r.members])).toEqual([['writer', 1], ['planner', 1]]);
    const many = [tally('planner', 1), ...Array.from({ length: 50 }, (_, i) => tally(`explore[${i}]`, 2, { failures: i % 10 === 0 ? 1 : 0 }))];
    const rows = agentRows(many, 40);
    expect(rows.map((r) => [r.name, r.members, r.calls, r.failures])).toEqual([
      ['explore', 50, 100, 5],
      ['planner', 1, 1, 0],
    ]);
    expect(rows[0]!.durations).toHaveLength(50);
    expect(rows[0]!.inputTokens).toBe(50 * 200);
    expect(rows[0]!.costUsd).toBeCloseTo(0.1, 12);
    expect(many[1]!.durations).toEqual([20]); // the agents' own figures are not touched
  });

  it('keep the agent’s own name for a family of one', () => {
    const agents = [tally('worker_1', 1), ...Array.from({ length: 45 }, (_, i) => tally(`explore[${i}]`, 1))];
    expect(agentRows(agents, 40).map((r) => r.name).sort()).toEqual(['explore', 'worker_1']);
  });
});

describe('the streamed-text note', () => {
  const node = (state: Parameters<typeof streamNote>[0]['state'], text: string, streamedChars: number, textCut: 'no' | 'tail' | 'evicted' = 'no') => streamNote({ state, text, streamedChars, textCut });

  it('says nothing was streamed, or not yet, instead of an empty box', () => {
    expect(node('succeeded', '', 0)).toEqual({ kind: 'nothing', summary: '0 chars', empty: 'Nothing streamed.' });
    expect(node('failed', '', 0).empty).toBe('Nothing streamed.');
    expect(node('skipped', '', 0).empty).toBe('Nothing streamed: the node was skipped.');
    expect(node('running', '', 0)).toMatchObject({ kind: 'notYet', empty: 'Nothing streamed yet.' });
    expect(node('pending', '', 0)).toMatchObject({ kind: 'notStarted', empty: 'Nothing streamed yet: the node has not started.' });
  });

  it('says the text was streamed before the page connected when it holds none or only a tail', () => {
    expect(node('succeeded', '', 1_234)).toEqual({ kind: 'before', summary: '1,234 chars, not held', empty: 'Streamed before you connected: the page does not hold these 1,234 characters.' });
    expect(node('running', '', 80, 'evicted')).toMatchObject({ kind: 'evicted', empty: expect.stringContaining('Streamed before you connected') });
    expect(node('running', 'tail', 5_000)).toEqual({ kind: 'tail', summary: 'the last 4 of 5,000 chars; the rest streamed before you connected', empty: undefined });
    expect(node('running', 'abcd', 16_010, 'tail').summary).toBe('the last 4 of 16,010 chars');
    expect(node('succeeded', 'Hello world.', 12)).toEqual({ kind: 'text', summary: '12 chars', empty: undefined });
  });
});

describe('the grid of the problems-only view', () => {
  it('takes the panel’s shape and places every box once, row by row', () => {
    const box = { nodeWidth: 150, nodeHeight: 38, gapX: 20, gapY: 14 };
    const wide = gridLayout(114, box, 800 / 290);
    const columns = new Set(Array.from(wide.x)).size;
    expect(columns).toBeGreaterThan(5);
    expect(Math.abs(wide.width / wide.height - 800 / 290)).toBeLessThan(1.5);
    expect(new Set(Array.from(wide.x, (x, i) => `${x},${wide.y[i]}`)).size).toBe(114);
    expect([wide.x[0], wide.y[0], wide.x[1], wide.y[columns]]).toEqual([75, 19, 75 + 170, 19 + 52]);
    expect(wide.edgeOffsets).toEqual(new Uint32Array([0]));
    expect(gridLayout(1, box, 3)).toMatchObject({ width: 150, height: 38 });
    expect(new Set(Array.from(gridLayout(10, box, 0.2).x)).size).toBe(1); // a tall narrow panel: one column
  });
});

describe('state colours', () => {
  /** CIE76 ΔE between two `#rrggbb` colours (sRGB, D65). */
  const deltaE = (a: string, b: string) => {
    const lab = (hex: string) => {
      const n = Number.parseInt(hex.slice(1), 16);
      const [r, g, bl] = [n >> 16, (n >> 8) & 255, n & 255].map((v) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)) as [number, number, number];
      const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
      const [x, y, z] = [(r * 0.4124 + g * 0.3576 + bl * 0.1805) / 0.95047, r * 0.2126 + g * 0.7152 + bl * 0.0722, (r * 0.0193 + g * 0.1192 + bl * 0.9505) / 1.08883];
      return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))] as const;
    };
    const [p, q] = [lab(a), lab(b)];
    return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
  };

  it('are at least 25 apart (ΔE*76) for every pair of states', () => {
    const close: string[] = [];
    for (const [i, a] of NODE_STATES.entries()) for (const b of NODE_STATES.slice(i + 1)) if (deltaE(STATE_COLORS[a], STATE_COLORS[b]) < 25) close.push(`${a}/${b}`);
    expect(close).toEqual([]);
    // the pairs issue 14 named
    expect(deltaE(STATE_COLORS.retrying, STATE_COLORS.timedOut)).toBeGreaterThan(40);
    expect(deltaE(STATE_COLORS.pending, STATE_COLORS.skipped)).toBeGreaterThan(40);
  });
});
