import type { Redis, RedisOptions } from 'ioredis';
import { DistributedError } from './errors.js';

/**
 * Where Redis is: a `redis://` / `rediss://` URL, or ioredis options (`{ host, port, password, ... }`).
 * Every process of a fleet (orchestrators and workers) must point at the same Redis.
 *
 * ## Example
 * ```ts
 * import type { RedisConnection } from 'rx-orchestra/distributed';
 * const connection: RedisConnection = process.env.REDIS_URL ?? { host: '127.0.0.1', port: 6379 };
 * ```
 */
export type RedisConnection = string | RedisOptions;

/** What a connection is for: blocking ones (workers, event readers) must never give up on a command. */
type Purpose = 'blocking' | 'command' | 'subscriber';

let bullmq: Promise<typeof import('bullmq')> | undefined;
let ioredis: Promise<{ Redis: typeof Redis }> | undefined;

/**
 * BullMQ, loaded on first use: importing it costs over half a second, which nobody who runs a
 * pipeline in one process should pay. @internal
 */
export function loadBullmq(): Promise<typeof import('bullmq')> {
  return (bullmq ??= import('bullmq'));
}

/** Throws `INVALID_OPTION` (field `connection`) for something that is neither a Redis URL nor options. @internal */
export function checkConnection(connection: unknown, where: string): asserts connection is RedisConnection {
  if (typeof connection === 'string') {
    let protocol = '';
    try {
      protocol = new URL(connection).protocol;
    } catch {
      // reported below
    }
    if (protocol === 'redis:' || protocol === 'rediss:') return;
    throw new DistributedError('INVALID_OPTION', `${where}: 'connection' must be a redis:// or rediss:// URL or ioredis options, got '${connection}'`, { field: 'connection' });
  }
  if (typeof connection !== 'object' || connection === null || Array.isArray(connection)) {
    throw new DistributedError('INVALID_OPTION', `${where}: 'connection' must be a redis:// URL or ioredis options ({ host, port }), got ${String(connection)}`, { field: 'connection' });
  }
}

/**
 * Opens one ioredis client. Blocking clients (BullMQ workers, queue-event readers) retry commands
 * forever, as BullMQ requires; command clients fail a command after a few reconnection attempts.
 * @internal
 */
export async function openRedis(connection: RedisConnection, purpose: Purpose, name: string): Promise<Redis> {
  const { Redis } = await (ioredis ??= import('ioredis'));
  const options: RedisOptions = { connectionName: name, ...(purpose === 'command' ? {} : { maxRetriesPerRequest: null }) };
  const client = typeof connection === 'string' ? new Redis(connection, options) : new Redis({ ...connection, ...options });
  // ioredis reconnects by itself and fails the commands it cannot send; without a listener it would
  // also print every connection error to the console.
  client.on('error', () => undefined);
  return client;
}

/** Closes clients, ignoring ones already gone. @internal */
export async function closeRedis(...clients: (Redis | undefined)[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      if (!client || client.status === 'end') return;
      // QUIT would wait in the offline queue of a client that is not connected (for ever, for a
      // blocking one): such a client is dropped at once.
      if (client.status !== 'ready') return dropRedis(client);
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }),
  );
}

/**
 * Drops a client at once, failing its pending commands, also where ioredis's `disconnect()` alone
 * would leave it hanging: between two reconnection attempts (it stays `reconnecting` and never
 * emits `end`, which BullMQ's `close()` waits for) or connected to a frozen server (the socket's
 * close waits for the peer). @internal
 */
export function dropRedis(client: Redis): void {
  if (client.status === 'end') return;
  client.disconnect();
  if ((client.status as string) === 'end') return; // disconnect() may end it at once
  const internals = client as unknown as {
    stream?: { destroyed?: boolean; destroy(): void };
    setStatus?: (status: string) => void;
    flushQueue?: (error: Error) => void;
  };
  if (internals.stream && !internals.stream.destroyed) {
    internals.stream.destroy(); // its close event ends the client (the close was asked for)
  } else {
    internals.setStatus?.('end');
    internals.flushQueue?.(new Error('Connection is closed.'));
  }
}
