import { VirtualTimeScheduler, VirtualAction, of, timer, map, lastValueFrom, count } from 'rxjs';
import { execute } from '../../src/index.js';
import { layeredDag, makespanLowerBound, prng, toGraph } from './random-dag.js';
import type { Figure } from './report.js';

/** Orchestration overhead per node: 10,000 instantly-completing nodes, events on, real scheduler. */
export async function overheadPerNode(): Promise<Figure[]> {
  const dag = layeredDag(prng(1), { layers: 100, width: 100 });
  const g = toGraph(dag, (node) => () => of(node.id));
  const runOnce = async () => {
    const t0 = performance.now();
    const events = await lastValueFrom(execute(g, { concurrency: 4 }).pipe(count()));
    return { ms: performance.now() - t0, events };
  };
  for (let i = 0; i < 5; i++) await runOnce(); // warm up the JIT
  const samples: number[] = [];
  let events = 0;
  for (let i = 0; i < 15; i++) {
    const r = await runOnce();
    samples.push(r.ms);
    events = r.events;
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  const perNodeUs = (median * 1000) / dag.nodes.length;
  return [
    { name: 'overhead_per_node', value: round(perNodeUs, 2), unit: 'us', note: `median of 15 runs, 10,000 nodes, ${events} events per run, target <= 25` },
    { name: 'overhead_events_per_second', value: Math.round((events / median) * 1000), unit: 'events/s' },
  ];
}

/** Heap after many runs one after another: must not grow with the number of runs. */
export async function memoryAcrossRuns(): Promise<Figure[]> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return [{ name: 'heap_growth_per_run', value: NaN, unit: 'KiB', note: 'run with node --expose-gc' }];
  const dag = layeredDag(prng(2), { layers: 100, width: 100 });
  const g = toGraph(dag, (node) => () => of(node.id));
  const heapAfter = async (runs: number) => {
    for (let i = 0; i < runs; i++) await lastValueFrom(execute(g, { concurrency: 4 }).pipe(count()));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    return process.memoryUsage().heapUsed;
  };
  await heapAfter(10);
  const base = await heapAfter(10);
  const after = await heapAfter(40);
  return [
    { name: 'heap_growth_per_run', value: round((after - base) / 40 / 1024, 2), unit: 'KiB', note: `heap ${mib(base)} MiB after 20 runs, ${mib(after)} MiB after 60` },
  ];
}

/**
 * Makespan against the lower bound max(critical path, total work / concurrency) on random layered
 * DAGs (10 layers x 10 nodes, durations 5-50, concurrency 4), in virtual time: exact, repeatable.
 */
export async function makespanRatio(): Promise<Figure[]> {
  const ratios: number[] = [];
  for (let seed = 1; seed <= 50; seed++) {
    const dag = layeredDag(prng(seed), { layers: 10, width: 10, minDuration: 5, maxDuration: 50 });
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const g = toGraph(dag, (node) => () => timer(node.duration, scheduler).pipe(map(() => node.id)));
    let makespan = NaN;
    execute(g, { concurrency: 4, scheduler }).subscribe((e) => {
      if (e.type === 'run.completed') makespan = e.summary.makespanMs;
    });
    scheduler.flush();
    ratios.push(makespan / makespanLowerBound(dag, 4).bound);
  }
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  return [
    { name: 'makespan_ratio', value: round(mean, 4), unit: 'x', note: 'mean over 50 random 10x10 DAGs, concurrency 4, target <= 1.01' },
    { name: 'makespan_ratio_worst', value: round(Math.max(...ratios), 4), unit: 'x' },
  ];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const mib = (bytes: number) => round(bytes / 1024 / 1024, 1);
