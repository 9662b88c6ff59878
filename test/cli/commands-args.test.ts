/**
 * The round-two command line as pure functions: the replay, inspect and resume commands, --ui-wait
 * with and without seconds, "did you mean" for flags, commands and model ids, plurals, the short
 * run id and an 80-column header, and the choice between the live view and plain lines
 * (NO_COLOR, FORCE_COLOR, a 0x0 terminal).
 */
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { closest, unknownModelHint } from '../../src/cli/suggest.js';
import { formatError, plural, shortRunId } from '../../src/cli/format.js';
import { chooseView, colorWanted } from '../../src/cli/terminal.js';
import { LiveRunState } from '../../src/cli/live-state.js';
import { renderLiveView } from '../../src/cli/live-render.js';
import { progressLine } from '../../src/cli/progress-lines.js';
import { completed, queued, start, started, succeeded } from './events.js';

describe('parseCommandLine: the new commands', () => {
  it('reads replay, inspect and resume', () => {
    expect(parseCommandLine(['replay', 'runs.jsonl'])).toEqual({ kind: 'replay', options: { file: 'runs.jsonl', speed: 1, plain: false, ui: false } });
    expect(parseCommandLine(['replay', 'runs.jsonl', '--speed', '4', '--ui', '--ui-wait', '--ui-port', '0', '--plain'])).toEqual({
      kind: 'replay',
      options: { file: 'runs.jsonl', speed: 4, plain: true, ui: true, uiWait: true, uiPort: 0 },
    });
    expect(parseCommandLine(['replay', 'runs.jsonl', '--speed', 'max']).kind === 'replay' && parseCommandLine(['replay', 'r', '--speed', 'max'])).toMatchObject({ options: { speed: Infinity } });
    expect(parseCommandLine(['inspect', 'runs.db', 'weekly-1', '--json'])).toEqual({ kind: 'inspect', options: { store: 'runs.db', runId: 'weekly-1', json: true } });
    expect(parseCommandLine(['inspect', 'redis://127.0.0.1:6390'])).toEqual({ kind: 'inspect', options: { store: 'redis://127.0.0.1:6390', json: false } });
    expect(parseCommandLine(['resume', 'p.ts', 'weekly-1', '--store', 'runs.db', '--approve', 'gate', '--output', 'out.json'])).toEqual({
      kind: 'resume',
      options: { file: 'p.ts', resumeRunId: 'weekly-1', store: 'runs.db', approve: ['gate'], output: 'out.json', json: false, dryRun: false, plain: false, allowPartial: false, ui: false },
    });
    expect(parseCommandLine(['run', 'p.ts', '--store', 'redis://127.0.0.1:6390', '--run-id', 'r1'])).toMatchObject({ kind: 'run', options: { store: 'redis://127.0.0.1:6390', runId: 'r1' } });
  });

  it('takes --ui-wait alone, with =<seconds>, or with a number after it', () => {
    expect(parseCommandLine(['run', 'p.ts', '--ui', '--ui-wait'])).toMatchObject({ options: { ui: true, uiWait: true } });
    expect(parseCommandLine(['run', 'p.ts', '--ui', '--ui-wait=30'])).toMatchObject({ options: { uiWait: true, uiWaitSeconds: 30 } });
    expect(parseCommandLine(['run', '--ui', '--ui-wait', '2.5', 'p.ts'])).toMatchObject({ options: { file: 'p.ts', uiWait: true, uiWaitSeconds: 2.5 } });
    expect(parseCommandLine(['run', 'p.ts', '--ui-wait', '--ui'])).toMatchObject({ options: { uiWait: true } });
    expect((parseCommandLine(['run', 'p.ts', '--ui', '--ui-wait']) as { options: object }).options).not.toHaveProperty('uiWaitSeconds');
    expect(() => parseCommandLine(['run', 'p.ts', '--ui-wait'])).toThrow('--ui-wait needs --ui');
    expect(() => parseCommandLine(['run', 'p.ts', '--ui', '--ui-wait=soon'])).toThrow("--ui-wait must be a number >= 0, got 'soon'");
    expect(() => parseCommandLine(['inspect', 'runs.db', '--ui-wait=3'])).toThrow('--ui-wait is not an option of inspect');
  });

  it('says what is missing or misplaced, with the closest flag or command', () => {
    expect(() => parseCommandLine(['run', 'p.ts', '--concurency', '3'])).toThrow("unknown option '--concurency'; did you mean --concurrency? (see rx-orchestra --help)");
    expect(() => parseCommandLine(['run', 'p.ts', '--concurency=3'])).toThrow("unknown option '--concurency'; did you mean --concurrency?");
    expect(() => parseCommandLine(['replay', 'r.jsonl', '--sped', '3'])).toThrow("unknown option '--sped'; did you mean --speed?");
    expect(() => parseCommandLine(['run', 'p.ts', '--approv', 'gate'])).toThrow("did you mean --approve?");
    expect(() => parseCommandLine(['run', 'p.ts', '--ouptut', 'o.json'])).toThrow("did you mean --output?");
    expect(() => parseCommandLine(['inspect', 'db', '--xyzzy'])).toThrow("unknown option '--xyzzy': inspect takes --json");
    expect(() => parseCommandLine(['replay', 'r.jsonl', '--json'])).toThrow('--json is not an option of replay (run, resume and inspect take it)');
    expect(() => parseCommandLine(['resume', 'p.ts', 'r1', '--run-id', 'x'])).toThrow('--run-id is not an option of resume (run takes it)');
    expect(() => parseCommandLine(['resume', 'p.ts', 'r1', '--dry-run'])).toThrow('--dry-run is not an option of resume (run takes it)');
    expect(() => parseCommandLine(['replya', 'r.jsonl'])).toThrow("unknown command 'replya'; did you mean replay?");
    expect(() => parseCommandLine(['inspcet', 'db'])).toThrow("unknown command 'inspcet'; did you mean inspect?");
    expect(() => parseCommandLine(['resume', 'p.ts'])).toThrow(/^missing <runId>: rx-orchestra resume <pipeline-file> <runId>/);
    expect(() => parseCommandLine(['replay'])).toThrow(/^missing <runs\.jsonl>/);
    expect(() => parseCommandLine(['inspect'])).toThrow(/^missing <store>/);
    expect(() => parseCommandLine(['replay', 'r.jsonl', '--speed', '0'])).toThrow("--speed must be a number > 0, got '0'");
    expect(() => parseCommandLine(['run', 'p.ts', '--dry-run', '--output', 'o.json'])).toThrow('--output writes the values of a run: not with --dry-run');
  });
});

describe('did you mean', () => {
  it('suggests only what is close', () => {
    expect(closest('concurency', ['budget', 'concurrency'])).toBe('concurrency');
    expect(closest('conucrrency', ['concurrency'])).toBe('concurrency'); // a swap is one edit
    expect(closest('zzz', ['budget', 'concurrency'])).toBeUndefined();
    expect(closest('ui', ['uk', 'json'])).toBe('uk');
  });

  it("names the priced model closest to an unknown one, in the error's line", () => {
    expect(unknownModelHint("node 'plan': no price for model 'claude-haiku-45'; add it")).toBe("; did you mean 'claude-haiku-4-5'?");
    expect(unknownModelHint("no price for model 'claude-sonet-4-5-20250929'; add it")).toBe("; did you mean 'claude-sonnet-4-5'?");
    expect(unknownModelHint("no price for model 'gpt-4o'; add it")).toBe('');
    const error = { name: 'UnknownModelPriceError', code: 'UNKNOWN_MODEL_PRICE', message: "node 'plan': no price for model 'claude-opus-46'; add it to the price table" };
    expect(formatError(error)).toBe("UNKNOWN_MODEL_PRICE: node 'plan': no price for model 'claude-opus-46'; add it to the price table; did you mean 'claude-opus-4-6'?");
  });
});

describe('plurals and the header', () => {
  it('says 1 node, 2 nodes, 1 retry, 3 retries', () => {
    expect([plural(1, 'node'), plural(2, 'node'), plural(0, 'node'), plural(1, 'retry', 'retries'), plural(3, 'retry', 'retries'), plural(1_000, 'child', 'children')]).toEqual([
      '1 node', '2 nodes', '0 nodes', '1 retry', '3 retries', '1,000 children',
    ]);
    const state = new LiveRunState();
    const events = [started(['only']), queued('only', 0), start('only', 1), succeeded('only', 40, 1), completed(50, { nodes: 1, attempts: 1, counts: { succeeded: 1, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 } })];
    const lines = events.map((event) => (state.apply(event), progressLine(event, state)));
    expect(lines[0]).toMatch(/▶ run run-1 started: 1 node, concurrency 4$/);
    expect(lines.at(-1)).toMatch(/■ run succeeded in 2\.50s: 1\/1 node ok, 1 attempt, 0 retries, 1,200 tok, \$0\.0123$/);
  });

  it('shows the first 8 characters of a long run id, and fits the first line in 80 columns', () => {
    expect(shortRunId('1f0c2a3b-77d1-4c3e-9a51-0c1d2e3f4a5b')).toBe('1f0c2a3b…');
    expect(shortRunId('cli-slow')).toBe('cli-slow');
    const ids = Array.from({ length: 10_000 }, (_, i) => `n${i}`);
    const state = new LiveRunState();
    state.apply({ ...started(ids), runId: '1f0c2a3b-77d1-4c3e-9a51-0c1d2e3f4a5b', concurrency: 64 });
    for (const id of ids.slice(0, 9_000)) state.apply({ ...succeeded(id, 100, 10), runId: '1f0c2a3b-77d1-4c3e-9a51-0c1d2e3f4a5b' });
    const at80 = renderLiveView(state, { now: 725_000, columns: 80, rows: 24 })[0]!;
    // The brand goes first (the bar is worth more), and nothing is cut.
    expect(at80).toMatch(/^run 1f0c2a3b… {2}12m05s {2}9,000\/10,000 ended \[█{17}░{2}\] {2}concurrency 64$/); // 79 characters
    expect(Array.from(at80).length).toBeLessThanOrEqual(79);
    const at120 = renderLiveView(state, { now: 725_000, columns: 120, rows: 24 })[0]!;
    expect(at120).toMatch(/^rx-orchestra {2}run 1f0c2a3b… {2}12m05s {2}9,000\/10,000 ended \[█{18}░{2}\] {2}concurrency 64$/); // all of it, with a 20-cell bar, when there is room
    const at60 = renderLiveView(state, { now: 725_000, columns: 60, rows: 24 })[0]!;
    expect(at60).toBe('run 1f0c2a3b…  12m05s  9,000/10,000 ended  concurrency 64'); // then the bar
  });
});

describe('live view or lines', () => {
  const tty = { isTTY: true, columns: 100, rows: 30 };
  it('honours NO_COLOR (no escape sequence at all: lines) and FORCE_COLOR', () => {
    expect(colorWanted({})).toBeUndefined();
    expect(colorWanted({ NO_COLOR: '' })).toBeUndefined(); // empty means unset
    expect(colorWanted({ NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted({ FORCE_COLOR: '0' })).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '' })).toBe(true);
    expect(chooseView({ ...tty, env: {} })).toEqual({ live: true, color: true });
    expect(chooseView({ ...tty, env: { NO_COLOR: '1' } })).toEqual({ live: false, color: false, reason: 'NO_COLOR is set' });
    expect(chooseView({ ...tty, env: { FORCE_COLOR: '0' } })).toEqual({ live: true, color: false });
    expect(chooseView({ ...tty, env: { NO_COLOR: '1', FORCE_COLOR: '3' } })).toEqual({ live: true, color: true });
    expect(chooseView({ ...tty, env: { TERM: 'dumb' } })).toMatchObject({ live: false });
  });

  it('falls back to lines for a 0x0, unknown-size or tiny terminal, a pipe, or when asked', () => {
    expect(chooseView({ isTTY: true, columns: 0, rows: 0, env: {} })).toEqual({ live: false, color: false, reason: 'the terminal reports no size (0x0)' });
    expect(chooseView({ isTTY: true, columns: undefined, rows: undefined, env: {} })).toMatchObject({ live: false });
    expect(chooseView({ isTTY: true, columns: 12, rows: 30, env: {} })).toMatchObject({ live: false, reason: 'the terminal is too small (12x30)' });
    expect(chooseView({ isTTY: false, columns: 100, rows: 30, env: {} })).toMatchObject({ live: false, reason: 'stdout is not a terminal' });
    expect(chooseView({ ...tty, env: {}, lines: true })).toMatchObject({ live: false });
  });
});
