import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { layeredDag, prng } from './random-dag.js';
import { REPO, ensureBuilt, median, round, runChild } from './fresh-process.js';
import type { Figure } from './report.js';

/** Fresh processes per cold figure: the median of this many. */
const COLD_PROCESSES = Number(process.env.RXO_BENCH_COLD_PROCESSES ?? 7);
/** Fresh processes per import figure. */
const IMPORT_PROCESSES = 5;
/** Warm runs after the first one in each cold process (their median is the same process's warm figure). */
const WARM_RUNS = 5;

interface RunSample {
  nodes: number;
  events: number;
  buildMs: number;
  firstMs: number;
  firstCpuMs: number;
  warmMs: number;
}

/**
 * What a one-shot CLI run pays: the FIRST run of a 2,000-node layered DAG (20 layers x 100,
 * instant nodes, events on, concurrency 4) in a fresh process, per node. Measured against the
 * built package (`rx-orchestra` through its own `exports`, as an installed package runs; dist/ is
 * rebuilt first when missing or stale), and against the TypeScript source through tsx (how the
 * repository's CLI runs). Each figure is the median of several fresh processes; the note gives the
 * warm figure of the same processes (the median of the runs after the first) and graph building.
 */
export async function coldOverheadPerNode(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rxo-cold-'));
  try {
    const dagFile = join(dir, 'dag.json');
    writeFileSync(dagFile, JSON.stringify(layeredDag(prng(1), { layers: 20, width: 100 })));
    const build = ensureBuilt();
    const figures: Figure[] = [];
    if (build.ok) figures.push(...coldFigures('cold_overhead_per_node', 'rx-orchestra', dagFile, false, `built dist (${build.note})`, true));
    else figures.push({ name: 'cold_overhead_per_node', value: NaN, unit: 'us', note: build.note });
    figures.push(...coldFigures('cold_overhead_per_node_tsx', pathToFileURL(join(REPO, 'src/index.ts')).href, dagFile, true, 'source through tsx', false));
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function coldFigures(name: string, specifier: string, dagFile: string, tsx: boolean, how: string, withBuild: boolean): Figure[] {
  const samples = Array.from({ length: COLD_PROCESSES }, () => runChild<RunSample>(['run', specifier, dagFile, String(WARM_RUNS)], { tsx }));
  const { nodes, events } = samples[0]!;
  const perNode = (ms: number) => round((ms * 1000) / nodes, 1);
  const first = samples.map((s) => s.firstMs);
  const figures: Figure[] = [
    {
      name,
      value: perNode(median(first)),
      unit: 'us',
      note:
        `first run of ${nodes} nodes (${events} events) in a fresh process, ${how}, median of ${samples.length} processes ` +
        `(${perNode(Math.min(...first))}-${perNode(Math.max(...first))}; CPU ${perNode(median(samples.map((s) => s.firstCpuMs)))} with compiler threads); ` +
        `warm in the same processes ${perNode(median(samples.map((s) => s.warmMs)))} us; target <= 15`,
    },
  ];
  if (withBuild) {
    figures.push({ name: 'cold_graph_build_per_node', value: perNode(median(samples.map((s) => s.buildMs))), unit: 'us', note: `graphFromNodes of the same ${nodes} nodes in a fresh process, ${how}` });
  }
  return figures;
}

/**
 * Time to import the root entry in a fresh process (the median of 5), next to a bare
 * `import('rxjs')`: against the built package (`rx-orchestra` through its own `exports`) and the
 * source through tsx. Whatever src/index.ts exports when the bench runs is what is measured.
 */
export async function rootImport(): Promise<Figure[]> {
  const build = ensureBuilt();
  const importMs = (specifier: string, tsx = false) =>
    round(median(Array.from({ length: IMPORT_PROCESSES }, () => runChild<{ ms: number }>(['import', specifier], { tsx }).ms)), 1);
  const rxjs = importMs('rxjs');
  const dist = build.ok ? importMs('rx-orchestra') : NaN;
  const tsx = importMs(pathToFileURL(join(REPO, 'src/index.ts')).href, true);
  const rxjsTsx = importMs('rxjs', true);
  return [
    { name: 'root_import_ms', value: dist, unit: 'ms', note: `import('rx-orchestra') in a fresh node, built dist (${build.note}), median of ${IMPORT_PROCESSES}; import('rxjs') alone ${rxjs} ms` },
    { name: 'rxjs_import_ms', value: rxjs, unit: 'ms', note: `import('rxjs') in a fresh node, median of ${IMPORT_PROCESSES}` },
    { name: 'root_import_ms_tsx', value: tsx, unit: 'ms', note: `import of src/index.ts through tsx, median of ${IMPORT_PROCESSES}; import('rxjs') under tsx ${rxjsTsx} ms` },
  ];
}
