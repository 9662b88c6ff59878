/**
 * What a page that connects late costs: the page's time to a fully drawn state of a 10,000-node run
 * in progress (real headless Chromium), and the server's CPU per connect (raw NDJSON clients in a
 * child process, so their reading is not counted). The run is the dashboard benches' synthetic
 * 10,000-node run with ~1 KB answers, so a snapshot weighs ~1-2 KB per node.
 *
 * `npx tsx test/bench/dashboard-late.bench.ts` prints the figures; the join bench needs /usr/bin/chromium.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import { startDashboard } from '../../src/ui/index.js';
import { SnapshotJson } from '../../src/ui/snapshot-json.js';
import type { RunEvent } from '../../src/index.js';
import { launchBrowser } from '../ui/browser.js';
import { feedAtRate, joinTimes, sleep, syntheticEvents, waitDrawn, type JoinTimes } from './dashboard-run.js';
import { report, type Figure } from './report.js';

/** 10,000 nodes x (queued, started, 10 tokens, usage, succeeded). */
const RUN = { total: 150_000, valueChars: 1_000, tokenChars: 20 };

/** Passes of the CPU bench per variant (with and without connects): the machine is shared, medians of several. */
const PASSES = 5;

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Time from a page's navigation to a fully drawn 10,000-node run in progress, joined from a third of the way on (median of 3 pages, after one that warms the browser up). */
export async function dashboardLateJoin(): Promise<Figure[]> {
  const events = syntheticEvents(RUN);
  const events$ = new Subject<RunEvent>();
  const dashboard = await startDashboard({ events$ });
  const browser = await launchBrowser();
  const rate = 20_000;
  let at = 0;
  const next = (event: RunEvent) => {
    events$.next(event);
    at = event.at;
  };
  try {
    let sent = await feedAtRate(events, next, rate, 0, Math.floor(events.length / 3));
    const times: number[] = [];
    const steps: JoinTimes[] = [];
    const fromOpen: number[] = [];
    let cold = '';
    for (let i = -1; i < 3; i++) {
      // the run goes on while the page joins (the first page warms the browser up: its figures are in the note, not the median)
      let feeding = true;
      const feeder = (async () => {
        while (feeding && sent < events.length - 1) sent = await feedAtRate(events, next, rate, sent, Math.min(events.length - 1, sent + rate / 50));
      })();
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
      const atConnect = at;
      await page.goto(dashboard.url);
      const drawn = await waitDrawn(page, atConnect, 60_000).catch(async (error: unknown) => {
        const state = await page.evaluate(() => ({
          stats: (window as unknown as { rxoDashboard?: { stats(): unknown } }).rxoDashboard?.stats(),
          layout: document.querySelector('#dag')?.getAttribute('data-layout'),
        }));
        throw new Error(`the page was not drawn (waited for events up to ${atConnect}): ${JSON.stringify({ ...state, join: await joinTimes(page), errors })}`, { cause: error });
      });
      const step = await joinTimes(page);
      if (i >= 0) {
        times.push(drawn);
        fromOpen.push(drawn - (step.open ?? 0));
        steps.push(step);
      } else cold = `a first (cold) page: ${Math.round(drawn)} ms, ${stepsNote(step)}`;
      feeding = false;
      await feeder;
      if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
      await page.close();
    }
    return [
      {
        name: 'dashboard_late_join_ms',
        value: Math.round(median(times)),
        unit: 'ms',
        note: `10,000-node run in progress at ${rate / 1_000}k events/s, pages join from a third of the way on: navigation start to snapshot applied, laid out and drawn; median of ${times.length} (${times.map(Math.round).join(', ')} ms; from the stream's open: ${fromOpen.map(Math.round).join(', ')} ms); ${steps.map(stepsNote).join('; ')}; ${cold}`,
      },
    ];
  } finally {
    events$.complete();
    await browser.close();
    await dashboard.close();
  }
}

const stepsNote = (t: JoinTimes) =>
  `stream open at ${Math.round(t.open ?? Number.NaN)} ms, snapshot (${((t.firstBytes ?? 0) / 1e6).toFixed(1)} MB) in at ${Math.round(t.firstBatch ?? Number.NaN)} ms, applied in ${Math.round((t.firstApplied ?? Number.NaN) - (t.firstBatch ?? Number.NaN))} ms`;

/** Raw NDJSON clients in a child process: each `connect` line opens one, reads the snapshot line, and leaves; a `watch` line opens one that reads along. */
const CLIENTS = `
const http = require('node:http');
const rl = require('node:readline').createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (line.startsWith('watch ')) return void http.get(line.slice(6), (res) => res.resume()); // reads along until the server ends it
  const url = line;
  let bytes = 0;
  http.get(url, (res) => {
    res.on('data', (chunk) => {
      bytes += chunk.length;
      if (chunk.includes(10)) { res.destroy(); process.stdout.write('done ' + bytes + '\\n'); }
    });
  }).on('error', (e) => process.stdout.write('error ' + e.message + '\\n'));
});
`;

interface Clients {
  connect(url: string): void;
  watch(url: string): void;
  settled(): Promise<number[]>;
  close(): void;
}

function startClients(): Clients {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['-e', CLIENTS]);
  const lines = createInterface({ input: child.stdout });
  let asked = 0;
  const done: number[] = [];
  const errors: string[] = [];
  lines.on('line', (line) => (line.startsWith('done ') ? done.push(Number(line.slice(5))) : errors.push(line)));
  return {
    connect: (url) => {
      asked += 1;
      child.stdin.write(`${url}\n`);
    },
    watch: (url) => child.stdin.write(`watch ${url}\n`),
    settled: async () => {
      while (done.length + errors.length < asked) await sleep(5);
      if (errors.length > 0) throw new Error(`clients failed: ${errors.join('; ')}`);
      return done;
    },
    close: () => child.kill(),
  };
}

/** Event-loop time of each snapshot build and build turn (ms), while {@link timingBuilds} is on. */
const turns: number[] = [];

/** Times every `SnapshotJson.build` and `.warm` (a turn of a build spread over several) into {@link turns} until the returned function is called. */
function timingBuilds(): () => void {
  const { build, warm } = SnapshotJson.prototype;
  SnapshotJson.prototype.build = function (this: SnapshotJson, ...args: Parameters<SnapshotJson['build']>) {
    const start = performance.now();
    const pieces = build.apply(this, args);
    turns.push(performance.now() - start);
    return pieces;
  };
  SnapshotJson.prototype.warm = function (this: SnapshotJson, ...args: Parameters<SnapshotJson['warm']>) {
    const start = performance.now();
    const done = warm.apply(this, args);
    turns.push(performance.now() - start);
    return done;
  };
  return () => Object.assign(SnapshotJson.prototype, { build, warm });
}

/** One pass of the run through a dashboard, with `connects` clients connecting at even intervals (and one reading along from the start, when `watched`); the process's CPU time (ms) over it. */
async function cpuOfRun(events: readonly RunEvent[], clients: Clients, connects: number, rate: number, watched: boolean): Promise<{ cpuMs: number; systemMs: number; bytes: number[]; maxDelayMs: number }> {
  const events$ = new Subject<RunEvent>();
  const dashboard = await startDashboard({ events$ });
  const url = `${dashboard.url}events.ndjson`;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const next = (event: RunEvent) => events$.next(event);
  try {
    if (watched) clients.watch(url);
    next(events[0]!);
    await sleep(50);
    const cpu = process.cpuUsage();
    delay.enable();
    let sent = 1;
    const end = events.length - 1; // run.completed is left out: the run is in progress throughout
    for (let i = 1; i <= connects + 1; i++) {
      sent = await feedAtRate(events, next, rate, sent, Math.floor((end * i) / (connects + 1)));
      if (i <= connects) clients.connect(url);
    }
    const bytes = connects > 0 ? await clients.settled() : [];
    await sleep(100);
    delay.disable();
    const used = process.cpuUsage(cpu);
    return { cpuMs: (used.user + used.system) / 1_000, systemMs: used.system / 1_000, bytes, maxDelayMs: delay.max / 1e6 };
  } finally {
    events$.complete();
    await dashboard.close();
  }
}

/**
 * Server CPU per connect during a 10,000-node run in progress: the run with 10 connects minus the
 * run without (medians of 5 each); once with nobody else watching (every event invalidates the
 * snapshot), once with a page reading along throughout (events since the snapshot are kept for
 * newcomers, and the live events are encoded anyway).
 */
export async function dashboardSnapshotCpu(): Promise<Figure[]> {
  const events = syntheticEvents(RUN);
  const clients = startClients();
  const connects = 10;
  const rate = 50_000;
  const figures: Figure[] = [];
  const untime = timingBuilds();
  try {
    await cpuOfRun(events, clients, 2, rate, false); // warm up
    for (const watched of [false, true]) {
      const without: number[] = [];
      const withConnects: number[] = [];
      const system: number[] = [];
      const delays: number[] = [];
      const buildMs: number[] = [];
      const longest: number[] = [];
      let bytes: number[] = [];
      for (let i = 0; i < PASSES; i++) {
        const alone = await cpuOfRun(events, clients, 0, rate, watched);
        without.push(alone.cpuMs);
        turns.length = 0;
        const run = await cpuOfRun(events, clients, connects, rate, watched);
        buildMs.push(turns.reduce((sum, ms) => sum + ms, 0) / connects);
        longest.push(Math.max(...turns));
        withConnects.push(run.cpuMs);
        system.push((run.systemMs - alone.systemMs) / connects);
        delays.push(run.maxDelayMs);
        bytes = run.bytes;
      }
      const perConnect = (median(withConnects) - median(without)) / connects;
      figures.push({
        name: watched ? 'dashboard_snapshot_cpu_watched_ms' : 'dashboard_snapshot_cpu_ms',
        value: Math.round(perConnect * 10) / 10,
        unit: 'ms',
        note: `server CPU per connect, ${connects} NDJSON connects over a 10,000-node run at ${rate / 1_000}k events/s${watched ? ' with a page reading along' : ', nobody else watching'} (median ${Math.round(median(withConnects))} ms with, ${Math.round(median(without))} ms without; of the difference, ~${Math.round(median(system))} ms/connect in the kernel); snapshots of ${(median(bytes) / 1e6).toFixed(1)} MB; event loop delay max ${Math.round(Math.max(...delays))} ms; building snapshots took ${median(buildMs).toFixed(1)} ms of event loop per connect (median), in turns of at most ${Math.round(Math.max(...longest))} ms`,
      });
    }
    return figures;
  } finally {
    untime();
    clients.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const picked = process.argv.slice(2);
  const figures: Figure[] = [];
  if (picked.length === 0 || picked.includes('cpu')) figures.push(...(await dashboardSnapshotCpu()));
  if (picked.length === 0 || picked.includes('join')) figures.push(...(await dashboardLateJoin()));
  report(figures);
}
