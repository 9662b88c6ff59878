/**
 * Graphs that grow and human approval in the terminal: the live view and the progress lines group
 * a 1,000-child fan-out under its node and make waiting nodes stand out; a TTY is asked
 * `Approve …? [y/n/(r)eason]` and the answer decides; without a TTY the CLI says how to decide, and
 * `--approve`/`--reject`/`--approve-all` decide. Runs are real (`execute`, virtual time for the pure
 * views; the CLI as a child process or `runCommand` with a fake stdin).
 */
import { execFileSync, spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { execute, shareRun, type RunEvent } from 'rx-orchestra';
import { LiveRunState } from '../../src/cli/live-state.js';
import { renderLiveView } from '../../src/cli/live-render.js';
import { progressLine } from '../../src/cli/progress-lines.js';
import { liveApprovals } from '../../src/cli/live-approvals.js';
import { parseCommandLine } from '../../src/cli/args.js';
import { runCommand, type CliIo } from '../../src/cli/run-command.js';
import { groupProgress } from '../../src/cli/live-groups.js';
import { parentFromId } from '../../src/run/run-state.js';
import { BIN, ESCAPE_SEQUENCE, ROOT, Screen, runCli } from './helpers.js';
import { small, wide } from './fixtures/approvals.js';

const FIXTURE = 'test/cli/fixtures/approvals.ts';
const TIMEOUT = 120_000;

/** The wide pipeline's events in virtual time, the approval decided at `decideAt` (or left to time out). */
function wideRun(decideAt?: number): RunEvent[] {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const run$ = execute(wide(scheduler).graph, { scheduler, concurrency: 50, runId: 'wide' });
  const events: RunEvent[] = [];
  run$.subscribe((event) => events.push(event));
  if (decideAt !== undefined) scheduler.schedule(() => run$.decide('publish', { approve: true, by: 'ana' }), decideAt);
  scheduler.flush();
  return events;
}

const foldUntil = (events: readonly RunEvent[], until: (e: RunEvent, i: number) => boolean) => {
  const state = new LiveRunState();
  for (let i = 0; i < events.length && !until(events[i]!, i); i++) state.apply(events[i]!);
  return state;
};

describe('the live view of a run that grows', () => {
  const events = wideRun(600);

  it('groups a 1,000-child fan-out under its node: one row with its progress, not 1,000', () => {
    const midway = events.findIndex((e) => e.type === 'node.succeeded' && e.nodeId === 'explore[400]');
    const state = foldUntil(events, (_, i) => i > midway);
    const group = state.groups.get('explore')!;
    expect(group.children).toHaveLength(1000);
    expect(group.kind).toBe('forEach');
    const done = group.counts.succeeded;
    expect(done).toBeGreaterThan(400);
    expect(state.roots.map((n) => n.id)).toEqual(['plan', 'explore', 'publish', 'done']);
    const lines = renderLiveView(state, { now: state.lastAt, columns: 120, rows: 20 });
    expect(lines.length).toBeLessThanOrEqual(19);
    expect(lines[0]).toMatch(/1,004 ended|\/1,004 ended/);
    const exploreRow = lines.find((l) => l.startsWith('▶ explore '))!;
    expect(exploreRow).toContain(groupProgress(group));
    expect(groupProgress(group)).toMatch(new RegExp(`^\\[${done}/1,000 done, \\d+ running(, \\d+ queued)?\\]$`));
    expect(lines.filter((l) => l.includes('explore['))).toEqual([]); // children are not listed one by one
    expect(lines.slice(2).map((l) => l.split(/\s+/)[1])).toEqual(['plan', 'explore', 'publish', 'done']);
  });

  it('makes the waiting node stand out: counted first, its row bold magenta with what it asks', () => {
    const waitingAt = events.findIndex((e) => e.type === 'node.waiting');
    const state = foldUntil(events, (_, i) => i > waitingAt);
    expect([...state.waiting].map((n) => n.id)).toEqual(['publish']);
    const plain = renderLiveView(state, { now: state.lastAt, columns: 140, rows: 20 });
    expect(plain[1]).toMatch(/^⏸ 1 awaiting approval {2}✓ 1,002 done/);
    expect(plain.find((l) => l.startsWith('⏸ publish'))).toMatch(/awaiting approval .*asks: \{"results":1000\} \(decide within 2s\)$/);
    expect(plain.find((l) => l.startsWith('✓ explore'))).toContain('[1,000/1,000 done]');
    const coloured = renderLiveView(state, { now: state.lastAt, columns: 140, rows: 20, color: true });
    expect(coloured.find((l) => l.includes('⏸ publish'))!.startsWith('\x1b[1;35m⏸ publish')).toBe(true);
  });

  it('lists every child, indented under its node, when they all fit', () => {
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const state = new LiveRunState();
    const run$ = execute(small(scheduler).graph, { scheduler, runId: 'small' });
    run$.subscribe((event) => state.apply(event));
    scheduler.flush(); // waits for ever: nobody decides
    const lines = renderLiveView(state, { now: state.lastAt, columns: 120, rows: 20 });
    expect(lines.slice(2).map((l) => l.slice(0, 14).trimEnd())).toEqual(['✓ plan', '✓ explore', '✓   explore[0]', '✓   explore[1]', '✓   explore[2]', '⏸ gate', '○ send']);
    expect(lines.find((l) => l.startsWith('✓ explore '))).toContain('[3/3 done]');
  });

  it('keeps the waiting node on screen in a terminal too small for the graph', () => {
    const waitingAt = events.findIndex((e) => e.type === 'node.waiting');
    const state = foldUntil(events, (_, i) => i > waitingAt);
    const lines = renderLiveView(state, { now: state.lastAt, columns: 100, rows: 5 }); // 2 header lines, 2 rows
    expect(lines).toHaveLength(4);
    expect(lines.slice(2)).toEqual(['awaiting approval (1)', expect.stringMatching(/^⏸ publish/)]);
  });

  it('finds the parent of a child from its id when a snapshot does not say', () => {
    const nodes = new Set(['explore', 'research', 'research/explore']);
    expect(parentFromId('explore[3]', (id) => nodes.has(id))).toBe('explore');
    expect(parentFromId('explore/src/a.ts', (id) => nodes.has(id))).toBe('explore');
    expect(parentFromId('research/explore[2]', (id) => nodes.has(id))).toBe('research/explore');
    expect(parentFromId('plan', (id) => nodes.has(id))).toBeUndefined();
  });
});

describe('progress lines of a run that grows', () => {
  it('a 1,000-child fan-out gets a line when it expands and one per tenth of its children, not 2,000', () => {
    const events = wideRun(600);
    const state = new LiveRunState();
    const lines: string[] = [];
    for (const event of events) {
      state.apply(event);
      const line = progressLine(event, state);
      if (line !== undefined) lines.push(...line.split('\n'));
    }
    const text = lines.map((l) => l.trim().replace(/^\d+\.\d\ds /, ''));
    expect(text).toContain('⊕ explore fanned out: 1,000 children');
    const progress = text.filter((l) => l.startsWith('◦ explore'));
    expect(progress.map((l) => /\[(\d[\d,]*)\/1,000 done/.exec(l)![1])).toEqual(['100', '200', '300', '400', '500', '600', '700', '800', '900', '1,000']);
    expect(text.filter((l) => l.includes('explore['))).toEqual([]);
    expect(text).toContain('⏸ publish awaiting approval (for 2.00s): {"results":1000}');
    expect(text).toContain('☑ publish approved by ana');
    expect(lines.length).toBeLessThan(30);
    expect(text.at(-1)).toMatch(/^■ run succeeded/);
  });
});

/** A stand-in for a terminal's stdin: a stream that says it is a TTY. */
const fakeTty = () => Object.assign(new PassThrough(), { isTTY: true });
/** Text written so far, and a promise for the first time it matches. */
const recorder = () => {
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  return {
    write(chunk: string, callback?: () => void) {
      text += chunk;
      callback?.();
      for (const w of [...waiters]) {
        if (!w.pattern.test(text)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      return true;
    },
    text: () => text,
    waitFor: (pattern: RegExp) => new Promise<void>((resolve) => (pattern.test(text) ? resolve() : waiters.push({ pattern, resolve }))),
  };
};

describe('liveApprovals', () => {
  const run = (options: { input?: PassThrough & { isTTY?: boolean }; approveAll?: boolean; gateTimeout?: number }) => {
    const out = recorder();
    const shared = shareRun(execute(small().graph, { runId: 'ask' }));
    const events: RunEvent[] = [];
    shared.events$.subscribe((event) => events.push(event));
    const approvals = liveApprovals({ decide: (id, d) => shared.decide(id, d), output: out, ...(options.input ? { input: options.input } : {}), ...(options.approveAll ? { approveAll: true } : {}) });
    shared.events$.subscribe((event) => approvals.apply(event));
    shared.connect();
    return { out, shared, approvals, events };
  };

  it('asks on a TTY and approves on y', { timeout: TIMEOUT }, async () => {
    const stdin = fakeTty();
    const { out, shared, events } = run({ input: stdin });
    await out.waitFor(/Approve gate\? payload: \{"action":"send the summary","files":3\} \[y\/n\/\(r\)eason\] $/);
    stdin.write('maybe\n');
    await out.waitFor(/answer y \(approve\), n \(reject\) or r \(reject with a reason\)\n.*Approve gate\?/s);
    stdin.write('y\n');
    const { summary } = await shared.result;
    expect(summary.status).toBe('succeeded');
    expect(events.find((e) => e.type === 'node.decided')).toMatchObject({ nodeId: 'gate', approve: true, by: 'terminal' });
  });

  it('rejects with a reason on r', { timeout: TIMEOUT }, async () => {
    const stdin = fakeTty();
    const { out, shared } = run({ input: stdin });
    await out.waitFor(/\[y\/n\/\(r\)eason\] $/);
    stdin.write('r\n');
    await out.waitFor(/Why reject gate\? $/);
    stdin.write('numbers look wrong\n');
    const { summary, outcomes } = await shared.result;
    expect(summary.status).toBe('partial');
    expect(outcomes.gate).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_REJECTED', message: "node 'gate' was rejected by terminal: numbers look wrong" } });
    expect(outcomes.send).toMatchObject({ status: 'skipped' });
  });

  it('drops the question when the node is decided elsewhere (the dashboard)', { timeout: TIMEOUT }, async () => {
    const stdin = fakeTty();
    const { out, shared, approvals } = run({ input: stdin });
    await out.waitFor(/\[y\/n\/\(r\)eason\] $/);
    expect(approvals.asking).toBe('gate');
    shared.decide('gate', { approve: true, by: 'page' });
    const { summary } = await shared.result;
    expect(summary.status).toBe('succeeded');
    expect(out.text()).toContain('\ngate was approved by page\n');
    expect(approvals.asking).toBeUndefined();
  });

  it('without a TTY says how to decide; --approve-all approves', { timeout: TIMEOUT }, async () => {
    const piped = Object.assign(new PassThrough(), { isTTY: false });
    const hinted = run({ input: piped });
    await hinted.out.waitFor(/⏸ gate awaits approval/);
    expect(hinted.out.text()).toBe('⏸ gate awaits approval, and no terminal can be asked (stdin is not a TTY): decide run again with --approve gate or --reject gate (or --approve-all)\n');
    hinted.shared.decide('gate', { approve: false });
    expect((await hinted.shared.result).summary.status).toBe('partial');

    const all = run({ approveAll: true });
    const { summary } = await all.shared.result;
    expect(summary.status).toBe('succeeded');
    expect(all.events.find((e) => e.type === 'node.decided')).toMatchObject({ approve: true, by: '--approve-all' });
  });
});

describe('rx-orchestra run with approvals', () => {
  it('parses --approve/--reject (comma-separated, repeatable) and --approve-all', () => {
    const parsed = parseCommandLine(['run', FIXTURE, '--approve', 'a,b', '--approve', 'c', '--reject', 'd', '--approve-all']);
    expect(parsed).toMatchObject({ kind: 'run', options: { approve: ['a', 'b', 'c'], reject: ['d'], approveAll: true } });
    expect(() => parseCommandLine(['run', FIXTURE, '--approve', 'a', '--reject', 'a'])).toThrow("--approve and --reject both name 'a'");
    expect(() => parseCommandLine(['run', FIXTURE, '--approve', 'a,'])).toThrow('--approve needs node ids');
  });

  it('decides from --approve in a pipe (no TTY), and refuses a node the graph cannot have', { timeout: TIMEOUT }, async () => {
    const approved = await runCli(['run', FIXTURE, '--export', 'small', '--approve', 'gate']);
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/⊕ explore fanned out: 3 children\n/);
    expect(approved.stdout).toMatch(/⏸ gate awaiting approval: \{"action":"send the summary","files":3\}\n.*☑ gate approved by --approve\n/s);
    expect(approved.stdout).toMatch(/✓ send /);

    const rejected = await runCli(['run', FIXTURE, '--export', 'small', '--reject', 'gate']);
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toContain('☒ gate rejected by --reject: rejected with --reject');

    const unknown = await runCli(['run', FIXTURE, '--export', 'small', '--approve', 'gaet']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("this graph has no node 'gaet'");
  });

  it('without a TTY and without flags, says how to decide (here the approval times out)', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--export', 'small'], { env: { RX_GATE_TIMEOUT_MS: '300' } });
    expect(code).toBe(1);
    expect(stderr).toContain('⏸ gate awaits approval, and no terminal can be asked (stdin is not a TTY): decide run again with --approve gate or --reject gate (or --approve-all); it gives up after 0 s\n');
    expect(stdout).toMatch(/⏱ gate timed out/);
  });

  it('asks on a TTY stdin (runCommand with a fake terminal) and the answer completes the run', { timeout: TIMEOUT }, async () => {
    const stdin = fakeTty();
    const stdout = recorder();
    const stderr = recorder();
    const io: CliIo = { stdout, stderr, stdin, cwd: ROOT, env: {}, typescript: 'registered', interrupts: new Subject() };
    const command = parseCommandLine(['run', FIXTURE, '--export', 'small']);
    if (command.kind !== 'run') throw new Error('expected run');
    const exit = runCommand(command.options, io);
    await stderr.waitFor(/Approve gate\? payload: .* \[y\/n\/\(r\)eason\] $/);
    stdin.write('y\n');
    expect(await exit).toBe(0);
    expect(stdout.text()).toContain('☑ gate approved by terminal');
    expect(stdout.text()).toMatch(/✓ run succeeded/);
  });
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasScript)('rx-orchestra run in a real terminal (util-linux script)', () => {
  it('pauses the live view, asks, and goes on drawing once answered', { timeout: TIMEOUT }, async () => {
    const rows = 20;
    const columns = 110;
    const command = `stty rows ${rows} cols ${columns}; '${process.execPath}' '${BIN}' run ${FIXTURE} --export small`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let raw = '';
    const asked = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        raw += chunk;
        if (/\[y\/n\/\(r\)eason\] $/.test(raw)) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await asked;
    // The frame drawn before the question shows the waiting node, bold magenta, and what it asks.
    const beforeAnswer = raw;
    expect(beforeAnswer).toContain('\x1b[1;35m⏸ gate ');
    expect(beforeAnswer.replace(ESCAPE_SEQUENCE, '')).toMatch(/⏸ 1 awaiting approval {2}✓ 5 done/);
    expect(beforeAnswer.endsWith('\x1b[?7h\x1b[?25hApprove gate? payload: {"action":"send the summary","files":3} [y/n/(r)eason] ')).toBe(true); // cursor shown for the answer
    child.stdin.write('y\r');
    expect(await exited).toBe(0);
    const screen = new Screen(rows + 20, columns).write(raw).text(); // taller than the terminal: the outputs below the frame scroll nothing away
    expect(screen).toContain('Approve gate? payload: {"action":"send the summary","files":3} [y/n/(r)eason] y');
    const last = screen.slice(screen.findIndex((line) => line.startsWith('Approve gate?')) + 1);
    expect(last[0]).toMatch(/^rx-orchestra {2}run cli-appr… {2}\d+\.\d\ds {2}7\/7 ended \[█{20}\] {2}concurrency 64 {2}■ succeeded$/);
    expect(last.slice(2, 9).map((line) => line.slice(0, 14).trimEnd())).toEqual(['✓ plan', '✓ explore', '✓   explore[0]', '✓   explore[1]', '✓   explore[2]', '✓ gate', '✓ send']); // the first 14 columns
    expect(last[9]).toBe('Outputs (7 nodes):'); // then each node's value, and the verdict
    expect(last.at(-1)).toMatch(/^✓ run succeeded/);
    expect(last.find((line) => line.startsWith('✓ explore '))).toMatch(/\[3\/3 done\]$/);
  });
});
