/**
 * `rx-orchestra replay <runs.jsonl>`: a log of two runs (written by writeRunLog from real runs in
 * virtual time) played back as progress lines, "run 1 of 2" / "run 2 of 2" as each starts, each
 * with its nodes' values and its verdict; with --ui the dashboard gets the same events (and
 * --ui-wait holds them until a page connects); missing files and bad lines are one line naming
 * the line. In-process through `main`, and once as a child process in a pseudo-terminal.
 */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, VirtualAction, VirtualTimeScheduler, map, timer } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { execute, graph, type RunEvent } from 'rx-orchestra';
import { writeRunLog } from 'rx-orchestra/observe';
import { main } from '../../src/cli/main.js';
import type { DashboardModule, DashboardOptions } from '../../src/cli/dashboard.js';
import { ESCAPE_SEQUENCE, ROOT, runCliInPty } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rx-cli-replay-'));
const LOG = join(dir, 'runs.jsonl');
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const sink = () => {
  let text = '';
  return { write: (chunk: string, callback?: () => void) => ((text += chunk), callback?.(), true), text: () => text };
};

/** fetch -> summarize; in the second run summarize fails, so that run ends 'partial'. */
async function record(runId: string, fail: boolean): Promise<void> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const g = graph()
    .node('fetch', { run: () => timer(200, scheduler).pipe(map(() => ({ pages: 3 }))) })
    .node('summarize', {
      deps: ['fetch'],
      run: () =>
        timer(300, scheduler).pipe(
          map(() => {
            if (fail) throw new Error('no summary today');
            return 'three pages, summarized';
          }),
        ),
    })
    .build();
  const write = writeRunLog(LOG);
  execute(g, { scheduler, runId }).subscribe(write);
  scheduler.flush();
  await write.close();
}

async function replay(args: string[], io: { dashboard?: () => Promise<DashboardModule>; interrupts?: Subject<void> } = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['replay', ...args], { stdout, stderr, cwd: ROOT, env: {}, interrupts: io.interrupts ?? new Subject(), typescript: 'registered', ...(io.dashboard ? { dashboard: io.dashboard } : {}) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

beforeAll(async () => {
  await record('first-run', false);
  await record('second-run', true);
});

describe('rx-orchestra replay', () => {
  it('plays both runs of a log as lines, saying "run 1 of 2" and "run 2 of 2", each with its values and verdict', async () => {
    const { code, stdout, stderr } = await replay([LOG, '--speed', '1000']);
    expect(code).toBe(0);
    expect(stderr).toBe(`◆ replaying 2 runs (16 events) from ${LOG} at 1000x\n`);
    expect(lines(stdout)).toEqual([
      '◆ run 1 of 2: first-run',
      '   0.00s ▶ run first-run started: 2 nodes, concurrency 64',
      '   0.00s ▶ fetch started',
      '   0.20s ✓ fetch 0.20s',
      '   0.20s ▶ summarize started',
      '   0.50s ✓ summarize 0.30s',
      '   0.50s ■ run succeeded in 0.50s: 2/2 nodes ok, 2 attempts, 0 retries, 0 tok, $0',
      'Outputs (2 nodes):',
      '  fetch      {"pages":3}',
      '  summarize  "three pages, summarized"',
      '✓ run succeeded in 0.50s: 2 nodes, 0 tok, $0',
      '◆ run 2 of 2: second-run',
      '   0.00s ▶ run second-run started: 2 nodes, concurrency 64',
      '   0.00s ▶ fetch started',
      '   0.20s ✓ fetch 0.20s',
      '   0.20s ▶ summarize started',
      '   0.50s ✗ summarize failed after 1 attempt: Error: no summary today',
      '   0.50s ■ run partial in 0.50s: 1/2 nodes ok, 2 attempts, 0 retries, 0 tok, $0',
      'Outputs (1 node):',
      '  fetch  {"pages":3}',
      "⚠ run partial in 0.50s: 1 of 2 nodes failed; first: node 'summarize' failed: Error: no summary today (1 attempt)", // a replay reports, it does not fail
    ]);
  });

  it('a missing file, a bad line (by its number in the file), an empty log: one line, exit 2', async () => {
    const missing = await replay([join(dir, 'nope.jsonl')]);
    expect([missing.code, missing.stderr]).toEqual([2, `✗ RUN_LOG_NOT_FOUND: no such file: '${join(dir, 'nope.jsonl')}'\n`]);
    const broken = join(dir, 'broken.jsonl');
    writeFileSync(broken, '');
    const good = JSON.stringify({ timestamp: 0, event: { type: 'run.started', runId: 'r', at: 0, concurrency: 1, nodes: [] } });
    appendFileSync(broken, `${good}\n\n{"timestamp": 1, "event": {"type": "node.started"\n`); // line 2 is blank: the bad one is line 3
    expect(await replay([broken])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(new RegExp(`^✗ RUN_LOG_INVALID: ${broken}:3: not JSON: .+\\n$`)) });
    writeFileSync(broken, `${good}\n${JSON.stringify({ timestamp: 1, event: { type: 'node.teleported', runId: 'r', at: 1 } })}\n`);
    expect(await replay([broken])).toMatchObject({ code: 2, stderr: expect.stringMatching(new RegExp(`^✗ RUN_LOG_INVALID: ${broken}:2: not a run event: type: .+\\n$`)) });
    writeFileSync(broken, '\n\n');
    expect(await replay([broken])).toMatchObject({ code: 2, stderr: `✗ RUN_LOG_INVALID: ${broken}: no events in it (a run log has one JSON line per event, as --runs-log writes)\n` });
  });

  it('--ui: the dashboard gets the same events; --ui-wait holds them until a page connects', async () => {
    const seen: RunEvent[] = [];
    let connect!: () => void;
    const firstWatcher = new Promise<void>((resolve) => (connect = resolve));
    const closed: string[] = [];
    const dashboard = async (): Promise<DashboardModule> => ({
      startDashboard: async (options: DashboardOptions) => {
        options.events$.subscribe((event) => seen.push(event));
        return { url: 'http://127.0.0.1:4568/', firstWatcher, close: async () => void closed.push('close') };
      },
    });
    const stdout = sink();
    const stderr = sink();
    const done = main(['replay', LOG, '--speed', 'max', '--ui', '--ui-wait', '--ui-linger', '0'], { stdout, stderr, cwd: ROOT, env: {}, interrupts: new Subject(), typescript: 'registered', dashboard });
    await new Promise<void>((resolve) => {
      const poll = () => (stderr.text().includes('◆ waiting for a page') ? resolve() : void setTimeout(poll, 5));
      poll();
    });
    expect(seen).toEqual([]);
    expect(stdout.text()).toBe('');
    connect();
    expect(await done).toBe(0);
    expect(lines(stderr.text())).toEqual([
      '◆ dashboard: http://127.0.0.1:4568/',
      `◆ replaying 2 runs (16 events) from ${LOG}, at once`,
      '◆ waiting for a page to connect before the replay starts: open http://127.0.0.1:4568/ (Ctrl-C to quit)',
      '◆ a page connected: starting the replay',
    ]);
    expect(seen.filter((e) => e.type === 'run.started').map((e) => e.runId)).toEqual(['first-run', 'second-run']);
    expect(seen).toHaveLength(16);
    expect(closed).toEqual(['close']);
    expect(stdout.text()).toContain('◆ run 2 of 2: second-run\n');
  });

  it('in a terminal: the live view of each run, its final frame kept; NO_COLOR: lines, no escape sequence', { timeout: 120_000 }, async () => {
    const [live, noColor] = await Promise.all([
      runCliInPty(['replay', LOG, '--speed', '5'], { rows: 20, columns: 80 }),
      runCliInPty(['replay', LOG, '--speed', '5'], { rows: 20, columns: 80, env: { NO_COLOR: '1' } }),
    ]);
    expect(live.code).toBe(0);
    const text = live.stdout.replace(ESCAPE_SEQUENCE, '').replace(/\r/g, '');
    expect(live.stdout).toContain('\x1b[J'); // drawn in place
    expect(text).toMatch(/◆ run 1 of 2: first-run\n/);
    expect(text).toMatch(/◆ run 2 of 2: second-run\n/);
    expect(text).toMatch(/run first-run {2}0\.50s {2}2\/2 ended .* {2}■ succeeded/);
    expect(text).toMatch(/run second-r… {2}0\.50s {2}2\/2 ended .* {2}■ partial/);
    expect(noColor.code).toBe(0);
    expect(noColor.stdout).not.toContain('\x1b');
    expect(noColor.stdout).toContain('◆ run 2 of 2: second-run');
    expect(noColor.stdout).toMatch(/ {3}0\.50s ✗ summarize failed after 1 attempt: Error: no summary today/);
  });
});
