/**
 * Runs a fixture that prints run events as JSON lines in a new Node process (through tsx), for the
 * tests that kill a run with SIGKILL and resume it in another process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '../../src/index.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** How the child process ended, with the events it printed (whole lines only) and its stderr. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: RunEvent[];
  stderr: string;
}

/** A running fixture: the events printed so far, its end, and SIGKILL. */
export interface ChildRun {
  readonly pid: number;
  readonly closed: Promise<ChildExit>;
  events(): RunEvent[];
  kill(): void;
}

/**
 * Starts `fixture` (a path) with `env` added to this process's environment (ANTHROPIC_API_KEY
 * cleared, so nothing reaches the real API).
 */
export function runFixture(fixture: string, env: Readonly<Record<string, string>>): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: repoRoot,
    env: { ...process.env, ...env, ANTHROPIC_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A killed process may leave a cut-off last line: keep whole lines only.
  const events = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{') && line.endsWith('}'))
      .map((line) => JSON.parse(line) as RunEvent);
  const closed = new Promise<ChildExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, events: events(), stderr }));
  });
  return { pid: child.pid!, closed, events, kill: () => void child.kill('SIGKILL') };
}

/** Polls `check` every 25 ms until it holds; throws naming `what` after `withinMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, withinMs = 60_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
