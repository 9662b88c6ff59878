import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO, ensureBuilt } from './fresh-process.js';
import type { Figure } from './report.js';

/** What a user who wants the engine and Claude nodes installs (issue 11, item 1). */
const ENGINE_ONLY = ['rxjs', 'zod', '@anthropic-ai/sdk'];
/** Packages the engine-only install must not bring. */
const HEAVY = ['better-sqlite3', 'ioredis', 'bullmq', 'pino', 'd3-dag', '@opentelemetry/api'];

/**
 * Packages installed by `npm install rx-orchestra rxjs zod @anthropic-ai/sdk` in a scratch
 * consumer project (under the system temp dir), rx-orchestra coming from `npm pack` of this
 * repository as package.json stands (its `prepack` script builds; without one, dist/ is rebuilt
 * here when stale). Counted with `npm ls --all --parseable` (every installed package once, the
 * consumer itself not counted). Install scripts are not run (the count does not depend on them);
 * packages that have one, or a binding.gyp, are named as native. Needs the npm registry; slow:
 * `RXO_BENCH_SKIP_INSTALL=1` skips it.
 */
export async function installPackagesEngineOnly(): Promise<Figure[]> {
  const name = 'install_packages_engine_only';
  if (process.env.RXO_BENCH_SKIP_INSTALL === '1') return [{ name, value: NaN, unit: 'packages', note: 'skipped (RXO_BENCH_SKIP_INSTALL=1)' }];
  const dir = mkdtempSync(join(tmpdir(), 'rxo-install-'));
  try {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    let build = pkg.scripts?.prepack ? 'built by prepack' : ensureBuilt().note;
    try {
      npm(['pack', '--pack-destination', dir], REPO);
    } catch (error) {
      // A build that fails mid-refactor (type errors) stops prepack: pack what dist/ holds, and say so.
      if (!pkg.scripts?.prepack || !ensureBuilt().ok) throw error;
      npm(['pack', '--ignore-scripts', '--pack-destination', dir], REPO);
      build = `prepack failed, packed dist/ as built by the bench (${ensureBuilt().note})`;
    }
    const tarball = join(dir, readdirSync(dir).find((file) => file.endsWith('.tgz'))!);
    const consumer = join(dir, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'rxo-consumer', version: '0.0.0', private: true, type: 'module' }));
    npm(['install', tarball, ...ENGINE_ONLY, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], consumer);
    const ls = spawnSync('npm', ['ls', '--all', '--parseable'], { cwd: consumer, encoding: 'utf8' }); // exits 1 on problems (e.g. an unmet peer), still lists
    const installed = [...new Set(ls.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== consumer))];
    const names = installed.map((path) => relative(join(consumer, 'node_modules'), path).split(/[\\/]node_modules[\\/]/).pop()!);
    const manifests = installed.map((path) => manifestOf(path));
    // A heavy package present, with the installed packages that depend on it (@anthropic-ai/sdk brings @opentelemetry/api).
    const heavy = HEAVY.filter((h) => names.includes(h)).map((h) => {
      const by = names.filter((_, i) => h in (manifests[i]?.dependencies ?? {}));
      return by.length > 0 ? `${h} (a dependency of ${by.join(', ')})` : h;
    });
    const native = names.filter((n, i) => isNative(installed[i]!)).filter((n, i, all) => all.indexOf(n) === i);
    return [
      {
        name,
        value: installed.length,
        unit: 'packages',
        note:
          `npm install rx-orchestra (npm pack, ${build}) ${ENGINE_ONLY.join(' ')} in a scratch project; target <= 25; ` +
          `of ${HEAVY.join('/')}: ${heavy.length > 0 ? heavy.join(', ') : 'none'}; native code: ${native.length > 0 ? native.join(', ') : 'none'}`,
      },
    ];
  } catch (error) {
    return [{ name, value: NaN, unit: 'packages', note: `failed: ${(error as Error).message.split('\n')[0]}` }];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs npm and returns its stdout; throws with its stderr when it fails. */
function npm(args: readonly string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`npm ${args[0]} exited ${run.status}: ${(run.stderr || run.stdout).trim().split('\n').slice(-3).join(' ')}`);
  return run.stdout;
}

interface Manifest {
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

function manifestOf(path: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** A package that brings native code: an install script, a binding.gyp or prebuilt binaries. */
function isNative(path: string): boolean {
  const scripts = manifestOf(path)?.scripts ?? {};
  return ['preinstall', 'install', 'postinstall'].some((s) => s in scripts) || existsSync(join(path, 'binding.gyp')) || existsSync(join(path, 'prebuilds'));
}
