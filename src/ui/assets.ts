import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file the dashboard serves. */
export interface Asset {
  body: string | Buffer;
  type: string;
  /** A vendored library file, the same until the package is upgraded. */
  immutable: boolean;
}

const JS = 'text/javascript; charset=utf-8';

/**
 * The modules the page may load: its own (`ui/page/*`), the run's schema (`run/events`) with the
 * event declarations it merges (`run/event-fields`, `*-events` (models, store, nodes, one folder deep) and `agents/events` next to their emitters: zod-only
 * leaves, see .dependency-cruiser.cjs), the run's reducer (`run/run-state`: the page model folds
 * events through it; it imports only the schema) and `observe/percentile`.
 */
const PAGE_MODULE = /^\/app\/(ui\/page\/[a-z0-9-]+|run\/events|run\/event-fields|run\/run-state|(?:models|store|nodes)\/(?:[a-z-]+\/)?[a-z-]+-events|patterns\/[a-z]+\/[a-z-]*events|agents\/events|observe\/percentile)\.js$/;

/**
 * The page's ES modules, served as `/app/<path>.js` from this package's own files (the compiled
 * `.js` beside this module, or, when running from source, the `.ts` transpiled on the fly), and
 * the libraries it imports, served from node_modules: zod (the published `RunEventSchema` runs in
 * the page), and d3-dag (the graph layout) from the package's own vendor/ copy. Nothing else on disk is reachable.
 */
export class PageAssets {
  /** `src/` (or `dist/src/`): the page is `ui/page/*`; it also imports `run/events` (the schema, with its event declarations), `run/run-state` and `observe/percentile`. */
  readonly #root = new URL('../', import.meta.url);
  readonly #require = createRequire(import.meta.url);
  readonly #transpiled = new Map<string, { mtimeMs: number; code: string }>();
  #zodRoot: string | undefined;

  /** The asset at a URL path, or undefined (404). */
  async get(pathname: string): Promise<Asset | undefined> {
    const page = PAGE_MODULE.exec(pathname);
    if (page) return this.#module(page[1]!);
    if (pathname === '/vendor/d3-dag.js') return { body: await this.#d3Dag(), type: JS, immutable: true };
    const zod = /^\/vendor\/zod\/((?:[\w-]+\/)*[\w-]+\.js)$/.exec(pathname);
    if (zod) {
      this.#zodRoot ??= dirname(this.#require.resolve('zod/package.json'));
      const file = join(this.#zodRoot, ...zod[1]!.split('/'));
      if (!file.startsWith(this.#zodRoot + sep)) return undefined;
      return readFile(file).then(
        (body) => ({ body, type: JS, immutable: true }),
        () => undefined,
      );
    }
    return undefined;
  }

  /**
   * d3-dag's one-file ES module build: in the published package it ships as `dist/vendor/d3-dag.js`
   * (copied there by `npm run build`, so users do not install d3-dag and its 21 dependencies); from the
   * repository it comes from the devDependency.
   */
  async #d3Dag(): Promise<Buffer> {
    const bundled = await readFile(new URL('../../vendor/d3-dag.js', import.meta.url)).catch(() => undefined);
    if (bundled) return bundled;
    const main = this.#require.resolve('d3-dag'); // dist/d3-dag.cjs.min.js; the ES module sits beside it
    return readFile(join(dirname(main), 'd3-dag.esm.min.mjs'));
  }

  async #module(path: string): Promise<Asset | undefined> {
    const js = fileURLToPath(new URL(`${path}.js`, this.#root));
    const compiled = await readFile(js, 'utf8').catch(() => undefined);
    if (compiled !== undefined) return { body: compiled, type: JS, immutable: false };
    const ts = fileURLToPath(new URL(`${path}.ts`, this.#root));
    const info = await stat(ts).catch(() => undefined);
    if (!info) return undefined;
    const cached = this.#transpiled.get(ts);
    if (cached?.mtimeMs === info.mtimeMs) return { body: cached.code, type: JS, immutable: false };
    const code = await transpile(ts, await readFile(ts, 'utf8'));
    this.#transpiled.set(ts, { mtimeMs: info.mtimeMs, code });
    return { body: code, type: JS, immutable: false };
  }
}

/** Running from source (tsx, vitest): type-strips a page module with TypeScript (a devDependency then). */
async function transpile(fileName: string, source: string): Promise<string> {
  const { default: ts } = await import('typescript');
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, isolatedModules: true, sourceMap: false },
  }).outputText;
}
