import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { firstValueFrom, from, map, merge, timer, type Observable, type ObservableInput } from 'rxjs';
import type { TextOutput } from './output.js';

/**
 * Why {@link waitForWatcher} stopped waiting: a page connected, Enter was pressed, the time ran
 * out, the user interrupted (Ctrl-C: the run should not start), or there was nothing to wait for.
 *
 * ## Example
 * ```ts
 * import type { WaitOutcome } from './ui-wait.js';
 * const start = (outcome: WaitOutcome) => outcome !== 'interrupted';
 * ```
 */
export type WaitOutcome = 'watcher' | 'enter' | 'timeout' | 'interrupted' | 'nothing';

/**
 * Settings of {@link waitForWatcher}.
 *
 * ## Example
 * ```ts
 * import type { WaitForWatcherOptions } from './ui-wait.js';
 * const options: WaitForWatcherOptions = { url: dashboard.url, firstWatcher: dashboard.firstWatcher, output: process.stderr, interrupts, seconds: 60 };
 * ```
 */
export interface WaitForWatcherOptions {
  readonly url: string;
  /** Resolves when the first page connects (`Dashboard.firstWatcher`); without it only Enter or the time limit end the wait. */
  readonly firstWatcher?: Promise<void> | undefined;
  /** Read for Enter when a terminal (`isTTY`). */
  readonly input?: (Readable & { readonly isTTY?: boolean }) | undefined;
  /** Where the waiting line and the outcome go. */
  readonly output: TextOutput;
  readonly interrupts: Observable<unknown>;
  /** Start anyway after this many seconds. @default no limit */
  readonly seconds?: number | undefined;
  /** What starts when the wait is over, for the messages. @default 'the run' */
  readonly what?: string;
}

/**
 * `--ui-wait`: waits, before the run starts, until the first page has connected to the dashboard
 * (so it sees the run from its first event), or Enter is pressed (when stdin is a terminal), or
 * `seconds` have passed, or the user interrupts. Says what it waits for and why it stopped on
 * `output`. With nothing that could end the wait (no `firstWatcher`, no terminal, no limit) it
 * does not wait.
 *
 * ## Example
 * ```ts
 * import { waitForWatcher } from './ui-wait.js';
 * const outcome = await waitForWatcher({ url: dashboard.url, firstWatcher: dashboard.firstWatcher, input: process.stdin, output: process.stderr, interrupts });
 * if (outcome !== 'interrupted') shared.connect();
 * ```
 */
export async function waitForWatcher(options: WaitForWatcherOptions): Promise<WaitOutcome> {
  const { output, seconds, firstWatcher } = options;
  const what = options.what ?? 'the run';
  const tty = options.input?.isTTY === true ? options.input : undefined;
  if (!firstWatcher && !tty && seconds === undefined) {
    output.write(`◆ --ui-wait: this dashboard cannot say when a page connects, and stdin is not a terminal: starting ${what} now\n`);
    return 'nothing';
  }
  const ways = [firstWatcher ? `open ${options.url}` : undefined, tty ? 'press Enter to start now' : undefined, seconds !== undefined ? `it starts anyway in ${seconds} s` : undefined].filter(Boolean);
  output.write(`◆ waiting for a page to connect before ${what} starts: ${ways.join('; ')} (Ctrl-C to quit)\n`);

  const enter = tty ? createInterface({ input: tty, terminal: false }) : undefined;
  try {
    const sources: ObservableInput<WaitOutcome>[] = [options.interrupts.pipe(map((): WaitOutcome => 'interrupted'))];
    if (firstWatcher) sources.push(firstWatcher.then((): WaitOutcome => 'watcher'));
    if (enter) sources.push(new Promise<WaitOutcome>((resolve) => enter.once('line', () => resolve('enter'))));
    if (seconds !== undefined) sources.push(timer(seconds * 1000).pipe(map((): WaitOutcome => 'timeout')));
    const outcome = await firstValueFrom(merge(...sources.map((s) => from(s))));
    const said: Record<WaitOutcome, string | undefined> = {
      watcher: `◆ a page connected: starting ${what}`,
      enter: `◆ starting ${what}`,
      timeout: `◆ no page connected within ${seconds} s: starting ${what}`,
      interrupted: undefined,
      nothing: undefined,
    };
    if (said[outcome]) output.write(`${said[outcome]}\n`);
    return outcome;
  } finally {
    enter?.close();
  }
}
