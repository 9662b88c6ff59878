import type { ServerResponse } from 'node:http';

/** How a watcher receives events: Server-Sent Events for the page, NDJSON for `curl | jq`. */
export type HubFormat = 'sse' | 'ndjson';

/**
 * A shared buffer (the snapshot) is handed to a response this many bytes at a time, and only
 * while the response takes more: a page that does not read holds at most one such piece of it.
 */
export const PIECE_BYTES = 64 * 1024;

/** What waits to be written: bytes owned by this page, or a view of a buffer shared by all pages. */
type Item = { kind: 'own'; data: string; bytes: number } | { kind: 'shared'; data: Buffer; offset: number };

/**
 * One connected page: an outbound queue written to its response with backpressure (nothing more is
 * written after `res.write` returns false, until `drain`), and a cap on what it may hold on the
 * server. A page's unsent bytes are its response's `writableLength` plus its queued events; sending
 * more than `maxBufferedBytes` of them cuts the page off (its connection is destroyed; a page
 * reconnects and starts again from a snapshot). Shared buffers (the snapshot, built once for all
 * pages) are not copied and not counted; they are written {@link PIECE_BYTES} at a time as the page
 * reads, so they add at most one piece to `writableLength`.
 */
export class Watcher {
  readonly res: ServerResponse;
  readonly format: HubFormat;
  readonly #maxBufferedBytes: number;
  readonly #queue: Item[] = [];
  #queuedBytes = 0;
  #waitingForDrain = false;
  #ending = false;
  #closed = false;

  constructor(res: ServerResponse, format: HubFormat, maxBufferedBytes: number) {
    this.res = res;
    this.format = format;
    this.#maxBufferedBytes = maxBufferedBytes;
    res.once('close', () => this.#close());
  }

  /** Bytes this page holds on the server and has not been sent: in its response, and queued (shared buffers excepted). */
  get unsentBytes(): number {
    return this.res.writableLength + this.#queuedBytes;
  }

  /** False once the page is gone: cut off, ended or disconnected. */
  get open(): boolean {
    return !this.#closed && !this.#ending;
  }

  /**
   * Queues bytes of this page's own (a batch of events) and writes what the response takes.
   * Returns false, and cuts the page off, when its unsent bytes would pass the cap.
   */
  send(data: string, bytes = Buffer.byteLength(data)): boolean {
    if (!this.open) return false;
    if (this.unsentBytes + bytes > this.#maxBufferedBytes) {
      this.cut();
      return false;
    }
    this.#queue.push({ kind: 'own', data, bytes });
    this.#queuedBytes += bytes;
    this.#pump();
    return true;
  }

  /** Queues buffers shared with other pages (not copied, not counted against the cap), to be written one after the other. */
  sendShared(data: readonly Buffer[]): void {
    if (!this.open) return;
    for (const buffer of data) if (buffer.length > 0) this.#queue.push({ kind: 'shared', data: buffer, offset: 0 });
    this.#pump();
  }

  /** Ends the response once everything queued is written. */
  end(): void {
    if (!this.open) return;
    this.#ending = true;
    this.#pump();
  }

  /** Drops what is queued and destroys the connection. */
  cut(): void {
    if (this.#closed) return;
    this.#close();
    this.res.destroy();
  }

  /** Drops what is queued and ends the response (the dashboard is closing). */
  stop(): void {
    if (this.#closed) return;
    this.#close();
    this.res.end();
  }

  #pump(): void {
    const corked = !this.#closed && !this.#waitingForDrain && this.#queue.length > 1;
    if (corked) this.res.cork(); // the pieces go out together (one writev), not one write each
    while (!this.#closed && !this.#waitingForDrain) {
      const item = this.#queue[0];
      if (!item) break;
      let piece: string | Buffer;
      if (item.kind === 'own') {
        this.#queue.shift();
        this.#queuedBytes -= item.bytes;
        piece = item.data;
      } else {
        piece = item.data.subarray(item.offset, item.offset + PIECE_BYTES);
        item.offset += piece.length;
        if (item.offset >= item.data.length) this.#queue.shift();
      }
      if (!this.res.write(piece)) {
        this.#waitingForDrain = true;
        this.res.once('drain', () => {
          this.#waitingForDrain = false;
          this.#pump();
        });
      }
    }
    if (corked) this.res.uncork();
    if (this.#ending && !this.#closed && this.#queue.length === 0) {
      this.#close();
      this.res.end();
    }
  }

  #close(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#queuedBytes = 0;
  }
}
