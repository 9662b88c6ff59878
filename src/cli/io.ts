import type { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import type { DashboardModule } from './dashboard.js';
import type { TerminalOutput } from './live-view.js';
import type { TextOutput } from './output.js';

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
