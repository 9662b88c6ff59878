/**
 * Durable runs from the command line, on a real SQLite store: `inspect` shows a run stopped while
 * a node waits for approval (outcomes, what resume would run, the waiting payload; `--json`), and
 * `resume` continues it (the nodes with a value restored, the approval decided with --approve);
 * `run --store` checkpoints a run that `resume` then finishes; the store's refusals are one line.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { executeDurable, redisStore, sqliteStore, type RunStore } from 'rx-orchestra/store';
import { spawnRedis } from '../support/redis-server.js';
import type { RunInspection } from '../../src/cli/inspect-command.js';
import { main } from '../../src/cli/main.js';
import { ROOT, runCli } from './helpers.js';
import { small } from './fixtures/approvals.js';

const TIMEOUT = 120_000;
const APPROVALS = 'test/cli/fixtures/approvals.ts';
const dir = mkdtempSync(join(tmpdir(), 'rx-cli-durable-'));
const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const sink = () => {
  let text = '';
  return { write: (chunk: string) => ((text += chunk), true), text: () => text };
};

/** Starts the approvals pipeline durably and stops it (unsubscribes) once `gate` waits for approval. */
async function stoppedAtApproval(path: string, runId: string): Promise<void> {
  const store: RunStore = /^redis:/.test(path) ? redisStore({ url: path }) : sqliteStore(path);
  try {
    await new Promise<void>((resolve, reject) => {
      const subscription = executeDurable(store, small().graph, { runId }).subscribe({
        next: (event) => {
          if (event.type === 'node.waiting') queueMicrotask(() => (subscription.unsubscribe(), resolve()));
        },
        error: reject,
      });
    });
  } finally {
    await store.close();
  }
}

async function inspect(store: string, runId: string | undefined, json = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(['inspect', store, ...(runId ? [runId] : []), ...(json ? ['--json'] : [])], { stdout, stderr, cwd: ROOT, env: {} });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('rx-orchestra inspect (real SQLite)', () => {
  const db = join(dir, 'stopped.db');
  beforeAll(() => stoppedAtApproval(db, 'stopped-1'));

  it('shows each node, the approval waited for with its payload, and what resume would run', async () => {
    const { code, stdout, stderr } = await inspect(db, 'stopped-1');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = stdout.split('\n');
    expect(out[0]).toBe(`run stopped-1 in ${db}: not finished: killed, stopped, or still running (resume continues it)`);
    expect(out[1]).toMatch(/^ {2}created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, last written .*; graph of 4 nodes \(fingerprint [0-9a-f]{12}\)$/);
    expect(out[2]).toBe('  spent so far: 0 model calls, 0 tok, $0');
    const nodes = out.slice(out.indexOf('nodes (7):') + 1, out.indexOf('nodes (7):') + 8);
    expect(nodes).toEqual([
      expect.stringMatching(/^ {2}✓ plan {10}done {15}1 attempt {2}0\.0\ds {2}\["src\/a\.ts","src\/b\.ts","src\/c\.ts"\]$/),
      expect.stringMatching(/^ {2}✓ explore {7}done {26}0\.0\ds {2}\["read src\/a\.ts","read src\/b\.ts","read src\/c\.ts"\]$/),
      expect.stringMatching(/^ {2}✓ {3}explore\[0\] {2}done +1 attempt +0\.0\ds {2}"read src\/a\.ts"$/),
      expect.stringMatching(/^ {2}✓ {3}explore\[1\] /),
      expect.stringMatching(/^ {2}✓ {3}explore\[2\] /),
      '  ⏸ gate          awaiting approval',
      '  ○ send          no outcome',
    ]);
    expect(stdout).toContain('\nwaiting for approval (1):\n  ⏸ gate  since ');
    expect(stdout).toContain(', no time limit\n    payload: {"action":"send the summary","files":3}\n');
    expect(out.filter(Boolean).slice(-2)).toEqual([
      'resume would run 2 nodes: gate, send; and restore 5 nodes with a value',
      `  rx-orchestra resume <pipeline-file> stopped-1 --store ${db} --approve gate (or --reject …; else it asks again)`,
    ]);
  });

  it('--json: the same as one object', async () => {
    const { code, stdout } = await inspect(db, 'stopped-1', true);
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(1);
    const inspection = JSON.parse(stdout) as RunInspection;
    expect(inspection).toMatchObject({ runId: 'stopped-1', status: 'running', wouldRun: ['gate', 'send'], restored: ['plan', 'explore', 'explore[0]', 'explore[1]', 'explore[2]'], fingerprint: { nodes: 4 } });
    expect(inspection.waiting).toEqual([{ nodeId: 'gate', payload: { action: 'send the summary', files: 3 }, timeoutMs: null, since: expect.any(Number) }]);
    expect(inspection.nodes.map((n) => [n.id, n.status, n.parent ?? null])).toEqual([
      ['plan', 'succeeded', null], ['explore', 'succeeded', null], ['explore[0]', 'succeeded', 'explore'], ['explore[1]', 'succeeded', 'explore'], ['explore[2]', 'succeeded', 'explore'],
      ['gate', 'waiting', null], ['send', 'none', null],
    ]);
    expect(inspection.nodes[2]!.value).toBe('read src/a.ts');
  });

  it('one line for a missing store and an unknown run (naming the runs it holds); without a run id, lists the runs', async () => {
    const missing = await inspect(join(dir, 'nope.db'), 'x');
    expect([missing.code, missing.stderr]).toEqual([2, `✗ STORE_NOT_FOUND: no store at '${join(dir, 'nope.db')}': give the SQLite file a durable run wrote to (run --store <file>), or a redis://host:port URL\n`]);
    const unknown = await inspect(db, 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(new RegExp(`^✗ RUN_NOT_FOUND: no run 'nope' in the store '${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'; it holds '[^']+'.*\\n$`));
    expect(missing.stdout + unknown.stdout).toBe('');
    const listed = await inspect(db, undefined);
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(listed.stdout).toMatch(/^\d+ runs? in the store '.*' \(last written first\):\n/);
    expect(listed.stdout).toContain('stopped-1');
  });
});

describe.concurrent('rx-orchestra resume and run --store (child processes, real SQLite)', () => {
  it('resume restores the nodes with a value and decides the waiting approval with --approve', { timeout: TIMEOUT }, async () => {
    const db = join(dir, 'resume.db');
    await stoppedAtApproval(db, 'resume-1');
    const output = join(dir, 'resume-out.json');
    const { code, stdout, stderr } = await runCli(['resume', APPROVALS, 'resume-1', '--export', 'small', '--store', db, '--approve', 'gate', '--output', output]);
    expect(code).toBe(0);
    expect(lines(stderr)).toEqual([`◆ resuming run resume-1 from ${db}`, `◆ outputs of 4 nodes written to ${output}`]);
    const out = lines(stdout);
    expect(out).toContainEqual(expect.stringMatching(/^\s+\d\.\d\ds ✓ plan restored from the checkpoint$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+\d\.\d\ds ✓ explore restored from the checkpoint$/));
    expect(out).toContainEqual(expect.stringMatching(/^\s+\d\.\d\ds ☑ gate approved by --approve$/));
    expect(out.filter((line) => / ▶ (plan|explore)/.test(line))).toEqual([]); // not run again
    expect(out.at(-1)).toMatch(/^✓ run succeeded in \d+\.\d\ds: 4 nodes, 0 tok, \$0$/);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual({
      runId: 'resume-1',
      status: 'succeeded',
      outputs: { plan: ['src/a.ts', 'src/b.ts', 'src/c.ts'], explore: ['read src/a.ts', 'read src/b.ts', 'read src/c.ts'], gate: { action: 'send the summary', files: 3 }, send: 'sent' },
      errors: {},
    });
    const after = await inspect(db, 'resume-1', true);
    expect(JSON.parse(after.stdout)).toMatchObject({ status: 'succeeded', wouldRun: [] });
  });

  it('run --store checkpoints a run; a second run with its id is refused; resume finishes it', { timeout: TIMEOUT }, async () => {
    const db = join(dir, 'run.db');
    // The gate gives up after 50 ms (nobody can answer through a pipe): the run ends with gate timed out.
    const first = await runCli(['run', APPROVALS, '--export', 'small', '--store', db, '--run-id', 'cli-durable'], { env: { RX_GATE_TIMEOUT_MS: '50' } });
    expect(first.code).toBe(1);
    expect(lines(first.stderr)[0]).toBe(`◆ checkpointing run cli-durable in ${db}`);
    expect(lines(first.stderr).at(-1)).toBe(`◆ run cli-durable is checkpointed in ${db}: rx-orchestra inspect ${db} cli-durable; rx-orchestra resume ${APPROVALS} cli-durable --store ${db}`);
    const inspection = JSON.parse((await inspect(db, 'cli-durable', true)).stdout) as RunInspection;
    expect(inspection.status).not.toBe('running');
    expect(inspection.nodes.find((n) => n.id === 'gate')).toMatchObject({ status: expect.stringMatching(/^(timedOut|failed)$/), restored: false });
    expect(inspection.wouldRun).toEqual(['gate', 'send']);

    const again = await runCli(['run', APPROVALS, '--export', 'small', '--store', db, '--run-id', 'cli-durable']);
    expect(again.code).toBe(2);
    expect(lines(again.stderr).at(-1)).toMatch(new RegExp(`^✗ STORE_REFUSED: RUN_EXISTS: .*: continue it with rx-orchestra resume ${APPROVALS} cli-durable --store .*run\\.db, or give another --run-id$`));

    const resumed = await runCli(['resume', APPROVALS, 'cli-durable', '--export', 'small', '--store', db, '--approve', 'gate']);
    expect(resumed.code).toBe(0);
    expect(lines(resumed.stdout).at(-1)).toMatch(/^✓ run succeeded/);
  });

  it('one line when the checkpoint was written by another graph, or there is none', { timeout: TIMEOUT }, async () => {
    const db = join(dir, 'mismatch.db');
    await stoppedAtApproval(db, 'other-graph');
    const mismatch = await runCli(['resume', 'test/cli/fixtures/pipelines.ts', 'other-graph', '--store', db]);
    expect(mismatch.code).toBe(2);
    expect(lines(mismatch.stderr).at(-1)).toMatch(/^✗ STORE_REFUSED: CHECKPOINT_MISMATCH: checkpoint 'other-graph' was written by a different graph: added 'critique', 'report', 'research'; removed 'explore', 'gate', 'send'/);
    const none = await runCli(['resume', APPROVALS, 'never-ran', '--export', 'small', '--store', db]);
    expect(none.code).toBe(2);
    expect(lines(none.stderr).at(-1)).toBe(`✗ RUN_NOT_FOUND: no run 'never-ran' in the store '${db}' (a run's id is printed when it starts, and chosen with --run-id)`);
    const noStore = await runCli(['resume', APPROVALS, 'x', '--export', 'small', '--store', join(dir, 'absent.db')]);
    expect(noStore.code).toBe(2);
    expect(lines(noStore.stderr)).toEqual([expect.stringMatching(/^✗ STORE_NOT_FOUND: no store at '.*absent\.db'/)]);
  });
});

describe('rx-orchestra inspect (a redis-server of its own on 127.0.0.1)', () => {
  it('reads the same state from a redis:// URL', { timeout: TIMEOUT }, async () => {
    const redis = await spawnRedis();
    try {
      await stoppedAtApproval(redis.url, 'in-redis');
      const { code, stdout, stderr } = await inspect(redis.url, 'in-redis', true);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ runId: 'in-redis', status: 'running', wouldRun: ['gate', 'send'], waiting: [{ nodeId: 'gate', payload: { action: 'send the summary', files: 3 } }] });
      const unknown = await inspect(redis.url, 'nope');
      expect(unknown.stderr).toBe(`✗ RUN_NOT_FOUND: no run 'nope' in the store '${redis.url}'; it holds 'in-redis'\n`);
    } finally {
      await redis.stop();
    }
  });
});
