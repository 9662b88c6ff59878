/**
 * The CLI's exit codes and its one typed error.
 * @module
 */

import { RxOrchestraError, brandError, hasErrorTag } from '../errors/rx-orchestra-error.js';

/**
 * Exit codes of `rx-orchestra`: `0` the run succeeded (or was `partial` with `--allow-partial`),
 * `1` the run failed or was `partial`, `2` bad usage or a bad pipeline file (nothing ran),
 * `3` the run was refused by `--budget` before it started (nothing spent), `130` interrupted (Ctrl-C).
 *
 * ## Example
 * ```ts
 * import { EXIT_CODES } from './errors.js';
 * process.exitCode = EXIT_CODES.runFailed; // 1
 * ```
 */
export const EXIT_CODES = {
  ok: 0,
  runFailed: 1,
  usage: 2,
  refused: 3,
  interrupted: 130,
} as const;

/**
 * What went wrong before a run could start.
 *
 * ## Example
 * ```ts
 * import { isCliError, type CliErrorCode } from './errors.js';
 * const code: CliErrorCode | undefined = isCliError(error) ? error.code : undefined;
 * ```
 */
export type CliErrorCode =
  /** Unknown command or option, a missing or malformed argument. */
  | 'USAGE'
  /** The pipeline file does not exist or is not a file. */
  | 'PIPELINE_NOT_FOUND'
  /** Importing the pipeline module threw (syntax error, a graph that does not validate, ...). */
  | 'PIPELINE_IMPORT_FAILED'
  /** The module has no default, `pipeline` or `graph` export (or not the one `--export` names). */
  | 'PIPELINE_NO_EXPORT'
  /** The export is not a graph, a `{ graph, options }` pipeline, or a function returning one. */
  | 'PIPELINE_INVALID_EXPORT'
  /** A TypeScript pipeline, and no TypeScript loader (`tsx`) to import it with. */
  | 'TYPESCRIPT_UNSUPPORTED'
  /** The pipeline's options or the command line give `execute` an invalid option, or an estimate is invalid. */
  | 'INVALID_OPTIONS'
  /** `--ui` was given but the dashboard module is not available. */
  | 'UI_UNAVAILABLE'
  /** `replay`: the run log does not exist or is not a file. */
  | 'RUN_LOG_NOT_FOUND'
  /** `replay`: a line of the run log is not JSON or not a run event (the message names the line), or the log is empty. */
  | 'RUN_LOG_INVALID'
  /** `inspect`/`resume`: no SQLite store file at the path given. */
  | 'STORE_NOT_FOUND'
  /** The store could not be opened or read (a corrupt file, Redis unreachable). */
  | 'STORE_FAILED'
  /** `inspect`/`resume`: the store has no checkpoint of that run id. */
  | 'RUN_NOT_FOUND'
  /** `watch`: nothing answers at the dashboard's address (connection refused, no such host, cut before answering). */
  | 'DASHBOARD_UNREACHABLE'
  /** `watch`: something answers there, but it is not a dashboard's event stream (a 404, another content type). */
  | 'NOT_A_DASHBOARD'
  /** `watch`: a line of the dashboard's stream is not JSON or not a run event (the message names the line). */
  | 'STREAM_INVALID'
  /** The store refused the run: written by another graph (`CHECKPOINT_MISMATCH`), run by another process (`RUN_LOCKED`), or the id is taken (`RUN_EXISTS`). */
  | 'STORE_REFUSED';

/**
 * An error the CLI reports as one line (`✗ PIPELINE_NOT_FOUND: ...`) before exiting with
 * {@link EXIT_CODES}`.usage` (2). It has a `code` and a guard, like the library's errors.
 *
 * ## Example
 * ```ts
 * import { CliError } from './errors.js';
 * throw new CliError('PIPELINE_NOT_FOUND', "no such file: 'examples/nope.ts'");
 * ```
 */
export class CliError extends RxOrchestraError {
  static {
    brandError(this, 'CliError');
  }
  override readonly name = 'CliError';
  readonly retryable = false;
  constructor(
    readonly code: CliErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The exit code this error ends the process with. */
  get exitCode(): number {
    return EXIT_CODES.usage;
  }
}

/**
 * True for a {@link CliError}, also one from another copy of this package.
 *
 * ## Example
 * ```ts
 * import { isCliError } from './errors.js';
 * try { await main(['run', 'nope.ts']); } catch (e) { if (isCliError(e)) console.error(e.code); }
 * ```
 */
export function isCliError(error: unknown): error is CliError {
  return hasErrorTag(error, 'CliError');
}

/**
 * Squeezes a message onto one line: newlines and runs of spaces become one space, and a very long
 * message is cut with `…`.
 *
 * ## Example
 * ```ts
 * import { oneLine } from './errors.js';
 * oneLine('Transform failed with 1 error:\n  x.ts:3:1: ERROR: Unexpected "}"'); // 'Transform failed with 1 error: x.ts:3:1: ERROR: Unexpected "}"'
 * ```
 */
export function oneLine(message: string, max = 400): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
