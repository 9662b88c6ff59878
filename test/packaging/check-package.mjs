/* global process, URL, console */
// The published package, checked as a user gets it (`npm run check:package`, run by .ci/run after the build):
// publint, Are The Types Wrong (ESM-only profile), then a scratch consumer project that installs the packed
// tarball with only the root's peers and proves what the README promises: no native code and no Redis,
// BullMQ, SQLite, pino or layout packages installed; the root entry runs a graph; a heavy entry without its
// optional peer fails with MissingPeerError naming the package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../../', import.meta.url).pathname;
const sh = (command, args, options = {}) => execFileSync(command, args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });
const fail = (message) => {
  console.error(`✗ ${message}`);
  process.exit(1);
};

if (!existsSync(join(repo, 'dist/src/index.js'))) fail('dist/ is missing: run npm run build first');
sh('npx', ['publint', '--strict'], { stdio: 'inherit' });

const scratch = mkdtempSync(join(tmpdir(), 'rxo-consumer-'));
try {
  const tarball = join(scratch, sh('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', scratch]).trim().split('\n').pop());
  sh('npx', ['attw', tarball, '--profile', 'esm-only'], { stdio: 'inherit' });

  const app = join(scratch, 'app');
  sh('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  sh('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball, 'rxjs', 'zod', '@anthropic-ai/sdk'], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  // What is on disk, not what npm ls lists (it also names optional peers that were left out).
  const installed = new Set(
    sh('npm', ['ls', '--all', '--parseable'], { cwd: app })
      .split('\n')
      .flatMap((path) => /node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(path)?.[1] ?? []),
  );
  const heavy = ['better-sqlite3', 'ioredis', 'bullmq', 'pino', 'd3-dag', 'msgpackr', 'node-gyp-build', 'prebuild-install'].filter((name) => installed.has(name));
  if (heavy.length) fail(`the engine-only install has ${heavy.join(', ')}`);
  const native = readdirSync(join(app, 'node_modules'), { recursive: true }).filter((file) => String(file).endsWith('.node') || String(file).endsWith('binding.gyp'));
  if (native.length) fail(`the engine-only install has native code: ${native.slice(0, 5).join(', ')}`);
  console.log(JSON.stringify({ name: 'install_packages_engine_only', value: installed.size, unit: 'packages', target: '<= 25' }));
  if (installed.size > 25) fail(`${installed.size} packages installed, target <= 25: ${[...installed].join(', ')}`);

  const run = (code) => sh(process.execPath, ['--input-type=module', '-e', code], { cwd: app });
  const root = run(`
    import { graph, execute, collect, llm, simulatedModel } from 'rx-orchestra';
    const g = graph().node('a', { run: llm({ prompt: () => 'hi', provider: simulatedModel({ latency: { medianMs: 1, p95Ms: 1 } }) }) }).build();
    console.log((await collect(execute(g))).summary.status);`);
  if (root.trim() !== 'succeeded') fail(`the root entry did not run a graph: ${root}`);
  const missing = run(`
    try { await import('rx-orchestra/distributed'); console.log('imported'); }
    catch (error) { console.log(error.code, error.packageName); }`);
  if (missing.trim() !== 'MISSING_PEER bullmq') fail(`rx-orchestra/distributed without bullmq: ${missing}`);
  const sqlite = run(`
    import { sqliteStore } from 'rx-orchestra/store';
    try { sqliteStore(':memory:'); console.log('opened'); } catch (error) { console.log(error.code, error.packageName); }`);
  if (sqlite.trim() !== 'MISSING_PEER better-sqlite3') fail(`sqliteStore without better-sqlite3: ${sqlite}`);
  const ui = run(`
    import { EMPTY } from 'rxjs';
    import { startDashboard } from 'rx-orchestra/ui';
    const dashboard = await startDashboard({ events$: EMPTY });
    const statuses = await Promise.all(['/', '/vendor/d3-dag.js', '/app/ui/page/main.js', '/app/ui/page/layout-worker.js'].map(async (path) => (await fetch(new URL(path, dashboard.url))).status));
    await dashboard.close();
    console.log(statuses.join(' '));`);
  if (ui.trim() !== '200 200 200 200') fail(`rx-orchestra/ui: the dashboard's page, layout library and bundled scripts answered ${ui}`);
  console.log(`✓ package: publint, attw, ${installed.size} packages for the engine-only install, entry points and missing peers as documented`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
