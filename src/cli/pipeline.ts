import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Graph } from '../graph/graph.js';
import type { ExecuteOptions } from '../run/execute.js';
import { CliError, oneLine } from './errors.js';

/**
 * A pipeline as `rx-orchestra run` takes it: a built graph and the options to execute it with.
 * A pipeline module's default export (or its export named `pipeline`, or `graph`) is one of:
 * - a built graph: `export default graph().node(...).build();`
 * - a pipeline: `export default { graph: g, options: { concurrency: 4, budget: { maxUsd: 0.5 } } };`
 * - a function of no arguments returning either, possibly async (called once per CLI run, so a
 *   factory such as `buildResearchDag` builds fresh simulated models).
 *
 * Command-line flags override `options`: `--concurrency`, `--budget` (`budget.maxUsd`), `--run-id`.
 * `options.scheduler` should stay the default (real time) for a CLI run.
 *
 * ## Example
 * ```ts
 * // pipeline.ts — run with: npx rx-orchestra run pipeline.ts
 * import { graph, llm, type ExecuteOptions } from 'rx-orchestra';
 * const g = graph()
 *   .node('facts', { run: llm({ prompt: () => 'Three facts about RxJS', model: 'claude-haiku-4-5' }), retry: 3 })
 *   .node('tweet', { deps: ['facts'], run: llm({ prompt: ({ facts }) => `A tweet from:\n${facts}` }) })
 *   .build();
 * export default { graph: g, options: { concurrency: 4 } satisfies ExecuteOptions };
 * ```
 */
export interface Pipeline {
  readonly graph: Graph<Record<string, unknown>, unknown>;
  /** @default {} */
  readonly options?: ExecuteOptions;
}

/**
 * The exports looked at, in order, when `--export` does not name one.
 *
 * ## Example
 * ```ts
 * import { PIPELINE_EXPORTS } from './pipeline.js';
 * const name = PIPELINE_EXPORTS.find((key) => module[key] !== undefined); // 'default' first
 * ```
 */
export const PIPELINE_EXPORTS = ['default', 'pipeline', 'graph'] as const;

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Settings of {@link loadPipeline}.
 *
 * ## Example
 * ```ts
 * import { loadPipeline, type LoadPipelineOptions } from './pipeline.js';
 * const options: LoadPipelineOptions = { cwd: '/work/project', exportName: 'buildResearchDag' };
 * await loadPipeline('examples/research-dag-graph.ts', options);
 * ```
 */
export interface LoadPipelineOptions {
  /** Directory the file is relative to. @default process.cwd() */
  cwd?: string;
  /** The export holding the pipeline. @default the first of {@link PIPELINE_EXPORTS} present */
  exportName?: string;
  /**
   * How TypeScript files are imported: `'registered'` when a loader (tsx) is already active, as
   * the launcher arranges in the repository; `'auto'` registers tsx on first need, if installed.
   * @default 'auto'
   */
  typescript?: 'registered' | 'auto';
}

/**
 * Imports a pipeline module and returns its {@link Pipeline}. Every problem is a {@link CliError}
 * with one line naming the file: `PIPELINE_NOT_FOUND`, `PIPELINE_IMPORT_FAILED` (the module threw,
 * e.g. a `GraphError` from `.build()`), `PIPELINE_NO_EXPORT` (listing what it does export),
 * `PIPELINE_INVALID_EXPORT`, `TYPESCRIPT_UNSUPPORTED`.
 *
 * ## Example
 * ```ts
 * import { loadPipeline } from './pipeline.js';
 * const { graph, options } = await loadPipeline('examples/research-dag-graph.ts', { exportName: 'buildResearchDag' });
 * ```
 * @throws {CliError}
 */
export async function loadPipeline(file: string, options: LoadPipelineOptions = {}): Promise<Pipeline> {
  const path = resolve(options.cwd ?? process.cwd(), file);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new CliError('PIPELINE_NOT_FOUND', `no such file: '${file}'`);
  if (!info.isFile()) throw new CliError('PIPELINE_NOT_FOUND', `not a file: '${file}'`);
  if (TYPESCRIPT_EXTENSIONS.has(extname(path)) && options.typescript !== 'registered') await registerTypeScript(file);

  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError('PIPELINE_IMPORT_FAILED', `cannot load '${file}': ${describeError(error)}`, { cause: error });
  }

  const name = options.exportName ?? PIPELINE_EXPORTS.find((key) => module[key] !== undefined);
  if (name === undefined || module[name] === undefined) {
    const found = Object.keys(module).map((key) => `${key} (${kindOf(module[key])})`);
    const wanted = options.exportName ? `no export '${options.exportName}'` : `no default export and no export named 'pipeline' or 'graph'`;
    const hint = found.length === 0 ? 'it exports nothing' : `it exports ${found.join(', ')}; pick one with --export <name>`;
    throw new CliError('PIPELINE_NO_EXPORT', oneLine(`'${file}' has ${wanted}: ${hint}`));
  }
  return toPipeline(await produce(module[name], file, name), file, name);
}

/** Calls a factory export (sync or async); other values are returned as they are. */
async function produce(value: unknown, file: string, name: string): Promise<unknown> {
  if (typeof value !== 'function') return value;
  try {
    return await (value as () => unknown)();
  } catch (error) {
    throw new CliError('PIPELINE_IMPORT_FAILED', `'${file}': export '${name}' threw when called: ${describeError(error)}`, { cause: error });
  }
}

function toPipeline(value: unknown, file: string, name: string): Pipeline {
  if (isGraph(value)) return { graph: value, options: {} };
  if (typeof value === 'object' && value !== null && 'graph' in value) {
    const { graph, options = {} } = value as { graph: unknown; options?: unknown };
    if (!isGraph(graph)) throw invalid(file, `export '${name}' has a 'graph' that is not a built graph (${hintFor(graph)})`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalid(file, `export '${name}' has 'options' that are not an object of execute options`);
    return { graph, options: options as ExecuteOptions };
  }
  throw invalid(file, `export '${name}' is not a pipeline (${hintFor(value)}): expected a built graph, { graph, options }, or a function returning one`);
}

const invalid = (file: string, message: string) => new CliError('PIPELINE_INVALID_EXPORT', `'${file}': ${message}`);

/**
 * True for a built {@link Graph} (what `graph()...build()` returns), also one built by another
 * copy of this package.
 *
 * ## Example
 * ```ts
 * import { graph } from 'rx-orchestra';
 * import { isGraph } from './pipeline.js';
 * isGraph(graph().node('a', { run: () => [1] }).build()); // true
 * isGraph(graph().node('a', { run: () => [1] }));          // false: not built
 * ```
 */
export function isGraph(value: unknown): value is Graph<Record<string, unknown>, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const g = value as Partial<Record<keyof Graph, unknown>>;
  return Array.isArray(g.nodes) && g.indexOf instanceof Map && Array.isArray(g.depIndices) && Array.isArray(g.dependents) && g.rank instanceof Float64Array;
}

function hintFor(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as { build?: unknown }).build === 'function') return 'a graph builder: call .build()';
  return `got ${kindOf(value)}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (isGraph(value)) return 'a graph';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return value === undefined ? 'undefined' : `a ${typeof value}`;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const code = (error as { code?: unknown }).code;
  return oneLine(`${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`);
}

let typescriptLoader: Promise<void> | undefined;

/** Registers tsx's ESM loader once, so `import()` of a `.ts` file works; a `CliError` when tsx is missing. */
function registerTypeScript(file: string): Promise<void> {
  typescriptLoader ??= (async () => {
    const specifier = 'tsx/esm/api'; // not a static import: tsx is only needed for TypeScript pipelines
    const api = (await import(specifier).catch(() => undefined)) as { register?: () => unknown } | undefined;
    if (typeof api?.register !== 'function') {
      throw new CliError('TYPESCRIPT_UNSUPPORTED', `'${file}' is TypeScript and no TypeScript loader is installed: npm install --save-dev tsx (or compile it to .js)`);
    }
    api.register();
  })();
  typescriptLoader.catch(() => (typescriptLoader = undefined));
  return typescriptLoader;
}
