/**
 * The live view in a real pseudo-terminal (util-linux `script`): the CLI sees a TTY, redraws in
 * place, and a 10,000-node run stays within the screen. The output is replayed on a screen model.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ESCAPE_SEQUENCE, FIXTURE, Screen, runCliInPty } from './helpers.js';

const TIMEOUT = 180_000;
const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The frames in the raw output: each ends with "erase below". */
const framesOf = (raw: string) => raw.split('\x1b[J').slice(0, -1);
const strip = (text: string) => text.replace(ESCAPE_SEQUENCE, '');

describe.runIf(hasScript).concurrent('rx-orchestra run in a terminal', () => {
  it('draws every node and redraws in place; the verdict follows the last frame', { timeout: TIMEOUT }, async () => {
    const { code, stdout } = await runCliInPty(['run', FIXTURE, '--export', 'slow'], { rows: 20, columns: 100 });
    expect(code).toBe(0);
    const frames = framesOf(stdout);
    expect(frames.length).toBeGreaterThanOrEqual(4); // a run of about a second, redrawn every 100 ms while nodes run
    // Every frame after the first moves the cursor back up over the previous one, line for line.
    for (let k = 1; k < frames.length; k++) {
      const previousLines = (frames[k - 1]!.match(/\n/g) ?? []).length;
      expect(frames[k]!.startsWith(`\r\x1b[${previousLines}A`)).toBe(true);
    }
    expect(stdout).toContain('\x1b[?25l'); // cursor hidden while drawing ...
    expect(stdout.lastIndexOf('\x1b[?25h')).toBeGreaterThan(stdout.lastIndexOf('\x1b[J')); // ... and shown again

    const screen = new Screen(20, 100).write(stdout).text();
    expect(screen).toEqual([
      expect.stringMatching(/^rx-orchestra {2}run cli-slow {2}\d+\.\d\ds {2}4\/4 ended \[█{20}\] {2}concurrency 64 {2}■ succeeded$/),
      expect.stringMatching(/^✓ 4 done {2}▶ 0 running {2}✗ 0 failed {3}\d+ tok {2}\$0\.\d+$/),
      expect.stringMatching(/^✓ plan +done +0\.\d\ds +\d+ tok +\$0\.\d+$/),
      expect.stringMatching(/^✓ research {2}done /),
      expect.stringMatching(/^✓ critique {2}done /),
      expect.stringMatching(/^✓ report {4}done /),
      'Outputs (4 nodes):',
      '  plan      "the plan"',
      '  research  "the research"',
      '  critique  "the critique"',
      '  report    "the report"',
      expect.stringMatching(/^✓ run succeeded in \d+\.\d\ds: 4 nodes, \d+ tok, \$0\.\d+$/),
    ]);
    // Mid-run frames showed nodes running.
    expect(frames.some((frame) => /▶ (research|critique) +running/.test(strip(frame)))).toBe(true);
  });

  it('keeps a 10,000-node run within the screen: counts, nodes in flight, failures', { timeout: TIMEOUT }, async () => {
    const rows = 30;
    const { code, stdout, ms } = await runCliInPty(['run', FIXTURE, '--export', 'big'], { rows, columns: 120, env: { RX_ORCHESTRA_VIEW_STATS: '1' } });
    expect(code).toBe(1); // 'partial': 4 nodes fail
    const frames = framesOf(stdout);
    for (const frame of frames) expect((frame.match(/\n/g) ?? []).length).toBeLessThanOrEqual(rows - 1);
    expect(frames.some((frame) => /in flight \(\d+\)/.test(frame))).toBe(true);

    const screen = new Screen(rows + 40, 120).write(stdout).text(); // taller than the terminal: the outputs printed below the last frame do not scroll it away
    expect(screen[0]).toMatch(/^rx-orchestra {2}run cli-big {2}\d+\.\d\ds {2}10,000\/10,000 ended \[█{20}\] {2}concurrency 64 {2}■ partial$/);
    expect(screen[1]).toMatch(/^✓ 9,940 done {2}▶ 0 running {2}✗ 4 failed {2}⤼ 56 skipped {3}0 tok {2}\$0$/);
    expect(screen[2]).toBe('failed (4)');
    const failures = screen.slice(3, 7);
    for (const line of failures) expect(line).toMatch(/^✗ (n95\d\d) +failed +\d\.\d\ds +Error: node \1 broke$/);
    expect(failures.map((line) => line.split(/\s+/)[1]).sort()).toEqual(['n9500', 'n9525', 'n9550', 'n9575']); // they fail in any order
    const stats = /view: (\d+) frames, render avg ([\d.]+) ms, max ([\d.]+) ms/.exec(stdout);
    expect(stats).not.toBeNull();
    const [frameCount, average, max] = [Number(stats![1]), Number(stats![2]), Number(stats![3])];
    console.info(`10,000-node run in a terminal: ${frameCount} frames in ${(ms / 1000).toFixed(1)} s (process), render avg ${average} ms, max ${max} ms`);
    expect(average).toBeLessThan(20);
    const outputs = screen.indexOf('Outputs (9,940 nodes):');
    expect(outputs).toBeGreaterThan(7);
    expect(screen.slice(outputs + 1, outputs + 22)).toEqual([...Array.from({ length: 20 }, (_, i) => expect.stringMatching(new RegExp(`^  n${i} +${i}$`))), '  … and 9,920 more: --output <file> writes them all as JSON']);
    expect(screen.at(-1)).toMatch(/^✗ run partial in \d+\.\d\ds: 4 of 10,000 nodes failed; 56 nodes skipped; first: node 'n95\d\d' failed/);
    expect(strip(stdout).trimEnd()).toMatch(/first: node '(n95\d\d)' failed: Error: node \1 broke \(1 attempt\)$/); // wider than the screen
  });

  it('NO_COLOR and a 0x0 terminal: plain lines, no escape sequence at all; FORCE_COLOR=0: the live view without colours', { timeout: TIMEOUT }, async () => {
    const [noColor, noSize, colourless] = await Promise.all([
      runCliInPty(['run', FIXTURE], { rows: 20, columns: 80, env: { NO_COLOR: '1' } }),
      runCliInPty(['run', FIXTURE], { rows: 0, columns: 0 }),
      runCliInPty(['run', FIXTURE, '--export', 'slow'], { rows: 20, columns: 80, env: { FORCE_COLOR: '0' } }),
    ]);
    for (const { code, stdout } of [noColor, noSize]) {
      expect(code).toBe(0);
      expect(stdout).not.toContain('\x1b');
      const out = stdout.split(/\r?\n/).filter(Boolean);
      expect(out[0]).toMatch(/^\s+0\.\d\ds ▶ run cli-ok started: 4 nodes, concurrency 2$/);
      expect(out.at(-1)).toMatch(/^✓ run succeeded in \d+\.\d\ds: 4 nodes, \d+ tok, \$0\.\d+$/);
    }
    expect(colourless.code).toBe(0);
    expect(colourless.stdout).toContain('\x1b[J'); // redrawn in place ...
    expect(colourless.stdout.match(ESCAPE_SEQUENCE)!.filter((sequence) => sequence.endsWith('m'))).toEqual([]); // ... without a colour
    const screen = new Screen(20, 80).write(colourless.stdout).text();
    expect(screen[0]).toMatch(/^run cli-slow {2}\d+\.\d\ds {2}4\/4 ended \[█+\] {2}concurrency 64 {2}■ succeeded$/); // fits 80 columns
  });
});
