import type { ServerResponse } from 'node:http';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import { isNodeEndEvent } from '../run/events.js';
import { RunTracker } from '../run/run-tracker.js';
import { eventJson, previewValue, safeJson } from './event-json.js';
import { SnapshotCache } from './snapshot-cache.js';
import { SNAPSHOT_VALUE_CHARS, SnapshotJson } from './snapshot-json.js';
import { Watcher, type HubFormat } from './watcher.js';

export type { HubFormat } from './watcher.js';

/** Settings of a {@link RunHub}. */
export interface RunHubOptions {
  /** Clock of the batching window and of each batch's send time. */
  scheduler: SchedulerLike;
  /** Events are sent in batches at most this often (ms). */
  batchMs: number;
  /**
   * A watcher whose unsent bytes (its response's `writableLength` plus its queued events) would pass
   * this is cut off; the page reconnects and resyncs from a snapshot. The shared snapshot is not
   * counted: it is written 64 KiB at a time, as the watcher reads.
   */
  maxBufferedBytes: number;
  /** Node values are cut to previews of this many characters. */
  maxValueChars: number;
  /** Subscribe to the source when the first watcher connects (a replay), not at once (a live run). */
  startOnConnect: boolean;
}

/**
 * A snapshot build encodes at most about this many entries (graph entries, node views, end events)
 * in one turn of the event loop (~10 ms for entries of ~1 KB); a larger one is spread over several
 * turns, the newcomer waiting for it.
 */
const WARM_ENTRIES = 4_096;

/** A batch is sent at once when it reaches this many bytes, whatever the window. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * One run, many watchers: subscribes to the source once, folds it into a {@link RunTracker}, and
 * sends every watcher that connects the run's `run.snapshot` first, then the live events, in
 * batches (one SSE message per `batchMs`). The snapshot is serialized once per change of the run,
 * not once per watcher ({@link SnapshotCache}), and only in part: each node's JSON is kept until an
 * event changes that node ({@link SnapshotJson}), so a connect costs the nodes changed since the
 * last one, not the whole run; when that is a lot (the first page of a large run), the build is
 * spread over several turns of the event loop, about {@link WARM_ENTRIES} entries each, and the
 * newcomer waits for it. It is shared by every watcher as buffers; each watcher writes
 * with backpressure and is cut off when it holds more than `maxBufferedBytes` unsent
 * ({@link Watcher}). Memory is bounded by the graph's size and the tracker's bounds (streamed
 * text and history per node and in all), plus the snapshot's JSON once and the events sent since
 * it (up to the larger of 256 KiB and a sixteenth of it), plus one batch, plus at most
 * `maxBufferedBytes` and one 64 KiB piece of the snapshot per watcher; a watcher still reading an
 * older snapshot keeps the blocks of it that changed since alive until it has read them.
 */
export class RunHub {
  readonly #source: Observable<RunEvent>;
  readonly #options: RunHubOptions;
  readonly #watchers = new Map<ServerResponse, Watcher>();
  /** Watchers waiting for a large build, spread over several turns, to get the snapshot. */
  readonly #parked = new Set<Watcher>();
  #warming: Subscription | undefined;
  readonly #snapshot: SnapshotCache;
  /** The snapshot's JSON, node by node: rebuilding it costs the nodes that changed since. */
  readonly #json: SnapshotJson;
  #tracker: RunTracker | undefined;
  #runId: string | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #flush: Subscription | undefined;
  #subscription: Subscription | undefined;
  #started = false;
  #ended: { error?: string } | undefined;
  /**
   * The `node.waiting` event (JSON) of each node waiting for a decision now, sent after the snapshot.
   * The snapshot carries the same payloads (a node view's `waiting`, its history), and the page takes
   * the repeat as one ask; the terminal (`rx-orchestra watch`) still builds its prompt from this event.
   */
  readonly #waiting = new Map<string, string>();

  constructor(source: Observable<RunEvent>, options: RunHubOptions) {
    this.#source = source;
    this.#options = options;
    // Snapshots carry short previews of node values (most of a large run's snapshot otherwise); a page fetches the values it shows (valueJson).
    this.#json = new SnapshotJson(Math.min(options.maxValueChars, SNAPSHOT_VALUE_CHARS));
    this.#snapshot = new SnapshotCache(() => {
      const parts = this.#tracker?.snapshotParts();
      return parts && this.#json.build(parts);
    });
    if (!options.startOnConnect) this.#start();
  }

  /**
   * `{ "nodeId", "value" }` as JSON: the node's value as a live event carries it (cut to
   * `maxValueChars`), for a page that joined late and got a preview in the snapshot; undefined when
   * the node has not ended with a value.
   */
  valueJson(nodeId: string): string | undefined {
    const end = this.#tracker?.endOf(nodeId);
    if (!end || !('value' in end)) return undefined;
    return safeJson({ nodeId, value: previewValue(end, this.#options.maxValueChars).value });
  }

  /** True when the node waits for a decision now (it asked, and was neither decided nor ended since). */
  isWaiting(nodeId: string): boolean {
    return this.#waiting.has(nodeId);
  }

  /** Watchers served now (one waiting for a large snapshot build counts once it has it). */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Adds a watcher: writes the headers, the snapshot so far, then live events until it disconnects. */
  add(res: ServerResponse, format: HubFormat): void {
    this.#flushNow(); // the others get what is pending; the newcomer gets it with the snapshot
    res.writeHead(200, {
      'content-type': format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders(); // a watcher that connects before the run started learns at once that it is connected
    res.socket?.setNoDelay(true);
    const watcher = new Watcher(res, format, this.#options.maxBufferedBytes);
    res.once('close', () => {
      this.#watchers.delete(res);
      this.#parked.delete(watcher);
    });
    if (format === 'sse') watcher.send('retry: 1000\n\n');
    if (this.#snapshot.built || (this.#parked.size === 0 && this.#warm())) return this.#welcome(watcher);
    // a large build (most of the run changed since the last one) is spread over several turns: this watcher waits for it
    this.#parked.add(watcher);
    this.#warming ??= this.#options.scheduler.schedule(() => this.#warmTurn());
  }

  /** The snapshot, the nodes waiting for a decision, then live events (or the end). */
  #welcome(watcher: Watcher): void {
    this.#watchers.set(watcher.res, watcher);
    watcher.sendShared(this.#snapshot.pieces(watcher.format, this.#options.scheduler.now()));
    if (this.#waiting.size > 0) watcher.send(this.#encode(watcher.format, [...this.#waiting.values()]).data);
    if (this.#ended) this.#sendEnd(watcher);
    else if (!this.#started) this.#start();
  }

  /** Encodes a share of what changed since the last build ({@link WARM_ENTRIES}); true when what is left is a build's share. */
  #warm(): boolean {
    const parts = this.#tracker?.snapshotParts();
    return parts === undefined || this.#json.warm(parts, WARM_ENTRIES);
  }

  /** One turn of a large build: when it is through, the parked watchers get the snapshot. */
  #warmTurn(): void {
    this.#warming = undefined;
    if (this.#parked.size === 0) return; // they left: what was encoded is kept for the next build
    if (!this.#warm()) {
      this.#warming = this.#options.scheduler.schedule(() => this.#warmTurn());
      return;
    }
    this.#flushNow(); // the others get what is pending; the newcomers get it with the snapshot
    const parked = [...this.#parked];
    this.#parked.clear();
    for (const watcher of parked) if (watcher.open) this.#welcome(watcher);
  }

  /** Stops: unsubscribes from the source and ends every watcher's response. */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#flush?.unsubscribe();
    this.#flush = undefined;
    this.#warming?.unsubscribe();
    this.#warming = undefined;
    for (const watcher of this.#parked) watcher.stop();
    this.#parked.clear();
    for (const watcher of this.#watchers.values()) watcher.stop();
    this.#watchers.clear();
  }

  #start(): void {
    this.#started = true;
    this.#subscription = this.#source.subscribe({
      next: (event) => this.#onEvent(event),
      error: (error: unknown) => this.#end(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      complete: () => this.#end(),
    });
  }

  #onEvent(event: RunEvent): void {
    if (event.type === 'run.started' || event.type === 'run.snapshot') {
      // the state starts over (a snapshot: from a shared run that had started already)
      if (event.type === 'run.snapshot' || event.runId !== this.#runId) this.#tracker = undefined;
      this.#json.reset();
      this.#snapshot.invalidate();
    }
    (this.#tracker ??= new RunTracker({ onCut: (nodeId) => this.#json.touch(nodeId) })).apply(event);
    if ('nodeId' in event) this.#json.touch(event.nodeId);
    this.#runId = event.runId;
    this.#trackWaiting(event);
    if (this.#watchers.size === 0) {
      this.#snapshot.invalidate(); // nobody to tell, and no event kept: the tracker keeps the state
      return;
    }
    const json = eventJson(event, this.#options.maxValueChars);
    this.#pending.push(json);
    this.#pendingBytes += json.length;
    if (this.#pendingBytes >= MAX_BATCH_BYTES) this.#flushNow();
    else this.#flush ??= this.#options.scheduler.schedule(() => this.#flushNow(), this.#options.batchMs);
  }

  #trackWaiting(event: RunEvent): void {
    if (event.type === 'node.waiting') this.#waiting.set(event.nodeId, eventJson(event, this.#options.maxValueChars));
    else if (event.type === 'run.started' || event.type === 'run.snapshot') this.#waiting.clear();
    else if (this.#waiting.size > 0 && (event.type === 'node.decided' || isNodeEndEvent(event))) this.#waiting.delete(event.nodeId);
  }

  #flushNow(): void {
    this.#flush?.unsubscribe();
    this.#flush = undefined;
    if (this.#pending.length === 0) return;
    const events = this.#pending;
    const eventBytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    const encoded: Partial<Record<HubFormat, { data: string; bytes: number }>> = {};
    for (const watcher of [...this.#watchers.values()]) {
      const batch = (encoded[watcher.format] ??= this.#encode(watcher.format, events));
      if (!watcher.send(batch.data, batch.bytes)) this.#watchers.delete(watcher.res); // cut off: the page reconnects and starts again from a snapshot
    }
    this.#snapshot.append(events, eventBytes);
  }

  #end(error?: string): void {
    this.#flushNow();
    this.#ended = error === undefined ? {} : { error };
    for (const watcher of [...this.#watchers.values()]) this.#sendEnd(watcher);
  }

  /** SSE: an `end` message (the page closes its connection, so it does not reconnect). NDJSON: the end of the body. */
  #sendEnd(watcher: Watcher): void {
    if (watcher.format === 'sse') watcher.send(`event: end\ndata: ${JSON.stringify(this.#ended ?? {})}\n\n`);
    else {
      this.#watchers.delete(watcher.res);
      watcher.end();
    }
  }

  #encode(format: HubFormat, events: readonly string[]): { data: string; bytes: number } {
    const data = format === 'ndjson' ? `${events.join('\n')}\n` : `event: batch\ndata: {"t":${this.#options.scheduler.now()},"events":[${events.join(',')}]}\n\n`;
    return { data, bytes: Buffer.byteLength(data) };
  }
}
