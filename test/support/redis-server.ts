/**
 * A real redis-server for the tests that need one (stores, BullMQ fleet, the scale-out bench):
 * REDIS_URL when set, else a private server spawned on a free loopback port (nothing saved to
 * disk), ready once it answers PING. Fails loudly when redis-server is missing: these tests must
 * run, never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** A prefix no other test uses, for keys. */
  prefix: () => string;
  stop(): Promise<void>;
}

let counter = 0;

/** Starts (or borrows) a Redis; retries on another port if a spawned server exits early (port taken). */
export async function startRedis(): Promise<TestRedis> {
  const unique = `${process.pid}-${Date.now()}`;
  const prefix = () => `rxo-test:${unique}:${++counter}:`;
  if (process.env.REDIS_URL) {
    await waitForPing(process.env.REDIS_URL, 5_000);
    return { url: process.env.REDIS_URL, prefix, stop: async () => {} };
  }
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error('redis-server is not installed (not on PATH): install it (Debian: apt-get install -y redis-server) or set REDIS_URL; the Redis tests do not skip')
            : error,
        ),
      ),
    );
    const exitedEarly = new Promise<false>((resolve) => child.once('exit', () => resolve(false)));
    const url = `redis://127.0.0.1:${port}`;
    const started = await Promise.race([waitForPing(url, 15_000).then(() => true as const), spawnError, exitedEarly]);
    if (started) return { url, prefix, stop: () => stopChild(child) };
    if (tries >= 3) throw new Error(`redis-server did not start on port ${port}:\n${output}`);
  }
}

async function waitForPing(url: string, withinMs: number): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // refused while the server starts: retried below
  const deadline = Date.now() + withinMs;
  try {
    for (;;) {
      try {
        if (client.status !== 'ready') await client.connect();
        if ((await client.ping()) === 'PONG') return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer within ${withinMs} ms: ${String(error)}`);
        client.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } finally {
    client.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
