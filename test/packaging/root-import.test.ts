import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = new URL('../../', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'rxo-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages (node_modules/<name>) a fresh process resolved while importing `entry` and using `code`. */
async function packagesLoadedBy(entry: string, code = ''): Promise<Set<string>> {
  const file = join(dir, `${entry.replace(/\W/g, '_')}.txt`);
  const script = `const m = await import(${JSON.stringify(new URL(entry, repo).href)}); ${code}`;
  await run(process.execPath, ['--import', 'tsx', '--import', new URL('./fixtures/record-resolutions.mjs', import.meta.url).href, '--input-type=module', '-e', script], {
    cwd: new URL('.', repo),
    env: { ...process.env, RXO_RESOLUTIONS_FILE: file },
  });
  const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return new Set(urls.flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
}

// @opentelemetry/api is not on the list for entries that use the Claude adapter: @anthropic-ai/sdk (a peer
// dependency) depends on it and loads it itself.
const HEAVY = ['ioredis', 'bullmq', 'better-sqlite3', 'pino', 'd3-dag', 'msgpackr'];

describe('what an entry point loads', () => {
  it('the root entry, used for a run with an llm() node, loads no Redis, BullMQ, SQLite, pino or layout package', async () => {
    const loaded = await packagesLoadedBy(
      'src/index.ts',
      `const g = m.graph().node('a', { run: m.llm({ prompt: () => 'hi', provider: m.simulatedModel({ latency: { medianMs: 1, p95Ms: 1 } }) }) }).build();
       const { summary } = await m.collect(m.execute(g));
       if (summary.status !== 'succeeded') throw new Error(summary.status);`,
    );
    expect(loaded.has('rxjs')).toBe(true); // the probe sees packages at all
    expect(HEAVY.filter((name) => loaded.has(name))).toEqual([]);
  });

  it.each([
    ['src/patterns/index.ts', HEAVY],
    ['operators/index.ts', [...HEAVY, '@opentelemetry/api', '@anthropic-ai/sdk', 'zod']],
    ['src/ui/index.ts', HEAVY],
    ['src/observe/index.ts', ['ioredis', 'bullmq', 'better-sqlite3', 'd3-dag']],
    ['src/store/index.ts', ['bullmq', 'pino', '@opentelemetry/api', 'd3-dag']],
  ])('%s loads none of %j at import', async (entry, forbidden) => {
    const loaded = await packagesLoadedBy(entry);
    expect(forbidden.filter((name) => loaded.has(name))).toEqual([]);
  });
});
