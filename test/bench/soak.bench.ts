/**
 * Soak: does memory stay flat over many real model calls? 1,000 streamed `llm()` calls (one node
 * each, 50 at a time) through the real SDK over real HTTP to the fake Anthropic server, 10 % of
 * the requests answered with a fault (in turn a 429, a 529 and an error mid-stream; the nodes
 * retry), while a pino run logger and a dashboard (with a page reading its event stream) watch the
 * shared run. RSS, once garbage is collected, when the 200th call ends and when the 1,000th does:
 * the growth between the two is `soak_rss_growth_mb` (target < 20 MB). Every call must end with
 * exactly one outcome, or the bench throws.
 *
 * The soak runs in a fresh child process (`soak-measure.ts`, with `--expose-gc`), so what other
 * benches left behind does not count, and the fake server in another (`soak-fake.ts`), so its
 * request log does not count either.
 *
 * `npx tsx test/bench/soak.bench.ts` (or `npm run bench -- soak`) runs it alone.
 */
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { report, type Figure } from './report.js';

/** `soak_rss_growth_mb`, measured in a child process; see the module comment. */
export function soak(): Promise<Figure[]> {
  const child = fork(fileURLToPath(new URL('./soak-measure.ts', import.meta.url)), [], { env: { ...process.env, RXO_SOAK_MEASURE: '1' }, execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<Figure[]>((resolve, reject) => {
    child.once('message', (message: { figures?: Figure[]; error?: string }) => (message.figures ? resolve(message.figures) : reject(new Error(message.error))));
    child.once('exit', (code) => reject(new Error(`the soak exited (${String(code)}) without a figure`)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) report(await soak());
