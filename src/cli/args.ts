import { parseArgs } from 'node:util';
import { isLoopbackHost, nonLoopbackMessage } from '../ui/loopback.js';
import { CliError } from './errors.js';

/**
 * Log levels `--log-level` accepts (pino's).
 *
 * ## Example
 * ```ts
 * import { LOG_LEVELS } from './args.js';
 * LOG_LEVELS.includes('debug'); // true
 * ```
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/**
 * One of {@link LOG_LEVELS}.
 *
 * ## Example
 * ```ts
 * import type { LogLevel } from './args.js';
 * const level: LogLevel = 'warn';
 * ```
 */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The settings of `rx-orchestra run`, parsed from the command line.
 *
 * ## Example
 * ```ts
 * import type { RunCommandOptions } from './args.js';
 * const options: RunCommandOptions = { file: 'pipeline.ts', json: false, dryRun: true, plain: false, allowPartial: false, ui: false };
 * ```
 */
export interface RunCommandOptions {
  /** The pipeline module, relative to the working directory. */
  file: string;
  /** Which export holds the pipeline. @default 'default', else 'pipeline', else 'graph' */
  exportName?: string;
  /** Write every event as one JSON line to stdout instead of the human view. @default false */
  json: boolean;
  /** Print the cost estimate and the plan; call nothing. @default false */
  dryRun: boolean;
  /** Send every model call through the Message Batches API (half price, minutes to hours per wave). @default false */
  batch?: boolean;
  /** Plain progress lines even in a terminal. @default false (a live view in a TTY) */
  plain: boolean;
  /** Exit 0 when the run ends `partial`. @default false (exit 1) */
  allowPartial: boolean;
  /** Overrides the pipeline's `options.concurrency`. */
  concurrency?: number;
  /** Overrides the pipeline's `options.budget.maxUsd`. */
  budgetUsd?: number;
  /** Overrides the pipeline's `options.runId`. */
  runId?: string;
  /** pino JSON logs of the run's events to stderr at this level. @default LOG_LEVEL, else none */
  logLevel?: LogLevel;
  /** Append the run's events to this JSON-lines run log (`writeRunLog`). */
  runsLog?: string;
  /** Serve the live dashboard. @default false */
  ui: boolean;
  /** Dashboard port. @default the dashboard's (a free port) */
  uiPort?: number;
  /** Dashboard host: loopback only (127.0.0.1, localhost or ::1); others are a usage error. @default the dashboard's (127.0.0.1) */
  uiHost?: string;
  /** After the run, keep the dashboard up this many seconds. @default until Ctrl-C */
  uiLingerSeconds?: number;
  /** `--approve a,b`: approve these nodes the moment they wait (given to the run as `decisions`). */
  approve?: string[];
  /** `--reject a,b`: reject these nodes the moment they wait. */
  reject?: string[];
  /** `--approve-all`: approve every node that waits, without asking. @default false (ask in a terminal) */
  approveAll?: boolean;
}

/**
 * What the command line asks for.
 *
 * ## Example
 * ```ts
 * import { parseCommandLine, type CliCommand } from './args.js';
 * const command: CliCommand = parseCommandLine(['--help']); // { kind: 'help' }
 * ```
 */
export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: RunCommandOptions };

/**
 * The `--help` text.
 *
 * ## Example
 * ```ts
 * import { HELP } from './args.js';
 * process.stdout.write(HELP);
 * ```
 */
export const HELP = `Usage: rx-orchestra run <pipeline-file> [options]

Runs a pipeline module: its default export (or export 'pipeline' / 'graph') is a built graph,
{ graph, options } (execute options), or a function returning either.

Options:
  --export <name>        take the pipeline from this export
  --concurrency <n>      node executions in flight (overrides the pipeline's)
  --budget <usd>         refuse the run when its estimate is over <usd>; stop it when the spend crosses it
  --dry-run              print the cost estimate (with and without --batch) and the plan; call no model
  --batch                send the model calls through the Message Batches API: half price, each wave waits for its batch
  --json                 write the run's events to stdout as NDJSON (with --dry-run: the plan as JSON)
  --plain                plain progress lines even in a terminal
  --log-level <level>    pino JSON logs to stderr: ${LOG_LEVELS.join('|')} (default: $LOG_LEVEL, else none)
  --runs-log <path>      append the events to a JSON-lines run log
  --run-id <id>          the run's id (trace id)
  --allow-partial        exit 0 when the run ends 'partial'
  --ui                   serve the live dashboard and print its URL
  --ui-port <port>       dashboard port
  --ui-host <host>       dashboard host: 127.0.0.1 (default), localhost or ::1; never beyond this machine
  --ui-linger <seconds>  after the run, keep the dashboard up this long (default: until Ctrl-C)
  --approve <id>[,<id>]  approve these nodes when they wait for approval (else a terminal asks)
  --reject <id>[,<id>]   reject these nodes when they wait for approval
  --approve-all          approve every node that waits for approval, without asking
  -h, --help             this text           -v, --version     the version

Exit codes: 0 succeeded, 1 failed or partial, 2 bad usage or pipeline file, 3 refused by --budget, 130 interrupted.
`;

const OPTIONS = {
  export: { type: 'string' },
  concurrency: { type: 'string' },
  budget: { type: 'string' },
  'dry-run': { type: 'boolean' },
  batch: { type: 'boolean' },
  json: { type: 'boolean' },
  plain: { type: 'boolean' },
  'log-level': { type: 'string' },
  'runs-log': { type: 'string' },
  'run-id': { type: 'string' },
  'allow-partial': { type: 'boolean' },
  ui: { type: 'boolean' },
  'ui-port': { type: 'string' },
  'ui-host': { type: 'string' },
  'ui-linger': { type: 'string' },
  approve: { type: 'string', multiple: true },
  reject: { type: 'string', multiple: true },
  'approve-all': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/**
 * Parses the command line (without `node` and the script). Throws a `USAGE` {@link CliError}
 * for an unknown command or option, a missing pipeline file or a malformed number.
 *
 * ## Example
 * ```ts
 * import { parseCommandLine } from './args.js';
 * parseCommandLine(['run', 'pipeline.ts', '--concurrency', '4']);
 * // { kind: 'run', options: { file: 'pipeline.ts', concurrency: 4, json: false, ... } }
 * ```
 * @throws {CliError} code `USAGE`
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError('USAGE', `${(error as Error).message} (see rx-orchestra --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, file, ...extra] = positionals;
  if (command === undefined) return { kind: 'help' };
  if (command !== 'run') throw new CliError('USAGE', `unknown command '${command}': the command is 'run' (see rx-orchestra --help)`);
  if (file === undefined) throw new CliError('USAGE', `missing <pipeline-file>: rx-orchestra run <pipeline-file> [options]`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': run takes one pipeline file`);

  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new CliError('USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const options: RunCommandOptions = {
    file,
    json: values.json ?? false,
    dryRun: values['dry-run'] ?? false,
    plain: values.plain ?? false,
    allowPartial: values['allow-partial'] ?? false,
    ui: values.ui ?? false,
  };
  if (values.batch) options.batch = true;
  if (values.export !== undefined) options.exportName = nonEmpty('--export', values.export);
  if (values.concurrency !== undefined) options.concurrency = number('--concurrency', values.concurrency, { integer: true, min: 1 });
  if (values.budget !== undefined) options.budgetUsd = number('--budget', values.budget.replace(/^\$/, ''), { min: 0 });
  if (values['run-id'] !== undefined) options.runId = nonEmpty('--run-id', values['run-id']);
  if (logLevel !== undefined) options.logLevel = logLevel as LogLevel;
  if (values['runs-log'] !== undefined) options.runsLog = nonEmpty('--runs-log', values['runs-log']);
  if (values['ui-port'] !== undefined) options.uiPort = number('--ui-port', values['ui-port'], { integer: true, min: 0, max: 65_535 });
  if (values['ui-host'] !== undefined) options.uiHost = loopback(nonEmpty('--ui-host', values['ui-host']));
  if (values['ui-linger'] !== undefined) options.uiLingerSeconds = number('--ui-linger', values['ui-linger'], { min: 0 });
  if (values.approve !== undefined) options.approve = nodeIds('--approve', values.approve);
  if (values.reject !== undefined) options.reject = nodeIds('--reject', values.reject);
  if (values['approve-all']) options.approveAll = true;
  const both = options.approve?.find((id) => options.reject?.includes(id));
  if (both !== undefined) throw new CliError('USAGE', `--approve and --reject both name '${both}': decide once`);
  const uiOnly = (['uiPort', 'uiHost', 'uiLingerSeconds'] as const).find((key) => options[key] !== undefined);
  if (uiOnly && !options.ui) throw new CliError('USAGE', `--${uiOnly === 'uiLingerSeconds' ? 'ui-linger' : uiOnly === 'uiPort' ? 'ui-port' : 'ui-host'} needs --ui`);
  return { kind: 'run', options };
}

/** Node ids from repeated, comma-separated flags (`--approve a,b --approve c`). */
function nodeIds(flag: string, values: readonly string[]): string[] {
  const ids = values.flatMap((value) => value.split(',')).map((id) => id.trim());
  if (ids.some((id) => id === '')) throw new CliError('USAGE', `${flag} needs node ids, comma-separated: ${flag} <id>[,<id>]`);
  return [...new Set(ids)];
}

function nonEmpty(flag: string, value: string): string {
  if (value.trim() === '') throw new CliError('USAGE', `${flag} needs a value`);
  return value;
}

/** The dashboard has no authentication: a host another machine could reach is refused, not ignored. */
function loopback(host: string): string {
  if (!isLoopbackHost(host)) throw new CliError('USAGE', nonLoopbackMessage('--ui-host', host));
  return host;
}

function number(flag: string, text: string, rule: { integer?: boolean; min: number; max?: number }): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  const ok = Number.isFinite(value) && value >= rule.min && (rule.max === undefined || value <= rule.max) && (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new CliError('USAGE', `${flag} must be ${kind} ${range}, got '${text}'`);
  }
  return value;
}
