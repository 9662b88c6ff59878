/**
 * `rx-orchestra watch <dashboard-url>`: a terminal attached to a real dashboard halfway through a
 * recorded run (retries, a fallback, rate-limit waits, token usage; played in virtual time, pushed
 * through a Subject) ends with the same final frame, totals, values and verdict as one attached
 * from the start, and as the run's summary; a terminal attached after the run ended gets its values
 * and verdict at once. Errors: nothing listening, a 404, another content type, a bad line (named),
 * a dashboard that goes away mid-run, bad URLs. Ctrl-C detaches and the run goes on.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from 'rx-orchestra';
import { startDashboard, type Dashboard } from '../../src/ui/index.js';
import { main } from '../../src/cli/main.js';
import { HELP, parseCommandLine } from '../../src/cli/args.js';
import { dashboardStreamUrl } from '../../src/cli/dashboard-url.js';
import { LiveRunState } from '../../src/cli/live-state.js';
import { formatCost, formatCount, plural } from '../../src/cli/format.js';
import { crowdedRun } from '../ui/pipeline.js';
import { ROOT, Screen, runCli } from './helpers.js';

const TIMEOUT = 30_000;
const COLUMNS = 120;
const ROWS = 60;

/** A stand-in for stdout and stderr that keeps what is written, a terminal when `tty` is given; `waitFor` resolves once the text matches. */
function output(tty?: { columns: number; rows: number }) {
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  return {
    ...(tty ? { isTTY: true, columns: tty.columns, rows: tty.rows } : {}),
    write(chunk: string, callback?: () => void) {
      text += chunk;
      for (const waiter of waiters.splice(0)) {
        if (waiter.pattern.test(text)) waiter.resolve();
        else waiters.push(waiter);
      }
      callback?.();
      return true;
    },
    text: () => text,
    waitFor: (pattern: RegExp) => new Promise<void>((resolve) => (pattern.test(text) ? resolve() : waiters.push({ pattern, resolve }))),
  };
}

/** `rx-orchestra watch <url> …args` through `main`, with a terminal (or a pipe) for stdout. */
function watch(url: string, options: { tty?: boolean; args?: string[]; interrupts?: Subject<void> } = {}) {
  const stdout = output(options.tty ? { columns: COLUMNS, rows: ROWS } : undefined);
  const stderr = output();
  const code = main(['watch', url, ...(options.args ?? [])], { stdout, stderr, cwd: ROOT, env: {}, interrupts: options.interrupts ?? new Subject(), typescript: 'registered' });
  return { code, stdout, stderr, attached: () => stderr.waitFor(/◆ watching /) };
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');
/** What a terminal shows after `text` (its line discipline turns each newline into CR LF). */
const finalScreen = (text: string) => new Screen(ROWS, COLUMNS).write(text.replace(/\n/g, '\r\n')).text();

const servers: { close(): unknown }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function dashboardOf(events$: Subject<RunEvent>): Promise<Dashboard> {
  const dashboard = await startDashboard({ events$ });
  servers.push(dashboard);
  return dashboard;
}

async function serve(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('rx-orchestra watch', () => {
  const cuts: [string, (events: readonly RunEvent[]) => number][] = [
    ['halfway', (events) => Math.floor(events.length / 2)],
    ['just after a retry (the snapshot carries it)', (events) => events.findIndex((e) => e.type === 'node.retrying') + 1],
  ];
  it.each(cuts)('attached %s, it ends with the final frame, totals, values and verdict of a terminal attached from the start, and the summary\'s numbers', { timeout: TIMEOUT }, async (_name, cutOf) => {
    const events = crowdedRun({ concurrency: 3, runId: 'crowded-run' });
    const completed = events.at(-1)!;
    if (completed.type !== 'run.completed') throw new Error('the run did not complete');
    const { summary } = completed;
    expect(summary.retries).toBeGreaterThan(0);
    expect(summary.usage.total.outputTokens).toBeGreaterThan(0);
    const half = cutOf(events);
    expect(half).toBeGreaterThan(1);
    const subject = new Subject<RunEvent>();
    const dashboard = await dashboardOf(subject);

    const early = watch(dashboard.url, { tty: true });
    const earlyLines = watch(dashboard.url);
    await Promise.all([early.attached(), earlyLines.attached()]);
    for (const event of events.slice(0, half)) subject.next(event);
    const late = watch(dashboard.url, { tty: true });
    const lateLines = watch(dashboard.url);
    await Promise.all([late.attached(), lateLines.attached()]);
    for (const event of events.slice(half)) subject.next(event);
    subject.complete();
    expect(await Promise.all([early.code, earlyLines.code, late.code, lateLines.code])).toEqual([0, 0, 0, 0]);

    // the live view: the same final frame, values and verdict; its totals are the summary's
    const screen = finalScreen(late.stdout.text());
    expect(screen).toEqual(finalScreen(early.stdout.text()));
    const counts = screen[1]!;
    expect(counts).toContain(`${formatCount(summary.usage.total.inputTokens + summary.usage.total.outputTokens)} tok  ${formatCost(summary.usage.total.costUsd)}  ${plural(summary.retries, 'retry', 'retries')}`);
    expect(counts).toContain(`✓ ${summary.counts.succeeded ?? 0} done`);
    expect(counts).toContain(`↩ ${summary.counts.fellBack ?? 0} fell back`);
    expect(screen[0]).toContain(`${summary.nodes}/${summary.nodes} ended`);
    expect(screen.at(-1)).toMatch(/^✓ run succeeded in \d+\.\d\ds: 9 nodes, [\d,]+ tok, \$[\d.]+$/);

    // lines: the late terminal says where the run stood when it joined (the numbers of the run's first half), then the same lines as the early one
    const joined = new LiveRunState();
    for (const event of events.slice(0, half)) joined.apply(event);
    const [first, ...rest] = lines(lateLines.stdout.text());
    expect(first).toMatch(
      new RegExp(
        `◆ joined run crowded-run in progress: ${joined.ended}/9 nodes ended, ${joined.counts.running + joined.counts.retrying} running, ${plural(joined.retries, 'retry', 'retries')}, ${formatCount(joined.tokens)} tok, ${formatCost(joined.costUsd).replace(/[$.]/g, '\\$&')}$`,
      ),
    );
    expect(joined.ended).toBeGreaterThan(0);
    expect(joined.ended).toBeLessThan(9);
    const all = lines(earlyLines.stdout.text());
    expect(all.slice(-rest.length)).toEqual(rest);
    expect(all[0]).toContain('▶ run crowded-run started: 9 nodes');
    expect(rest.some((line) => line.includes('▶ plan started'))).toBe(false);
    expect(rest.at(-1)).toBe(screen.at(-1));
    const tokens = formatCount(summary.usage.total.inputTokens + summary.usage.total.outputTokens);
    expect(rest.find((line) => line.includes('■ run'))).toMatch(new RegExp(`■ run succeeded in [\\d.]+s: 9/9 nodes ok, ${plural(summary.attempts, 'attempt')}, ${plural(summary.retries, 'retry', 'retries')}, ${tokens} tok, \\${formatCost(summary.usage.total.costUsd)}$`));

    // attached after the run ended (the dashboard still up): it starts from a snapshot (the dashboard may hand on one it
    // built earlier, with the events since), and ends with the same values and verdict at once
    const after = watch(dashboard.url);
    expect(await after.code).toBe(0);
    const [joinedAfter, ...afterLines] = lines(after.stdout.text());
    expect(joinedAfter).toMatch(/^ +[\d.]+s ◆ joined run crowded-run /);
    expect(all.slice(-afterLines.length)).toEqual(afterLines);
    expect(afterLines.slice(afterLines.findIndex((line) => line.startsWith('Outputs (')))).toEqual(all.slice(all.findIndex((line) => line.startsWith('Outputs ('))));
  });

  it('Ctrl-C detaches, exit 130; the run goes on and another terminal sees it to the end', { timeout: TIMEOUT }, async () => {
    const events = crowdedRun({ concurrency: 3, runId: 'crowded-run' });
    const half = Math.floor(events.length / 2);
    const subject = new Subject<RunEvent>();
    const dashboard = await dashboardOf(subject);
    for (const event of events.slice(0, half)) subject.next(event);
    const interrupts = new Subject<void>();
    const watcher = watch(dashboard.url, { tty: true, interrupts });
    await watcher.attached();
    await watcher.stdout.waitFor(/run crowd/);
    interrupts.next();
    expect(await watcher.code).toBe(130);
    expect(watcher.stderr.text()).toMatch(/◆ detached from run crowded-run \(\d+\/9 nodes ended\); the run goes on\n$/);
    expect(subject.observed).toBe(true);
    const other = watch(dashboard.url);
    await other.attached();
    for (const event of events.slice(half)) subject.next(event);
    subject.complete();
    expect(await other.code).toBe(0);
    expect(lines(other.stdout.text()).at(-1)).toMatch(/^✓ run succeeded/);
  });

  it('nothing listening: "no dashboard at <url>", exit 2 (also as a process)', { timeout: TIMEOUT }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const refused = watch(url);
    expect(await refused.code).toBe(2);
    expect(refused.stderr.text()).toBe(`✗ DASHBOARD_UNREACHABLE: no dashboard at ${url}: is the run started with --ui? (connection refused)\n`);
    const child = await runCli(['watch', String(port)]);
    expect([child.code, child.stdout, child.stderr]).toEqual([2, '', `✗ DASHBOARD_UNREACHABLE: no dashboard at ${port}: is the run started with --ui? (connection refused)\n`]);
  });

  it('a server that is not a dashboard: a 404, another content type; exit 2', async () => {
    const notFound = await serve((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'));
    const missing = watch(notFound.url);
    expect(await missing.code).toBe(2);
    expect(missing.stderr.text()).toBe(`✗ NOT_A_DASHBOARD: ${notFound.url} is not a dashboard: GET /events.ndjson answered 404 Not Found (give the URL rx-orchestra run --ui printed)\n`);
    const page = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html></html>'));
    const html = watch(`${page.url}index.html`);
    expect(await html.code).toBe(2);
    expect(html.stderr.text()).toBe(`✗ NOT_A_DASHBOARD: ${page.url}index.html is not a dashboard: GET /events.ndjson answered text/html; charset=utf-8, not application/x-ndjson (give the URL rx-orchestra run --ui printed)\n`);
  });

  it('a line that is not JSON or not a run event: one error naming the line, exit 2', async () => {
    const started = JSON.stringify({ type: 'run.started', runId: 'r', at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    let body = '';
    const { url } = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(body));
    body = `${started}\n${JSON.stringify({ type: 'node.teleported', runId: 'r', at: 1 })}\n`;
    const invalid = watch(url);
    expect(await invalid.code).toBe(2);
    expect(invalid.stderr.text()).toMatch(new RegExp(`^◆ watching ${url}.*\\n✗ STREAM_INVALID: ${url}events\\.ndjson line 2: not a run event: type: .+\\n$`));
    body = `${started}\n\n{"type": "node.started"\n`;
    const broken = watch(url, { args: ['--plain'] });
    expect(await broken.code).toBe(2);
    expect(broken.stderr.text()).toMatch(new RegExp(`\\n✗ STREAM_INVALID: ${url}events\\.ndjson line 3: not JSON: .+\\n$`));
    expect(broken.stdout.text()).toContain('▶ run r started: 1 node');
  });

  it('a dashboard that goes away before the run completed: one line saying so, exit 1', async () => {
    const started = JSON.stringify({ type: 'run.started', runId: 'r', at: 0, concurrency: 1, nodes: [{ id: 'a', deps: [] }] });
    const nodeStarted = JSON.stringify({ type: 'node.started', runId: 'r', nodeId: 'a', at: 5, attempt: 1 });
    const { server, url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' }).end(`${started}\n${nodeStarted}\n`);
      server.close(); // gone: the watcher's reconnect is refused
    });
    const gone = watch(url);
    expect(await gone.code).toBe(1);
    expect(lines(gone.stderr.text()).at(-1)).toBe(`✗ the dashboard at ${url} stopped serving run r before it completed (0/1 node ended): it no longer answers`);
  });

  it('the command line: the URL forms, errors, --help and did-you-mean', () => {
    expect(dashboardStreamUrl('http://127.0.0.1:4800/').href).toBe('http://127.0.0.1:4800/events.ndjson');
    expect(dashboardStreamUrl('4800').href).toBe('http://127.0.0.1:4800/events.ndjson');
    expect(dashboardStreamUrl('localhost:4800').href).toBe('http://localhost:4800/events.ndjson');
    expect(dashboardStreamUrl('http://[::1]:4800/events.ndjson').href).toBe('http://[::1]:4800/events.ndjson');
    expect(dashboardStreamUrl('127.0.0.1:4800/index.html?x=1').href).toBe('http://127.0.0.1:4800/events.ndjson');
    expect(dashboardStreamUrl('http://127.0.0.1:8080/runs/42').href).toBe('http://127.0.0.1:8080/runs/42/events.ndjson');
    expect(parseCommandLine(['watch', '4800', '--plain'])).toEqual({ kind: 'watch', options: { url: '4800', streamUrl: 'http://127.0.0.1:4800/events.ndjson', plain: true } });
    expect(() => parseCommandLine(['watch'])).toThrow('missing <dashboard-url>: rx-orchestra watch <dashboard-url>');
    expect(() => parseCommandLine(['watch', 'https://127.0.0.1:4800/'])).toThrow("'https://127.0.0.1:4800/': the dashboard serves http, not https");
    expect(() => parseCommandLine(['watch', 'http://'])).toThrow("'http://' is not a URL: give the address rx-orchestra run --ui printed");
    expect(() => parseCommandLine(['watch', 'ftp://host/'])).toThrow("'ftp://host/' is not an http URL");
    expect(() => parseCommandLine(['watch', 'a', 'b'])).toThrow("unexpected argument 'b': watch takes one dashboard URL");
    expect(() => parseCommandLine(['watch', '4800', '--ui'])).toThrow('--ui is not an option of watch (run, resume and replay take it)');
    expect(() => parseCommandLine(['wtach', '4800'])).toThrow("unknown command 'wtach'; did you mean watch?");
    expect(HELP).toContain('rx-orchestra watch <dashboard-url> [--plain]');
  });
});
