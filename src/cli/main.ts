/**
 * The `rx-orchestra` command line. The launcher (`bin.js`) calls {@link main}.
 * @module
 */
import { readFileSync } from 'node:fs';
import { HELP, parseCommandLine } from './args.js';
import { EXIT_CODES, isCliError, oneLine } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Runs the command line `argv` (without `node` and the script: `run`, `resume`, `replay`, `inspect`, `watch`)
 * and resolves with the exit code.
 * Every error that stops it before a run is one line on stderr (`✗ PIPELINE_NOT_FOUND: no such
 * file: 'x.ts'`) and exit code 2; see `EXIT_CODES` for the others. Never rejects.
 *
 * ## Example
 * ```ts
 * import { main } from './main.js';
 * process.exitCode = await main(['run', 'pipeline.ts', '--dry-run']);
 * ```
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  try {
    const command = parseCommandLine(argv);
    switch (command.kind) {
      case 'help':
        stdout.write(HELP);
        return EXIT_CODES.ok;
      case 'version':
        stdout.write(`${packageVersion()}\n`);
        return EXIT_CODES.ok;
      case 'run':
      case 'resume': {
        // Loaded on demand: --help and --version do not load the engine.
        const { runCommand } = await import('./run-command.js');
        return await runCommand(command.options, await fullIo(stdout, stderr, io));
      }
      case 'replay': {
        const { replayCommand } = await import('./replay-command.js');
        return await replayCommand(command.options, await fullIo(stdout, stderr, io));
      }
      case 'watch': {
        const { watchCommand } = await import('./watch-command.js');
        return await watchCommand(command.options, await fullIo(stdout, stderr, io));
      }
      case 'inspect': {
        const { inspectCommand } = await import('./inspect-command.js');
        return await inspectCommand(command.options, { stdout, cwd: io.cwd ?? process.cwd(), env: io.env ?? process.env });
      }
    }
  } catch (error) {
    if (isCliError(error)) {
      stderr.write(`✗ ${error.code}: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    stderr.write(`✗ internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_CODES.runFailed;
  }
}

/** The process's streams, directory, environment and interrupts, with the parts `io` replaces. */
async function fullIo(stdout: CliIo['stdout'], stderr: CliIo['stderr'], io: Partial<CliIo>): Promise<CliIo> {
  const { processInterrupts } = await import('./run-command.js');
  return { stdout, stderr, cwd: process.cwd(), env: process.env, typescript: 'auto', interrupts: processInterrupts(), ...io };
}

/** The version in the package's package.json (found upwards from this file: src/cli or dist/src/cli). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'rx-orchestra' && manifest.version) return manifest.version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}
