/* global process, performance, console */
/**
 * The child process of the fresh-process benches (cold.bench.ts): plain JavaScript, so that it runs
 * under a bare `node` against the built dist/ (what a one-shot CLI run of an installed package
 * pays), or under `node --import tsx` against the source. Prints one JSON line.
 *
 *   node cold-child.mjs import <specifier>             time of `await import(specifier)`
 *   node cold-child.mjs run <specifier> <dag.json> <n>  first run of the DAG, then n warm runs
 *
 * `specifier` is a module specifier or a file URL: `rx-orchestra` resolves through the package's
 * own `exports` (self-reference), `rxjs` from the repository's node_modules.
 */
import { readFileSync } from 'node:fs';

const [mode, specifier, dagFile, warmRuns = '0'] = process.argv.slice(2);

if (mode === 'import') {
  const t0 = performance.now();
  await import(specifier);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms }));
} else if (mode === 'run') {
  const { graphFromNodes, execute } = await import(specifier);
  const { of, lastValueFrom, count } = await import('rxjs');
  /** @type {{ nodes: { id: string; deps: string[]; duration: number }[] }} */
  const dag = JSON.parse(readFileSync(dagFile, 'utf8'));
  // The same graph as random-dag.ts's toGraph with instant nodes (the warm overhead bench's work).
  const b0 = performance.now();
  const g = graphFromNodes(dag.nodes.map((node) => ({ id: node.id, deps: node.deps, estimate: node.duration, run: () => of(node.id) })));
  const buildMs = performance.now() - b0;
  const runOnce = async () => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const events = await lastValueFrom(execute(g, { concurrency: 4 }).pipe(count()));
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, events };
  };
  const first = await runOnce();
  const warm = [];
  for (let i = 0; i < Number(warmRuns); i++) warm.push((await runOnce()).ms);
  warm.sort((a, b) => a - b);
  const warmMs = warm.length > 0 ? warm[warm.length >> 1] : null;
  console.log(JSON.stringify({ nodes: dag.nodes.length, events: first.events, buildMs, firstMs: first.ms, firstCpuMs: first.cpuMs, warmMs }));
} else {
  throw new Error(`cold-child: unknown mode '${mode}' (import | run)`);
}
