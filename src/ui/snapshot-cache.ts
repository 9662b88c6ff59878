import type { HubFormat } from './watcher.js';

/** The events sent since the snapshot was built are kept for newcomers up to at least this many bytes. */
const MIN_TAIL_BYTES = 256 * 1024;

/** Events sent together after the snapshot was built, encoded for each format on first use. */
interface Segment {
  readonly events: readonly string[];
  sse?: Buffer;
  ndjson?: Buffer;
}

/**
 * The serialized `run.snapshot` a page starts from, built once and shared by every page that
 * connects until the run moves on too far: the events sent since it was built (its tail) are kept
 * and sent after it, and it is rebuilt only when that tail outweighs it (or at least
 * 256 KiB), when an event went by without being kept (nobody was watching), or when a new run
 * starts. Building costs the size of the run's state; connecting costs nothing but shared buffers.
 */
export class SnapshotCache {
  readonly #build: () => string | undefined;
  #snapshot: Buffer | undefined;
  #tail: Segment[] = [];
  #tailBytes = 0;

  /** `build` serializes the run's state so far as one `run.snapshot` (JSON), or undefined before the run started. */
  constructor(build: () => string | undefined) {
    this.#build = build;
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
    if (this.#tailBytes > Math.max(this.#snapshot.length, MIN_TAIL_BYTES)) this.invalidate();
  }

  /**
   * What a page that connects now is sent first, as buffers shared with the other pages: the
   * snapshot and the events since, in one SSE `batch` message stamped `now` or as NDJSON lines.
   * Empty before the run started.
   */
  pieces(format: HubFormat, now: number): Buffer[] {
    if (!this.#snapshot) {
      const json = this.#build();
      if (json === undefined) return [];
      this.#snapshot = Buffer.from(json);
    }
    if (format === 'ndjson') return [this.#snapshot, NEWLINE, ...this.#tail.map((s) => (s.ndjson ??= Buffer.from(`${s.events.join('\n')}\n`)))];
    return [
      Buffer.from(`event: batch\ndata: {"t":${now},"events":[`),
      this.#snapshot,
      ...this.#tail.map((s) => (s.sse ??= Buffer.from(`,${s.events.join(',')}`))),
      SSE_END,
    ];
  }
}

const NEWLINE = Buffer.from('\n');
const SSE_END = Buffer.from(']}\n\n');
