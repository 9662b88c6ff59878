import type { NodeReport } from '../run/events.js';
import type { ProgressMessage } from './protocol.js';

/**
 * A worker's side of a job's progress: sends a handler's reports through `job.updateProgress`, in
 * order, one update at a time; reports that arrive while an update is in flight go together in the
 * next one (adjacent tokens merged into one text), so a fast token stream costs a few Redis calls,
 * not one per token. `flush()` waits until everything reported so far is sent, so the job's end
 * comes after its last report in the queue's event stream. @internal
 */
export class ProgressReporter {
  readonly #send: (message: ProgressMessage) => Promise<unknown>;
  #pending: NodeReport[] = [];
  #sending: Promise<void> | undefined;
  #failure: unknown;

  constructor(send: (message: ProgressMessage) => Promise<unknown>) {
    this.#send = send;
  }

  /** The first error an update met, if any (reports are best effort: the job goes on). */
  get failure(): unknown {
    return this.#failure;
  }

  report(report: NodeReport): void {
    this.#pending.push(report);
    this.#kick();
  }

  /** Sends a message after every report so far (e.g. the error right before the job fails). */
  async sendLast(message: ProgressMessage): Promise<void> {
    await this.flush();
    await this.#send(message);
  }

  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  #kick(): void {
    if (this.#sending || this.#pending.length === 0) return;
    const batch = mergeTokens(this.#pending);
    this.#pending = [];
    this.#sending = this.#send({ reports: batch }).then(
      () => undefined,
      (error: unknown) => void (this.#failure ??= error),
    );
    void this.#sending.finally(() => {
      this.#sending = undefined;
      this.#kick();
    });
  }
}

/** Adjacent `node.token` reports become one. */
function mergeTokens(reports: readonly NodeReport[]): NodeReport[] {
  const merged: NodeReport[] = [];
  for (const report of reports) {
    const previous = merged[merged.length - 1];
    if (report.type === 'node.token' && previous?.type === 'node.token') merged[merged.length - 1] = { type: 'node.token', text: previous.text + report.text };
    else merged.push(report);
  }
  return merged;
}
