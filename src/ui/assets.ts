import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundlePage, PAGE_SCRIPTS, type PageBundle, type PageScript } from './page-bundle.js';

/** A file the dashboard serves. */
export interface Asset {
  body: string | Buffer;
  type: string;
  /** A vendored library file, the same until the package is upgraded. */
  immutable: boolean;
}

const JS = 'text/javascript; charset=utf-8';

const SCRIPT = new RegExp(`^/app/ui/page/(${PAGE_SCRIPTS.join('|')})\\.js$`);

/**
 * The page's two scripts, `/app/ui/page/main.js` and `/app/ui/page/layout-worker.js` (each one
 * bundled module, see `page-bundle.ts`: the published package's `dist/page/`, or bundled from the
 * sources on first request and again when one of them changes), and d3-dag (the graph layout the
 * worker loads) from the package's own vendor/ copy. Nothing else on disk is reachable.
 */
export class PageAssets {
  readonly #require = createRequire(import.meta.url);
  #fromSource: Promise<{ bundle: PageBundle; mtimes: number[] }> | undefined;
  readonly #builtScripts = new Map<PageScript, Promise<string | undefined>>();
  /** The check in progress (requests that come together share it). */
  #checking: Promise<PageBundle> | undefined;

  /** The asset at a URL path, or undefined (404). */
  async get(pathname: string): Promise<Asset | undefined> {
    const script = SCRIPT.exec(pathname);
    if (script) return { body: await this.#script(script[1] as PageScript), type: JS, immutable: false };
    if (pathname === '/vendor/d3-dag.js') return { body: await this.#d3Dag(), type: JS, immutable: true };
    return undefined;
  }

  /** The published bundle (`dist/page/<name>.js`, beside `dist/src/`), else one made from the sources. */
  async #script(name: PageScript): Promise<string> {
    const built = await this.#built(name);
    if (built !== undefined) return built;
    this.#checking ??= this.#sourceBundle().finally(() => (this.#checking = undefined));
    return (await this.#checking).scripts[name];
  }

  /** The published bundle's script, read once (a package's files do not change under a running dashboard); undefined from source. */
  #built(name: PageScript): Promise<string | undefined> {
    let read = this.#builtScripts.get(name);
    if (!read) this.#builtScripts.set(name, (read = readFile(new URL(`../../page/${name}.js`, import.meta.url), 'utf8').catch(() => undefined)));
    return read;
  }

  /** Bundles the sources once, and again when a file that went into the bundle changed (editing the page while the dashboard runs). */
  async #sourceBundle(): Promise<PageBundle> {
    const root = new URL('../../', import.meta.url);
    const mtimesOf = (inputs: readonly string[]) => Promise.all(inputs.map((input) => stat(new URL(input, root)).then((s) => s.mtimeMs, () => -1)));
    const current = await this.#fromSource?.catch(() => undefined);
    if (current) {
      const now = await mtimesOf(current.bundle.inputs);
      if (now.every((mtime, i) => mtime === current.mtimes[i])) return current.bundle;
    }
    const startedAt = performance.timeOrigin + performance.now();
    // A file saved while esbuild read it may be in the bundle as it was: its mtime is recorded as unknown, so the next request bundles again.
    const next = bundlePage().then(async (bundle) => ({ bundle, mtimes: (await mtimesOf(bundle.inputs)).map((mtime) => (mtime >= startedAt ? -1 : mtime)) }));
    this.#fromSource = next;
    return (await next).bundle;
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
}
