import { CliError } from './errors.js';

/** The route of the dashboard that streams a run as JSON lines (see `startDashboard`). */
const STREAM_ROUTE = 'events.ndjson';

/**
 * The address of a dashboard's event stream (`GET /events.ndjson`) from what a user types after
 * `rx-orchestra watch`: the URL `run --ui` printed (`http://127.0.0.1:4800/`), without its scheme
 * (`127.0.0.1:4800`, `localhost:4800`), a bare port (`4800`: on 127.0.0.1), or the stream's or the
 * page's own address (`…/events.ndjson`, `…/events`, `…/index.html`). Any host is taken (a port
 * forwarded from another machine is on loopback anyway). Throws a `USAGE` {@link CliError} for
 * what is not an http URL (`https` included: the dashboard serves http only). Pure.
 *
 * ## Example
 * ```ts
 * import { dashboardStreamUrl } from './dashboard-url.js';
 * dashboardStreamUrl('http://127.0.0.1:4800/').href; // 'http://127.0.0.1:4800/events.ndjson'
 * dashboardStreamUrl('4800').href;                   // 'http://127.0.0.1:4800/events.ndjson'
 * ```
 * @throws {CliError} code `USAGE`
 */
export function dashboardStreamUrl(text: string): URL {
  const given = text.trim();
  const example = 'give the address rx-orchestra run --ui printed, e.g. http://127.0.0.1:4800/';
  if (given === '') throw new CliError('USAGE', `missing <dashboard-url>: ${example}`);
  const full = /^\d+$/.test(given) ? `http://127.0.0.1:${given}/` : /^[a-z][a-z\d+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new CliError('USAGE', `'${given}' is not a URL: ${example}`);
  }
  if (url.protocol === 'https:') throw new CliError('USAGE', `'${given}': the dashboard serves http, not https (${example})`);
  if (url.protocol !== 'http:') throw new CliError('USAGE', `'${given}' is not an http URL: ${example}`);
  if (url.port !== '' && Number(url.port) === 0) throw new CliError('USAGE', `'${given}': port 0 is no dashboard's port: ${example}`);
  const base = url.pathname.replace(/(events\.ndjson|events|index\.html)$/, '').replace(/\/?$/, '/');
  return new URL(`${base}${STREAM_ROUTE}`, url.origin);
}
