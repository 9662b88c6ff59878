/**
 * The page is one bundled module (plus its layout worker). What went into it is the promise the
 * dependency rules make for the page: its own modules, the run's schema with the event declarations
 * it merges (zod-only leaves next to their emitters), the run's reducer, the percentile helper and
 * zod. Nothing of the engine, Node or the server side may slip in.
 */
import { describe, expect, it } from 'vitest';
import { PageAssets } from '../../src/ui/assets.js';
import { bundlePage } from '../../src/ui/page-bundle.js';

/** The sources the page may be made of. */
const ALLOWED = /^(src\/ui\/page\/[a-z0-9-]+|src\/run\/events|src\/run\/event-fields|src\/run\/run-state|src\/(?:models|store|nodes)\/(?:[a-z-]+\/)?[a-z-]+-events|src\/patterns\/[a-z]+\/[a-z-]*events|src\/agents\/events|src\/observe\/percentile)\.ts$|^node_modules\/zod\//;

describe('the dashboard page bundle', () => {
  it('is made only of the page, the run schema with its event declarations, the reducer and zod', async () => {
    const { inputs, scripts } = await bundlePage();
    expect(inputs.filter((input) => !ALLOWED.test(input))).toEqual([]);
    expect(inputs).toEqual(
      expect.arrayContaining(['src/ui/page/main.ts', 'src/ui/page/layout-worker.ts', 'src/run/events.ts', 'src/run/event-fields.ts', 'src/patterns/supervisor/events.ts', 'src/store/cache-events.ts', 'src/models/governance-events.ts', 'src/run/run-state.ts']),
    );
    expect(inputs.some((input) => input.startsWith('node_modules/zod/'))).toBe(true);
    expect(inputs.filter((input) => input.includes('/locales/')).sort()).toEqual(['node_modules/zod/v4/locales/en.js', 'node_modules/zod/v4/locales/index.js']); // zod's English messages only
    for (const code of Object.values(scripts)) expect(code).not.toMatch(/\bfrom\s*["'](?!\.)/); // no bare imports left for the browser to resolve
  });

  it('serves the two bundled scripts, and no source module one by one', async () => {
    const assets = new PageAssets();
    const main = await assets.get('/app/ui/page/main.js');
    const worker = await assets.get('/app/ui/page/layout-worker.js');
    expect(main?.type).toBe('text/javascript; charset=utf-8');
    expect(String(main?.body)).toContain('run.snapshot'); // the schema's event names survive minifying
    expect(String(worker?.body)).toContain('/vendor/d3-dag.js');
    expect((await assets.get('/app/ui/page/main.js'))?.body).toBe(main?.body);
    for (const path of ['/app/ui/page/model.js', '/app/run/events.js', '/vendor/zod/index.js', '/app/ui/page/main.ts']) expect(await assets.get(path), path).toBeUndefined();
  });
});
