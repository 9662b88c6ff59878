import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, createConnection } from 'node:net';

/** A Redis for a test file: `REDIS_URL` when set, else a private `redis-server` on a free loopback port. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts (or borrows) a Redis. A missing `redis-server` is an error, never a skip. */
export async function startRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const spawnError = new Promise<Error>((resolve) => server.once('error', resolve));
    const started = await Promise.race([waitForPort(port, 15_000).then(() => true), spawnError.then((e) => { throw new Error(`redis-server could not be started (install it: apt-get install -y redis-server): ${e.message}`); }), exited(server).then(() => false)]);
    if (started) return { url: `redis://127.0.0.1:${port}`, stop: () => stop(server) };
    if (tries >= 3) throw new Error(`redis-server did not start on port ${port}:\n${output}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  await done;
}
