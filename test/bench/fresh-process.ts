import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Helpers of the benches that measure a fresh process (cold.bench.ts, install.bench.ts): the
 * built output, child processes, medians.
 */

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** The child script of the fresh-process benches. */
export const COLD_CHILD = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));

/** The file the package's root entry (`exports['.']`) points to in the build, as package.json says today. */
export function rootEntryFile(): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
  let entry: unknown = typeof pkg.exports === 'object' && pkg.exports !== null && '.' in pkg.exports ? (pkg.exports as Record<string, unknown>)['.'] : (pkg.exports ?? pkg.main);
  // Conditions in the order Node picks them for `import` (nested conditions included).
  while (typeof entry === 'object' && entry !== null) {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.node ?? conditions.import ?? conditions.default;
  }
  if (typeof entry !== 'string') throw new Error('package.json has no root entry for import');
  return join(REPO, entry);
}

/** Newest modification time of the TypeScript sources the build compiles (src/, operators/). */
function newestSourceMs(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of ['src', 'operators']) walk(join(REPO, dir));
  return newest;
}

/** How the build used by a bench came about, for the figures' notes. */
export interface BuildState {
  /** True when the root entry's built file exists after the check. */
  ok: boolean;
  /** `fresh dist`, `rebuilt dist`, or what went wrong. */
  note: string;
}

let buildState: BuildState | undefined;

/**
 * Makes sure dist/ reflects the current sources: runs `npm run build` once per bench process when
 * the root entry's built file is missing or older than any source file. A build that reports type
 * errors still emits (tsc's default); the note says so.
 */
export function ensureBuilt(): BuildState {
  if (buildState) return buildState;
  const entry = rootEntryFile();
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSourceMs()) return (buildState = { ok: true, note: 'fresh dist' });
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
  const ok = existsSync(entry);
  const errors = build.status === 0 ? '' : ` (npm run build exited ${build.status}: ${firstLine(build.stdout + build.stderr, /error TS\d+/)})`;
  return (buildState = { ok, note: `${ok ? 'rebuilt dist' : 'no dist'}${errors}` });
}

/**
 * Runs the child script in a fresh Node process and parses the JSON line it prints. `tsx`: load
 * TypeScript through tsx, as the repository's own CLI does; otherwise a bare `node`, as an
 * installed package runs.
 */
export function runChild<T>(args: readonly string[], { tsx = false }: { tsx?: boolean } = {}): T {
  const child = spawnSync(process.execPath, [...(tsx ? ['--import', 'tsx'] : []), COLD_CHILD, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`child ${args.join(' ')} failed (exit ${child.status}): ${child.stderr.trim().split('\n').slice(0, 8).join('\n')}`);
  }
}

/** The median of some numbers (the upper one of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

export const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function firstLine(text: string, pattern: RegExp): string {
  return text.split('\n').find((line) => pattern.test(line))?.trim() ?? text.trim().split('\n').pop() ?? '';
}
