/**
 * Live progress lines for a run, for the terminal: one line per start, retry and end, stamped with
 * the seconds since the run started (in the run's own scheduler time).
 */
import { describeSkip, type RunEvent } from '../../src/index.js';

/** Settings of {@link progressPrinter}. */
export interface ProgressOptions {
  /** Where lines go. @default console.log */
  write?: (line: string) => void;
  /** Extra text after a node's value, e.g. its token usage. @default none */
  describe?: (nodeId: string, value: unknown) => string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/**
 * Returns an event handler (for `tap` or `subscribe`) that prints a line per interesting event:
 * `   0.00s ▶ web_search started`, `   1.21s ✓ web_search 1.21s`, `↻` retries, `✗` failures,
 * `⏱` timeouts, `↩` fallbacks, `⤼` skips and a closing `■` line.
 *
 * ## Example
 * ```ts
 * await collect(execute(g).pipe(tap(progressPrinter())));
 * ```
 */
export function progressPrinter(options: ProgressOptions = {}): (event: RunEvent) => void {
  const { write = console.log, describe } = options;
  let startedAt = 0;
  return (event) => {
    if (event.type === 'run.started') startedAt = event.at;
    const line = lineOf(event, describe);
    if (line !== undefined) write(`${seconds(event.at - startedAt).padStart(8)} ${line}`);
  };
}

function lineOf(event: RunEvent, describe: ProgressOptions['describe']): string | undefined {
  switch (event.type) {
    case 'node.started':
      return event.attempt === 1 ? `▶ ${event.nodeId} started` : `▶ ${event.nodeId} attempt ${event.attempt}`;
    case 'node.retrying':
      return `↻ ${event.nodeId} attempt ${event.attempt} failed (${event.error.code ?? event.error.name}): retry in ${seconds(event.delayMs)}`;
    case 'node.succeeded': {
      const extra = describe ? `  ${describe(event.nodeId, event.value)}` : '';
      const tries = event.attempts > 1 ? ` after ${event.attempts} attempts` : '';
      return `✓ ${event.nodeId} ${seconds(event.durationMs)}${tries}${extra}`;
    }
    case 'node.failed':
      return `✗ ${event.nodeId} failed after ${event.attempts} attempts: ${event.error.message}`;
    case 'node.timedOut':
      return `⏱ ${event.nodeId} timed out (${seconds(event.timeoutMs)} per attempt, ${event.attempts} attempts)`;
    case 'node.fellBack':
      return `↩ ${event.nodeId} fell back after ${event.reason === 'timedOut' ? 'timing out' : 'failing'}`;
    case 'node.skipped':
      return `⤼ ${event.nodeId} skipped (${describeSkip(event.cause)})`;
    case 'run.completed': {
      const { status, makespanMs, attempts } = event.summary;
      return `■ run ${status} in ${seconds(makespanMs)} (${attempts} attempts)`;
    }
    default:
      return undefined;
  }
}
