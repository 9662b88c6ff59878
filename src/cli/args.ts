import { parseArgs } from 'node:util';
import { isLoopbackHost, nonLoopbackMessage } from '../ui/loopback.js';
import { CliError } from './errors.js';
import type { InspectCommandOptions } from './inspect-command.js';
import type { ReplayCommandOptions } from './replay-command.js';
import type { WatchCommandOptions } from './watch-command.js';
import { dashboardStreamUrl } from './dashboard-url.js';
import { closest, didYouMean } from './suggest.js';

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
  /** `--ui-wait`: start the run once a page has connected to the dashboard (or Enter is pressed in a terminal). @default false */
  uiWait?: boolean;
  /** `--ui-wait=<seconds>`: start anyway after this long. @default no limit */
  uiWaitSeconds?: number;
  /** `--output <file>`: write every node's value (and every error) as JSON to this file after the run. */
  output?: string;
  /** `--store <file|redis://…>`: checkpoint the run in this store (`executeDurable`), so `resume` can continue it. */
  store?: string;
  /** For `rx-orchestra resume`: the run to continue from its checkpoint in `store` (default store when none). */
  resumeRunId?: string;
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
export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'run'; options: RunCommandOptions }
  | { kind: 'resume'; options: RunCommandOptions & { resumeRunId: string } }
  | { kind: 'replay'; options: ReplayCommandOptions }
  | { kind: 'inspect'; options: InspectCommandOptions }
  | { kind: 'watch'; options: WatchCommandOptions };

/**
 * The `--help` text.
 *
 * ## Example
 * ```ts
 * import { HELP } from './args.js';
 * process.stdout.write(HELP);
 * ```
 */
export const HELP = `Usage:
  rx-orchestra run <pipeline-file> [options]             run a pipeline
  rx-orchestra resume <pipeline-file> <runId> [options]  continue a durable run from its checkpoint
  rx-orchestra replay <runs.jsonl> [--speed <n>] [--ui]  play a run log back
  rx-orchestra inspect <store> [<runId>] [--json]        the state of a durable run in a store
  rx-orchestra watch <dashboard-url> [--plain]           attach this terminal to a run served with --ui

A pipeline module's default export (or export 'pipeline' / 'graph') is a built graph,
{ graph, options } (execute options), or a function returning either.

Options of run and resume:
  --export <name>        take the pipeline from this export
  --concurrency <n>      node executions in flight (overrides the pipeline's)
  --budget <usd>         refuse the run when its estimate is over <usd>; stop it when the spend crosses it
  --dry-run              (run) print the cost estimate (with and without --batch) and the plan; call no model
  --batch                send the model calls through the Message Batches API: half price, each wave waits for its batch
  --json                 write the run's events to stdout as NDJSON (with --dry-run: the plan as JSON)
  --plain                plain progress lines even in a terminal
  --output <file>        after the run, write every node's value (and error) to <file> as JSON
  --log-level <level>    pino JSON logs to stderr: ${LOG_LEVELS.join('|')} (default: $LOG_LEVEL, else none)
  --runs-log <path>      append the events to a JSON-lines run log (replay it with rx-orchestra replay)
  --run-id <id>          (run) the run's id (trace id; the checkpoint's key with --store)
  --store <file|url>     checkpoint the run in a SQLite file or redis://host:port, so resume can continue it
                         (resume: where the checkpoint is; default $RX_ORCHESTRA_STORE, else
                         .rx-orchestra/runs.db)
  --allow-partial        exit 0 when the run ends 'partial'
  --approve <id>[,<id>]  approve these nodes when they wait for approval (else a terminal asks)
  --reject <id>[,<id>]   reject these nodes when they wait for approval
  --approve-all          approve every node that waits for approval, without asking

Dashboard (run, resume, replay):
  --ui                   serve the live dashboard and print its URL first
  --ui-wait[=<seconds>]  with --ui: start once a page has connected (or Enter is pressed in a terminal);
                         with <seconds>, start anyway after that long (default: wait until then, Ctrl-C quits)
  --ui-port <port>       dashboard port
  --ui-host <host>       dashboard host: 127.0.0.1 (default), localhost or ::1; never beyond this machine
  --ui-linger <seconds>  after the run, keep the dashboard up this long (default: until Ctrl-C)

Options of replay:
  --speed <n>            play <n> times faster than recorded (default 1; 'max': at once);
                         pauses over 5 s are cut to 5 s
  --plain                plain progress lines even in a terminal

Options of watch (<dashboard-url>: the URL run --ui printed, host:port, or a port on 127.0.0.1):
  --plain                plain progress lines even in a terminal
                         It joins the run at any moment with the same numbers as from the start, ends
                         with the values and the verdict, exits 0 once the run ends (whatever its
                         status); Ctrl-C detaches (exit 130) and the run goes on.

Options of inspect:
  --json                 one JSON object: nodes with their outcomes, wouldRun, restored, waiting approvals

  -h, --help             this text           -v, --version     the version

Output: a live view in a terminal, plain progress lines otherwise (also when the terminal reports no
size, TERM=dumb, or NO_COLOR is set: then there is no escape sequence at all; FORCE_COLOR=0 keeps the
live view without colours, FORCE_COLOR=1 overrides NO_COLOR). At the end of a run: each node's value
on one line (at most 20; --output has them all), then the verdict.
Exit codes: 0 succeeded (replay, watch: shown to its end, whatever its status), 1 failed or partial
(watch: the dashboard went away before the run ended), 2 bad usage, pipeline file, run log, store, or
no dashboard at the URL, 3 refused by --budget, 130 interrupted (watch: detached; the run goes on).
`;

const COMMANDS = ['run', 'resume', 'replay', 'inspect', 'watch'] as const;
type CommandName = (typeof COMMANDS)[number];

const OPTIONS = {
  export: { type: 'string' },
  concurrency: { type: 'string' },
  budget: { type: 'string' },
  'dry-run': { type: 'boolean' },
  batch: { type: 'boolean' },
  json: { type: 'boolean' },
  plain: { type: 'boolean' },
  output: { type: 'string' },
  'log-level': { type: 'string' },
  'runs-log': { type: 'string' },
  'run-id': { type: 'string' },
  store: { type: 'string' },
  'allow-partial': { type: 'boolean' },
  ui: { type: 'boolean' },
  'ui-wait': { type: 'boolean' },
  'ui-port': { type: 'string' },
  'ui-host': { type: 'string' },
  'ui-linger': { type: 'string' },
  approve: { type: 'string', multiple: true },
  reject: { type: 'string', multiple: true },
  'approve-all': { type: 'boolean' },
  speed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;
type OptionName = keyof typeof OPTIONS;

const UI_OPTIONS: readonly OptionName[] = ['ui', 'ui-wait', 'ui-port', 'ui-host', 'ui-linger'];
const RUNNING: readonly OptionName[] = ['export', 'concurrency', 'budget', 'batch', 'json', 'plain', 'output', 'log-level', 'runs-log', 'store', 'allow-partial', ...UI_OPTIONS, 'approve', 'reject', 'approve-all'];
/** The options each command takes (besides --help and --version). */
const OPTIONS_OF: Record<CommandName, readonly OptionName[]> = {
  run: [...RUNNING, 'dry-run', 'run-id'],
  resume: RUNNING,
  replay: ['speed', 'plain', ...UI_OPTIONS],
  inspect: ['json'],
  watch: ['plain'],
};

/**
 * Parses the command line (without `node` and the script). Throws a `USAGE` {@link CliError}
 * for an unknown command or option (with the closest known one: `did you mean --concurrency?`),
 * an option another command takes, a missing argument or a malformed number.
 *
 * ## Example
 * ```ts
 * import { parseCommandLine } from './args.js';
 * parseCommandLine(['run', 'pipeline.ts', '--concurrency', '4']);
 * // { kind: 'run', options: { file: 'pipeline.ts', concurrency: 4, json: false, ... } }
 * parseCommandLine(['replay', 'runs.jsonl', '--speed', '4']);
 * // { kind: 'replay', options: { file: 'runs.jsonl', speed: 4, plain: false, ui: false } }
 * ```
 * @throws {CliError} code `USAGE`
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  const { args, uiWaitSeconds } = takeUiWaitSeconds(argv);
  const guess = args.find((arg) => (COMMANDS as readonly string[]).includes(arg)) as CommandName | undefined;
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true; tokens: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new CliError('USAGE', `${describeParseError(error as Error & { code?: string }, guess)} (see rx-orchestra --help)`);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, ...rest] = positionals;
  if (command === undefined) return { kind: 'help' };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new CliError('USAGE', `unknown command '${command}'${didYouMean(command, COMMANDS) || `: the commands are ${COMMANDS.join(', ')}`} (see rx-orchestra --help)`);
  }
  const name = command as CommandName;
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === 'help' || token.name === 'version') continue;
    if (!OPTIONS_OF[name].includes(token.name as OptionName)) {
      const owners = COMMANDS.filter((c) => OPTIONS_OF[c].includes(token.name as OptionName));
      throw new CliError('USAGE', `${token.rawName} is not an option of ${name}${owners.length > 0 ? ` (${listed(owners)} ${owners.length === 1 ? 'takes' : 'take'} it)` : ''} (see rx-orchestra --help)`);
    }
  }
  if (uiWaitSeconds !== undefined && !OPTIONS_OF[name].includes('ui-wait')) throw new CliError('USAGE', `--ui-wait is not an option of ${name}`);
  switch (name) {
    case 'run':
      return { kind: 'run', options: runOptions(values, rest, uiWaitSeconds) };
    case 'resume':
      return { kind: 'resume', options: resumeOptions(values, rest, uiWaitSeconds) };
    case 'replay':
      return { kind: 'replay', options: replayOptions(values, rest, uiWaitSeconds) };
    case 'inspect':
      return { kind: 'inspect', options: inspectOptions(values, rest) };
    case 'watch':
      return { kind: 'watch', options: watchOptions(values, rest) };
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/**
 * `--ui-wait` takes an optional number of seconds, which `parseArgs` cannot say: `--ui-wait=30` and
 * `--ui-wait 30` (a number right after it) are taken out here.
 */
function takeUiWaitSeconds(argv: readonly string[]): { args: string[]; uiWaitSeconds?: number } {
  const args: string[] = [];
  let uiWaitSeconds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const inline = /^--ui-wait=(.*)$/.exec(arg);
    if (inline) {
      uiWaitSeconds = number('--ui-wait', inline[1]!, { min: 0 });
      args.push('--ui-wait');
    } else if (arg === '--ui-wait' && /^\d+(\.\d+)?$/.test(argv[i + 1] ?? '')) {
      uiWaitSeconds = number('--ui-wait', argv[++i]!, { min: 0 });
      args.push('--ui-wait');
    } else args.push(arg);
  }
  return uiWaitSeconds === undefined ? { args } : { args, uiWaitSeconds };
}

/** A parseArgs error in our words: an unknown option gets the closest one the command takes. */
function describeParseError(error: Error & { code?: string }, command: CommandName | undefined): string {
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'(-{1,2}[^'=\s]+)/.exec(error.message)?.[1];
    if (option !== undefined) {
      const known = (command ? OPTIONS_OF[command] : (Object.keys(OPTIONS) as OptionName[])).map((o) => `--${o}`);
      const match = closest(option, known);
      return `unknown option '${option}'${match ? `; did you mean ${match}?` : command ? `: ${command} takes ${known.join(', ')}` : ''}`;
    }
  }
  return error.message;
}

function runOptions(values: Values, rest: readonly string[], uiWaitSeconds: number | undefined): RunCommandOptions {
  const [file, ...extra] = rest;
  if (file === undefined) throw new CliError('USAGE', `missing <pipeline-file>: rx-orchestra run <pipeline-file> [options]`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': run takes one pipeline file`);
  return runningOptions(values, file, uiWaitSeconds);
}

function resumeOptions(values: Values, rest: readonly string[], uiWaitSeconds: number | undefined): RunCommandOptions & { resumeRunId: string } {
  const [file, runId, ...extra] = rest;
  if (file === undefined || runId === undefined) throw new CliError('USAGE', `missing ${file === undefined ? '<pipeline-file> and <runId>' : '<runId>'}: rx-orchestra resume <pipeline-file> <runId> [--store <file|url>] (rx-orchestra inspect <store> <runId> shows what it would run)`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': resume takes a pipeline file and a run id`);
  return { ...runningOptions(values, file, uiWaitSeconds), resumeRunId: nonEmpty('<runId>', runId) };
}

/** The options of run and resume. */
function runningOptions(values: Values, file: string, uiWaitSeconds: number | undefined): RunCommandOptions {
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new CliError('USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'${didYouMean(logLevel, LOG_LEVELS)}`);
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
  if (values.output !== undefined) options.output = nonEmpty('--output', values.output);
  if (values.store !== undefined) options.store = nonEmpty('--store', values.store);
  Object.assign(options, uiOptions(values, options.ui, uiWaitSeconds));
  if (values.approve !== undefined) options.approve = nodeIds('--approve', values.approve);
  if (values.reject !== undefined) options.reject = nodeIds('--reject', values.reject);
  if (values['approve-all']) options.approveAll = true;
  const both = options.approve?.find((id) => options.reject?.includes(id));
  if (both !== undefined) throw new CliError('USAGE', `--approve and --reject both name '${both}': decide once`);
  if (options.dryRun && options.output !== undefined) throw new CliError('USAGE', '--output writes the values of a run: not with --dry-run');
  return options;
}

/** --ui-port, --ui-host, --ui-linger and --ui-wait, which need --ui. */
function uiOptions(values: Values, ui: boolean, uiWaitSeconds: number | undefined): Pick<RunCommandOptions, 'uiPort' | 'uiHost' | 'uiLingerSeconds' | 'uiWait' | 'uiWaitSeconds'> {
  const options: Pick<RunCommandOptions, 'uiPort' | 'uiHost' | 'uiLingerSeconds' | 'uiWait' | 'uiWaitSeconds'> = {};
  if (values['ui-port'] !== undefined) options.uiPort = number('--ui-port', values['ui-port'], { integer: true, min: 0, max: 65_535 });
  if (values['ui-host'] !== undefined) options.uiHost = loopback(nonEmpty('--ui-host', values['ui-host']));
  if (values['ui-linger'] !== undefined) options.uiLingerSeconds = number('--ui-linger', values['ui-linger'], { min: 0 });
  if (values['ui-wait']) options.uiWait = true;
  if (uiWaitSeconds !== undefined) options.uiWaitSeconds = uiWaitSeconds;
  const flags: Record<string, string> = { uiPort: '--ui-port', uiHost: '--ui-host', uiLingerSeconds: '--ui-linger', uiWait: '--ui-wait' };
  const uiOnly = Object.keys(flags).find((key) => options[key as keyof typeof options] !== undefined);
  if (uiOnly && !ui) throw new CliError('USAGE', `${flags[uiOnly]} needs --ui`);
  return options;
}

function replayOptions(values: Values, rest: readonly string[], uiWaitSeconds: number | undefined): ReplayCommandOptions {
  const [file, ...extra] = rest;
  if (file === undefined) throw new CliError('USAGE', `missing <runs.jsonl>: rx-orchestra replay <runs.jsonl> [--speed <n>] [--ui] (a run log, as run --runs-log writes)`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': replay takes one run log`);
  const speedText = values.speed;
  const speed = speedText === undefined ? 1 : /^(max|inf(inity)?)$/i.test(speedText.trim()) ? Infinity : number('--speed', speedText.replace(/x$/i, ''), { min: Number.MIN_VALUE });
  const ui = values.ui ?? false;
  return { file, speed, plain: values.plain ?? false, ui, ...uiOptions(values, ui, uiWaitSeconds) };
}

function inspectOptions(values: Values, rest: readonly string[]): InspectCommandOptions {
  const [store, runId, ...extra] = rest;
  if (store === undefined) throw new CliError('USAGE', `missing <store>: rx-orchestra inspect <store> <runId> (a SQLite file a durable run wrote to, or redis://host:port)`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': inspect takes a store and a run id`);
  return { store, json: values.json ?? false, ...(runId !== undefined ? { runId: nonEmpty('<runId>', runId) } : {}) };
}

function watchOptions(values: Values, rest: readonly string[]): WatchCommandOptions {
  const [url, ...extra] = rest;
  if (url === undefined) throw new CliError('USAGE', `missing <dashboard-url>: rx-orchestra watch <dashboard-url> (the URL rx-orchestra run --ui printed, e.g. http://127.0.0.1:4800/)`);
  if (extra.length > 0) throw new CliError('USAGE', `unexpected argument '${extra[0]}': watch takes one dashboard URL`);
  return { url, streamUrl: dashboardStreamUrl(url).href, plain: values.plain ?? false };
}

/** `a`, `a and b`, `a, b and c`. */
const listed = (items: readonly string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`);

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
    const range = rule.min === Number.MIN_VALUE ? '> 0' : rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new CliError('USAGE', `${flag} must be ${kind} ${range}, got '${text}'`);
  }
  return value;
}
