import type { ServerResponse } from 'node:http';
import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import { RunTracker } from '../run/run-tracker.js';
import { eventJson } from './event-json.js';
import { trackerFromSnapshot } from './tracker-from-snapshot.js';

/** How a watcher receives events: Server-Sent Events for the page, NDJSON for `curl | jq`. */
export type HubFormat = 'sse' | 'ndjson';

/** Settings of a {@link RunHub}. */
export interface RunHubOptions {
  /** Clock of the batching window and of each batch's send time. */
  scheduler: SchedulerLike;
  /** Events are sent in batches at most this often (ms). */
  batchMs: number;
  /** A watcher with more unsent bytes than this is cut off; the page reconnects and resyncs from a snapshot. */
  maxBufferedBytes: number;
  /** Node values are cut to previews of this many characters. */
  maxValueChars: number;
  /** Subscribe to the source when the first watcher connects (a replay), not at once (a live run). */
  startOnConnect: boolean;
}

/** A batch is sent at once when it reaches this many bytes, whatever the window. */
const MAX_BATCH_BYTES = 256 * 1024;

/**
 * One run, many watchers: subscribes to the source once, folds it into a {@link RunTracker}, and
 * sends every watcher that connects the run's `run.snapshot` first, then the live events, in
 * batches (one SSE message per `batchMs`). Memory is bounded by the graph's size plus one batch;
 * a watcher that cannot keep up is cut off rather than buffered without bound.
 */
export class RunHub {
  readonly #source: Observable<RunEvent>;
  readonly #options: RunHubOptions;
  readonly #watchers = new Map<ServerResponse, HubFormat>();
  #tracker: RunTracker | undefined;
  #runId: string | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #flush: Subscription | undefined;
  #subscription: Subscription | undefined;
  #started = false;
  #ended: { error?: string } | undefined;

  constructor(source: Observable<RunEvent>, options: RunHubOptions) {
    this.#source = source;
    this.#options = options;
    if (!options.startOnConnect) this.#start();
  }

  /** Watchers connected now. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Adds a watcher: writes the headers, the snapshot so far, then live events until it disconnects. */
  add(res: ServerResponse, format: HubFormat): void {
    this.#flushNow(); // the others get what is pending; the newcomer gets it inside the snapshot
    res.writeHead(200, {
      'content-type': format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    if (format === 'sse') res.write('retry: 1000\n\n');
    const snapshot = this.#tracker?.snapshot();
    if (snapshot) res.write(this.#encode(format, [eventJson(snapshot, this.#options.maxValueChars)]));
    this.#watchers.set(res, format);
    res.on('close', () => this.#watchers.delete(res));
    if (this.#ended) this.#sendEnd(res, format);
    else if (!this.#started) this.#start();
  }

  /** Stops: unsubscribes from the source and ends every watcher's response. */
  close(): void {
    this.#subscription?.unsubscribe();
    this.#flush?.unsubscribe();
    this.#flush = undefined;
    for (const res of this.#watchers.keys()) res.end();
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
    if (event.type === 'run.snapshot') this.#tracker = trackerFromSnapshot(event);
    else {
      if (event.type === 'run.started' && event.runId !== this.#runId) this.#tracker = new RunTracker();
      (this.#tracker ??= new RunTracker()).apply(event);
    }
    this.#runId = event.runId;
    if (this.#watchers.size === 0) return; // nobody to tell: the tracker keeps the state
    const json = eventJson(event, this.#options.maxValueChars);
    this.#pending.push(json);
    this.#pendingBytes += json.length;
    if (this.#pendingBytes >= MAX_BATCH_BYTES) this.#flushNow();
    else this.#flush ??= this.#options.scheduler.schedule(() => this.#flushNow(), this.#options.batchMs);
  }

  #flushNow(): void {
    this.#flush?.unsubscribe();
    this.#flush = undefined;
    if (this.#pending.length === 0) return;
    const events = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const encoded: Partial<Record<HubFormat, string>> = {};
    for (const [res, format] of this.#watchers) {
      res.write((encoded[format] ??= this.#encode(format, events)));
      if (res.writableLength > this.#options.maxBufferedBytes) {
        this.#watchers.delete(res);
        res.destroy(); // the page reconnects and starts again from a snapshot
      }
    }
  }

  #end(error?: string): void {
    this.#flushNow();
    this.#ended = error === undefined ? {} : { error };
    for (const [res, format] of this.#watchers) this.#sendEnd(res, format);
  }

  /** SSE: an `end` message (the page closes its connection, so it does not reconnect). NDJSON: the end of the body. */
  #sendEnd(res: ServerResponse, format: HubFormat): void {
    if (format === 'sse') res.write(`event: end\ndata: ${JSON.stringify(this.#ended ?? {})}\n\n`);
    else {
      this.#watchers.delete(res);
      res.end();
    }
  }

  #encode(format: HubFormat, events: readonly string[]): string {
    if (format === 'ndjson') return `${events.join('\n')}\n`;
    return `event: batch\ndata: {"t":${this.#options.scheduler.now()},"events":[${events.join(',')}]}\n\n`;
  }
}
