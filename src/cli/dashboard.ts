import { firstValueFrom, race, timer, type Observable } from 'rxjs';
import type { RunEvent } from '../run/events.js';
import type { Decision } from '../graph/dynamic-spec.js';
import { CliError } from './errors.js';

/**
 * What `startDashboard` (src/ui) takes: the run's (shared) events, and where to listen.
 *
 * ## Example
 * ```ts
 * import type { DashboardOptions } from './dashboard.js';
 * const options: DashboardOptions = { events$: shareRun(execute(g)).events$, port: 0 };
 * ```
 */
export interface DashboardOptions {
  events$: Observable<RunEvent>;
  port?: number;
  /** A loopback host (127.0.0.1, localhost, ::1); the dashboard refuses any other. */
  host?: string;
  /** Delivers the page's Approve/Reject to the run (`shareRun(...).decide`); without it the page cannot decide. */
  decide?: (nodeId: string, decision: Decision) => void;
}

/**
 * A serving dashboard: its address, and how to stop it.
 *
 * ## Example
 * ```ts
 * import type { Dashboard } from './dashboard.js';
 * const stop = (dashboard: Dashboard) => dashboard.close();
 * ```
 */
export interface Dashboard {
  readonly url: string;
  /** Resolves when the first page connects (`--ui-wait` starts the run then); a dashboard without it cannot say. */
  readonly firstWatcher?: Promise<void>;
  close(): Promise<void>;
}

/**
 * The dashboard module's contract, as the CLI uses it.
 *
 * ## Example
 * ```ts
 * import { loadDashboard, type DashboardModule } from './dashboard.js';
 * const ui: DashboardModule = await loadDashboard();
 * ```
 */
export interface DashboardModule {
  startDashboard(options: DashboardOptions): Promise<Dashboard>;
}

/**
 * Loads the dashboard module (`src/ui`) on demand, so a run without `--ui` never loads it.
 * Throws a `UI_UNAVAILABLE` {@link CliError} when it is missing or does not export
 * `startDashboard`.
 *
 * ## Example
 * ```ts
 * import { loadDashboard } from './dashboard.js';
 * const { startDashboard } = await loadDashboard();
 * const dashboard = await startDashboard({ events$: shared.events$ });
 * console.log(dashboard.url);
 * ```
 * @throws {CliError} code `UI_UNAVAILABLE`
 */
export async function loadDashboard(specifier = '../ui/index.js'): Promise<DashboardModule> {
  let module: Partial<DashboardModule>;
  try {
    module = (await import(specifier)) as Partial<DashboardModule>;
  } catch (error) {
    throw new CliError('UI_UNAVAILABLE', `--ui: the dashboard could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  if (typeof module.startDashboard !== 'function') throw new CliError('UI_UNAVAILABLE', `--ui: the dashboard module does not export startDashboard`);
  return module as DashboardModule;
}

/**
 * After a run (or a replay), keeps the dashboard up for `seconds`, or until Ctrl-C when undefined,
 * saying so on `output`.
 *
 * ## Example
 * ```ts
 * import { linger } from './dashboard.js';
 * await linger(dashboard, 30, { stderr: process.stderr, interrupts });
 * await dashboard.close();
 * ```
 */
export async function linger(dashboard: Dashboard, seconds: number | undefined, io: { stderr: { write(chunk: string): unknown }; interrupts: Observable<unknown> }): Promise<void> {
  if (seconds === 0) return;
  io.stderr.write(`◆ dashboard still serving at ${dashboard.url}: ${seconds === undefined ? 'Ctrl-C to exit' : `for ${seconds} s (Ctrl-C to exit now)`}\n`);
  await firstValueFrom(seconds === undefined ? io.interrupts : race(io.interrupts, timer(seconds * 1000)));
}
