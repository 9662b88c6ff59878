/**
 * Somewhere to write text: `process.stdout`, `process.stderr`, or a stand-in in tests.
 *
 * ## Example
 * ```ts
 * import type { TextOutput } from './output.js';
 * const out: TextOutput = process.stderr;
 * ```
 */
export interface TextOutput {
  write(chunk: string, callback?: (error?: Error | null) => void): unknown;
}

/**
 * Lines written in batches; see {@link bufferedLines}.
 *
 * ## Example
 * ```ts
 * import { bufferedLines, type LineWriter } from './output.js';
 * const out: LineWriter = bufferedLines(process.stdout);
 * out.line('hello');
 * await out.flush();
 * ```
 */
export interface LineWriter {
  /** Queues one line (a newline is added). */
  line(text: string): void;
  /** Writes what is queued; resolves once the stream has taken it. */
  flush(): Promise<void>;
}

/**
 * Batches lines into few writes: a run emits thousands of events in bursts, and one write per
 * burst (flushed at the end of the current job, or every 64 KiB) keeps a pipe or a CI log from
 * becoming the bottleneck.
 *
 * ## Example
 * ```ts
 * import { bufferedLines } from './output.js';
 * const out = bufferedLines(process.stdout);
 * execute(g).subscribe({ next: (e) => out.line(JSON.stringify(e)), complete: () => void out.flush() });
 * ```
 */
export function bufferedLines(stream: TextOutput, maxChars = 64 * 1024): LineWriter {
  let queued = '';
  let scheduled = false;
  const write = () => {
    scheduled = false;
    if (queued === '') return;
    const text = queued;
    queued = '';
    stream.write(text);
  };
  return {
    line(text) {
      queued += `${text}\n`;
      if (queued.length >= maxChars) write();
      else if (!scheduled) {
        scheduled = true;
        queueMicrotask(write);
      }
    },
    flush() {
      write();
      return new Promise((resolve) => stream.write('', () => resolve()));
    },
  };
}
