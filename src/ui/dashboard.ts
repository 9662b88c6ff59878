import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import { readRunLog } from '../observe/run-log-file.js';
import { PageAssets } from './assets.js';
import { OptionsError } from '../errors/options-error.js';
import { isLoopbackHost, nonLoopbackMessage, type LoopbackHost } from './loopback.js';
import { PAGE_CSP, PAGE_CSS, pageHtml } from './page-html.js';
import { replayRunEvents, type ReplayOptions } from './replay.js';
import { RunHub } from './run-hub.js';
import { decideRoute } from './decide-route.js';
import type { Decision } from '../graph/dynamic-spec.js';

/**
 * Options of {@link startDashboard}: a live run (`events$`) or a recorded one (`replay`), not both.
 *
 * ## Example
 * ```ts
 * import { startDashboard, type DashboardOptions } from 'rx-orchestra/ui';
 * const options: DashboardOptions = { replay: { path: 'runs.jsonl', speed: 10 }, port: 4800, title: 'incident 42' };
 * const dashboard = await startDashboard(options);
 * ```
 */
export interface DashboardOptions {
  /**
   * The run to watch, typically `shareRun(execute(g)).events$`. Subscribed once, at start; if it
   * begins with a `run.snapshot` (a shared run that had already started), that is where the
   * dashboard starts from.
   */
  events$?: Observable<RunEvent>;
  /**
   * A run log written by `writeRunLog` (JSON lines), played back when the first page connects,
   * with the events' original spacing divided by `speed` (1 = real time, 10 = ten times faster,
   * `Infinity` = at once). The file is read and validated at start: a bad line throws a
   * `RunLogError` naming it.
   */
  replay?: ReplayOptions & { path: string };
  /** Port to listen on. @default 0 (a free port) */
  port?: number;
  /**
   * Where to listen: a loopback host only, `'127.0.0.1'`, `'localhost'` (listens on 127.0.0.1) or
   * `'::1'`. Anything else (`'0.0.0.0'`, a LAN address, a name) throws a
   * {@link OptionsError} on `host`: the dashboard has no authentication, so it never
   * listens where another machine could reach it (forward the port instead,
   * `ssh -L 4800:127.0.0.1:4800 <host>`). @default '127.0.0.1'
   */
  host?: LoopbackHost | (string & {});
  /** Shown as the page's title. @default 'rx-orchestra' */
  title?: string;
  /** Clock of the replay and of event batching. @default asyncScheduler */
  scheduler?: SchedulerLike;
  /** Events are sent to pages in batches, at most one per this many ms. @default 16 */
  batchMs?: number;
  /**
   * The most a page may hold on the server unsent: its response's buffer plus its queued event
   * batches. A page that falls further behind (or never reads) is disconnected instead of buffered
   * without bound; it reconnects and starts again from a `run.snapshot`. The snapshot itself is
   * serialized once per change of the run, shared by every page and not counted here: it is written
   * 64 KiB at a time, only as fast as the page reads, so a page that never reads holds at most one
   * such piece of it. @default 8 MiB
   */
  maxBufferedBytes?: number;
  /** Node outputs (`value`) longer than this (as JSON) are sent as a cut preview. @default 2000 */
  maxValueChars?: number;
  /**
   * The run's `decide` (`shareRun(...).decide`, or `execute(...).decide`): with it, the page shows
   * Approve/Reject (and a reason) for a node waiting for approval and posts the decision to
   * `POST /decide`, which calls it. Without it the page shows waiting nodes but cannot decide.
   */
  decide?: (nodeId: string, decision: Decision) => void;
}

/**
 * A running dashboard: its address, and a way to stop it.
 *
 * ## Example
 * ```ts
 * import { startDashboard, type Dashboard } from 'rx-orchestra/ui';
 * const dashboard: Dashboard = await startDashboard({ events$: shared.events$ });
 * console.log(`open ${dashboard.url}`);
 * process.once('SIGINT', () => void dashboard.close());
 * ```
 */
export interface Dashboard {
  /** The page's address, e.g. `http://127.0.0.1:53124/`. */
  readonly url: string;
  /**
   * Resolves when the first watcher connects (a page's `GET /events`, or a `GET /events.ndjson`
   * reader); never rejects. `rx-orchestra run --ui --ui-wait` starts the run then, so the page
   * sees it from its first event.
   */
  readonly firstWatcher: Promise<void>;
  /** Stops serving: ends every page's connection and the server, and stops a replay. */
  close(): Promise<void>;
}

/**
 * Serves a live dashboard of a run on 127.0.0.1 (or another loopback host; never beyond this
 * machine): one page that draws the DAG (laid out by d3-dag) with nodes coloured by state, a
 * Gantt timeline of node attempts (retry backoffs, rate-limiter waits and fallbacks marked),
 * per-agent metrics with tokens and cost so far, and the streamed text of the node you click. The
 * page receives events over Server-Sent Events (`GET /events`) and validates each one with the
 * published `RunEventSchema`; a page that connects late starts from a `run.snapshot`. `GET /events.ndjson` streams the same as JSON lines (`curl … | jq`).
 * Events carry no secrets, and nothing else is served: the page's two bundled scripts and d3-dag. A page
 * that falls behind is cut off at `maxBufferedBytes`, and the snapshot is built once per change of
 * the run, however many pages connect, serializing again only the nodes that changed since.
 *
 * ## Example
 * ```ts
 * import { execute, shareRun } from 'rx-orchestra';
 * import { startDashboard } from 'rx-orchestra/ui';
 * const shared = shareRun(execute(g));
 * const dashboard = await startDashboard({ events$: shared.events$ });
 * console.log(`watch at ${dashboard.url}`);
 * shared.connect();
 * await shared.result;
 *
 * // a past run, ten times faster
 * const replay = await startDashboard({ replay: { path: 'runs.jsonl', speed: 10 } });
 * ```
 * @throws {OptionsError} for invalid options (named by field), among them a `host` that is
 * not loopback
 * @throws {RunLogError} for a replay log with a bad line
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { source, mode } = sourceOf(options);
  if (options.decide !== undefined && typeof options.decide !== 'function') throw new OptionsError('decide', "'decide' must be the run's decide function", 'dashboard');
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new OptionsError('port', `'port' must be an integer 0..65535, got ${String(port)}`, 'dashboard');
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new OptionsError('host', nonLoopbackMessage("'host'", String(host)), 'dashboard');
  const address = host === '::1' ? '::1' : '127.0.0.1'; // 'localhost' may resolve to either: listen where the URL says
  const urlHost = host === '::1' ? '[::1]' : '127.0.0.1';
  const hub = new RunHub(source, {
    scheduler: options.scheduler ?? asyncScheduler,
    batchMs: positive(options.batchMs, 16, 'batchMs'),
    maxBufferedBytes: positive(options.maxBufferedBytes, 8 * 1024 * 1024, 'maxBufferedBytes'),
    maxValueChars: positive(options.maxValueChars, 2_000, 'maxValueChars'),
    startOnConnect: mode === 'replay',
  });
  const html = pageHtml({ title: options.title ?? 'rx-orchestra', mode, ...(options.replay ? { speed: options.replay.speed ?? 1 } : {}) });
  const assets = new PageAssets();
  let hosts = new Set<string>();
  let origins = new Set<string>();
  let watched!: () => void;
  const firstWatcher = new Promise<void>((resolve) => (watched = resolve));

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `dashboard error: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (!hosts.has(req.headers.host ?? '')) return send(res, 421, 'text/plain; charset=utf-8', 'unexpected Host header'); // no DNS rebinding
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (pathname === '/decide' && req.method === 'POST') return decideRoute(req, res, origins, { decide: options.decide, isWaiting: (id) => hub.isWaiting(id) });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed');
    switch (pathname) {
      case '/':
      case '/index.html':
        res.setHeader('content-security-policy', PAGE_CSP);
        return send(res, 200, 'text/html; charset=utf-8', html, 'no-cache');
      case '/app/styles.css':
        return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS, 'no-cache');
      case '/events':
        hub.add(res, 'sse');
        return watched();
      case '/events.ndjson':
        hub.add(res, 'ndjson');
        return watched();
      case '/value': {
        // A node's value as live events carry it: a page that joined late got a preview in the snapshot.
        const json = hub.valueJson(searchParams.get('node') ?? '');
        return json === undefined ? send(res, 404, 'text/plain; charset=utf-8', 'no such node, or it has no value') : send(res, 200, 'application/json; charset=utf-8', json, 'no-cache');
      }
      case '/favicon.ico':
        return send(res, 204, 'image/x-icon', '', 'public, max-age=86400');
    }
    const asset = await assets.get(pathname);
    if (!asset) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    send(res, 200, asset.type, asset.body, asset.immutable ? 'public, max-age=3600' : 'no-cache');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    hub.close();
    throw error;
  });
  const bound = (server.address() as AddressInfo).port;
  hosts = new Set([`${urlHost}:${bound}`, `localhost:${bound}`]);
  origins = new Set([...hosts].map((h) => `http://${h}`));
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}/`,
    firstWatcher,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        hub.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

function sourceOf(options: DashboardOptions): { source: Observable<RunEvent>; mode: 'live' | 'replay' } {
  if (options.events$ && options.replay) throw new OptionsError('events$', "give either 'events$' (a live run) or 'replay' (a run log), not both", 'dashboard');
  if (options.events$) {
    if (typeof options.events$.subscribe !== 'function') throw new OptionsError('events$', "'events$' must be an Observable of run events", 'dashboard');
    return { source: options.events$, mode: 'live' };
  }
  if (options.replay) {
    const { path, ...replay } = options.replay;
    if (typeof path !== 'string' || path === '') throw new OptionsError('replay.path', "'replay.path' must name a run log (JSON lines from writeRunLog)", 'dashboard');
    const events = readRunLog(path).map((line) => line.event);
    return { source: replayRunEvents(events, { scheduler: options.scheduler, ...replay }), mode: 'replay' };
  }
  throw new OptionsError('events$', "give 'events$' (a live run) or 'replay' (a run log)", 'dashboard');
}

function positive(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new OptionsError(field, `'${field}' must be a number > 0, got ${String(value)}`, 'dashboard');
  return value;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-store'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
