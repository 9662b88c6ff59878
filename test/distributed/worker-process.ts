import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { WorkerEvent } from '../../src/distributed/index.js';
import type { WorkerConfig } from './fixtures/worker.js';

const script = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** A worker in a child process (`node --import tsx`), with what it printed. */
export interface WorkerProcess {
  readonly id: string;
  readonly events: WorkerEvent[];
  /** Resolves with the first event (past or future) that matches. */
  waitFor(match: (event: WorkerEvent) => boolean, withinMs?: number): Promise<WorkerEvent>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM: finishes its running jobs, then exits. */
  stop(): Promise<void>;
}

/** Starts one worker process and waits until it consumes its queue. */
export async function startWorkerProcess(config: WorkerConfig): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, RX_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'], // stdin stays open while this process lives: the worker exits when it closes
  });
  const events: WorkerEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker ${config.id} exited (${code}) before it was ready:\n${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { type?: string };
      try {
        message = JSON.parse(line) as { type?: string };
      } catch {
        return;
      }
      if (message.type === 'ready') return resolve();
      events.push(message as WorkerEvent);
      for (const wake of [...waiters]) wake();
    });
  });
  await ready;
  const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  return {
    id: config.id,
    events,
    waitFor: (match, withinMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`worker ${config.id}: no matching event within ${withinMs} ms; saw ${JSON.stringify(events)}\n${stderr}`));
        }, withinMs);
        waiters.add(check);
        check();
      }),
    kill: async (signal) => {
      killIfAlive(child, signal);
      await exited;
    },
    stop: async () => {
      killIfAlive(child, 'SIGTERM');
      await exited;
    },
  };
}

function killIfAlive(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
