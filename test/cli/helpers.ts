/**
 * Helpers of the CLI tests: run the CLI as a child process (plain pipes or a pseudo-terminal) and
 * replay terminal output on a small screen model to see what a user would see.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from here, as `npx rx-orchestra` would. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
export const FIXTURE = 'test/cli/fixtures/pipelines.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node src/cli/bin.js ...args` with pipes (not a TTY) and collects its output. */
export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return capture(process.execPath, [BIN, ...args], options);
}

/**
 * Runs the CLI under a pseudo-terminal of `rows` x `columns` with util-linux `script`, so stdout
 * is a TTY; returns everything the terminal received (stdout and stderr, with escape sequences).
 */
export function runCliInPty(args: readonly string[], options: { rows: number; columns: number; env?: Record<string, string> }): Promise<CliResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return capture('script', ['-qfec', `stty rows ${options.rows} cols ${options.columns}; ${command}`, '/dev/null'], options);
}

function capture(file: string, args: readonly string[], options: { env?: Record<string, string>; cwd?: string }): Promise<CliResult> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, LOG_LEVEL: '', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - began }));
  });
}

const ESC = '\x1b';
/** A CSI escape sequence (`ESC [ params final`), anywhere in a text. */
export const ESCAPE_SEQUENCE = new RegExp(`${ESC}\\[[?\\d;]*[A-Za-z]`, 'g');
const SEQUENCE_AT_START = new RegExp(`^${ESC}\\[([?\\d;]*)([A-Za-z])`);

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * A minimal terminal: replays output with the escape sequences the live view uses (cursor up,
 * erase line, erase below, colours, cursor and wrap modes) on a grid of `rows` x `columns`, and
 * scrolls when a newline falls off the bottom, so a test sees the final screen a user would.
 */
export class Screen {
  readonly lines: string[][];
  row = 0;
  col = 0;
  /** Escape sequences seen, by final byte and parameter, e.g. `A:5` for "cursor up 5". */
  readonly sequences: string[] = [];

  constructor(
    readonly rows: number,
    readonly columns: number,
  ) {
    this.lines = Array.from({ length: rows }, () => []);
  }

  write(text: string): this {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '\x1b' && text[i + 1] === '[') {
        const match = SEQUENCE_AT_START.exec(text.slice(i));
        if (!match) continue;
        this.#control(match[1]!, match[2]!);
        i += match[0].length - 1;
      } else if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.#newline();
      else if (this.col < this.columns) this.lines[this.row]![this.col++] = ch;
    }
    return this;
  }

  /** The screen as text lines, trailing spaces and empty lines at the bottom trimmed. */
  text(): string[] {
    const out = this.lines.map((cells) => Array.from({ length: cells.length }, (_, i) => cells[i] ?? ' ').join('').trimEnd());
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  #newline(): void {
    if (this.row === this.rows - 1) {
      this.lines.shift();
      this.lines.push([]);
    } else this.row++;
  }

  #control(params: string, final: string): void {
    this.sequences.push(`${final}:${params}`);
    const n = Number(params || '1');
    switch (final) {
      case 'A':
        this.row = Math.max(0, this.row - n);
        break;
      case 'K':
        this.lines[this.row] = params === '2' ? [] : this.lines[this.row]!.slice(0, this.col);
        break;
      case 'J':
        this.lines[this.row] = this.lines[this.row]!.slice(0, this.col);
        for (let r = this.row + 1; r < this.rows; r++) this.lines[r] = [];
        break;
      default:
        break; // colours (m), cursor and wrap modes (h, l)
    }
  }
}
