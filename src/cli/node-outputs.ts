import { writeFile } from 'node:fs/promises';
import type { ErrorInfo, RunEvent, RunStatus } from '../run/events.js';
import { formatCount, plural, truncate } from './format.js';

/** At the end of a run, at most this many nodes' values are printed (all are in `--output`). */
export const OUTPUT_LINES_MAX = 20;

/**
 * What `--output <file>` writes: the run's id and status, the value of every node that has one
 * (succeeded or fell back, restored ones included), and the error of every node that failed or
 * timed out.
 *
 * ## Example
 * ```ts
 * import type { RunOutputs } from './node-outputs.js';
 * const saved: RunOutputs = JSON.parse(readFileSync('out.json', 'utf8'));
 * saved.outputs.report; // the report node's value
 * ```
 */
export interface RunOutputs {
  runId: string | undefined;
  /** The run's status, or `'incomplete'` when it was interrupted. */
  status: RunStatus | 'incomplete';
  outputs: Record<string, unknown>;
  errors: Record<string, ErrorInfo>;
}

/**
 * Collects a run's node values from its events (`node.succeeded`, `node.fellBack`, restored ones
 * too) and errors, for the lines printed at the end of a run and for `--output`. A new
 * `run.started` (the next run of a replayed log) starts over; a `run.snapshot` (a run joined late)
 * starts from the values of the nodes ended so far. Memory: one entry per node.
 *
 * ## Example
 * ```ts
 * import { NodeOutputs } from './node-outputs.js';
 * const outputs = new NodeOutputs();
 * execute(g).subscribe((event) => outputs.apply(event));
 * outputs.lines(100).forEach((line) => console.log(line));
 * ```
 */
export class NodeOutputs {
  #runId: string | undefined;
  #status: RunStatus | undefined;
  /** Graph nodes (from `run.started`) get ranks first; nodes added later rank after them, in order. */
  readonly #rank = new Map<string, number>();
  readonly #values = new Map<string, unknown>();
  readonly #errors = new Map<string, ErrorInfo>();

  apply(event: RunEvent): void {
    switch (event.type) {
      case 'run.started':
        this.#runId = event.runId;
        this.#status = undefined;
        this.#rank.clear();
        this.#values.clear();
        this.#errors.clear();
        for (const node of event.nodes) this.#rank.set(node.id, this.#rank.size);
        break;
      case 'run.snapshot':
        // a run joined late: its graph's own nodes rank first, then the values and errors of the nodes ended so far, in the order they ended
        this.#runId = event.runId;
        this.#status = event.summary?.status;
        this.#rank.clear();
        this.#values.clear();
        this.#errors.clear();
        for (const node of event.nodes) if (node.parent === undefined) this.#rank.set(node.id, this.#rank.size);
        for (const end of event.ended) this.apply(end);
        break;
      case 'node.succeeded':
      case 'node.fellBack':
        this.#values.set(event.nodeId, event.value);
        this.#errors.delete(event.nodeId);
        break;
      case 'node.failed':
      case 'node.timedOut':
        this.#errors.set(event.nodeId, event.error);
        break;
      case 'run.completed':
        this.#status = event.summary.status;
        break;
      default:
        break;
    }
  }

  /** How many nodes have a value. */
  get size(): number {
    return this.#values.size;
  }

  /**
   * The values as lines of at most `width` characters, under an `Outputs` title: `  plan  "the plan"`
   * (a string as JSON, so its quotes and newlines show), the graph's own nodes first, in definition
   * order, then the nodes a fan-out or subgraph added; at most `max` of them, then
   * `  … and N more` (pointing at `--output` when `outputFile` is not given). No lines when no
   * node has a value.
   */
  lines(width: number, options: { max?: number; outputFile?: string } = {}): string[] {
    const max = options.max ?? OUTPUT_LINES_MAX;
    if (this.#values.size === 0) return [];
    const ids = this.#ordered();
    const shown = ids.slice(0, max);
    const idWidth = Math.min(24, shown.reduce((w, id) => Math.max(w, id.length), 0));
    const lines = [`Outputs (${plural(ids.length, 'node')}):`];
    for (const id of shown) lines.push(truncate(`  ${truncate(id, idWidth).padEnd(idWidth)}  ${valuePreview(this.#values.get(id), width)}`, width));
    if (ids.length > shown.length) {
      const rest = formatCount(ids.length - shown.length);
      lines.push(options.outputFile ? `  … and ${rest} more (all in ${options.outputFile})` : `  … and ${rest} more: --output <file> writes them all as JSON`);
    }
    return lines;
  }

  /** Everything `--output` writes. */
  toJSON(): RunOutputs {
    const outputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const id of this.#ordered()) outputs[id] = this.#values.get(id);
    const errors: Record<string, ErrorInfo> = Object.create(null) as Record<string, ErrorInfo>;
    for (const [id, error] of this.#errors) errors[id] = error;
    return { runId: this.#runId, status: this.#status ?? 'incomplete', outputs, errors };
  }

  #ordered(): string[] {
    const later = (id: string) => this.#rank.get(id) ?? Infinity;
    const ids = [...this.#values.keys()];
    const position = new Map(ids.map((id, i) => [id, i]));
    return ids.sort((a, b) => later(a) - later(b) || position.get(a)! - position.get(b)!);
  }
}

/**
 * Writes what `--output` asks for: {@link RunOutputs} as indented JSON. A value JSON cannot hold
 * is written as its description (`"[BigInt 12]"`, `"[circular]"`); functions are left out, as JSON does.
 *
 * ## Example
 * ```ts
 * import { writeOutputs } from './node-outputs.js';
 * await writeOutputs('out.json', outputs.toJSON());
 * ```
 */
export async function writeOutputs(path: string, outputs: RunOutputs): Promise<void> {
  await writeFile(path, `${safeJson(outputs, 2)}\n`);
}

/**
 * A value on one line for a terminal: JSON (strings quoted, so their quotes and newlines show),
 * whitespace runs squeezed, cut to `width` with `…`. Pure.
 *
 * ## Example
 * ```ts
 * import { valuePreview } from './node-outputs.js';
 * valuePreview({ files: 3 }, 40); // '{"files":3}'
 * valuePreview('a\nb', 40);       // '"a\\nb"'
 * ```
 */
export function valuePreview(value: unknown, width: number): string {
  const text = value === undefined ? 'undefined' : safeJson(value);
  return truncate(text.replace(/\s+/g, ' '), Math.max(1, width));
}

function safeJson(value: unknown, indent?: number): string {
  const bigints = (_key: string, v: unknown) => (typeof v === 'bigint' ? `[BigInt ${v}]` : v);
  try {
    return JSON.stringify(value, bigints, indent) ?? 'undefined';
  } catch {
    // a cycle: cut it where an object reappears inside itself
    const path: object[] = [];
    return (
      JSON.stringify(
        value,
        function (this: unknown, _key, v: unknown) {
          while (path.length > 0 && path[path.length - 1] !== this) path.pop();
          if (typeof v === 'object' && v !== null) {
            if (path.includes(v)) return '[circular]';
            path.push(v);
          }
          return bigints(_key, v);
        },
        indent,
      ) ?? 'undefined'
    );
  }
}
