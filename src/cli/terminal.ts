/**
 * How the CLI draws on the terminal it has: a live view redrawn in place (with or without
 * colours) or plain progress lines, from the environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`) and
 * the terminal's size. Pure.
 * @module
 */

/**
 * What {@link chooseView} decided: a live view (and whether in colour), or plain lines and why.
 *
 * ## Example
 * ```ts
 * import { chooseView, type ViewChoice } from './terminal.js';
 * const choice: ViewChoice = chooseView({ isTTY: true, columns: 80, rows: 24, env: {} }); // { live: true, color: true }
 * ```
 */
export type ViewChoice = { readonly live: true; readonly color: boolean } | { readonly live: false; readonly color: false; readonly reason: string };

/**
 * What {@link chooseView} looks at.
 *
 * ## Example
 * ```ts
 * import type { ViewSettings } from './terminal.js';
 * const settings: ViewSettings = { isTTY: process.stdout.isTTY, columns: process.stdout.columns, rows: process.stdout.rows, env: process.env };
 * ```
 */
export interface ViewSettings {
  /** stdout is a terminal. */
  readonly isTTY: boolean | undefined;
  /** The terminal's size; 0 or undefined when unknown (some CI terminals report 0x0). */
  readonly columns: number | undefined;
  readonly rows: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--plain`, `--json`, or logs going to the same terminal: lines, whatever the terminal. */
  readonly lines?: boolean;
}

/** Narrower or lower than this, the live view falls back to lines. */
export const MIN_LIVE_COLUMNS = 20;
export const MIN_LIVE_ROWS = 4;

/**
 * Whether colours are wanted, by the usual conventions: `FORCE_COLOR` decides when set (`''`,
 * `1`, `2`, `3`, `true`: yes; `0`, `false` or anything else: no) and overrides `NO_COLOR`;
 * otherwise a non-empty `NO_COLOR` says no. Undefined when neither is set.
 *
 * ## Example
 * ```ts
 * import { colorWanted } from './terminal.js';
 * colorWanted({ NO_COLOR: '1' });                   // false
 * colorWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }); // true
 * colorWanted({});                                  // undefined
 * ```
 */
export function colorWanted(env: Readonly<Record<string, string | undefined>>): boolean | undefined {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force);
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return undefined;
}

/**
 * Live view or lines:
 * - lines when asked (`--plain`, `--json`, logs on the same terminal), when stdout is not a
 *   terminal, when `TERM=dumb`, when the terminal's size is unknown or too small (a 0x0 terminal),
 *   and when `NO_COLOR` is set (and `FORCE_COLOR` does not override it): then the output has no
 *   escape sequence at all, not even cursor movements;
 * - otherwise the live view, in colour unless `FORCE_COLOR=0`.
 *
 * ## Example
 * ```ts
 * import { chooseView } from './terminal.js';
 * chooseView({ isTTY: true, columns: 0, rows: 0, env: {} }); // { live: false, color: false, reason: 'the terminal reports no size (0x0)' }
 * ```
 */
export function chooseView(settings: ViewSettings): ViewChoice {
  const lines = (reason: string): ViewChoice => ({ live: false, color: false, reason });
  if (settings.lines) return lines('asked for lines');
  if (settings.isTTY !== true) return lines('stdout is not a terminal');
  if (settings.env.TERM === 'dumb') return lines('TERM=dumb');
  const color = colorWanted(settings.env);
  if (color === false && settings.env.FORCE_COLOR === undefined) return lines('NO_COLOR is set');
  const { columns = 0, rows = 0 } = settings;
  if (!(columns > 0 && rows > 0)) return lines(`the terminal reports no size (${columns}x${rows})`);
  if (columns < MIN_LIVE_COLUMNS || rows < MIN_LIVE_ROWS) return lines(`the terminal is too small (${columns}x${rows})`);
  return { live: true, color: color ?? true };
}
