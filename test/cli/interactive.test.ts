/**
 * The CLI while it runs: Ctrl-C cancels the run (exit 130), and `--ui` serves the dashboard.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURE, ROOT } from './helpers.js';

const TIMEOUT = 120_000;

/** Starts the CLI and resolves each `waitFor` once its stdout/stderr has matched the pattern. */
function startCli(args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (match: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8').on('data', (chunk: string) => ((output += chunk), check()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    exited,
    output: () => output,
    waitFor: (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve) => {
        waiters.push({ pattern, resolve });
        check();
      }),
  };
}

describe.concurrent('rx-orchestra run, interactively', () => {
  it('Ctrl-C cancels the run: in-flight calls aborted, one line, exit 130', { timeout: TIMEOUT }, async () => {
    const cli = startCli(['run', FIXTURE, '--export', 'slow']);
    await cli.waitFor(/▶ plan started/);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.output()).toMatch(/✗ run interrupted after \d+\.\d\ds: [0-3]\/4 nodes ended; in-flight calls aborted\n$/);
    expect(cli.output()).not.toContain('■ run');
  });

  it('--ui serves the dashboard during the run and for --ui-linger seconds after it', { timeout: TIMEOUT }, async () => {
    const cli = startCli(['run', FIXTURE, '--export', 'slow', '--ui', '--ui-linger', '2']);
    const [, url] = await cli.waitFor(/◆ dashboard: (http:\/\/\S+)\n/);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    await cli.waitFor(/◆ dashboard still serving at \S+: for 2 s/);
    expect((await fetch(url!)).status).toBe(200); // still up after the run
    expect(await cli.exited).toBe(0);
    await expect(fetch(url!)).rejects.toThrow(); // closed
  });
});
