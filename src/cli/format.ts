/**
 * Small text formatters shared by the CLI's views. Pure.
 * @module
 */
import { formatUsd } from '../budget/format-usd.js';
import type { ErrorInfo } from '../run/events.js';
import { unknownModelHint } from './suggest.js';

/**
 * Seconds with two decimals under a minute (`1.21s`), minutes and seconds above (`2m05s`).
 *
 * ## Example
 * ```ts
 * import { formatSeconds } from './format.js';
 * formatSeconds(1210);   // '1.21s'
 * formatSeconds(125000); // '2m05s'
 * ```
 */
export function formatSeconds(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const clamped = Math.max(0, ms);
  if (clamped < 60_000) return `${(clamped / 1000).toFixed(2)}s`;
  const minutes = Math.floor(clamped / 60_000);
  if (minutes < 60) return `${minutes}m${String(Math.floor((clamped % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * A cost in USD with four decimals (`$0.0123`), or two significant digits below a hundredth of a
 * cent (`$0.000042`); `$0` for nothing.
 *
 * ## Example
 * ```ts
 * import { formatCost } from './format.js';
 * formatCost(0.01234);   // '$0.0123'
 * formatCost(0.0000421); // '$0.000042'
 * ```
 */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  return Math.abs(usd) < 0.0001 ? formatUsd(usd) : `$${usd.toFixed(4)}`;
}

/**
 * An integer with thousands separators (`12,345`).
 *
 * ## Example
 * ```ts
 * import { formatCount } from './format.js';
 * formatCount(12345); // '12,345'
 * ```
 */
export function formatCount(n: number): string {
  const text = String(Math.round(n));
  return text.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Cuts a text to `width` characters (code points), ending it with `…` when cut.
 *
 * ## Example
 * ```ts
 * import { truncate } from './format.js';
 * truncate('search_papers', 8); // 'search_…'
 * ```
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text; // fast path: UTF-16 length bounds the code point count
  const points = Array.from(text);
  return points.length <= width ? text : `${points.slice(0, width - 1).join('')}…`;
}

/**
 * Aligns rows under a header: columns padded to their widest cell, the columns named in
 * `right` right-aligned, separated by two spaces; trailing spaces trimmed.
 *
 * ## Example
 * ```ts
 * import { formatTable } from './format.js';
 * formatTable(['node', 'cost'], [['plan', '$0.0031']], { right: [1] });
 * // ['node  cost', 'plan  $0.0031'] (padded)
 * ```
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], options: { right?: readonly number[] } = {}): string[] {
  const right = new Set(options.right ?? []);
  const widths = header.map((title, c) => rows.reduce((w, row) => Math.max(w, (row[c] ?? '').length), title.length));
  const line = (cells: readonly string[]) =>
    header
      .map((_, c) => {
        const cell = cells[c] ?? '';
        return right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!);
      })
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * An event's error on one line: `HTTP 529 OVERLOADED: claude-haiku-4-5 is overloaded`; the name
 * stands in for a missing code.
 *
 * ## Example
 * ```ts
 * import { formatError } from './format.js';
 * formatError({ name: 'ModelCallError', code: 'OVERLOADED', status: 529, message: 'overloaded_error' }); // 'HTTP 529 OVERLOADED: overloaded_error'
 * ```
 */
export function formatError(error: ErrorInfo): string {
  const status = error.status !== undefined ? `HTTP ${error.status} ` : '';
  const hint = error.code === 'UNKNOWN_MODEL_PRICE' ? unknownModelHint(error.message) : '';
  return `${status}${error.code ?? error.name}: ${error.message}${hint}`.replace(/\s+/g, ' ').trim();
}

/**
 * A count and its noun, singular for exactly one: `1 node`, `2 nodes`, `1 retry`, `3 retries`,
 * `1,204 children`.
 *
 * ## Example
 * ```ts
 * import { plural } from './format.js';
 * plural(1, 'node');                // '1 node'
 * plural(3, 'retry', 'retries');    // '3 retries'
 * ```
 */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * A noun for a count, without the count: `node` for 1, `nodes` otherwise (`4/4 nodes ok`).
 *
 * ## Example
 * ```ts
 * import { noun } from './format.js';
 * `1/1 ${noun(1, 'node')} ok`; // '1/1 node ok'
 * ```
 */
export function noun(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}

/**
 * A run id short enough for a header: its first 8 characters and `…` when longer than 9
 * (`1f0c2a3b…` for a UUID).
 *
 * ## Example
 * ```ts
 * import { shortRunId } from './format.js';
 * shortRunId('1f0c2a3b-77d1-4c3e-9a51-0c1d2e3f4a5b'); // '1f0c2a3b…'
 * shortRunId('cli-ok');                               // 'cli-ok'
 * ```
 */
export function shortRunId(runId: string): string {
  return runId.length <= 9 ? runId : `${runId.slice(0, 8)}…`;
}
