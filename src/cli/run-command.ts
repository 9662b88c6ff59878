import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { asyncScheduler, firstValueFrom, fromEvent, merge, race, timer, type Observable, type Subscription } from 'rxjs';
import type { pino as Pino } from 'pino';
import { loadPeer } from '../peer/load-peer.js';
import { execute, type ExecuteOptions } from '../run/execute.js';
import { shareRun } from '../run/share-run.js';
import { isRunIncompleteError } from '../run/errors.js';
import type { RunEvent } from '../run/events.js';
import { assertWithinBudget } from '../budget/preflight.js';
import { estimateRunCost } from '../budget/estimate.js';
import { defaultModel, isDefaultModelSimulated } from '../nodes/default-model.js';
import { batchBackendOf, batchingModel, isBatchingModel } from '../models/batch/batching-model.js';
import { anthropicBatches } from '../models/batch/anthropic-batches.js';
import { isBudgetExceededError } from '../budget/errors.js';
import { logRunEvents } from '../observe/run-logger.js';
import { writeRunLog } from '../observe/run-log-file.js';
import { LOG_LEVELS, type RunCommandOptions } from './args.js';
import { CliError, EXIT_CODES, oneLine } from './errors.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import { formatPlan, offlinePricingNote, planRun } from './plan.js';
import { LiveRunState } from './live-state.js';
import { startLiveView, type LiveView, type TerminalOutput } from './live-view.js';
import { progressLine } from './progress-lines.js';
import { interruptedVerdict, judgeRun, type Verdict } from './verdict.js';
import { bufferedLines, type TextOutput } from './output.js';
import { loadDashboard, type Dashboard, type DashboardModule } from './dashboard.js';
import { liveApprovals, type LiveApprovals } from './live-approvals.js';
import type { Readable } from 'node:stream';

/**
 * The process the CLI talks to; `main` fills it from `process`, tests may replace parts.
 *
 * ## Example
 * ```ts
 * import { Subject } from 'rxjs';
 * import type { CliIo } from './run-command.js';
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: {}, typescript: 'auto', interrupts: new Subject() };
 * ```
 */
export interface CliIo {
  readonly stdout: TextOutput & TerminalOutput & { readonly isTTY?: boolean };
  readonly stderr: TextOutput & { readonly isTTY?: boolean };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** See `LoadPipelineOptions.typescript`. */
  readonly typescript: 'registered' | 'auto';
  /** Emits when the user asks to stop (Ctrl-C, SIGTERM). */
  readonly interrupts: Observable<unknown>;
  /** Loads the dashboard for `--ui`. @default loadDashboard (src/ui) */
  readonly dashboard?: () => Promise<DashboardModule>;
  /** Where approvals are asked (when a TTY) and answered. @default process.stdin */
  readonly stdin?: Readable & { readonly isTTY?: boolean };
}

/**
 * The interrupts of the current process: SIGINT and SIGTERM. While subscribed, they no longer
 * kill the process: the CLI cancels the run (aborting in-flight calls) and exits 130.
 *
 * ## Example
 * ```ts
 * import { processInterrupts } from './run-command.js';
 * processInterrupts().subscribe(() => connection.unsubscribe());
 * ```
 */
export function processInterrupts(): Observable<unknown> {
  return merge(fromEvent(process, 'SIGINT'), fromEvent(process, 'SIGTERM'));
}

/**
 * `rx-orchestra run`: loads the pipeline, then either prints its plan (`--dry-run`) or runs it,
 * showing progress (a live view in a TTY, lines otherwise, NDJSON with `--json`), logging,
 * recording and serving the dashboard as asked. Resolves with the exit code (see `EXIT_CODES`)
 * after writing the one-line verdict.
 *
 * ## Example
 * ```ts
 * import { runCommand } from './run-command.js';
 * const code = await runCommand({ file: 'pipeline.ts', json: false, dryRun: false, plain: true, allowPartial: false, ui: false }, io);
 * ```
 * @throws {CliError} for a bad pipeline file or invalid options (exit code 2)
 */
export async function runCommand(command: RunCommandOptions, io: CliIo): Promise<number> {
  const pipeline = await loadPipeline(command.file, { cwd: io.cwd, typescript: io.typescript, ...(command.exportName ? { exportName: command.exportName } : {}) });
  const options = withOverrides(pipeline, command);
  if (command.dryRun) return dryRun(pipeline, options, command, io);
  const ui = command.ui ? await (io.dashboard ?? loadDashboard)() : undefined; // a missing dashboard is a usage error, before anything runs
  const offline = offlineNote(pipeline, options);
  if (offline) io.stderr.write(`${offline}\n`);

  let run$: ReturnType<typeof execute>;
  try {
    run$ = execute(pipeline.graph, options);
  } catch (error) {
    if (isBudgetExceededError(error)) {
      io.stderr.write(`✗ run refused: ${oneLine(error.message)}\n`);
      return EXIT_CODES.refused;
    }
    throw invalidOptions(error);
  }
  const runsLogPath = command.runsLog === undefined ? undefined : resolve(io.cwd, command.runsLog);
  if (runsLogPath) await appendFile(runsLogPath, '').catch((error: Error) => Promise.reject(new CliError('USAGE', `--runs-log: cannot write '${command.runsLog}': ${error.message}`)));

  const scheduler = options.scheduler ?? asyncScheduler;
  const shared = shareRun(run$);
  let dashboard: Dashboard | undefined;
  if (ui) {
    const where = { ...(command.uiPort !== undefined ? { port: command.uiPort } : {}), ...(command.uiHost ? { host: command.uiHost } : {}) };
    dashboard = await ui.startDashboard({ events$: shared.events$, decide: (nodeId, decision) => shared.decide(nodeId, decision), ...where }).catch((error: unknown) => {
      throw new CliError('UI_UNAVAILABLE', `--ui: the dashboard could not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    io.stderr.write(`◆ dashboard: ${dashboard.url}\n`);
  }
  const state = new LiveRunState();
  const logLevel = command.logLevel ?? (io.env.LOG_LEVEL || undefined);
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new CliError('USAGE', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const logging = logLevel !== undefined && logLevel !== 'silent';
  // The live view needs the terminal to itself: with logs going to the same terminal, print lines.
  const live = !command.json && !command.plain && io.stdout.isTTY === true && !(logging && io.stderr.isTTY === true);
  const out = bufferedLines(io.stdout);
  const sinks: ((event: RunEvent) => void)[] = [(event) => state.apply(event)];
  if (command.json) sinks.push((event) => out.line(jsonLine(event)));
  else if (!live) sinks.push((event) => {
    const line = progressLine(event, state);
    if (line !== undefined) out.line(line);
  });
  if (logging) sinks.push(logRunEvents({ level: logLevel, destination: loadPeer<{ pino: typeof Pino }>('pino').pino.destination({ fd: 2, sync: true }) }));
  const runsLog = runsLogPath ? writeRunLog(runsLogPath) : undefined;
  if (runsLog) sinks.push(runsLog);
  // Nodes waiting for approval: asked in a terminal, approved by --approve-all, else how to decide is printed.
  const approvals: LiveApprovals = liveApprovals({
    decide: (nodeId, decision) => shared.decide(nodeId, decision),
    input: io.stdin ?? process.stdin,
    output: live ? io.stdout : io.stderr,
    ...(command.approveAll ? { approveAll: true } : {}),
    decided: new Set([...(command.approve ?? []), ...(command.reject ?? [])]),
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    pause: () => view?.pause(), // a live view stops redrawing while a question is asked below it
    resume: () => view?.resume(),
  });
  sinks.push((event) => approvals.apply(event)); // last: the views have taken the event in
  const watching = shared.events$.subscribe({ next: (event) => sinks.forEach((sink) => sink(event)), error: () => undefined });

  let interrupted = false;
  let connection: Subscription | undefined;
  const onInterrupt = io.interrupts.subscribe(() => {
    if (interrupted) process.exit(EXIT_CODES.interrupted); // a second Ctrl-C: stop waiting for clean-up
    interrupted = true;
    connection?.unsubscribe();
  });
  const view: LiveView | undefined = live ? startLiveView(state, io.stdout, { scheduler }) : undefined;
  let verdict: Verdict;
  try {
    connection = shared.connect();
    const result = await shared.result;
    verdict = judgeRun(result.summary, state, { allowPartial: command.allowPartial });
  } catch (error) {
    if (!(interrupted && isRunIncompleteError(error))) throw error;
    verdict = interruptedVerdict(state, scheduler.now());
  } finally {
    approvals.close();
    view?.stop();
    if (view && io.env.RX_ORCHESTRA_VIEW_STATS) io.stderr.write(`${describeStats(view.stats)}\n`);
    watching.unsubscribe();
    await Promise.all([out.flush(), runsLog?.close()]);
  }
  (verdict.exitCode === EXIT_CODES.ok && !command.json ? io.stdout : io.stderr).write(`${verdict.line}\n`);

  if (dashboard) {
    if (!interrupted) await linger(dashboard, command.uiLingerSeconds, io);
    await dashboard.close();
  }
  onInterrupt.unsubscribe();
  return verdict.exitCode;
}

/** The pipeline's options with the command line's overrides. */
function withOverrides(pipeline: Pipeline, command: RunCommandOptions): ExecuteOptions {
  const options: ExecuteOptions = { ...pipeline.options };
  if (command.concurrency !== undefined) options.concurrency = command.concurrency;
  if (command.budgetUsd !== undefined) options.budget = { ...options.budget, maxUsd: command.budgetUsd };
  if (command.runId !== undefined) options.runId = command.runId;
  if (command.approve || command.reject) {
    // --approve/--reject: decisions the run applies the moment each node waits (ids checked by execute).
    const decisions = { ...options.decisions };
    for (const id of command.approve ?? []) decisions[id] = { approve: true, by: '--approve' };
    for (const id of command.reject ?? []) decisions[id] = { approve: false, reason: 'rejected with --reject', by: '--reject' };
    options.decisions = decisions;
  }
  if (command.batch && !command.dryRun) {
    // --batch: every llm()/agent() call of the run through the Message Batches API (Claude's, with a key).
    const model = options.model ?? defaultModel();
    const backend = batchBackendOf(model) ?? (process.env.ANTHROPIC_API_KEY ? anthropicBatches() : undefined);
    options.model = batchingModel(model, { ...(backend ? { backend } : {}), ...(options.scheduler ? { scheduler: options.scheduler } : {}) });
  }
  return options;
}

/** `--dry-run`: the cost estimate and the plan; exit 3 when the budget would refuse the run. */
function dryRun(pipeline: Pipeline, options: ExecuteOptions, command: RunCommandOptions, io: CliIo): number {
  let plan: ReturnType<typeof planRun>;
  try {
    const offlineModel = offlineModelOf(options);
    plan = planRun(pipeline.graph, {
      ...(options.model ? { model: options.model.model } : {}),
      ...(offlineModel !== undefined ? { offlineModel } : {}),
      ...(command.batch ? { batch: true } : {}),
      ...(options.budget ? { maxUsd: options.budget.maxUsd, ...(options.budget.top !== undefined ? { top: options.budget.top } : {}) } : {}),
    });
  } catch (error) {
    throw invalidOptions(error);
  }
  if (command.json) io.stdout.write(`${JSON.stringify({ type: 'plan', ...plan })}\n`);
  else io.stdout.write(`${formatPlan(plan).join('\n')}\n`);
  if (!options.budget || plan.budget?.within) return EXIT_CODES.ok;
  try {
    assertWithinBudget(plan.cost, options.budget);
  } catch (error) {
    io.stderr.write(`✗ run would be refused: ${oneLine((error as Error).message)}\n`);
  }
  return EXIT_CODES.refused;
}

/**
 * The model id the offline simulated default provider stands in for, when it answers this run's
 * `llm()` nodes (no `ANTHROPIC_API_KEY`, and the run names no provider but the default); else
 * undefined. Its calls are priced, estimated and budgeted as that model (see `defaultModel`).
 */
function offlineModelOf(options: ExecuteOptions): string | undefined {
  const model = isBatchingModel(options.model) ? options.model.inner : options.model; // --batch wraps the default model
  if (model !== undefined && model !== defaultModel()) return undefined;
  return isDefaultModelSimulated() ? defaultModel().model : undefined;
}

/**
 * Before an offline run: one line saying that its costs and `--budget` price the simulated
 * provider's calls as the model that answers with a key, when any node is priced so.
 */
function offlineNote(pipeline: Pipeline, options: ExecuteOptions): string | undefined {
  const model = offlineModelOf(options);
  if (model === undefined) return undefined;
  let nodes: number;
  try {
    nodes = estimateRunCost(pipeline.graph.nodes, options.model ? { model: options.model.model } : {}).byNode.filter((n) => n.model === model).length;
  } catch {
    return undefined; // an unusable estimate: the budget check reports it, a run without one ignores it
  }
  if (nodes === 0) return undefined;
  return `◆ offline: ${nodes} node${nodes === 1 ? '' : 's'} ${offlinePricingNote(model)}; costs and --budget count their calls at that price`;
}

/** After the run, the dashboard stays up for `seconds`, or until Ctrl-C. */
async function linger(dashboard: Dashboard, seconds: number | undefined, io: CliIo): Promise<void> {
  if (seconds === 0) return;
  io.stderr.write(`◆ dashboard still serving at ${dashboard.url}: ${seconds === undefined ? 'Ctrl-C to exit' : `for ${seconds} s (Ctrl-C to exit now)`}\n`);
  await firstValueFrom(seconds === undefined ? io.interrupts : race(io.interrupts, timer(seconds * 1000)));
}

/** For RX_ORCHESTRA_VIEW_STATS=1: how many frames the live view drew and how long rendering took. */
function describeStats(stats: LiveView['stats']): string {
  const average = stats.frames === 0 ? 0 : stats.renderMs / stats.frames;
  return `view: ${stats.frames} frames, render avg ${average.toFixed(3)} ms, max ${stats.maxRenderMs.toFixed(3)} ms`;
}

/** One NDJSON line; a value JSON cannot hold (a cycle, a BigInt) is replaced by its description. */
function jsonLine(event: RunEvent): string {
  try {
    return JSON.stringify(event);
  } catch {
    return JSON.stringify({ ...event, value: `[unserializable: ${describeValue((event as { value?: unknown }).value)}]` });
  }
}

function describeValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? (value.constructor?.name ?? 'object') : typeof value;
}

function invalidOptions(error: unknown): CliError {
  if (!(error instanceof Error)) return new CliError('INVALID_OPTIONS', String(error));
  const code = (error as { code?: unknown }).code;
  return new CliError('INVALID_OPTIONS', `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`, { cause: error });
}
