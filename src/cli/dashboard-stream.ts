import { get, type ClientRequest, type IncomingMessage } from 'node:http';
import type { RunEvent } from '../run/events.js';
import { CliError, oneLine } from './errors.js';
import { parseEventLine } from './run-log-read.js';

/**
 * An open `GET /events.ndjson` of a dashboard; see {@link openDashboardStream}.
 *
 * ## Example
 * ```ts
 * import { openDashboardStream, type DashboardStream } from './dashboard-stream.js';
 * const stream: DashboardStream = openDashboardStream(new URL('http://127.0.0.1:4800/events.ndjson'), 'http://127.0.0.1:4800/');
 * stream.close();
 * ```
 */
export interface DashboardStream {
  /** Resolves once the dashboard answered with its stream; rejects with a {@link CliError} when nothing or something else answers. */
  readonly opened: Promise<void>;
  /**
   * Reads the stream: each line validated and given to `onEvent` (which returns true to stop
   * reading: the run ended). Resolves with how many events came, and whether `onEvent` stopped it
   * (else the dashboard ended or cut the stream); rejects with a `STREAM_INVALID` {@link CliError}
   * naming the first bad line.
   */
  read(onEvent: (event: RunEvent) => boolean): Promise<{ events: number; stopped: boolean }>;
  /** Closes the connection (the run is not affected). */
  close(): void;
}

/**
 * Opens a dashboard's event stream (`GET /events.ndjson`: a `run.snapshot` of the run so far, then
 * its events as they happen, as JSON lines; the response ends when the run does) with `node:http`.
 * Errors say what the user can do: `DASHBOARD_UNREACHABLE` (`no dashboard at <url>: is the run
 * started with --ui? (connection refused)`), `NOT_A_DASHBOARD` (a 404, another content type),
 * `STREAM_INVALID` (`<stream url> line 7: not JSON: …`).
 *
 * ## Example
 * ```ts
 * import { openDashboardStream } from './dashboard-stream.js';
 * const stream = openDashboardStream(new URL('http://127.0.0.1:4800/events.ndjson'), 'http://127.0.0.1:4800/');
 * await stream.opened;
 * await stream.read((event) => event.type === 'run.completed');
 * ```
 */
export function openDashboardStream(url: URL, shownAs: string): DashboardStream {
  let response: IncomingMessage | undefined;
  let request: ClientRequest | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    request = get(url, { headers: { accept: 'application/x-ndjson' }, agent: false }); // a connection of its own: the stream holds it for the run
    request.on('error', (error: NodeJS.ErrnoException) => reject(unreachable(shownAs, url, error))); // after the answer, reading sees the end
    request.once('response', (res) => {
      const problem = notTheStream(res);
      if (problem === undefined) {
        response = res;
        return resolve();
      }
      res.resume();
      request?.destroy();
      reject(new CliError('NOT_A_DASHBOARD', oneLine(`${shownAs} is not a dashboard: GET ${url.pathname} ${problem} (give the URL rx-orchestra run --ui printed)`)));
    });
  });
  return {
    opened,
    read: (onEvent) => (response ? readLines(response, url.href, onEvent) : Promise.reject(new Error('read() before the stream opened'))),
    close: () => {
      request?.destroy();
      response?.destroy();
    },
  };
}

/** Why an answer is not a dashboard's stream, or undefined when it is. */
function notTheStream(res: IncomingMessage): string | undefined {
  if (res.statusCode !== 200) {
    const hint = res.statusCode === 421 ? ': the dashboard answers to the host it printed (127.0.0.1, localhost or [::1]) only' : '';
    return `answered ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trimEnd() + hint;
  }
  const type = res.headers['content-type'] ?? '';
  if (!/^application\/x-ndjson\b/i.test(type)) return `answered ${type === '' ? 'without a content type' : type}, not application/x-ndjson`;
  return undefined;
}

function unreachable(shownAs: string, url: URL, error: NodeJS.ErrnoException): CliError {
  const why =
    error.code === 'ECONNREFUSED' ? 'connection refused'
    : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? `no such host '${url.hostname}'`
    : error.code === 'ECONNRESET' ? 'the connection was cut before an answer'
    : `${error.code ?? error.name}: ${error.message}`;
  return new CliError('DASHBOARD_UNREACHABLE', oneLine(`no dashboard at ${shownAs}: is the run started with --ui? (${why})`), { cause: error });
}

/** Reads JSON lines as they come (a line may span chunks), validating each; see `DashboardStream.read`. */
function readLines(res: IncomingMessage, where: string, onEvent: (event: RunEvent) => boolean): Promise<{ events: number; stopped: boolean }> {
  return new Promise((resolve, reject) => {
    let rest = '';
    let lineNumber = 0;
    let events = 0;
    let done = false;
    const finish = (outcome: { stopped: boolean } | CliError) => {
      if (done) return;
      done = true;
      res.removeListener('data', onData);
      if (outcome instanceof CliError) {
        res.destroy();
        reject(outcome);
      } else {
        if (outcome.stopped) res.destroy();
        resolve({ events, stopped: outcome.stopped });
      }
    };
    const take = (line: string): boolean => {
      lineNumber += 1;
      if (line.trim() === '') return false;
      const parsed = parseEventLine(line, { wrapped: false });
      if (typeof parsed === 'string') {
        finish(new CliError('STREAM_INVALID', oneLine(`${where} line ${lineNumber}: ${parsed}`)));
        return true;
      }
      events += 1;
      if (!onEvent(parsed)) return false;
      finish({ stopped: true });
      return true;
    };
    const onData = (chunk: string) => {
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        const line = rest + chunk.slice(start, end);
        rest = '';
        start = end + 1;
        if (take(line)) return;
      }
      rest += chunk.slice(start);
    };
    res.setEncoding('utf8');
    res.on('data', onData);
    res.once('end', () => {
      if (!done && rest !== '' && take(rest)) return;
      finish({ stopped: false });
    });
    res.once('close', () => finish({ stopped: false })); // cut off (the dashboard closed, or dropped a reader that fell behind)
    res.once('error', () => finish({ stopped: false }));
  });
}
