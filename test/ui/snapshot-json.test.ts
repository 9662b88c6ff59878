/**
 * The snapshot a late page starts from, built incrementally (each node's JSON kept until the node
 * changes): it must say exactly what a snapshot serialized from scratch says, whatever the events.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import fc from 'fast-check';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RunEventSchema, RunTracker, type RunEvent } from 'rx-orchestra';
import { eventJson, previewValue } from '../../src/ui/event-json.js';
import { RunHub } from '../../src/ui/run-hub.js';
import { BLOCK_ENTRIES, SNAPSHOT_VALUE_CHARS, SnapshotJson } from '../../src/ui/snapshot-json.js';

const MAX_VALUE_CHARS = 40;
const IDS = ['a', 'b', '__proto__', 'c "d"', 'e'];

/** A random run: starts (sometimes a second one), node events in any order, expansions, an end; `connect` marks where a page connects. */
type Step = { kind: 'event'; event: RunEvent } | { kind: 'connect' };

const NODE_IDS = [...IDS, 'a[0]', 'a[1]', 'unlisted'];
const nodeId = fc.constantFrom(...NODE_IDS);
const at = fc.integer({ min: 0, max: 1_000 });
const value = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant({ nested: [1, 2, 3], text: 'x'.repeat(60) }));
const error = { name: 'Error', message: 'boom' };

const nodeEvent = (runId: string): fc.Arbitrary<RunEvent> =>
  fc.oneof(
    fc.record({ nodeId, at }).map(({ nodeId, at }): RunEvent => ({ type: 'node.queued', runId, nodeId, at, priority: 1 })),
    fc.record({ nodeId, at, attempt: fc.integer({ min: 1, max: 3 }) }).map((e): RunEvent => ({ type: 'node.started', runId, ...e })),
    fc.record({ nodeId, at, text: fc.string({ maxLength: 12 }) }).map((e): RunEvent => ({ type: 'node.token', runId, ...e, attempt: 1 })),
    fc.record({ nodeId, at, inputTokens: fc.nat(100), outputTokens: fc.nat(100) }).map(
      ({ nodeId, at, inputTokens, outputTokens }): RunEvent => ({ type: 'node.usage', runId, nodeId, at, attempt: 1, model: 'm', usage: { inputTokens, outputTokens }, costUsd: inputTokens / 1e6 }),
    ),
    fc.record({ nodeId, at }).map(({ nodeId, at }): RunEvent => ({ type: 'node.retrying', runId, nodeId, at, attempt: 1, delayMs: 5, error })),
    fc.record({ nodeId, at, payload: value }).map(({ nodeId, at, payload }): RunEvent => ({ type: 'node.waiting', runId, nodeId, at, payload, timeoutMs: null })),
    fc.record({ nodeId, at, approve: fc.boolean() }).map((e): RunEvent => ({ type: 'node.decided', runId, ...e })),
    fc.record({ nodeId, at, value }).map(({ nodeId, at, value }): RunEvent => ({ type: 'node.succeeded', runId, nodeId, at, attempts: 1, startedAt: 0, durationMs: at, value })),
    fc.record({ nodeId, at }).map(({ nodeId, at }): RunEvent => ({ type: 'node.failed', runId, nodeId, at, attempts: 2, startedAt: 0, durationMs: at, error })),
    fc.record({ nodeId, at }).map(({ nodeId, at }): RunEvent => ({ type: 'node.skipped', runId, nodeId, at, cause: { kind: 'upstream', upstream: 'a' } })),
    fc.record({ at, count: fc.integer({ min: 1, max: 2 }) }).map(
      ({ at, count }): RunEvent => ({ type: 'node.expanded', runId, nodeId: 'a', at, kind: 'forEach', nodes: Array.from({ length: count }, (_, i) => ({ id: `a[${i}]`, deps: [], parent: 'a' })) }),
    ),
    fc.record({ nodeId, at }).map(({ nodeId, at }): RunEvent => ({ type: 'tool.called', runId, nodeId, at, attempt: 1, step: 1, tool: 'grep', toolUseId: 'c1', input: {} })),
  );

const started = (runId: string, at = 0): RunEvent => ({ type: 'run.started', runId, at, concurrency: Infinity, nodes: IDS.map((id, i) => ({ id, deps: i === 0 ? [] : [IDS[i - 1]!], meta: { agent: `ag${i % 2}` } })) });
const completed = (runId: string, at: number): RunEvent => ({
  type: 'run.completed',
  runId,
  at,
  summary: {
    status: 'partial',
    nodes: IDS.length,
    counts: { succeeded: 1, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 },
    makespanMs: at,
    attempts: 1,
    retries: 0,
    usage: { total: { calls: 1, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 }, byNode: {}, byModel: {} },
    retryBudget: { calls: 1, retries: 0, denied: 0, limit: Infinity },
  },
});

const steps: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 8, arbitrary: nodeEvent('r1').map((event): Step => ({ kind: 'event', event })) }, { weight: 2, arbitrary: fc.constant<Step>({ kind: 'connect' }) }), { maxLength: 60 }),
    fc.array(fc.oneof({ weight: 8, arbitrary: nodeEvent('r2').map((event): Step => ({ kind: 'event', event })) }, { weight: 2, arbitrary: fc.constant<Step>({ kind: 'connect' }) }), { maxLength: 30 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([first, second, again, end]) => [
    { kind: 'event', event: started('r1') } as Step,
    ...first,
    ...(again ? [{ kind: 'event', event: started('r2', 5) } as Step, ...second] : []),
    ...(end ? [{ kind: 'event', event: completed(again ? 'r2' : 'r1', 2_000) } as Step, { kind: 'connect' } as Step] : []),
  ]);

/** The snapshot serialized from scratch, as the dashboard served it before it kept pieces. */
/** The snapshot built in one go, served as the hub serves it: values cut to `valueChars`, the nodes cut listed in `cutValues`. */
const fromScratch = (tracker: RunTracker, valueChars = MAX_VALUE_CHARS): unknown => {
  const snapshot = tracker.snapshot()!;
  const cut = snapshot.ended.filter((end) => previewValue(end, valueChars) !== end).map((end) => end.nodeId);
  const served = JSON.parse(eventJson(snapshot, valueChars)) as Record<string, unknown>;
  return cut.length > 0 ? { ...served, cutValues: cut } : served;
};
/** What the hub cuts values in snapshots to. */
const HUB_VALUE_CHARS = Math.min(MAX_VALUE_CHARS, SNAPSHOT_VALUE_CHARS);

describe('a snapshot built incrementally', () => {
  it.each([
    ['default bounds', {}],
    ['tight bounds (text evicted and histories trimmed by other nodes\' events)', { maxTextPerNode: 8, maxTextTotal: 16, maxHistoryPerNode: 4, maxHistoryTotal: 6 }],
  ])('says what one built from scratch says, after any events (touching the nodes they are about), %s', (_, bounds) => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 1, max: 3 }), (run, blockEntries) => {
        const json = new SnapshotJson(MAX_VALUE_CHARS, blockEntries); // small blocks: most nodes are in blocks of their own
        const tracker = new RunTracker({ ...bounds, onCut: (id) => json.touch(id) });
        for (const step of run) {
          if (step.kind === 'connect') {
            const built = JSON.parse(Buffer.concat(json.build(tracker.snapshotParts()!)).toString()) as unknown;
            expect(built).toEqual(fromScratch(tracker));
            continue;
          }
          const { event } = step;
          if (event.type === 'run.started') json.reset();
          tracker.apply(event);
          if ('nodeId' in event) json.touch(event.nodeId);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('serializes a node again when an event about another node cut its text or its history (the tracker\'s onCut)', () => {
    const json = new SnapshotJson(100, 1); // a block per node: a node cut must be touched itself
    const tracker = new RunTracker({ maxTextPerNode: 10, maxTextTotal: 15, maxHistoryPerNode: 10, maxHistoryTotal: 12, onCut: (id) => json.touch(id) });
    const apply = (event: RunEvent) => {
      tracker.apply(event);
      if ('nodeId' in event) json.touch(event.nodeId);
    };
    const same = () => expect(JSON.parse(Buffer.concat(json.build(tracker.snapshotParts()!)).toString())).toEqual(fromScratch(tracker, 100));
    apply({ type: 'run.started', runId: 'r', at: 0, concurrency: 2, nodes: [{ id: 'a', deps: [] }, { id: 'b', deps: [] }] });
    for (const nodeId of ['a', 'b']) apply({ type: 'node.started', runId: 'r', nodeId, at: 1, attempt: 1 });
    apply({ type: 'node.token', runId: 'r', nodeId: 'a', at: 2, attempt: 1, text: 'aaaaaaaa' });
    same();
    apply({ type: 'node.token', runId: 'r', nodeId: 'b', at: 3, attempt: 1, text: 'bbbbbbbb' }); // past 15 characters in all: a's text is dropped
    expect(tracker.snapshot()!.states.a).toMatchObject({ textCut: 'evicted' });
    same();
    for (let i = 0; i < 8; i++) apply({ type: 'node.retrying', runId: 'r', nodeId: 'a', at: 4 + i, attempt: 1, delayMs: 1, error });
    apply({ type: 'node.failed', runId: 'r', nodeId: 'a', at: 20, attempts: 1, startedAt: 1, durationMs: 19, error });
    same();
    for (let i = 0; i < 4; i++) apply({ type: 'node.retrying', runId: 'r', nodeId: 'b', at: 21 + i, attempt: 1, delayMs: 1, error }); // past 12 events in all: a's history is trimmed
    expect(tracker.snapshot()!.states.a!.historyCut).toBeGreaterThan(0);
    same();
  });

  it('serializes again only the blocks of the nodes that changed', () => {
    const ids = Array.from({ length: 10 * BLOCK_ENTRIES }, (_, i) => `n${i}`);
    const tracker = new RunTracker();
    tracker.apply({ type: 'run.started', runId: 'r', at: 0, concurrency: 4, nodes: ids.map((id) => ({ id, deps: [] })) });
    const json = new SnapshotJson(100);
    json.build(tracker.snapshotParts()!);
    expect(json.serialized).toBe(2 * ids.length); // the graph's entries and the views

    tracker.apply({ type: 'node.started', runId: 'r', nodeId: 'n3', at: 1, attempt: 1 });
    json.touch('n3');
    const pieces = json.build(tracker.snapshotParts()!);
    expect(json.serialized).toBe(BLOCK_ENTRIES); // one block of views, reusing the others' JSON
    expect(JSON.parse(Buffer.concat(pieces).toString())).toEqual(fromScratch(tracker, 100));

    json.build(tracker.snapshotParts()!);
    expect(json.serialized).toBe(0);
  });

  it('serves what JSON cannot express as it is (a cycle, a BigInt) instead of failing', () => {
    const tracker = new RunTracker();
    const cyclic: Record<string, unknown> = { big: 10n };
    cyclic.self = cyclic;
    tracker.apply({ type: 'run.started', runId: 'r', at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    tracker.apply({ type: 'node.waiting', runId: 'r', nodeId: 'a', at: 1, payload: cyclic, timeoutMs: null });
    const built = JSON.parse(Buffer.concat(new SnapshotJson(100).build(tracker.snapshotParts()!)).toString()) as unknown;
    expect(RunEventSchema.parse(built)).toMatchObject({ states: { a: { state: 'waiting', waiting: { payload: { big: '10', self: '[cycle]' } } } } });
  });
});

describe('the run hub', () => {
  /** A response that keeps what is written to it. */
  const recordingResponse = () => {
    const res = Object.assign(new EventEmitter(), {
      text: '',
      writableLength: 0,
      writeHead: () => res,
      flushHeaders: () => undefined,
      cork: () => undefined,
      uncork: () => undefined,
      write: (chunk: string | Buffer) => ((res.text += chunk.toString()), true),
      end: () => undefined,
      destroy: () => res.emit('close'),
    });
    return res;
  };

  it('spreads a large build over several turns: the newcomer waits, and gets the run as it is when the build is through', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, { scheduler, batchMs: 10, maxBufferedBytes: 1 << 30, maxValueChars: MAX_VALUE_CHARS, startOnConnect: false });
    const reference = new RunTracker();
    const send = (event: RunEvent) => {
      events$.next(event);
      reference.apply(event);
    };
    const ids = Array.from({ length: 6_000 }, (_, i) => `n${i}`);
    send({ type: 'run.started', runId: 'big', at: 0, concurrency: 8, nodes: ids.map((id) => ({ id, deps: [] })) });
    for (const [i, nodeId] of ids.entries()) send({ type: 'node.succeeded', runId: 'big', nodeId, at: i, attempts: 1, startedAt: 0, durationMs: i, value: 'x'.repeat(50) });
    const res = recordingResponse();
    hub.add(res as unknown as ServerResponse, 'ndjson');
    expect(res.text).toBe(''); // 18,000 entries to encode: not in one turn
    expect(hub.watchers).toBe(0);
    send({ type: 'node.retrying', runId: 'big', nodeId: 'n7', at: 9_000, attempt: 1, delayMs: 5, error }); // between two turns
    scheduler.flush();
    expect(hub.watchers).toBe(1);
    const [snapshot, ...rest] = res.text.split('\n').filter(Boolean);
    expect(rest).toEqual([]);
    expect(JSON.parse(snapshot!)).toEqual(fromScratch(reference, HUB_VALUE_CHARS));
    hub.close();
  });

  it('gives each newcomer a snapshot that, with the events sent after it, is the run so far', () => {
    fc.assert(
      fc.property(steps, (run) => {
        const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
        const events$ = new Subject<RunEvent>();
        const hub = new RunHub(events$, { scheduler, batchMs: 10, maxBufferedBytes: 1 << 30, maxValueChars: MAX_VALUE_CHARS, startOnConnect: false });
        const reference = new RunTracker();
        const history: unknown[] = []; // the snapshot after each event
        try {
          for (const step of run) {
            if (step.kind === 'event') {
              events$.next(step.event);
              reference.apply(step.event);
              history.push(fromScratch(reference, HUB_VALUE_CHARS));
              continue;
            }
            const res = recordingResponse();
            hub.add(res as unknown as ServerResponse, 'ndjson');
            const [snapshot, ...rest] = res.text.split('\n').filter(Boolean);
            if (snapshot === undefined) continue; // the run has not started
            const resent = NODE_IDS.filter((id) => hub.isWaiting(id)).length; // after the events since the snapshot: the nodes waiting for a decision now
            const tail = rest.slice(0, rest.length - resent);
            // the snapshot is the run as it was `tail.length` events ago
            expect(JSON.parse(snapshot)).toEqual(history[history.length - 1 - tail.length]);
          }
        } finally {
          hub.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
