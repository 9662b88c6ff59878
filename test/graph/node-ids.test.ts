import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import {
  RunEventSchema,
  collect,
  estimateRunCost,
  execute,
  graphFromNodes,
  isGraphError,
  run,
  shareRun,
  type NodeOutcome,
  type RunEvent,
} from 'rx-orchestra';
import { readRunLog, runMetrics, writeRunLog } from 'rx-orchestra/observe';
import { LiveRunState } from '../../src/cli/live-state.js';
import { record, testScheduler, work } from '../run/virtual-run.js';

/** Ids that name properties every plain object inherits. */
const NASTY = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;

/** One node per nasty id, each reporting usage, plus a node that depends on all of them. */
const nastyGraph = () =>
  graphFromNodes([
    ...NASTY.map((id) => ({
      id,
      run: ({ emit }: { emit: (r: never) => void }) => {
        emit({ type: 'node.usage', model: 'm', usage: { inputTokens: 1, outputTokens: 2 }, costUsd: 0.5 } as never);
        return of(`value of ${id}`);
      },
    })),
    { id: 'join', deps: [...NASTY], run: ({ inputs }) => of(Object.keys(inputs).sort().join(',')) },
  ]);

describe('node ids that are names of Object.prototype properties', () => {
  it("collect keeps the outcome of a node whose id is '__proto__' (and 'constructor', 'toString', ...)", async () => {
    const { outcomes, summary } = await run(nastyGraph());
    expect(summary.status).toBe('succeeded');
    for (const id of NASTY) {
      expect(Object.hasOwn(outcomes, id), id).toBe(true);
      expect(outcomes[id], id).toMatchObject({ status: 'succeeded', value: `value of ${id}` });
    }
    expect(Object.keys(outcomes).sort()).toEqual([...NASTY, 'join'].sort());
    expect(outcomes.join).toMatchObject({ value: [...NASTY].sort().join(',') });
  });

  it('outcomes of nodes that do not exist read as undefined, not as inherited members', async () => {
    const { outcomes } = await run(graphFromNodes([{ id: 'a', run: () => of(1) }]));
    const read = outcomes as Record<string, NodeOutcome | undefined>;
    for (const id of NASTY) expect(read[id], id).toBeUndefined();
  });

  it("the summary's usage by node and a run.snapshot's states keep every id, also after a JSON round trip and RunEventSchema", async () => {
    const shared = shareRun(execute(nastyGraph()));
    shared.connect();
    const { summary } = await shared.result;
    for (const id of NASTY) {
      expect(Object.hasOwn(summary.usage.byNode, id), id).toBe(true);
      expect(summary.usage.byNode[id]).toMatchObject({ calls: 1, costUsd: 0.5 });
    }
    const snapshot = shared.snapshot()!;
    for (const id of NASTY) expect(snapshot.states[id], id).toMatchObject({ state: 'succeeded', tokens: 3 });
    const wire = JSON.parse(JSON.stringify(snapshot)) as unknown;
    const parsed = RunEventSchema.parse(wire);
    if (parsed.type !== 'run.snapshot') throw new Error('expected a run.snapshot');
    for (const id of NASTY) {
      expect(Object.hasOwn(parsed.states, id), id).toBe(true);
      expect(parsed.states[id], id).toMatchObject({ state: 'succeeded' });
      expect(Object.hasOwn(parsed.summary!.usage.byNode, id), id).toBe(true);
    }
  });

  it('a late subscriber collects every outcome from the snapshot, and the live view shows every node', async () => {
    const shared = shareRun(execute(nastyGraph()));
    shared.connect();
    await shared.result;
    const late = await collect(shared.events$);
    for (const id of NASTY) {
      expect(Object.hasOwn(late.outcomes, id), id).toBe(true);
      expect(late.outcomes[id], id).toMatchObject({ status: 'succeeded' });
    }
    const state = new LiveRunState();
    state.apply(shared.snapshot()!);
    for (const id of NASTY) expect(state.nodes.get(id), id).toMatchObject({ state: 'succeeded', tokens: 3 });
    expect(state.counts.succeeded).toBe(NASTY.length + 1);
  });

  it('a live view of a snapshot that has no state for a node leaves it pending (no inherited members read)', () => {
    const state = new LiveRunState();
    state.apply({ type: 'run.snapshot', runId: 'r', at: 0, nodes: NASTY.map((id) => ({ id, deps: [] })), states: {}, ended: [] });
    for (const id of NASTY) expect(state.nodes.get(id), id).toMatchObject({ state: 'pending', attempts: 0, tokens: 0 });
  });

  it('runMetrics keeps every id by node', async () => {
    const events = await lastValueFrom(execute(nastyGraph()).pipe(toArray()));
    const { byNode } = runMetrics(events);
    for (const id of NASTY) {
      expect(Object.hasOwn(byNode, id), id).toBe(true);
      expect(byNode[id], id).toMatchObject({ calls: 1, succeeded: 1 });
    }
  });

  it('a run log read back keeps every id of a snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-ids-'));
    try {
      const shared = shareRun(execute(nastyGraph()));
      shared.connect();
      await shared.result;
      const path = join(dir, 'runs.jsonl');
      const write = writeRunLog(path);
      write(shared.snapshot()!);
      await write.close();
      const [line] = readRunLog(path);
      const event = line!.event as Extract<RunEvent, { type: 'run.snapshot' }>;
      for (const id of NASTY) expect(Object.hasOwn(event.states, id), id).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a cost estimator sees the estimate of a dependency named '__proto__' by id", () => {
    const seen: unknown[] = [];
    const estimate = estimateRunCost([
      { id: '__proto__', costEstimate: { model: 'claude-haiku-4-5', inputTokens: 10, outputTokens: 500 } },
      {
        id: 'next',
        deps: ['__proto__'],
        costEstimate: (ctx) => {
          seen.push(Object.hasOwn(ctx.upstream, '__proto__') ? ctx.upstream['__proto__'] : 'missing');
          return { model: 'claude-haiku-4-5', inputTokens: ctx.upstreamOutputTokens, outputTokens: 1 };
        },
      },
    ]);
    expect(seen).toEqual([{ model: 'claude-haiku-4-5', inputTokens: 10, outputTokens: 500 }]);
    expect(estimate.byNode.find((n) => n.nodeId === 'next')).toMatchObject({ inputTokens: 500 });
  });

  it("restore brings back a '__proto__' node's outcome instead of running it again", () => {
    let ran = 0;
    const g = graphFromNodes([
      { id: '__proto__', run: () => ((ran += 1), work(5, 'fresh')) },
      { id: 'after', deps: ['__proto__'], run: ({ inputs }) => of(inputs['__proto__']) },
    ]);
    const restore = JSON.parse('{"__proto__":{"status":"succeeded","value":"stored","attempts":1,"startedAt":0,"endedAt":1,"durationMs":1}}') as Record<string, NodeOutcome>;
    const events = testScheduler().run(() => record(execute(g, { restore })));
    expect(ran).toBe(0);
    expect(events.find((e) => e.type === 'node.succeeded' && e.nodeId === 'after')).toMatchObject({ value: 'stored' });
    expect(events.at(-1)).toMatchObject({ type: 'run.completed', summary: { status: 'succeeded', restored: 1 } });
  });
});

describe('node ids must be non-empty strings', () => {
  const errorOf = (build: () => unknown) => {
    try {
      build();
    } catch (error) {
      if (isGraphError(error)) return error;
      throw error;
    }
    throw new Error('expected a GraphError');
  };

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['undefined', undefined],
    ['null', null],
    ['an object', { id: 'a' }],
  ])('refuses %s as an id at build time (INVALID_NODE, field id)', (_what, id) => {
    const error = errorOf(() => graphFromNodes([{ id: 'ok', run: () => of(1) }, { id: id as string, run: () => of(1) }]));
    expect(error).toMatchObject({ code: 'INVALID_NODE', details: { field: 'id' } });
    expect(error.message).toMatch(/node #2: 'id' must be a non-empty string, got /);
  });

  it('refuses a dependency that is not a string (INVALID_NODE, field deps)', () => {
    const error = errorOf(() => graphFromNodes([{ id: 'a', run: () => of(1) }, { id: 'b', deps: ['a', undefined as unknown as string], run: () => of(1) }]));
    expect(error).toMatchObject({ code: 'INVALID_NODE', nodeId: 'b', details: { field: 'deps' }, message: "node 'b': 'deps' must be a list of node ids (non-empty strings), got undefined at index 1" });
  });
});
