/**
 * The dashboard page's two scripts, each one bundled ES module: `main.js` (the page: its own
 * modules, the run's schema with its event declarations, the run's reducer and zod) and
 * `layout-worker.js` (the layout worker, which loads d3-dag itself from `/vendor/d3-dag.js`).
 *
 * Why a bundle and not the modules one by one: served separately, the page was ~30 of our modules
 * and ~90 of zod's, and a page that joined a 10,000-node run spent 0.55-0.75 s of its 1.2-1.8 s
 * loading them before it could even open the event stream (measured by `dashboard_late_join_ms`).
 * esbuild does the bundling (it is how tsx runs TypeScript here already); `npm run build` writes the
 * bundle into the package (`dist/page/`), and from source the dashboard bundles on first request.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

/** The page's scripts, served as `/app/ui/page/<name>.js`. */
export const PAGE_SCRIPTS = ['main', 'layout-worker'] as const;

/** One of the page's scripts. */
export type PageScript = (typeof PAGE_SCRIPTS)[number];

/** A bundled page: each script's code, and every file that went into it (relative to the package root, `/` separated). */
export interface PageBundle {
  scripts: Record<PageScript, string>;
  inputs: string[];
}

/**
 * zod re-exports its ~50 message locales as `z.locales`, half of the page's bundle (264 of 527 KB);
 * the page reports issues in English only, so its bundle keeps `en` alone.
 */
const ENGLISH_ONLY: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: "export { default as en } from './en.js';", loader: 'js' }));
  },
};

/** The repository root, two levels above this module in `src/ui/` (only ever bundled from source). */
const sourceRoot = () => fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles the page from its TypeScript sources with esbuild (a devDependency: from source only; the
 * published package carries the bundle `npm run build` wrote).
 *
 * ```ts
 * const { scripts, inputs } = await bundlePage();
 * scripts.main.length; // ~500 KB, zod included
 * ```
 */
export async function bundlePage(): Promise<PageBundle> {
  const esbuild = await import('esbuild').catch((error: unknown) => {
    throw new Error('the dashboard page is not built: run `npm run build` (or install esbuild to bundle it from source)', { cause: error });
  });
  const root = sourceRoot();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: PAGE_SCRIPTS.map((name) => ({ in: `./src/ui/page/${name}.ts`, out: name })),
    outdir: 'page',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [ENGLISH_ONLY],
  });
  const scripts = {} as Record<PageScript, string>;
  for (const file of result.outputFiles) {
    const name = relative(join(root, 'page'), file.path).replace(/\.js$/, '') as PageScript;
    scripts[name] = file.text;
  }
  return { scripts, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * Writes the bundled scripts into `outdir` (what `npm run build` ships as `dist/page/`).
 *
 * ```ts
 * await writePageBundle('dist/page');
 * ```
 */
export async function writePageBundle(outdir: string): Promise<void> {
  const { scripts } = await bundlePage();
  await mkdir(outdir, { recursive: true });
  await Promise.all(PAGE_SCRIPTS.map((name) => writeFile(join(outdir, `${name}.js`), scripts[name])));
}
