import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { execute, hasValue, type RunEvent } from 'rx-orchestra';
import type { CollaborationResult } from 'rx-orchestra/patterns';
import { buildCriticLoop, describe as describeEvent, DRAFTS, type Reviewed } from '../../examples/critic-loop.js';
import { NodeIterationEventSchema } from '../../src/nodes/loop-events.js';
import { PeerFinishedEventSchema, PeerTurnEventSchema } from '../../src/patterns/collaboration/events.js';
import { outcomeOf } from '../../src/run/outcome.js';
import { isNodeEndEvent } from '../../src/run/events.js';
import { record, testScheduler } from '../run/virtual-run.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
type AnyEvent = { type: string; at: number; nodeId?: string } & Record<string, unknown>;

describe('examples/critic-loop (a loop() node and a collaboration() node, offline)', () => {
  it('the loop converges at iteration 3 and the peers after 6 turns, both on the last draft, in virtual time', () => {
    const events = testScheduler().run(() => {
      const { graph, model } = buildCriticLoop();
      return record(execute(graph, { model, budget: { maxUsd: 1 } }));
    });
    const ends = Object.fromEntries(events.filter(isNodeEndEvent).map((e) => [e.nodeId, outcomeOf(e)]));
    const looped = ends.loop;
    const talked = ends.peers;
    if (!hasValue(looped) || !hasValue(talked)) throw new Error(`loop ${looped?.status}, peers ${talked?.status}`);
    expect((looped.value as Reviewed).draft).toBe(DRAFTS[2]);
    expect((looped.value as Reviewed).verdict.score).toBe(9);
    const result = talked.value as CollaborationResult<'writer' | 'critic'>;
    expect(result).toMatchObject({ reason: 'until', turns: 6, output: DRAFTS[2], final: { from: 'critic', text: 'APPROVED' } });

    const all = events as unknown as AnyEvent[];
    const iterations = all.filter((e) => e.type === 'node.iteration');
    expect(iterations.map((e) => `${String(e.iteration)} ${String(e.converged)}`)).toEqual(['1 false', '2 false', '3 true']);
    expect(all.filter((e) => e.type === 'peer.turn').map((e) => `${String(e.from)}→${String(e.to)}`)).toEqual(['writer→critic', 'critic→writer', 'writer→critic', 'critic→writer', 'writer→critic', 'critic→writer']);
    for (const e of all) {
      const schema = { 'node.iteration': NodeIterationEventSchema, 'peer.turn': PeerTurnEventSchema, 'peer.finished': PeerFinishedEventSchema }[e.type];
      if (schema) expect(schema.safeParse(JSON.parse(JSON.stringify(e))).success, e.type).toBe(true);
    }
    // 6 calls for the loop (reviser + critic, 3 iterations), 6 for the peers; all priced as Haiku.
    const summary = (events.at(-1) as Extract<RunEvent, { type: 'run.completed' }>).summary;
    expect(summary.usage.byNode.loop?.calls).toBe(6);
    expect(summary.usage.byNode.peers?.calls).toBe(6);
    expect(summary.usage.total.costUsd).toBeGreaterThan(0);
    expect(events.filter((e) => describeEvent(e) !== undefined)).toHaveLength(10);
  });

  it('runs offline as a script and exits: npx tsx examples/critic-loop.ts', async () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/critic-loop.ts'], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toContain('loop  · iteration 3/4 converged  score 9');
    expect(stdout).toContain('peers · finished (until) after 6 turns');
    expect(stdout).toContain(`collaboration(): ${DRAFTS[2]}`);
    expect(stdout).toMatch(/12 model calls, .* run succeeded/);
  }, 60_000);
});
