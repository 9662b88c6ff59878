/**
 * Node outputs at the end of a run: one line per node (JSON, cut to the width), the graph's own
 * nodes first, at most 20 then "… and N more"; `--output <file>` writes every value and error as
 * JSON, also with --json (whose stdout stays pure NDJSON).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { NodeOutputs, valuePreview, writeOutputs } from '../../src/cli/node-outputs.js';
import { runCommand } from '../../src/cli/run-command.js';
import { FIXTURE, ROOT } from './helpers.js';
import { RUN, completed, failed, started, succeeded } from './events.js';

const valued = (nodeId: string, value: unknown): RunEvent => ({ ...(succeeded(nodeId, 10, 0) as Extract<RunEvent, { type: 'node.succeeded' }>), value });
const dir = mkdtempSync(join(tmpdir(), 'rx-cli-outputs-'));

describe('NodeOutputs', () => {
  it('one line per value, the graph nodes first, cut to the width; every value and error in JSON', async () => {
    const outputs = new NodeOutputs();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const events: RunEvent[] = [
      started(['plan', 'explore', 'report', 'broken']),
      valued('explore[0]', 'first child'), // a node a fan-out added: listed after the graph's own
      valued('report', `a long report ${'x'.repeat(200)}`),
      valued('plan', { steps: ['a', 'b'], big: 12n }),
      valued('explore', ['first child']),
      failed('broken', 20, 5, 2),
      valued('cyclic', cyclic),
      completed(30, { status: 'partial' }),
    ];
    for (const event of events) outputs.apply(event);
    const lines = outputs.lines(60);
    expect(lines).toEqual([
      'Outputs (5 nodes):',
      '  plan        {"steps":["a","b"],"big":"[BigInt 12]"}',
      '  explore     ["first child"]',
      '  report      "a long report xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…', // 60 characters
      '  explore[0]  "first child"',
      '  cyclic      {"name":"loop","self":"[circular]"}',
    ]);
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(60);
    const json = outputs.toJSON();
    expect(json).toMatchObject({ runId: RUN, status: 'partial', errors: { broken: { code: 'OVERLOADED', status: 529 } } });
    expect(Object.keys(json.outputs)).toEqual(['plan', 'explore', 'report', 'explore[0]', 'cyclic']);
    const file = join(dir, 'out.json');
    await writeOutputs(file, json);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ outputs: { plan: { big: '[BigInt 12]' }, cyclic: { self: '[circular]' } } });
  });

  it('at most 20 lines, then how many more and where they all are', () => {
    const outputs = new NodeOutputs();
    const ids = Array.from({ length: 25 }, (_, i) => `n${i}`);
    outputs.apply(started(ids));
    for (const id of ids) outputs.apply(valued(id, 1));
    expect(outputs.lines(80).slice(-2)).toEqual(['  n19  1', '  … and 5 more: --output <file> writes them all as JSON']);
    expect(outputs.lines(80, { outputFile: 'out.json' }).at(-1)).toBe('  … and 5 more (all in out.json)');
    expect(outputs.lines(80)).toHaveLength(22);
    expect(new NodeOutputs().lines(80)).toEqual([]); // nothing with a value: no title either
    expect(valuePreview('two\nlines', 40)).toBe('"two\\nlines"');
  });
});

describe('--output', () => {
  it('writes every value after the run; with --json stdout stays NDJSON and the outputs are not printed', { timeout: 60_000 }, async () => {
    const output = join(dir, 'run.json');
    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (chunk: string, callback?: () => void) => ((stdout += chunk), callback?.(), true) },
      stderr: { write: (chunk: string) => ((stderr += chunk), true) },
      cwd: ROOT,
      env: {},
      typescript: 'registered' as const,
      interrupts: new Subject(),
    };
    const code = await runCommand({ file: FIXTURE, json: true, dryRun: false, plain: false, allowPartial: false, ui: false, output }, io);
    expect(code).toBe(0);
    for (const line of stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    expect(stdout).not.toContain('Outputs (');
    expect(stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/^✓ run succeeded/), `◆ outputs of 4 nodes written to ${output}`]);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toEqual({
      runId: 'cli-ok',
      status: 'succeeded',
      outputs: { plan: 'the plan', research: 'the research', critique: 'the critique', report: 'the report' },
      errors: {},
    });
  });
});
