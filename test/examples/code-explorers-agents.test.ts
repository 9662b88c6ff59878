import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { lastValueFrom, from, asyncScheduler } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunEventSchema, type RunEvent, type Tool } from 'rx-orchestra';
import { ESCAPE_EXPLORER, ESCAPE_PATHS, EXPLORERS, REPO_ROOT, runExplorerAgents, type ExplorerAgentsResult } from '../../examples/code-explorers-agents-graph.js';
import { repoTools } from '../../examples/lib/repo-tools.js';

const of = <T extends RunEvent['type']>(events: readonly RunEvent[], type: T, nodeId?: string) =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type && (nodeId === undefined || ('nodeId' in e && e.nodeId === nodeId)));

/** Runs a repo tool as an agent does: input checked, then run; the text the model reads, or the error. */
async function call<I>(tool: Tool<I, string>, input: unknown): Promise<string> {
  const checked = tool.check(input);
  if (!checked.ok) throw new Error(`invalid input: ${checked.issues.join('; ')}`);
  const ctx = { signal: new AbortController().signal, scheduler: asyncScheduler, context: undefined, runId: 'r', nodeId: 'n', toolUseId: 't', step: 1 };
  return String(await lastValueFrom(from(tool.run(checked.value, ctx))));
}

describe('examples/code-explorers-agents (seed 003 as agents)', () => {
  let run: ExplorerAgentsResult;
  beforeAll(async () => {
    run = await runExplorerAgents(); // virtual time: the simulated provider, the governor and the run share one VirtualTimeScheduler
  });

  it('all 22 explorers answer, each naming files that exist, at lines that hold what they quote', () => {
    expect(EXPLORERS).toHaveLength(22);
    expect(run.summary.status).toBe('succeeded');
    expect(Object.keys(run.findings).sort()).toEqual(EXPLORERS.map((e) => e.id).sort());
    for (const explorer of EXPLORERS) {
      const found = run.findings[explorer.id]!;
      expect(found.explorer).toBe(explorer.id);
      expect(found.files.length, explorer.id).toBeGreaterThan(0);
      for (const file of found.files) {
        expect(existsSync(join(REPO_ROOT, file.path)), `${explorer.id}: ${file.path}`).toBe(true);
        if (file.line !== undefined) {
          const line = readFileSync(join(REPO_ROOT, file.path), 'utf8').split('\n')[file.line - 1]!;
          expect(line.trim().startsWith(file.note), `${explorer.id}: ${file.path}:${file.line}`).toBe(true);
          expect(new RegExp(explorer.symbol).test(line)).toBe(true);
        }
      }
      expect(found.summary).toMatch(/ has \d+ lines/);
    }
  });

  it('puts every step and tool call on the run stream: list_dir, grep, read_file, then the answer', () => {
    for (const event of run.events) expect(RunEventSchema.safeParse(JSON.parse(JSON.stringify(event))).success, event.type).toBe(true);
    for (const { id, dir, symbol } of EXPLORERS) {
      const steps = of(run.events, 'agent.step', id);
      expect(steps.map((s) => s.stopReason)).toEqual(['tool_use', 'tool_use', 'tool_use', 'end_turn']);
      const called = of(run.events, 'tool.called', id).filter((e) => id !== ESCAPE_EXPLORER || !ESCAPE_PATHS.includes((e.input as { path: never }).path));
      expect(called.map((e) => `${e.step} ${e.tool}`)).toEqual(['1 list_dir', '2 grep', '3 read_file']);
      expect(called[0]!.input).toEqual({ path: dir });
      expect(called[1]!.input).toEqual({ pattern: symbol, path: dir });
      const succeeded = of(run.events, 'tool.succeeded', id);
      expect(succeeded.map((e) => e.toolUseId)).toEqual(called.map((e) => e.toolUseId));
      expect(succeeded.every((e) => e.resultChars > 0)).toBe(true);
      expect(of(run.events, 'agent.finished', id)).toEqual([expect.objectContaining({ reason: 'output', steps: 4 })]);
      expect(of(run.events, 'node.token', id).length).toBeGreaterThan(0); // the answers stream
    }
  });

  it('refuses the escape attempts, and the model reads the refusal as an error result', () => {
    const failed = of(run.events, 'tool.failed');
    expect(failed.map((e) => `${e.nodeId} ${e.tool} ${e.error.code} ${e.handling}`)).toEqual([
      `${ESCAPE_EXPLORER} read_file OUTSIDE_REPO reported`,
      `${ESCAPE_EXPLORER} read_file OUTSIDE_REPO reported`,
    ]);
    const transcript = of(run.events, 'agent.finished', ESCAPE_EXPLORER)[0]!.transcript!;
    const results = (transcript[2]!.content as { type: string; isError?: boolean; content: string }[]).filter((b) => b.type === 'tool_result');
    expect(results.map((r) => [r.isError ?? false, r.content])).toEqual([
      [false, expect.stringMatching(/^examples\/lib\/\n/)],
      [true, "Tool 'read_file' failed: Refused: '../package.json' has a '..' segment: the tools only read inside the repository. Paths are relative to the repository root, e.g. 'src/index.ts'."],
      [true, "Tool 'read_file' failed: Refused: '/etc/passwd' is outside the repository. Paths are relative to the repository root, e.g. 'src/index.ts'."],
    ]);
    expect(run.findings[ESCAPE_EXPLORER]!.summary).toContain('The tools refused read_file("../package.json") and read_file("/etc/passwd")');
  });

  it('runs under the default governance against a tier-1 quota with no 429, and prompt caching saves over half the cost', () => {
    const rateLimited = run.events.filter((e) => (e.type === 'node.retrying' || e.type === 'node.failed') && e.error.code === 'RATE_LIMITED');
    expect(rateLimited).toEqual([]); // the governor counts cache writes against the input-token quota, as the provider does
    expect(of(run.events, 'ratelimit.waiting').length).toBeGreaterThan(0);
    const { total } = run.summary.usage;
    expect(total.calls).toBe(88);
    expect(total.cacheReadInputTokens).toBeGreaterThan(total.cacheCreationInputTokens);
    expect(run.cache.costUsd).toBeCloseTo(total.costUsd, 10);
    expect(run.cache.uncachedUsd).toBeGreaterThan(total.costUsd);
    expect(run.cache.savedPercent).toBeGreaterThan(50);
    // without caching, the same loops cost what the "uncached" figure says, give or take the answers' lengths
  });

  it('runs offline as a script: npx tsx examples/code-explorers-agents.ts', async () => {
    const env = { ...process.env };
    delete env.ANTHROPIC_API_KEY;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/code-explorers-agents.ts'], { cwd: REPO_ROOT, env, timeout: 60_000 });
    expect(stdout).toMatch(/explorers answered\s+22\/22/);
    expect(stdout).toMatch(/saved by caching\s+\d+\.\d %/);
    expect(stdout).toContain("repo-sandbox step 1: read_file  Refused: '../package.json'");
  });
});

describe('repoTools: read-only and confined to the root', () => {
  const outside = mkdtempSync(join(tmpdir(), 'rxo-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'not yours');
  const root = mkdtempSync(join(tmpdir(), 'rxo-repo-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n// needle here\n');
  writeFileSync(join(root, 'big.txt'), 'line of text\n'.repeat(1_000)); // 13,000 bytes
  writeFileSync(join(root, '.env'), 'API_KEY=sk-ant-do-not-read');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync(join(root, 'src', 'a.ts'), join(root, 'link-in.ts'));
  const repo = repoTools({ root, maxReadBytes: 4_096 });
  const refusal = <I>(tool: Tool<I, string>, input: unknown) => call(tool, input).then(() => undefined, (e: { code?: string; message: string }) => `${e.code}: ${e.message}`);

  it('reads, lists and greps inside the root (absolute paths inside it too)', async () => {
    expect(await call(repo.read_file, { path: 'src/a.ts' })).toBe('export const a = 1;\n// needle here\n');
    expect(await call(repo.read_file, { path: join(root, 'src/a.ts') })).toContain('needle');
    expect(await call(repo.read_file, { path: 'link-in.ts' })).toContain('needle'); // a symlink that stays inside
    expect(await call(repo.list_dir, {})).toBe(['./', 'big.txt (13000 bytes)', 'dir-out/', 'link-in.ts (19 bytes)', 'link-out.txt (9 bytes)', 'src/'].join('\n').replace('dir-out/', 'dir-out -> (symlink)').replace('link-in.ts (19 bytes)', 'link-in.ts -> (symlink)').replace('link-out.txt (9 bytes)', 'link-out.txt -> (symlink)'));
    expect(await call(repo.grep, { pattern: 'needle' })).toBe('src/a.ts:2: // needle here'); // symlinks are not followed by grep
  });

  it("refuses '..', absolute paths elsewhere and symlinks that lead out, with an error the model can act on", async () => {
    expect(await refusal(repo.read_file, { path: '../secret.txt' })).toBe("OUTSIDE_REPO: Refused: '../secret.txt' has a '..' segment: the tools only read inside the repository. Paths are relative to the repository root, e.g. 'src/index.ts'.");
    expect(await refusal(repo.read_file, { path: 'src/../../x' })).toMatch(/^OUTSIDE_REPO: .* has a '\.\.' segment/);
    expect(await refusal(repo.read_file, { path: join(outside, 'secret.txt') })).toMatch(/^OUTSIDE_REPO: Refused: '.*secret\.txt' is outside the repository\./);
    expect(await refusal(repo.read_file, { path: 'link-out.txt' })).toMatch(/^OUTSIDE_REPO: Refused: 'link-out.txt' is a symlink that leads outside the repository\./);
    expect(await refusal(repo.list_dir, { path: 'dir-out' })).toMatch(/^OUTSIDE_REPO: .*symlink that leads outside/);
    expect(await refusal(repo.grep, { pattern: 'not', path: 'dir-out' })).toMatch(/^OUTSIDE_REPO: .*symlink that leads outside/);
    expect(await refusal(repo.read_file, { path: '.env' })).toMatch(/^FORBIDDEN: Refused: '.env' may hold secrets/);
    expect(await call(repo.grep, { pattern: 'sk-ant' })).toMatch(/^No match/); // .env files are not searched either
    expect(await refusal(repo.read_file, { path: 'nope.ts' })).toBe("NOT_FOUND: No such file or directory: 'nope.ts'. Use list_dir to see what exists.");
    expect(await refusal(repo.grep, { pattern: '(' })).toMatch(/^BAD_PATTERN: Invalid regular expression "\("/);
    expect(await refusal(repo.read_file, { path: 'src' })).toBe("NOT_A_FILE: 'src' is a directory, not a file: use list_dir.");
  });

  it('caps reads: a longer file is cut at a line end, and says so', async () => {
    const text = await call(repo.read_file, { path: 'big.txt' });
    expect(text).toBe(`${'line of text\n'.repeat(315)}[... cut: the first 4095 of 13000 bytes are shown (read limit 4096 bytes)]`);
  });
});
