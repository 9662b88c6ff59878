import type { NodeEndEvent, NodeView } from '../run/events.js';
import { idRecord } from '../run/id-record.js';
import type { SnapshotParts } from '../run/run-tracker.js';
import { previewValue, safeJson } from './event-json.js';

/** Entries (graph nodes, node views, end events) serialized together into one shared buffer, unless told otherwise. */
export const BLOCK_ENTRIES = 32;

/** One block of a list: the entries it was made from (by identity, or node ids), and their JSON. */
interface Block<K> {
  readonly keys: readonly K[];
  readonly data: Buffer;
  /** End events only: the nodes whose value the block cut to a preview. */
  readonly cut?: readonly string[];
}

/** Node values in a snapshot's `ended` are cut to previews of this many characters of JSON unless told otherwise (a page fetches the rest when shown). */
export const SNAPSHOT_VALUE_CHARS = 240;

/**
 * The `run.snapshot` a page starts from, serialized (as `eventJson` would: values cut to
 * previews, infinite numbers made finite) piece by piece, so that building it again costs what
 * changed since, not the whole run. Entries are serialized {@link BLOCK_ENTRIES} at a time
 * into one shared buffer, kept until one of them changes: node views until the node is
 * {@link touch}ed (on each event about it, and on the tracker's `onCut`: its text or history cut
 * by an event about another node), graph entries and end events by identity (the tracker hands
 * out the same objects until they change); only the views of changed blocks are asked of the
 * tracker. The run-level fields (totals, tallies, summary) are serialized on every build.
 * Memory: the snapshot's JSON once.
 *
 * ## Example
 * ```ts
 * const json = new SnapshotJson(2_000);
 * const tracker = new RunTracker({ onCut: (id) => json.touch(id) });
 * tracker.apply(event);
 * if ('nodeId' in event) json.touch(event.nodeId);
 * const pieces = json.build(tracker.snapshotParts()!); // Buffer.concat(pieces) is the snapshot's JSON
 * ```
 */
export class SnapshotJson {
  readonly #valueChars: number;
  readonly #blockEntries: number;
  #touched = new Set<string>();
  /** The blocks of the latest build or warm-up (a hole: not encoded yet). */
  #graph: (Block<object> | undefined)[] = [];
  #states: (Block<string> | undefined)[] = [];
  #ended: (Block<NodeEndEvent> | undefined)[] = [];
  /** Entries encoded since the latest build. */
  #encoded = 0;
  /** Entries the latest build serialized, warm-ups before it included (a measure of its cost, for tests). */
  serialized = 0;

  /**
   * `valueChars`: node values are cut to previews of this many characters of JSON (the snapshot's
   * `cutValues` lists the nodes cut); `blockEntries`: entries per block.
   */
  constructor(valueChars: number, blockEntries = BLOCK_ENTRIES) {
    this.#valueChars = valueChars;
    this.#blockEntries = blockEntries;
  }

  /** The node's view (or end) may have changed: its JSON is made again at the next build. */
  touch(nodeId: string): void {
    this.#touched.add(nodeId);
  }

  /** Everything may have changed (a new run, a run joined from a snapshot): the next build starts from scratch. */
  reset(): void {
    this.#touched = new Set();
    this.#graph = [];
    this.#states = [];
    this.#ended = [];
  }

  /** The snapshot's JSON as buffers to write one after the other, reusing every block nothing in which changed. */
  build(parts: SnapshotParts): Buffer[] {
    const { nodes: _nodes, ended: _ended, ...head } = parts.head; // those two go in blocks
    const headJson = safeJson(head);
    const pieces: Buffer[] = [Buffer.from(`${headJson.slice(0, -1)}${headJson.length > 2 ? ',' : ''}"nodes":[`)];
    this.#encode(parts, Infinity, pieces);
    const cut = this.#ended.flatMap((block) => block?.cut ?? []);
    pieces.push(cut.length === 0 ? END : Buffer.from(`],"cutValues":${safeJson(cut)}}`));
    this.#touched = new Set(); // every block was looked at: what is left touched is no node of the run
    this.serialized = this.#encoded;
    this.#encoded = 0;
    return pieces;
  }

  /**
   * Encodes the blocks that changed, up to about `maxEntries` entries, so that a large build can be
   * spread over several turns of the event loop (the events in between touch what they change, and
   * the {@link build} at the end encodes those again). True when nothing is left to encode.
   */
  warm(parts: SnapshotParts, maxEntries: number): boolean {
    return this.#encode(parts, this.#encoded + maxEntries);
  }

  /** Encodes the changed blocks until `budget` entries were encoded since the last build (their buffers to `pieces`, when building); true when it got through. */
  #encode(parts: SnapshotParts, budget: number, pieces?: Buffer[]): boolean {
    const { nodes, ended } = parts.head;
    this.#graph = this.#blocks(this.#graph, nodes, (info) => info, (infos) => safeJson(infos), budget, pieces);
    pieces?.push(MID_STATES);
    this.#states = this.#blocks(this.#states, parts.ids, (id) => id, (ids) => viewsJson(ids, parts), budget, pieces, this.#touched);
    pieces?.push(MID_ENDED);
    this.#ended = this.#blocks(this.#ended, ended, (end) => end, (ends) => this.#endsJson(ends), budget, pieces);
    return this.#encoded < budget;
  }

  /** End events as one JSON array, values cut to previews; the nodes cut are noted for the block (see {@link #blocks}). */
  #endsJson(ends: readonly NodeEndEvent[]): string {
    const served = ends.map((end) => previewValue(end, this.#valueChars));
    this.#lastCut = served.flatMap((end, i) => (end !== ends[i] ? [end.nodeId] : []));
    return safeJson(served);
  }

  /** The nodes the latest `#endsJson` cut (picked up by the block it encoded). */
  #lastCut: string[] = [];

  /**
   * The blocks of a list now: each old block whose entries are the same (and none touched) is
   * kept, the others are encoded again (`json` gives their JSON array or object, whose brackets
   * are dropped) while the budget lasts, past which they are left as they were; their buffers are
   * appended to `pieces` (a build has no budget).
   */
  #blocks<T, K>(old: readonly (Block<K> | undefined)[], items: readonly T[], key: (item: T) => K, json: (items: T[]) => string, budget: number, pieces?: Buffer[], touched?: Set<K>): (Block<K> | undefined)[] {
    const blocks: (Block<K> | undefined)[] = [];
    for (let start = 0, b = 0; start < items.length; start += this.#blockEntries, b++) {
      const end = Math.min(items.length, start + this.#blockEntries);
      const previous = old[b];
      let block: Block<K> | undefined = previous && previous.keys.length === end - start ? previous : undefined;
      for (let i = start; block && i < end; i++) {
        const k = key(items[i]!);
        if (block.keys[i - start] !== k || touched?.has(k)) block = undefined;
      }
      if (!block && this.#encoded < budget) {
        const entries = items.slice(start, end);
        const keys = entries.map(key);
        this.#lastCut = [];
        const encoded = json(entries);
        this.#encoded += entries.length;
        if (touched) for (const k of keys) touched.delete(k);
        const data = Buffer.from(encoded); // [a,b] or {a,b}: the brackets go, a block after the first starts with the comma between
        if (b > 0) data[0] = COMMA;
        block = { keys, data: data.subarray(b > 0 ? 0 : 1, data.length - 1), ...(this.#lastCut.length > 0 ? { cut: this.#lastCut } : {}) };
      }
      blocks.push(block ?? previous);
      if (pieces) pieces.push(block!.data);
    }
    return blocks;
  }
}

/** The `states` members of some nodes, as one JSON object. */
function viewsJson(ids: readonly string[], parts: SnapshotParts): string {
  const views = idRecord<NodeView>();
  for (const id of ids) views[id] = parts.view(id);
  return safeJson(views);
}

const COMMA = 0x2c;
const MID_STATES = Buffer.from('],"states":{');
const MID_ENDED = Buffer.from('},"ended":[');
const END = Buffer.from(']}');
