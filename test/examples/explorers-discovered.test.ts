import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isNodeEndEvent, type EventOf, type RunEvent } from 'rx-orchestra';
import { runDiscovered } from '../../examples/lib/explorers-discovered-graph.js';
import { CODE_PATHS, EXPLORER_LATENCY_MS, quotaLowerBound, runStrategy } from '../../examples/code-explorers-graph.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const endOf = (events: readonly RunEvent[], id: string) => events.find((e) => isNodeEndEvent(e) && e.nodeId === id);

describe('examples/explorers-discovered (seed 003, the explorers discovered at run time)', () => {
  const run = runDiscovered();

  it('discovers the 22 code paths, then fans out one explorer per path (explore/<id>), all after discover ended', () => {
    const discover = endOf(run.events, 'discover')!;
    const expanded = run.events.find((e): e is EventOf<'node.expanded'> => e.type === 'node.expanded')!;
    expect(discover.type).toBe('node.succeeded');
    expect(expanded).toMatchObject({ nodeId: 'explore', kind: 'forEach', at: EXPLORER_LATENCY_MS });
    expect(run.events.indexOf(expanded)).toBeGreaterThan(run.events.indexOf(discover));
    expect(expanded.nodes.map((n) => n.id)).toEqual(CODE_PATHS.map(([id]) => `explore/${id}`));
    // The explorers were not in the graph: run.started lists three nodes.
    const started = run.events[0] as EventOf<'run.started'>;
    expect(started.nodes.map((n) => n.id)).toEqual(['discover', 'explore', 'aggregate']);
    for (const { id } of expanded.nodes) {
      const start = run.events.findIndex((e) => e.type === 'node.started' && e.nodeId === id);
      expect(start, id).toBeGreaterThan(run.events.indexOf(expanded));
    }
  });

  it('explores every path without a 429, and the aggregate joins the 22 findings in discovery order', () => {
    expect(run.succeeded).toBe(22);
    expect(run.rateLimited).toBe(0);
    expect(run.aggregate?.explored).toBe(22);
    const lines = run.aggregate!.report.split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(CODE_PATHS.map(([id]) => id));
    for (const [k, [id]] of CODE_PATHS.entries()) expect(lines[k]).toContain(`Findings for ${id}`);
    const summary = (run.events.at(-1) as EventOf<'run.completed'>).summary;
    expect(summary).toMatchObject({ status: 'succeeded', nodes: 3 + 22, counts: { succeeded: 25 } });
    expect(summary.usage.total.calls).toBe(1 + 22); // discover, then one call per explorer
  });

  it('schedules the discovered children exactly as the 22 nodes written by hand: same exploring time, near the quota bound', () => {
    const hand = runStrategy('default');
    expect(run.explorePhaseMs).toBe(hand.completionMs);
    expect(run.explorePhaseMs).toBeGreaterThanOrEqual(quotaLowerBound());
    expect(run.explorePhaseMs / quotaLowerBound()).toBeLessThanOrEqual(1.1);
    expect(run.completionMs).toBe(run.expandedAtMs + run.explorePhaseMs); // the aggregate is instant
  });

  it("under the run's concurrency: with 4, never more than 4 explorers at once, and 6 rounds of 10 s (the waves' time, without waves)", () => {
    const capped = runDiscovered({ concurrency: 4 });
    expect(capped.peakExplorers).toBe(4);
    expect(capped.succeeded).toBe(22);
    expect(capped.explorePhaseMs).toBe(6 * EXPLORER_LATENCY_MS);
    // Work-conserving: an explorer starts the moment another ends (all calls take 10 s, so starts come in fours).
    const starts = capped.events.filter((e) => e.type === 'node.started' && e.nodeId.startsWith('explore/')).map((e) => e.at - capped.expandedAtMs);
    expect(starts).toEqual(Array.from({ length: 22 }, (_, k) => Math.floor(k / 4) * EXPLORER_LATENCY_MS));
  });

  it('the width follows what was discovered: 5 paths, 5 explorers', () => {
    const few = runDiscovered({ paths: 5 });
    expect(few.succeeded).toBe(5);
    expect(few.aggregate?.explored).toBe(5);
    expect((few.events.at(-1) as EventOf<'run.completed'>).summary.nodes).toBe(3 + 5);
  });

  it('runs as a script: npx tsx examples/explorers-discovered.ts', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/explorers-discovered.ts'], { cwd: ROOT, timeout: 60_000 });
    expect(stdout).toContain('10.0 s  discover listed 22 code paths; explore fans out into explore/auth-login, explore/auth-refresh, explore/auth-logout, … explore/data-export');
    expect(stdout).toContain('aggregate joined 22 findings');
    expect(stdout).toMatch(/discovered, defaults +40\.0 s +50\.0 s +1\.05x +22\/22/);
    expect(stdout).toMatch(/22 nodes written by hand, defaults +40\.0 s/);
  }, 60_000);
});
