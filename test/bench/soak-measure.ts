/**
 * The soak itself, run by `soak.bench.ts` in a fresh child process (`--expose-gc`), which sends
 * its figures back over IPC. See `soak.bench.ts` for what is measured.
 */
import { fork } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { anthropicModel, execute, graphFromNodes, isNodeEndEvent, llm, shareRun, type RunEvent } from '../../src/index.js';
import { createRunLogger, logRunEvents } from '../../src/observe/index.js';
import { startDashboard } from '../../src/ui/index.js';
import type { Figure } from './report.js';
import type { SoakFakeStats } from './soak-fake.js';

/** Model calls in all, one `llm()` node each. */
export const SOAK_CALLS = 1_000;
/** Calls in flight at once (the run's concurrency). */
export const SOAK_CONCURRENCY = 50;
/** RSS is read when this many calls have ended, and when all have. */
export const SOAK_FROM_CALL = 200;
/** The growth the soak must stay under, in MB. */
export const SOAK_TARGET_MB = 20;

interface FakeProcess {
  baseURL: string;
  stats(): Promise<SoakFakeStats>;
  close(): Promise<void>;
}

/** Starts `soak-fake.ts` in a child process of its own and waits for its address. */
function startFakeProcess(): Promise<FakeProcess> {
  const child = fork(fileURLToPath(new URL('./soak-fake.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      child.once('message', (message) => resolve(message as T));
      child.once('exit', (code) => reject(new Error(`the fake server exited (${String(code)})`)));
    });
  return next<{ baseURL: string }>().then(({ baseURL }) => ({
    baseURL,
    stats: () => {
      const answer = next<SoakFakeStats>();
      child.send('stats');
      return answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.connected) child.disconnect(); // the fake closes and exits
      }),
  }));
}

/**
 * RSS in MB once garbage is collected. One `gc()` is not enough to read it: pages the collector
 * frees are returned to the system on the next collection (one `gc()` leaves 50-70 MB of garbage
 * pages in RSS here, which a second one returns), so it collects until RSS stops falling.
 */
function settledRssMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let rss = Infinity;
  for (let i = 0; i < 5; i++) {
    gc();
    const now = process.memoryUsage.rss();
    if (now >= rss) break;
    rss = now;
  }
  return rss / 1024 / 1024;
}

const heapUsedMb = (): number => process.memoryUsage().heapUsed / 1024 / 1024;

/** The soak: see `soak.bench.ts`. Throws unless every call ended with exactly one outcome. */
export async function measureSoak(): Promise<Figure[]> {
  if (!(globalThis as { gc?: () => void }).gc) throw new Error('soak: run with node --expose-gc');
  const fake = await startFakeProcess();
  let logged = 0;
  const logger = createRunLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged += chunk.length;
        done();
      },
    }),
  });
  const model = anthropicModel({ apiKey: 'sk-ant-soak-not-a-real-key', baseURL: fake.baseURL, model: 'claude-haiku-4-5' });
  const g = graphFromNodes(
    Array.from({ length: SOAK_CALLS }, (_, i) => ({
      id: `call_${i}`,
      run: llm({ prompt: () => `question ${i}: say sixty words`, maxTokens: 200 }),
      retry: { count: 4, initialDelay: 5, jitter: 0 },
      meta: { agent: `agent_${i % 5}` },
    })),
  );
  const shared = shareRun(execute(g, { model, concurrency: SOAK_CONCURRENCY }));
  const dashboard = await startDashboard({ events$: shared.events$ });
  try {
    const page = await fetch(`${dashboard.url}events.ndjson`); // a page that reads along
    const reading = (async () => {
      const reader = page.body!.getReader();
      let bytes = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.length;
      return bytes;
    })();

    const outcomes = new Map<string, number>();
    let ended = 0;
    let rssFrom = Number.NaN;
    let rssTo = Number.NaN;
    let heapFrom = Number.NaN;
    let heapTo = Number.NaN;
    const log = logRunEvents({ logger });
    shared.events$.subscribe((event: RunEvent) => {
      log(event);
      if (!isNodeEndEvent(event)) return;
      outcomes.set(event.nodeId, (outcomes.get(event.nodeId) ?? 0) + 1);
      ended += 1;
      if (ended === SOAK_FROM_CALL) [rssFrom, heapFrom] = [settledRssMb(), heapUsedMb()];
      if (ended === SOAK_CALLS) [rssTo, heapTo] = [settledRssMb(), heapUsedMb()];
    });
    const t0 = performance.now();
    shared.connect();
    const { summary } = await shared.result;
    const seconds = (performance.now() - t0) / 1_000;

    const notOnce = [...outcomes].filter(([, count]) => count !== 1);
    if (outcomes.size !== SOAK_CALLS || notOnce.length > 0) {
      throw new Error(`soak: ${outcomes.size} of ${SOAK_CALLS} calls ended, ${notOnce.length} of them more than once (${notOnce.slice(0, 3).map(([id, n]) => `${id} x${n}`).join(', ')})`);
    }
    const { succeeded, failed, timedOut, fellBack, skipped } = summary.counts;
    if (succeeded + failed + timedOut + fellBack + skipped !== SOAK_CALLS) throw new Error(`soak: the summary counts ${succeeded + failed + timedOut + fellBack + skipped} outcomes for ${SOAK_CALLS} calls`);
    const stats = await fake.stats();
    const faults = stats.faults.rateLimited + stats.faults.overloaded + stats.faults.midStream;
    if (faults < stats.requests / 11) throw new Error(`soak: only ${faults} faults in ${stats.requests} requests`);
    await dashboard.close();
    const pageBytes = await reading.catch(() => Number.NaN);
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    return [
      {
        name: 'soak_rss_growth_mb',
        value: Math.round((rssTo - rssFrom) * 10) / 10,
        unit: 'MB',
        note:
          `RSS after GC at call ${SOAK_FROM_CALL} -> ${SOAK_CALLS}: ${rssFrom.toFixed(1)} -> ${rssTo.toFixed(1)} MB, target < ${SOAK_TARGET_MB} (JS heap ${heapFrom.toFixed(1)} -> ${heapTo.toFixed(1)} MB); ` +
          `${SOAK_CALLS} streamed llm() calls over HTTP, ${SOAK_CONCURRENCY} at a time: ${stats.requests} requests, ${faults} faults ` +
          `(${stats.faults.rateLimited} x 429, ${stats.faults.overloaded} x 529, ${stats.faults.midStream} mid-stream), ${summary.retries} retries, ` +
          `${succeeded} succeeded, ${failed + timedOut} failed, each exactly once; ${mb(logged)} MB logged, ${mb(pageBytes)} MB to a dashboard page; ${seconds.toFixed(1)} s`,
      },
    ];
  } finally {
    await dashboard.close();
    await fake.close();
  }
}

if (process.env.RXO_SOAK_MEASURE === '1' && process.send) {
  // the child of soak.bench.ts: measure, report, exit
  measureSoak().then(
    (figures) => process.send!({ figures }, () => process.exit(0)),
    (error: unknown) => process.send!({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1)),
  );
}
