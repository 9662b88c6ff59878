/**
 * `--ui` wiring, in-process with a stand-in dashboard (the real one lives in src/ui): it gets the
 * run's shared events from the start, its URL is printed, it stays up for `--ui-linger`, and it
 * is closed before the command returns.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { runCommand, type CliIo } from '../../src/cli/run-command.js';
import type { DashboardOptions } from '../../src/cli/dashboard.js';
import { FIXTURE, ROOT } from './helpers.js';

const sink = () => {
  let text = '';
  return { write: (chunk: string, callback?: () => void) => ((text += chunk), callback?.(), true), text: () => text };
};

describe('--ui (stand-in dashboard)', () => {
  it('serves the shared events, prints the URL, lingers, then closes', { timeout: 60_000 }, async () => {
    const seen: RunEvent[] = [];
    const calls: string[] = [];
    let options: DashboardOptions | undefined;
    const dashboard = async () => ({
      startDashboard: async (given: DashboardOptions) => {
        options = given;
        given.events$.subscribe((event) => seen.push(event));
        calls.push('start');
        return { url: 'http://127.0.0.1:4567/', close: async () => void calls.push('close') };
      },
    });
    const stdout = sink();
    const stderr = sink();
    const io: CliIo = { stdout, stderr, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject(), dashboard };
    const began = performance.now();
    const code = await runCommand(
      { file: FIXTURE, exportName: 'factory', json: false, dryRun: false, plain: true, allowPartial: false, ui: true, uiPort: 4567, uiHost: '127.0.0.1', uiLingerSeconds: 0.3 },
      io,
    );
    expect(code).toBe(0);
    expect(performance.now() - began).toBeGreaterThanOrEqual(300);
    expect(calls).toEqual(['start', 'close']);
    expect(options).toMatchObject({ port: 4567, host: '127.0.0.1' });
    expect(seen.map((e) => e.type)).toEqual(['run.started', 'node.queued', 'node.started', 'node.succeeded', 'run.completed']);
    expect(stderr.text()).toBe('◆ dashboard: http://127.0.0.1:4567/\n◆ dashboard still serving at http://127.0.0.1:4567/: for 0.3 s (Ctrl-C to exit now)\n');
    expect(stdout.text()).toMatch(/✓ run succeeded in \d+\.\d\ds: 1 node, 0 tok, \$0\n$/);
  });

  it('without --ui-linger, keeps serving until Ctrl-C', { timeout: 60_000 }, async () => {
    const interrupts = new Subject<void>();
    const calls: string[] = [];
    const dashboard = async () => ({ startDashboard: async () => ({ url: 'http://127.0.0.1:1/', close: async () => void calls.push('close') }) });
    const stderr = sink();
    const io: CliIo = { stdout: sink(), stderr, cwd: ROOT, env: {}, typescript: 'registered', interrupts, dashboard };
    const done = runCommand({ file: FIXTURE, exportName: 'factory', json: true, dryRun: false, plain: false, allowPartial: false, ui: true }, io);
    await new Promise<void>((resolve) => {
      const poll = () => (stderr.text().includes('Ctrl-C to exit') ? resolve() : void setTimeout(poll, 10));
      poll();
    });
    expect(calls).toEqual([]);
    interrupts.next();
    expect(await done).toBe(0);
    expect(calls).toEqual(['close']);
  });
});
