import type { Redis } from 'ioredis';
import { cancelChannel, cancelKey } from './protocol.js';

/**
 * A worker's ear for cancellations: orchestrators publish the id of a job to cancel on the queue's
 * cancel channel and also mark it in a key (for a worker that takes the job just after the message
 * went by). A job being run registers its abort here, then checks the mark: whichever way the
 * cancellation arrives, the job's handler is aborted. @internal
 */
export class CancelWatch {
  readonly #aborts = new Map<string, () => void>();
  readonly #subscriber: Redis;
  readonly #commands: Redis;
  readonly #channel: string;
  readonly #keyOf: (jobId: string) => string;

  constructor(subscriber: Redis, commands: Redis, prefix: string, queue: string) {
    this.#subscriber = subscriber;
    this.#commands = commands;
    this.#channel = cancelChannel(prefix, queue);
    this.#keyOf = (jobId) => cancelKey(prefix, queue, jobId);
  }

  async start(): Promise<void> {
    this.#subscriber.on('message', (channel: string, jobId: string) => {
      if (channel === this.#channel) this.#aborts.get(jobId)?.();
    });
    await this.#subscriber.subscribe(this.#channel);
  }

  /**
   * Calls `abort` when the job is cancelled from now on; resolves once it checked whether the job
   * already was (then `abort` has been called), so a cancelled job's handler never starts. Returns
   * the unwatch.
   */
  async watch(jobId: string, abort: () => void): Promise<() => void> {
    this.#aborts.set(jobId, abort);
    const unwatch = () => {
      if (this.#aborts.get(jobId) === abort) this.#aborts.delete(jobId);
    };
    try {
      if ((await this.#commands.exists(this.#keyOf(jobId))) === 1) abort();
    } catch {
      // Redis trouble: the message, if any, still reaches us
    }
    return unwatch;
  }
}
