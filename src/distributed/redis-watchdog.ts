import type { SchedulerLike, Subscription } from 'rxjs';

/** What the watchdog needs of an ioredis client: its status and its connection events. @internal */
export interface WatchedClient {
  readonly status: string;
  on(event: 'close' | 'ready', listener: () => void): unknown;
  off(event: 'close' | 'ready', listener: () => void): unknown;
}

/** Settings of {@link RedisWatchdog}. @internal */
export interface RedisWatchdogOptions {
  /** The connections whose loss (`close`) starts an outage; it ends when all are `ready` again. */
  clients: readonly WatchedClient[];
  /** A round trip to Redis (PING): unanswered for `probeMs`, Redis counts as unreachable since it was sent. */
  ping: () => Promise<unknown>;
  /** How long Redis may stay unreachable before `onExpired`. */
  graceMs: number;
  /** How often `ping` is sent while active. */
  probeMs: number;
  scheduler: SchedulerLike;
  /** Redis answers again after an outage (shorter or longer than the grace period). */
  onRestored: () => void;
  /** Redis has been unreachable for `graceMs`, since `since` (scheduler time). */
  onExpired: (since: number) => void;
}

/**
 * Tells whether Redis can be reached: an outage starts when a connection closes, or when a PING
 * stays unanswered (a frozen server or a dropped network keeps sockets open and says nothing); it
 * ends when every connection is ready again, or the PING is answered. An outage longer than the
 * grace period expires once (`onExpired`); the end of any outage is reported (`onRestored`), so
 * the owner can look at what happened to its jobs meanwhile. PINGs go out only while active (jobs
 * in flight), so an idle dispatcher arms no timer and keeps no process alive. @internal
 */
export class RedisWatchdog {
  readonly #options: RedisWatchdogOptions;
  readonly #onClose = () => this.#lost(this.#now());
  readonly #onReady = () => {
    if (this.#options.clients.every((client) => client.status === 'ready')) this.#restored();
  };
  #since: number | undefined;
  #expired = false;
  #expiry: Subscription | undefined;
  #probe: Subscription | undefined;
  #pingSentAt: number | undefined;
  #disposed = false;

  constructor(options: RedisWatchdogOptions) {
    this.#options = options;
    for (const client of options.clients) {
      client.on('close', this.#onClose);
      client.on('ready', this.#onReady);
    }
  }

  /** Redis is unreachable now (an outage is going on), whether or not past the grace period. */
  get unreachable(): boolean {
    return this.#since !== undefined;
  }

  /** The outage going on has lasted longer than the grace period. */
  get expired(): boolean {
    return this.#expired;
  }

  /** How long the outage going on has lasted, in ms (0 when there is none). */
  get outageMs(): number {
    return this.#since === undefined ? 0 : this.#now() - this.#since;
  }

  /** Sends PINGs while `active` (jobs are in flight); stops them when not. */
  setActive(active: boolean): void {
    if (this.#disposed || active === (this.#probe !== undefined)) return;
    if (!active) {
      this.#probe!.unsubscribe();
      this.#probe = undefined;
      return;
    }
    const { scheduler, probeMs } = this.#options;
    const tick = () => this.#tick();
    this.#probe = scheduler.schedule(function () {
      tick();
      this.schedule(undefined, probeMs);
    }, probeMs);
  }

  dispose(): void {
    this.#disposed = true;
    this.setActive(false);
    this.#probe?.unsubscribe();
    this.#probe = undefined;
    this.#expiry?.unsubscribe();
    for (const client of this.#options.clients) {
      client.off('close', this.#onClose);
      client.off('ready', this.#onReady);
    }
  }

  #now(): number {
    return this.#options.scheduler.now();
  }

  #tick(): void {
    const sentAt = this.#pingSentAt;
    if (sentAt !== undefined) {
      if (this.#now() - sentAt >= this.#options.probeMs) this.#lost(sentAt);
      return;
    }
    const at = this.#now();
    this.#pingSentAt = at;
    this.#options.ping().then(
      () => {
        if (this.#pingSentAt === at) this.#pingSentAt = undefined;
        if (this.#since !== undefined && this.#options.clients.every((client) => client.status === 'ready')) this.#restored();
      },
      () => {
        if (this.#pingSentAt === at) this.#pingSentAt = undefined; // the connection's own events tell the rest
      },
    );
  }

  #lost(since: number): void {
    if (this.#disposed || this.#since !== undefined) return;
    this.#since = since;
    const { scheduler, graceMs } = this.#options;
    this.#expiry = scheduler.schedule(() => {
      this.#expiry = undefined;
      this.#expired = true;
      this.#options.onExpired(since);
    }, Math.max(0, since + graceMs - this.#now()));
  }

  #restored(): void {
    if (this.#disposed || this.#since === undefined) return;
    this.#since = undefined;
    this.#expired = false;
    this.#expiry?.unsubscribe();
    this.#expiry = undefined;
    this.#options.onRestored();
  }
}
