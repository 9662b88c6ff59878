/**
 * `--ui-wait`: the dashboard's URL is printed first and the run starts only once a page has
 * connected (the real dashboard: a watcher that connects before the run gets it from `run.started`
 * on), Enter is pressed in a terminal, or the time given runs out; Ctrl-C while waiting runs
 * nothing. In-process (`runCommand`), with the real dashboard or a stand-in.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { runCommand, type CliIo } from '../../src/cli/run-command.js';
import type { RunCommandOptions } from '../../src/cli/args.js';
import type { DashboardModule, DashboardOptions } from '../../src/cli/dashboard.js';
import { FIXTURE, ROOT } from './helpers.js';

const TIMEOUT = 60_000;
const sink = () => {
  let text = '';
  return { write: (chunk: string, callback?: () => void) => ((text += chunk), callback?.(), true), text: () => text };
};
const until = (check: () => boolean) =>
  new Promise<void>((resolve) => {
    const poll = () => (check() ? resolve() : void setTimeout(poll, 5));
    poll();
  });
const base: RunCommandOptions = { file: FIXTURE, json: false, dryRun: false, plain: true, allowPartial: false, ui: true, uiWait: true, uiLingerSeconds: 0 };

/** A stand-in dashboard that records the events it gets; `connect()` plays a page connecting. */
function standIn(withSignal = true) {
  const seen: RunEvent[] = [];
  let connect!: () => void;
  const firstWatcher = new Promise<void>((resolve) => (connect = resolve));
  const calls: string[] = [];
  const dashboard = async (): Promise<DashboardModule> => ({
    startDashboard: async (options: DashboardOptions) => {
      options.events$.subscribe((event) => seen.push(event));
      return { url: 'http://127.0.0.1:4567/', ...(withSignal ? { firstWatcher } : {}), close: async () => void calls.push('close') };
    },
  });
  return { seen, connect: () => connect(), dashboard, calls };
}

describe('--ui-wait', () => {
  it('prints the URL first, and starts the run only once a page has connected', { timeout: TIMEOUT }, async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'rx-cli-wait-')), 'calls.txt');
    const page = standIn();
    const stderr = sink();
    const stdout = sink();
    const io: CliIo = { stdout, stderr, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject(), dashboard: page.dashboard };
    process.env.RX_CLI_MARKER = marker; // the fixture's models note each call here (read when the pipeline is loaded)
    const done = runCommand({ ...base, exportName: 'slow' }, io).finally(() => delete process.env.RX_CLI_MARKER);
    await until(() => stderr.text().includes('◆ waiting for a page'));
    expect(stderr.text()).toBe('◆ dashboard: http://127.0.0.1:4567/\n◆ waiting for a page to connect before the run starts: open http://127.0.0.1:4567/ (Ctrl-C to quit)\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(page.seen).toEqual([]); // nothing has run: no event, no model call
    expect(existsSync(marker)).toBe(false);
    expect(stdout.text()).toBe('');
    page.connect();
    expect(await done).toBe(0);
    expect(stderr.text()).toContain('◆ a page connected: starting the run\n');
    expect(page.seen[0]!.type).toBe('run.started'); // the page sees the run from its first event
    expect(page.seen.at(-1)!.type).toBe('run.completed');
    expect(existsSync(marker)).toBe(true);
    expect(page.calls).toEqual(['close']);
  });

  it('with the real dashboard: a watcher connected before the run gets every event from run.started on', { timeout: TIMEOUT }, async () => {
    const stderr = sink();
    const io: CliIo = { stdout: sink(), stderr, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject() };
    const done = runCommand({ ...base, exportName: 'slow', uiHost: '127.0.0.1' }, io);
    await until(() => stderr.text().includes('◆ waiting for a page'));
    const url = /◆ dashboard: (\S+)/.exec(stderr.text())![1]!;
    const response = await fetch(`${url}events.ndjson`);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"run.completed"')) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += value;
    }
    await reader.cancel();
    const types = text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe('run.started'); // not a snapshot of a run already under way
    expect(types.filter((t) => t === 'node.succeeded')).toHaveLength(4);
    expect(types.at(-1)).toBe('run.completed');
    expect(await done).toBe(0);
    expect(stderr.text()).toContain('◆ a page connected: starting the run\n');
  });

  it('Enter in a terminal starts it; so does the time limit; Ctrl-C while waiting runs nothing', { timeout: TIMEOUT }, async () => {
    // Enter (a dashboard that cannot say when a page connects).
    const byEnter = standIn(false);
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr1 = sink();
    const first = runCommand({ ...base, exportName: 'factory' }, { stdout: sink(), stderr: stderr1, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject(), dashboard: byEnter.dashboard, stdin });
    await until(() => stderr1.text().includes('◆ waiting for a page'));
    expect(stderr1.text()).toContain('◆ waiting for a page to connect before the run starts: press Enter to start now (Ctrl-C to quit)\n');
    expect(byEnter.seen).toEqual([]);
    stdin.write('\n');
    expect(await first).toBe(0);
    expect(stderr1.text()).toContain('◆ starting the run\n');
    expect(byEnter.seen.map((e) => e.type)).toEqual(['run.started', 'node.queued', 'node.started', 'node.succeeded', 'run.completed']);

    // The time limit (--ui-wait=0.05), with nobody to press Enter.
    const byTime = standIn();
    const stderr2 = sink();
    const stdin2 = Object.assign(new PassThrough(), { isTTY: false });
    expect(await runCommand({ ...base, exportName: 'factory', uiWaitSeconds: 0.05 }, { stdout: sink(), stderr: stderr2, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject(), dashboard: byTime.dashboard, stdin: stdin2 })).toBe(0);
    expect(stderr2.text()).toContain('◆ waiting for a page to connect before the run starts: open http://127.0.0.1:4567/; it starts anyway in 0.05 s (Ctrl-C to quit)\n◆ no page connected within 0.05 s: starting the run\n');
    expect(byTime.seen.at(-1)!.type).toBe('run.completed');

    // Ctrl-C while waiting: exit 130, nothing ran, the dashboard closed.
    const quit = standIn();
    const interrupts = new Subject<void>();
    const stderr3 = sink();
    const third = runCommand({ ...base, exportName: 'factory' }, { stdout: sink(), stderr: stderr3, cwd: ROOT, env: {}, typescript: 'registered', interrupts, dashboard: quit.dashboard, stdin: stdin2 });
    await until(() => stderr3.text().includes('◆ waiting for a page'));
    interrupts.next();
    expect(await third).toBe(130);
    expect(stderr3.text().endsWith('✗ interrupted before the run started\n')).toBe(true);
    expect(quit.seen).toEqual([]);
    expect(quit.calls).toEqual(['close']);
  });
});
