import type { HubFormat } from './watcher.js';

/** The events sent since the snapshot was built are kept for newcomers up to at least this many bytes. */
const MIN_TAIL_BYTES = 256 * 1024;
/**
 * ... and up to this share of the snapshot's weight: past it, rebuilding the snapshot (which costs
 * the nodes changed since, {@link SnapshotJson}) is cheaper than making a newcomer validate and
 * apply the events one by one.
 */
const TAIL_SHARE = 1 / 16;

/** Events sent together after the snapshot was built, encoded for each format on first use. */
interface Segment {
  readonly events: readonly string[];
  sse?: Buffer;
  ndjson?: Buffer;
}

/**
 * The serialized `run.snapshot` a page starts from, built once and shared by every page that
 * connects until the run moves on too far: the events sent since it was built (its tail) are kept
 * and sent after it, and it is rebuilt only when that tail outweighs a sixteenth of it (and
 * 256 KiB), when an event went by without being kept (nobody was watching), or when a new run
 * starts. A build costs what changed since the last one ({@link SnapshotJson}); connecting costs
 * nothing but shared buffers.
 */
export class SnapshotCache {
  readonly #build: () => Buffer[] | undefined;
  #snapshot: Buffer[] | undefined;
  #snapshotBytes = 0;
  #tail: Segment[] = [];
  #tailBytes = 0;

  /** `build` serializes the run's state so far as one `run.snapshot` (JSON, in pieces to write one after the other), or undefined before the run started. */
  constructor(build: () => Buffer[] | undefined) {
    this.#build = build;
  }

  /** True when a snapshot is built (with the events since): a page connecting now costs nothing but shared buffers. */
  get built(): boolean {
    return this.#snapshot !== undefined;
  }

  /** The state changed in a way the tail does not carry: the next page gets a fresh snapshot. */
  invalidate(): void {
    this.#snapshot = undefined;
    this.#tail = [];
    this.#tailBytes = 0;
  }

  /** Events (JSON) just sent to the pages connected now; a later page gets them after the snapshot. */
  append(events: readonly string[], bytes: number): void {
    if (!this.#snapshot || events.length === 0) return;
    this.#tail.push({ events });
    this.#tailBytes += bytes;
    if (this.#tailBytes > Math.max(this.#snapshotBytes * TAIL_SHARE, MIN_TAIL_BYTES)) this.invalidate();
  }

  /**
   * What a page that connects now is sent first, as buffers shared with the other pages: the
   * snapshot and the events since, in one SSE `batch` message stamped `now` or as NDJSON lines.
   * Empty before the run started.
   */
  pieces(format: HubFormat, now: number): Buffer[] {
    if (!this.#snapshot) {
      const pieces = this.#build();
      if (pieces === undefined) return [];
      this.#snapshot = pieces;
      this.#snapshotBytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
    }
    if (format === 'ndjson') return [...this.#snapshot, NEWLINE, ...this.#tail.map((s) => (s.ndjson ??= Buffer.from(`${s.events.join('\n')}\n`)))];
    return [
      Buffer.from(`event: batch\ndata: {"t":${now},"events":[`),
      ...this.#snapshot,
      ...this.#tail.map((s) => (s.sse ??= Buffer.from(`,${s.events.join(',')}`))),
      SSE_END,
    ];
  }
}

const NEWLINE = Buffer.from('\n');
const SSE_END = Buffer.from(']}\n\n');
