/**
 * Read-only tools over one directory tree (a repository), for agents that explore code: `list_dir`,
 * `grep` and `read_file`, confined to the root. A path outside it (`..`, an absolute path elsewhere,
 * a symlink that leads out), `.git` internals and `.env` files are refused with an error the model
 * reads as its tool result; reads are capped in size. The tools answer synchronously (plain `fs`
 * calls), so a run on a virtual scheduler stays in virtual time.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { defer, of } from 'rxjs';
import { z } from 'zod';
import { tool, type Tool } from 'rx-orchestra';

/** Why a repo tool refused or failed a call. */
export type RepoAccessErrorCode = 'OUTSIDE_REPO' | 'FORBIDDEN' | 'NOT_FOUND' | 'NOT_A_FILE' | 'NOT_A_DIRECTORY' | 'BAD_PATTERN';

/** A repo tool's refusal, worded for the model (it reads `message` as an error result). Never retried. */
export class RepoAccessError extends Error {
  override readonly name = 'RepoAccessError';
  readonly retryable = false;
  constructor(
    readonly code: RepoAccessErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Settings of {@link repoTools}. */
export interface RepoToolsOptions {
  /** The directory the tools may read, and only it. */
  root: string;
  /** Bytes `read_file` returns at most; a longer file is cut, with a note saying so. @default 16_384 */
  maxReadBytes?: number;
  /** Matching lines `grep` returns at most. @default 20 */
  maxMatches?: number;
  /** Entries `list_dir` returns at most. @default 200 */
  maxEntries?: number;
}

/** The three tools, by the names the model calls them. */
export interface RepoTools {
  readonly list_dir: Tool<{ path: string }, string>;
  readonly grep: Tool<{ pattern: string; path: string }, string>;
  readonly read_file: Tool<{ path: string }, string>;
  /** All three, for `agent({ tools })`. */
  readonly all: readonly [RepoTools['list_dir'], RepoTools['grep'], RepoTools['read_file']];
  /** The real path of the root. */
  readonly root: string;
}

/** Directories no tool lists, searches or reads: dependencies, build output, git internals. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage']);
/** Files `grep` does not search: bigger than this is not source code. */
const GREP_MAX_FILE_BYTES = 512 * 1024;

/**
 * Makes `list_dir`, `grep` and `read_file` over `root`. Every path the model gives is taken relative
 * to the root; it is refused (an error result the model reads) when it has a `..` segment, is an
 * absolute path outside the root, resolves through a symlink to somewhere outside it, or names a
 * `.git` directory or a `.env` file.
 *
 * ## Example
 * ```ts
 * const repo = repoTools({ root: process.cwd() });
 * const explorer = agent({ prompt: () => 'Where is the run loop?', tools: repo.all, maxSteps: 6 });
 * ```
 */
export function repoTools(options: RepoToolsOptions): RepoTools {
  const { maxReadBytes = 16_384, maxMatches = 20, maxEntries = 200 } = options;
  const root = realpathSync(options.root);
  const inside = (path: string) => path === root || path.startsWith(root + sep);
  const shown = (path: string) => relative(root, path).split(sep).join('/') || '.';

  /** The real path of `path` inside the root, or a {@link RepoAccessError} the model reads. */
  const locate = (path: string): string => {
    const refuse = (code: RepoAccessErrorCode, why: string) => new RepoAccessError(code, path, `Refused: '${path}' ${why}. Paths are relative to the repository root, e.g. 'src/index.ts'.`);
    if (path.includes('\0')) throw refuse('OUTSIDE_REPO', 'contains a NUL character');
    if (path.split(/[\\/]/).includes('..')) throw refuse('OUTSIDE_REPO', "has a '..' segment: the tools only read inside the repository");
    const target = isAbsolute(path) ? resolve(path) : resolve(root, path);
    if (!inside(target)) throw refuse('OUTSIDE_REPO', 'is outside the repository');
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new RepoAccessError('NOT_FOUND', path, `No such file or directory: '${path}'. Use list_dir to see what exists.`);
    }
    if (!inside(real)) throw refuse('OUTSIDE_REPO', 'is a symlink that leads outside the repository');
    const parts = shown(real).split('/');
    if (parts.includes('.git')) throw refuse('FORBIDDEN', 'is inside .git');
    if (/^\.env(\..*)?$/.test(parts.at(-1)!)) throw refuse('FORBIDDEN', 'may hold secrets (.env files are not read)');
    return real;
  };

  /** Files under `dir`, sorted, skipping {@link SKIPPED_DIRS} and symlinks (which may lead out). */
  const walk = (dir: string, files: string[] = []): string[] => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(path, files);
      else if (entry.isFile() && !/^\.env(\..*)?$/.test(entry.name)) files.push(path);
    }
    return files;
  };

  const list_dir = tool({
    name: 'list_dir',
    description: 'Lists a directory of the repository: sub-directories end with /, files show their size. Paths are relative to the repository root.',
    input: z.object({ path: z.string().default('.').describe("A directory, relative to the repository root, e.g. 'src/run'") }),
    run: ({ path }) =>
      defer(() => {
        const dir = locate(path);
        if (!statSync(dir).isDirectory()) throw new RepoAccessError('NOT_A_DIRECTORY', path, `'${path}' is a file, not a directory: use read_file.`);
        const entries = readdirSync(dir, { withFileTypes: true })
          .filter((entry) => !SKIPPED_DIRS.has(entry.name) && !/^\.env(\..*)?$/.test(entry.name))
          .sort((a, b) => a.name.localeCompare(b.name));
        const lines = entries.slice(0, maxEntries).map((entry) => {
          const full = join(dir, entry.name);
          if (entry.isDirectory()) return `${entry.name}/`;
          if (entry.isSymbolicLink()) return `${entry.name} -> (symlink)`;
          return `${entry.name} (${lstatSync(full).size} bytes)`;
        });
        if (entries.length > maxEntries) lines.push(`... ${entries.length - maxEntries} more entries`);
        return of(`${shown(dir)}/\n${lines.join('\n')}`);
      }),
  });

  const grep = tool({
    name: 'grep',
    description: `Searches the repository's files for a regular expression (JavaScript syntax, case-sensitive) and answers up to ${maxMatches} matching lines as path:line: text.`,
    input: z.object({
      pattern: z.string().min(1).describe('A JavaScript regular expression, e.g. "class RunLoop"'),
      path: z.string().default('.').describe('A directory (or file) to search in, relative to the repository root'),
    }),
    run: ({ pattern, path }) =>
      defer(() => {
        let regex: RegExp;
        try {
          regex = new RegExp(pattern);
        } catch (error) {
          throw new RepoAccessError('BAD_PATTERN', path, `Invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
        }
        const start = locate(path);
        const files = statSync(start).isDirectory() ? walk(start) : [start];
        const matches: string[] = [];
        let more = 0;
        for (const file of files) {
          if (statSync(file).size > GREP_MAX_FILE_BYTES) continue;
          const lines = readFileSync(file, 'utf8').split('\n');
          for (const [i, line] of lines.entries()) {
            if (!regex.test(line)) continue;
            if (matches.length < maxMatches) matches.push(`${shown(file)}:${i + 1}: ${line.trim().slice(0, 200)}`);
            else more += 1;
          }
        }
        if (matches.length === 0) return of(`No match for ${JSON.stringify(pattern)} in ${shown(start)} (${files.length} files searched).`);
        return of(matches.join('\n') + (more > 0 ? `\n... ${more} more matches` : ''));
      }),
  });

  const read_file = tool({
    name: 'read_file',
    description: `Reads a text file of the repository (at most ${maxReadBytes} bytes; a longer file is cut, and says so).`,
    input: z.object({ path: z.string().min(1).describe("A file, relative to the repository root, e.g. 'src/run/run-loop.ts'") }),
    run: ({ path }) =>
      defer(() => {
        const file = locate(path);
        if (!statSync(file).isFile()) throw new RepoAccessError('NOT_A_FILE', path, `'${path}' is a directory, not a file: use list_dir.`);
        const bytes = readFileSync(file);
        if (bytes.length <= maxReadBytes) return of(bytes.toString('utf8'));
        // Cut at a line end within the cap, so no character is split.
        const head = bytes.subarray(0, maxReadBytes).toString('utf8');
        const cut = head.lastIndexOf('\n') > 0 ? head.slice(0, head.lastIndexOf('\n') + 1) : head;
        return of(`${cut}[... cut: the first ${Buffer.byteLength(cut)} of ${bytes.length} bytes are shown (read limit ${maxReadBytes} bytes)]`);
      }),
  });

  return { list_dir, grep, read_file, all: [list_dir, grep, read_file], root };
}
