/**
 * The dashboard under connections that do not read, and under many connects: real HTTP (raw TCP
 * sockets that never read), the hub's own server-side responses measured (their unsent bytes, not
 * the process's RSS), and the snapshot's builds counted with a spy.
 */
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { asyncScheduler, Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunEventSchema, RunTracker, type RunEvent } from 'rx-orchestra';
import { RunHub, type RunHubOptions } from '../../src/ui/run-hub.js';
import { BLOCK_ENTRIES, SnapshotJson } from '../../src/ui/snapshot-json.js';

const runId = 'big';
const NODES = 10_000;

/** A finished 10,000-node run whose snapshot is about 5 MB of JSON. */
function* bigRun(): Generator<RunEvent> {
  const ids = Array.from({ length: NODES }, (_, i) => `node_${i}`);
  yield { type: 'run.started', runId, at: 0, concurrency: 100, nodes: ids.map((id, i) => ({ id, deps: i === 0 ? [] : [ids[i - 1]!] })) };
  for (const [i, nodeId] of ids.entries()) {
    yield { type: 'node.started', runId, nodeId, at: i + 1, attempt: 1 };
    yield { type: 'node.succeeded', runId, nodeId, at: i + 2, attempts: 1, startedAt: i + 1, durationMs: 1, value: `${nodeId}: ${'x'.repeat(400)}` };
  }
}

interface Served {
  port: number;
  responses: ServerResponse[];
  close(): Promise<void>;
}

/** A real HTTP server that hands `GET /events` (SSE) and `GET /events.ndjson` to the hub, keeping each server-side response. */
async function serve(hub: RunHub): Promise<Served> {
  const responses: ServerResponse[] = [];
  const server = createServer((req, res) => {
    responses.push(res);
    hub.add(res, req.url === '/events' ? 'sse' : 'ndjson');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    responses,
    close: () =>
      new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A client that sends its request and then never reads a byte. */
function stuckClient(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Lets the event loop turn until `done` holds (real I/O settles; no timing is asserted). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
}

/** Reads an NDJSON stream until `enough` of its lines have arrived. */
async function readLines(port: number, enough: number): Promise<unknown[]> {
  const res = await fetch(`http://127.0.0.1:${port}/events.ndjson`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (text.split('\n').length - 1 < enough) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown);
}

const options = (overrides: Partial<RunHubOptions> = {}): RunHubOptions => ({
  scheduler: asyncScheduler,
  batchMs: 5,
  maxBufferedBytes: 1024 * 1024,
  maxValueChars: 2_000,
  startOnConnect: false,
  ...overrides,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pages that connect and never read', () => {
  it('hold a bounded number of unsent bytes each, snapshot included, and are cut off once live events pile up', async () => {
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, options({ maxBufferedBytes: 1024 * 1024 }));
    for (const event of bigRun()) events$.next(event);
    const served = await serve(hub);
    const sockets: Socket[] = [];
    try {
      const N = 40;
      for (let i = 0; i < N; i++) sockets.push(await stuckClient(served.port, i % 2 === 0 ? '/events' : '/events.ndjson'));
      await until(() => served.responses.length === N && hub.watchers === N, 'every page to connect');
      await new Promise((resolve) => setTimeout(resolve, 50)); // what the sockets take, they have taken
      const unsent = served.responses.map((res) => res.writableLength);
      // without a bound, each would hold the rest of a ~5 MB snapshot
      expect(Math.max(...unsent)).toBeLessThanOrEqual(128 * 1024);

      // a page that reads still gets the whole snapshot, written piece by piece
      const [snapshot] = await readLines(served.port, 1);
      const parsed = RunEventSchema.parse(snapshot);
      if (parsed.type !== 'run.snapshot') throw new Error('expected a snapshot first');
      expect(parsed.ended).toHaveLength(NODES);

      // live events: a stuck page is cut off once its unsent live events would pass maxBufferedBytes
      for (let i = 0; i < 30_000; i++) events$.next({ type: 'node.token', runId, nodeId: 'node_1', at: NODES + 2, attempt: 1, text: `token ${i} ${'y'.repeat(64)}` });
      await until(() => hub.watchers === 0, 'the stuck pages to be cut off');
      expect(served.responses.every((res) => res.destroyed)).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await served.close();
    }
  });
});

describe('the snapshot a page starts from', () => {
  it('is built and serialized once per change of the run, not once per connection', async () => {
    const build = vi.spyOn(SnapshotJson.prototype, 'build');
    const stringify = vi.spyOn(JSON, 'stringify');
    const snapshotSerializations = () => stringify.mock.calls.filter(([value]) => (value as { type?: unknown } | null)?.type === 'run.snapshot').length;
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, options());
    for (const event of bigRun()) events$.next(event);
    const served = await serve(hub);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) sockets.push(await stuckClient(served.port, i % 2 === 0 ? '/events' : '/events.ndjson'));
      await until(() => hub.watchers === 20, 'every page to connect');
      expect(build).toHaveBeenCalledTimes(1);
      expect(snapshotSerializations()).toBe(1);

      // a few events later, a newcomer still starts from the same snapshot, plus the events since
      events$.next({ type: 'node.retrying', runId, nodeId: 'node_5', at: NODES + 3, attempt: 1, delayMs: 10, error: { name: 'Error', message: 'again' } });
      events$.next({ type: 'node.started', runId, nodeId: 'node_5', at: NODES + 4, attempt: 2 });
      const lines = (await readLines(served.port, 3)).map((line) => RunEventSchema.parse(line));
      expect(lines.map((e) => e.type)).toEqual(['run.snapshot', 'node.retrying', 'node.started']);
      expect(build).toHaveBeenCalledTimes(1);
      expect(snapshotSerializations()).toBe(1);
      const [first, ...since] = lines;
      if (first?.type !== 'run.snapshot') throw new Error('expected a snapshot first');
      const folded = new RunTracker();
      folded.apply(first);
      for (const event of since) folded.apply(event);
      expect(folded.snapshot()?.states.node_5).toMatchObject({ state: 'running', attempts: 2 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await served.close();
    }
  });

  it('is rebuilt when the events since it outgrow it, so a newcomer never replays more than the snapshot weighs', async () => {
    const build = vi.spyOn(SnapshotJson.prototype, 'build');
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, options());
    events$.next({ type: 'run.started', runId, at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    const served = await serve(hub);
    try {
      await readLines(served.port, 1);
      expect(build).toHaveBeenCalledTimes(1);
      const listener = fetch(`http://127.0.0.1:${served.port}/events.ndjson`); // someone watches, so events are kept for newcomers
      await until(() => hub.watchers === 1, 'the listener');
      for (let i = 0; i < 5_000; i++) events$.next({ type: 'node.token', runId, nodeId: 'a', at: 1, attempt: 1, text: 'many tokens ' });
      const lines = await readLines(served.port, 1);
      expect(lines).toHaveLength(1);
      expect(build).toHaveBeenCalledTimes(2);
      (await listener).body?.cancel().catch(() => undefined);
    } finally {
      await served.close();
    }
  });

  it('is rebuilt serializing only the nodes that changed since the last build', async () => {
    const build = vi.spyOn(SnapshotJson.prototype, 'build');
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, options());
    for (const event of bigRun()) events$.next(event);
    const served = await serve(hub);
    try {
      const [first] = await readLines(served.port, 1);
      const serialized = () => (build.mock.contexts.at(-1) as SnapshotJson).serialized;
      expect(serialized()).toBe(3 * NODES); // the graph, the views, the end events: all of them once
      await until(() => hub.watchers === 0, 'the reader to leave');
      events$.next({ type: 'node.retrying', runId, nodeId: 'node_5', at: NODES + 3, attempt: 1, delayMs: 10, error: { name: 'Error', message: 'again' } });
      events$.next({ type: 'node.started', runId, nodeId: 'node_5', at: NODES + 4, attempt: 2 });
      const [second] = await readLines(served.port, 1);
      expect(build).toHaveBeenCalledTimes(2);
      expect(serialized()).toBe(BLOCK_ENTRIES); // node_5's block of views, no more
      const parsed = RunEventSchema.parse(second);
      if (parsed.type !== 'run.snapshot' || RunEventSchema.parse(first).type !== 'run.snapshot') throw new Error('expected snapshots');
      expect(parsed.states.node_5).toMatchObject({ state: 'running', attempts: 2, retries: 1 });
      expect(parsed.ended).toHaveLength(NODES);
    } finally {
      await served.close();
    }
  });

  it('is rebuilt after an event that arrived while nobody watched', async () => {
    const build = vi.spyOn(SnapshotJson.prototype, 'build');
    const events$ = new Subject<RunEvent>();
    const hub = new RunHub(events$, options());
    events$.next({ type: 'run.started', runId, at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    const served = await serve(hub);
    try {
      await readLines(served.port, 1);
      await until(() => hub.watchers === 0, 'the reader to leave');
      events$.next({ type: 'node.started', runId, nodeId: 'a', at: 1, attempt: 1 });
      const [snapshot] = await readLines(served.port, 1);
      expect(build).toHaveBeenCalledTimes(2);
      expect(snapshot).toMatchObject({ type: 'run.snapshot', states: { a: { state: 'running' } } });
    } finally {
      await served.close();
    }
  });
});
