/**
 * The page imports the run's schema (`run/events`), which merges event declarations that live next
 * to the code that emits them: every module it reaches (relative imports, followed from the page's
 * entry) must be one the dashboard serves, or the page would 404 in the browser.
 */
import { describe, expect, it } from 'vitest';
import { PageAssets } from '../../src/ui/assets.js';

/** Relative imports of an ES module's text (static `import`/`export ... from`). */
function relativeImports(code: string): string[] {
  return [...code.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => (m[1] ?? m[2])!);
}

describe('dashboard page modules', () => {
  it('serves every module the page reaches from its entry, the run schema and its event declarations included', async () => {
    const assets = new PageAssets();
    const seen = new Set<string>();
    const missing: string[] = [];
    const visit = async (path: string): Promise<void> => {
      if (seen.has(path)) return;
      seen.add(path);
      const asset = await assets.get(path);
      if (!asset) return void missing.push(path);
      for (const spec of relativeImports(String(asset.body))) await visit(new URL(spec, `http://page${path}`).pathname);
    };
    await visit('/app/ui/page/main.js');
    expect(missing).toEqual([]);
    expect([...seen]).toEqual(expect.arrayContaining(['/app/run/events.js', '/app/run/event-fields.js', '/app/patterns/supervisor/events.js', '/app/store/cache-events.js', '/app/models/governance-events.js']));
  });
});
