import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { asyncScheduler, fromEvent, merge, type Observable, type Subscription } from 'rxjs';
import type { pino as Pino } from 'pino';
import { loadPeer } from '../peer/load-peer.js';
import { execute, type ExecuteOptions, type RunStream } from '../run/execute.js';
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
import { isOptionsError } from '../errors/options-error.js';
import { executeDurable } from '../store/execute-durable.js';
import { resume } from '../store/resume.js';
import { isStoreError } from '../store/errors.js';
import type { RunStore } from '../store/run-store.js';
import { LOG_LEVELS, type RunCommandOptions } from './args.js';
import { CliError, EXIT_CODES, oneLine } from './errors.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import { formatPlan, offlinePricingNote, planRun } from './plan.js';
import { LiveRunState } from './live-state.js';
import { startLiveView, type LiveView } from './live-view.js';
import { plural } from './format.js';
import { NodeOutputs, writeOutputs } from './node-outputs.js';
import { openCliStore, storeFailure, storeLocation } from './store-location.js';
import { chooseView } from './terminal.js';
import { waitForWatcher } from './ui-wait.js';
import { unknownModelHint } from './suggest.js';
import { progressLine } from './progress-lines.js';
import { interruptedVerdict, judgeRun, type Verdict } from './verdict.js';
import { bufferedLines } from './output.js';
import { linger, loadDashboard, type Dashboard, type DashboardModule } from './dashboard.js';
import { liveApprovals, type LiveApprovals } from './live-approvals.js';
import type { CliIo } from './io.js';

export type { CliIo } from './io.js';

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
 * `rx-orchestra run` and `rx-orchestra resume`: loads the pipeline, then either prints its plan
 * (`--dry-run`) or runs it — checkpointed in a store with `--store` (`executeDurable`), or
 * continued from its checkpoint for `resume` (`resume`: the nodes with a value are restored, the
 * others run) — showing progress (a live view in a terminal, lines otherwise, NDJSON with
 * `--json`), logging, recording and serving the dashboard as asked (with `--ui-wait`, the run
 * starts once a page has connected). At the end, the nodes' values (one line each, `--output` for
 * all of them as JSON) and the one-line verdict. Resolves with the exit code (see `EXIT_CODES`).
 *
 * ## Example
 * ```ts
 * import { runCommand } from './run-command.js';
 * const code = await runCommand({ file: 'pipeline.ts', json: false, dryRun: false, plain: true, allowPartial: false, ui: false }, io);
 * ```
 * @throws {CliError} for a bad pipeline file, invalid options or a store that refuses the run (exit code 2)
 */
export async function runCommand(command: RunCommandOptions, io: CliIo): Promise<number> {
  const pipeline = await loadPipeline(command.file, { cwd: io.cwd, typescript: io.typescript, ...(command.exportName ? { exportName: command.exportName } : {}) });
  const options = withOverrides(pipeline, command);
  if (command.dryRun) return dryRun(pipeline, options, command, io);
  const ui = command.ui ? await (io.dashboard ?? loadDashboard)() : undefined; // a missing dashboard is a usage error, before anything runs
  const logLevel = command.logLevel ?? (io.env.LOG_LEVEL || undefined);
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new CliError('USAGE', `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${logLevel}'`);
  }
  const runsLogPath = command.runsLog === undefined ? undefined : resolve(io.cwd, command.runsLog);
  if (runsLogPath) await appendFile(runsLogPath, '').catch((error: Error) => Promise.reject(new CliError('USAGE', `--runs-log: cannot write '${command.runsLog}': ${error.message}`)));
  const outputPath = command.output === undefined ? undefined : resolve(io.cwd, command.output);
  if (outputPath) await appendFile(outputPath, '').catch((error: Error) => Promise.reject(new CliError('USAGE', `--output: cannot write '${command.output}': ${error.message}`)));
  const where = command.resumeRunId !== undefined || command.store !== undefined ? storeLocation(command.store, io) : undefined;
  const store = where ? await openCliStore(where, { mustExist: command.resumeRunId !== undefined }) : undefined;
  try {
    return await runWith(pipeline, options, command, io, { ui, logLevel, runsLogPath, outputPath, store, storeShown: where?.shown });
  } finally {
    await Promise.resolve(store?.close()).catch(() => undefined);
  }
}

interface Prepared {
  ui: DashboardModule | undefined;
  logLevel: string | undefined;
  runsLogPath: string | undefined;
  outputPath: string | undefined;
  store: RunStore | undefined;
  storeShown: string | undefined;
}

async function runWith(pipeline: Pipeline, options: ExecuteOptions, command: RunCommandOptions, io: CliIo, prepared: Prepared): Promise<number> {
  const { ui, logLevel, runsLogPath, outputPath, store, storeShown } = prepared;
  // How offline calls are priced: said first, unless the dashboard's URL is (then right after it).
  let offline = offlineNote(pipeline, options);
  const sayOffline = () => {
    if (offline) io.stderr.write(`${offline}\n`);
    offline = undefined;
  };
  if (!ui) sayOffline();
  let run$: RunStream<unknown>;
  let durableId: string | undefined;
  try {
    if (store && command.resumeRunId !== undefined) {
      const { runId: _ignored, restore: _restore, ...rest } = options;
      durableId = command.resumeRunId;
      run$ = resume(store, durableId, pipeline.graph, rest);
    } else if (store) {
      durableId = options.runId ?? randomUUID();
      const { restore: _restore, ...rest } = options;
      run$ = executeDurable(store, pipeline.graph, { ...rest, runId: durableId });
    } else run$ = execute(pipeline.graph, options);
  } catch (error) {
    sayOffline();
    if (isBudgetExceededError(error)) {
      io.stderr.write(`✗ run refused: ${oneLine(error.message)}\n`);
      return EXIT_CODES.refused;
    }
    throw invalidOptions(error);
  }

  const scheduler = options.scheduler ?? asyncScheduler;
  const shared = shareRun(run$);
  let dashboard: Dashboard | undefined;
  try {
    if (ui) {
      const where = { ...(command.uiPort !== undefined ? { port: command.uiPort } : {}), ...(command.uiHost ? { host: command.uiHost } : {}) };
      dashboard = await ui.startDashboard({ events$: shared.events$, decide: (nodeId, decision) => shared.decide(nodeId, decision), ...where }).catch((error: unknown) => {
        throw new CliError('UI_UNAVAILABLE', `--ui: the dashboard could not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      io.stderr.write(`◆ dashboard: ${dashboard.url}\n`);
    }
    sayOffline();
    if (durableId !== undefined && storeShown !== undefined) {
      io.stderr.write(command.resumeRunId !== undefined ? `◆ resuming run ${durableId} from ${storeShown}\n` : `◆ checkpointing run ${durableId} in ${storeShown}\n`);
    }
    if (dashboard && command.uiWait) {
      const outcome = await waitForWatcher({ url: dashboard.url, firstWatcher: dashboard.firstWatcher, input: io.stdin ?? process.stdin, output: io.stderr, interrupts: io.interrupts, seconds: command.uiWaitSeconds });
      if (outcome === 'interrupted') {
        io.stderr.write('✗ interrupted before the run started\n');
        return EXIT_CODES.interrupted;
      }
    }
    const code = await watchRun(shared, command, io, { scheduler, logLevel, runsLogPath, outputPath, dashboardUrl: dashboard?.url, durable: durableId === undefined ? undefined : { runId: durableId, store: storeShown! } });
    if (dashboard && code !== EXIT_CODES.interrupted) await linger(dashboard, command.uiLingerSeconds, io);
    return code;
  } finally {
    await dashboard?.close();
  }
}

interface Watching {
  scheduler: NonNullable<ExecuteOptions['scheduler']>;
  logLevel: string | undefined;
  runsLogPath: string | undefined;
  outputPath: string | undefined;
  dashboardUrl: string | undefined;
  durable: { runId: string; store: string } | undefined;
}

/** Connects the shared run, shows it, answers approvals, and ends with its outputs and verdict. */
async function watchRun(shared: ReturnType<typeof shareRun>, command: RunCommandOptions, io: CliIo, watching: Watching): Promise<number> {
  const { scheduler, logLevel, runsLogPath, outputPath, durable } = watching;
  const state = new LiveRunState();
  const outputs = new NodeOutputs();
  const logging = logLevel !== undefined && logLevel !== 'silent';
  // The live view needs the terminal to itself: with logs going to the same terminal, print lines.
  const choice = chooseView({ isTTY: io.stdout.isTTY, columns: io.stdout.columns, rows: io.stdout.rows, env: io.env, lines: command.json || command.plain || (logging && io.stderr.isTTY === true) });
  const live = choice.live;
  const out = bufferedLines(io.stdout);
  const sinks: ((event: RunEvent) => void)[] = [(event) => state.apply(event), (event) => outputs.apply(event)];
  if (command.json) sinks.push((event) => out.line(jsonLine(event)));
  else if (!live) sinks.push((event) => {
    const line = progressLine(event, state);
    if (line !== undefined) out.line(line);
  });
  if (logging) sinks.push(logRunEvents({ level: logLevel as (typeof LOG_LEVELS)[number], destination: loadPeer<{ pino: typeof Pino }>('pino').pino.destination({ fd: 2, sync: true }) }));
  const runsLog = runsLogPath ? writeRunLog(runsLogPath) : undefined;
  if (runsLog) sinks.push(runsLog);
  // Nodes waiting for approval: asked in a terminal, approved by --approve-all, else how to decide is printed.
  const approvals: LiveApprovals = liveApprovals({
    decide: (nodeId, decision) => shared.decide(nodeId, decision),
    input: io.stdin ?? process.stdin,
    output: live ? io.stdout : io.stderr,
    ...(command.approveAll ? { approveAll: true } : {}),
    decided: new Set([...(command.approve ?? []), ...(command.reject ?? [])]),
    ...(watching.dashboardUrl ? { dashboardUrl: watching.dashboardUrl } : {}),
    pause: () => view?.pause(), // a live view stops redrawing while a question is asked below it
    resume: () => view?.resume(),
  });
  sinks.push((event) => approvals.apply(event)); // last: the views have taken the event in
  const subscription = shared.events$.subscribe({ next: (event) => sinks.forEach((sink) => sink(event)), error: () => undefined });

  let interrupted = false;
  let connection: Subscription | undefined;
  const onInterrupt = io.interrupts.subscribe(() => {
    if (interrupted) process.exit(EXIT_CODES.interrupted); // a second Ctrl-C: stop waiting for clean-up
    interrupted = true;
    connection?.unsubscribe();
  });
  const view: LiveView | undefined = live ? startLiveView(state, io.stdout, { scheduler, color: choice.color }) : undefined;
  let verdict: Verdict | undefined;
  let failure: unknown;
  try {
    connection = shared.connect();
    const result = await shared.result;
    verdict = judgeRun(result.summary, state, { allowPartial: command.allowPartial });
  } catch (error) {
    if (interrupted && isRunIncompleteError(error)) verdict = interruptedVerdict(state, scheduler.now());
    else failure = error;
  } finally {
    approvals.close();
    view?.stop();
    if (view && io.env.RX_ORCHESTRA_VIEW_STATS) io.stderr.write(`${describeStats(view.stats)}\n`);
    subscription.unsubscribe();
    onInterrupt.unsubscribe();
    await Promise.all([out.flush(), runsLog?.close()]);
  }
  if (outputPath) await writeOutputs(outputPath, outputs.toJSON());
  if (!verdict) return failed(failure, command, io, durable);
  if (!command.json) {
    const width = io.stdout.isTTY === true && (io.stdout.columns ?? 0) > 20 ? io.stdout.columns! - 1 : 119;
    const lines = outputs.lines(width, command.output ? { outputFile: command.output } : {});
    if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
  }
  (verdict.exitCode === EXIT_CODES.ok && !command.json ? io.stdout : io.stderr).write(`${verdict.line}\n`);
  if (command.output) io.stderr.write(`◆ outputs of ${plural(outputs.size, 'node')} written to ${command.output}\n`);
  if (durable && verdict.exitCode !== EXIT_CODES.ok) {
    io.stderr.write(`◆ run ${durable.runId} is checkpointed in ${durable.store}: rx-orchestra inspect ${durable.store} ${durable.runId}; rx-orchestra resume ${command.file} ${durable.runId} --store ${durable.store}\n`);
  }
  return verdict.exitCode;
}

/** A run that did not complete for another reason than Ctrl-C: a store that refused it, a budget, invalid options. */
function failed(error: unknown, command: RunCommandOptions, io: CliIo, durable: Watching['durable']): number {
  if (isBudgetExceededError(error)) {
    io.stderr.write(`✗ run refused: ${oneLine(error.message)}\n`);
    return EXIT_CODES.refused;
  }
  if (isStoreError(error) && durable) {
    const hint = (text: string) => oneLine(`${error.code}: ${error.message}${text}`);
    switch (error.code) {
      case 'CHECKPOINT_NOT_FOUND':
        throw new CliError('RUN_NOT_FOUND', oneLine(`no run '${durable.runId}' in the store '${durable.store}' (a run's id is printed when it starts, and chosen with --run-id)`), { cause: error });
      case 'RUN_EXISTS':
        throw new CliError('STORE_REFUSED', hint(`: continue it with rx-orchestra resume ${command.file} ${durable.runId} --store ${durable.store}, or give another --run-id`), { cause: error });
      case 'CHECKPOINT_MISMATCH':
      case 'RUN_LOCKED':
        throw new CliError('STORE_REFUSED', hint(''), { cause: error });
      default:
        throw storeFailure(durable.store, error);
    }
  }
  if (isOptionsError(error)) throw invalidOptions(error);
  throw error;
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
  return `◆ offline: ${plural(nodes, 'node')} ${offlinePricingNote(model)}; costs and --budget count their calls at that price`;
}

/** For RX_ORCHESTRA_VIEW_STATS=1: how many frames the live view drew and how long rendering took. */
function describeStats(stats: LiveView['stats']): string {
  const average = stats.frames === 0 ? 0 : stats.renderMs / stats.frames;
  return `view: ${plural(stats.frames, 'frame')}, render avg ${average.toFixed(3)} ms, max ${stats.maxRenderMs.toFixed(3)} ms`;
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
  const hint = code === 'UNKNOWN_MODEL_PRICE' ? unknownModelHint(error.message) : '';
  return new CliError('INVALID_OPTIONS', `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}${hint}`, { cause: error });
}
