/**
 * The CLI as a user runs it: a child process on fixture pipelines (simulated models, calls of
 * tens of ms), output through pipes (not a TTY).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunEventSchema } from 'rx-orchestra';
import { readRunLog } from 'rx-orchestra/observe';
import { FIXTURE, runCli } from './helpers.js';

const TIMEOUT = 120_000; // a child process loads the library through tsx: seconds on a busy machine
const tmp = () => mkdtempSync(join(tmpdir(), 'rx-cli-'));
const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe.concurrent('rx-orchestra run (child process, not a TTY)', () => {
  it('prints plain progress lines and a closing verdict, and exits 0', { timeout: TIMEOUT }, async () => {
    const marker = join(tmp(), 'calls.txt');
    const { code, stdout, stderr } = await runCli(['run', FIXTURE], { env: { RX_CLI_MARKER: marker } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toMatch(/^\s+0\.\d\ds ▶ run cli-ok started: 4 nodes, concurrency 2$/);
    for (const node of ['plan', 'research', 'critique', 'report']) {
      expect(out).toContainEqual(expect.stringMatching(new RegExp(`^\\s+\\d+\\.\\d\\ds ▶ ${node} started$`)));
      expect(out).toContainEqual(expect.stringMatching(new RegExp(`^\\s+\\d+\\.\\d\\ds ✓ ${node} \\d+\\.\\d\\ds  \\d+ tok \\$0\\.\\d+$`)));
    }
    expect(out.at(-7)).toMatch(/■ run succeeded in \d+\.\d\ds: 4\/4 nodes ok, 4 attempts, 0 retries, \d+ tok, \$0\.\d+$/);
    // Then each node's value, one line each, and the verdict last.
    expect(out.slice(-6, -1)).toEqual(['Outputs (4 nodes):', '  plan      "the plan"', '  research  "the research"', '  critique  "the critique"', '  report    "the report"']);
    expect(out.at(-1)).toMatch(/^✓ run succeeded in \d+\.\d\ds: 4 nodes, \d+ tok, \$0\.\d+$/);
    expect(stdout).not.toContain('\x1b['); // no escape sequences outside a terminal
    expect(lines(readFileSync(marker, 'utf8'))).toHaveLength(4); // the marker sees model calls (dry-run test relies on it)
  });

  it('--json writes every event as one NDJSON line that RunEventSchema accepts', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--json', '--run-id', 'json-run']);
    expect(code).toBe(0);
    const events = lines(stdout).map((line) => RunEventSchema.parse(JSON.parse(line)));
    expect(events[0]!.type).toBe('run.started');
    expect(events.at(-1)!.type).toBe('run.completed');
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set(['json-run']));
    expect(events.filter((e) => e.type === 'node.succeeded').map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual(['critique', 'plan', 'report', 'research']);
    expect(events.filter((e) => e.type === 'node.usage')).toHaveLength(4);
    expect(lines(stderr)).toEqual([expect.stringMatching(/^✓ run succeeded/)]); // the verdict goes to stderr: stdout is pure NDJSON
  });

  it('--dry-run prints the estimate and the plan in priority order, and calls no model', { timeout: TIMEOUT }, async () => {
    const marker = join(tmp(), 'calls.txt');
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--dry-run', '--budget', '1'], { env: { RX_CLI_MARKER: marker } });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = lines(stdout);
    expect(out[0]).toBe('Estimated cost: $0.0050 for 4 nodes; most expensive: report $0.0020, research $0.0012, critique $0.0012');
    expect(out[1]).toBe('Budget: $1.0000, the estimate is within it');
    expect(out[2]).toMatch(/^Plan: 4 nodes, critical path 5 /);
    expect(out[3]).toMatch(/^#\s+node\s+deps\s+estimate\s+path\s+model\s+in tok\s+out tok\s+cost$/);
    // research (estimate 3) is on the longest remaining path, so it comes before critique.
    expect(out.slice(4, 8).map((row) => row.split(/\s+/).slice(0, 3))).toEqual([
      ['1', 'plan', '—'],
      ['2', 'research', 'plan'],
      ['3', 'critique', 'plan'],
      ['4', 'report', 'research,critique'],
    ]);
    expect(out.slice(8)).toEqual(['With --batch (Message Batches API, half price): $0.0025 instead of $0.0050; each wave of ready nodes would wait for its batch (minutes, at most 24 h)']);
    expect(out[5]).toMatch(/research\s+plan\s+3\s+4\s+claude-haiku-4-5\s+200\s+200\s+\$0\.0012$/);
    expect(existsSync(marker)).toBe(false);
  });

  it('--dry-run --json prints the plan as one JSON object; over --budget it exits 3', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--dry-run', '--json', '--budget', '0.001']);
    expect(code).toBe(3);
    const plan = JSON.parse(stdout) as { type: string; steps: { id: string }[]; cost: { totalUsd: number }; budget: { within: boolean } };
    expect(plan.type).toBe('plan');
    expect(plan.steps.map((s) => s.id)).toEqual(['plan', 'research', 'critique', 'report']);
    expect(plan.cost.totalUsd).toBeCloseTo(0.005, 6);
    expect(plan.budget).toEqual({ maxUsd: 0.001, within: false });
    expect(lines(stderr)).toEqual(['✗ run would be refused: estimated $0.005 exceeds the budget of $0.001; most expensive: report $0.002, research $0.0012, critique $0.0012']);
  });

  it('--budget refuses a run estimated over it: the message of BudgetExceededError, exit 3, nothing called', { timeout: TIMEOUT }, async () => {
    const marker = join(tmp(), 'calls.txt');
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--budget', '0.002'], { env: { RX_CLI_MARKER: marker } });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(lines(stderr)).toEqual(['✗ run refused: estimated $0.005 exceeds the budget of $0.002; most expensive: report $0.002, research $0.0012, critique $0.0012']);
    expect(existsSync(marker)).toBe(false);
  });

  it('a failed run exits 1 with one line naming the node, its error and its attempts', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--export', 'failing']);
    expect(code).toBe(1);
    expect(lines(stderr)).toEqual([
      "✗ run failed: node 'fetch' failed: HTTP 529 OVERLOADED: claude-haiku-4-5 is overloaded (simulated 529); try again (3 attempts); 1 node skipped",
    ]);
    expect(stdout).toContain('↻ fetch attempt 1 failed (HTTP 529 OVERLOADED');
    expect(stdout).toContain('⤼ report skipped (run failed at fetch)');
    expect(lines(stdout).slice(-3)).toEqual([expect.stringMatching(/■ run failed in /), 'Outputs (1 node):', '  other  "other"']);
  });

  it("a 'partial' run exits 1, or 0 with --allow-partial", { timeout: TIMEOUT }, async () => {
    const [strict, allowed] = await Promise.all([runCli(['run', FIXTURE, '--export', 'partial']), runCli(['run', FIXTURE, '--export', 'partial', '--allow-partial'])]);
    expect(strict.code).toBe(1);
    expect(lines(strict.stderr)).toEqual([
      expect.stringMatching(/^✗ run partial in \d+\.\d\ds: 1 of 3 nodes failed; 1 node skipped; first: node 'fetch' failed: HTTP 529 OVERLOADED: .* \(3 attempts\)$/),
    ]);
    expect(allowed.code).toBe(0);
    expect(lines(allowed.stdout).at(-1)).toMatch(/^⚠ run partial in .* \(allowed\)$/);
  });

  it('a mistyped model id fails its node with the closest priced id named', { timeout: TIMEOUT }, async () => {
    const { code, stdout, stderr } = await runCli(['run', FIXTURE, '--export', 'mistyped']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ ask failed after 1 attempt: UNKNOWN_MODEL_PRICE: node 'ask': no price for model 'claude-haiku-45'; .*; did you mean 'claude-haiku-4-5'\?\n/);
    expect(lines(stderr)).toEqual([expect.stringMatching(/^✗ run failed: node 'ask' failed: .*; did you mean 'claude-haiku-4-5'\? \(1 attempt\)$/)]);
  });

  it('--runs-log appends a JSON-lines run log; --log-level writes pino JSON to stderr', { timeout: TIMEOUT }, async () => {
    const path = join(tmp(), 'runs.jsonl');
    const { code, stderr } = await runCli(['run', FIXTURE, '--export', 'factory', '--runs-log', path, '--log-level', 'info', '--run-id', 'logged']);
    expect(code).toBe(0);
    const log = readRunLog(path);
    expect(log.map((l) => l.event.type)).toEqual(['run.started', 'node.queued', 'node.started', 'node.succeeded', 'run.completed']);
    expect(log[3]).toMatchObject({ node: 'only', event: { value: 42 } });
    const records = lines(stderr).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { runId: string; msg: string });
    expect(records.map((r) => r.msg)).toEqual(['run.started', 'node.started', 'node.succeeded', 'run.completed']);
    expect(records.every((r) => r.runId === 'logged')).toBe(true);
  });
});
