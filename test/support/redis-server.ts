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

/** A redis-server of one test's own, which the test may kill, freeze and start again on the same port. */
export interface OwnedRedis {
  url: string;
  /** SIGKILL: the server is gone with its data (a later `start()` is empty). */
  kill(): Promise<void>;
  /** SHUTDOWN SAVE: the server stops after writing its data to disk (a later `start()` has it). */
  shutdown(): Promise<void>;
  /** Starts the server again on the same port, with what the last `shutdown()` saved, if anything. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets open but answers nothing while paused. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/**
 * Spawns a private redis-server on a free loopback port (even when REDIS_URL is set: the test
 * controls this process), saving only on `shutdown()`, to a fresh temporary directory.
 */
export async function spawnRedis(): Promise<OwnedRedis> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'rxo-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;
  let exited: Promise<void>;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await Promise.race([waitForPing(url, 15_000), exited.then(() => Promise.reject(new Error(`redis-server on port ${port} exited at start`)))]);
  };
  const alive = () => child.exitCode === null && child.signalCode === null;
  await start();
  return {
    url,
    kill: async () => {
      if (alive()) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(join(dir, 'dump.rdb'), { force: true });
    },
    shutdown: async () => {
      const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      await client.shutdown('SAVE').catch(() => undefined); // the connection closes as the server exits
      client.disconnect();
      await exited;
    },
    start,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: async () => {
      if (alive()) child.kill('SIGCONT');
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
