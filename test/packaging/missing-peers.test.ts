import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url);

/** Runs `code` (an ES module body) in a fresh process where the packages in `hide` are not installed. */
async function withoutPackages(hide: string[], code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--require', new URL('./fixtures/hide-packages.cjs', import.meta.url).pathname, '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: new URL('.', repo),
    env: { ...process.env, RXO_HIDE: hide.join(',') },
  });
  return stdout.trim();
}

const report = (body: string) => `
  try { ${body}; console.log('no error'); }
  catch (error) { console.log(JSON.stringify({ name: error.name, code: error.code, packageName: error.packageName, message: error.message })); }`;
const src = (path: string) => JSON.stringify(new URL(path, repo).href);

describe('an optional peer dependency that is not installed', () => {
  it('importing rx-orchestra/distributed without bullmq fails at once, naming what to install', async () => {
    const out = JSON.parse(await withoutPackages(['bullmq'], report(`await import(${src('src/distributed/index.ts')})`)));
    expect(out).toMatchObject({ name: 'MissingPeerError', code: 'MISSING_PEER', packageName: 'bullmq' });
    expect(out.message).toContain('npm install bullmq');
  });

  it('sqliteStore() without better-sqlite3 throws MissingPeerError; the rest of rx-orchestra/store imports fine', async () => {
    const out = JSON.parse(await withoutPackages(['better-sqlite3'], report(`const { sqliteStore } = await import(${src('src/store/index.ts')}); sqliteStore(':memory:')`)));
    expect(out).toMatchObject({ code: 'MISSING_PEER', packageName: 'better-sqlite3' });
    expect(out.message).toContain('npm install better-sqlite3');
  });

  it('redisStore() without ioredis throws MissingPeerError', async () => {
    const out = JSON.parse(await withoutPackages(['ioredis'], report(`const { redisStore } = await import(${src('src/store/index.ts')}); redisStore({ url: 'redis://127.0.0.1:1' })`)));
    expect(out).toMatchObject({ code: 'MISSING_PEER', packageName: 'ioredis' });
  });

  it('logRunEvents() without pino throws MissingPeerError; runMetrics still works', async () => {
    const out = JSON.parse(await withoutPackages(['pino'], report(`const o = await import(${src('src/observe/index.ts')}); o.runMetrics([]); o.logRunEvents()`)));
    expect(out).toMatchObject({ code: 'MISSING_PEER', packageName: 'pino' });
    expect(out.message).toContain('npm install pino');
  });

  it('the root entry does not need any optional peer', async () => {
    const out = await withoutPackages(['better-sqlite3', 'ioredis', 'bullmq', 'pino', 'd3-dag'], report(`const m = await import(${src('src/index.ts')}); m.graph().node('a', { run: () => 1 }).build()`));
    expect(out).toBe('no error');
  });

  it('isMissingPeerError recognises the error', async () => {
    const out = await withoutPackages(['pino'], `
      const { isMissingPeerError } = await import(${src('src/index.ts')});
      const { createRunLogger } = await import(${src('src/observe/index.ts')});
      try { createRunLogger(); } catch (error) { console.log(isMissingPeerError(error)); }`);
    expect(out).toBe('true');
  });
});
