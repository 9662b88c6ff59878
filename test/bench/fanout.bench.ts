/**
 * Benches of fan-outs (`forEach`): how well the run loop schedules 1,000 children discovered at run
 * time (makespan against the lower bound, in virtual time), and what a child costs the run loop
 * compared with an ordinary node (wall time, events on).
 */
import { VirtualAction, VirtualTimeScheduler, count, lastValueFrom, map, of, timer } from 'rxjs';
import { execute, graph, graphFromNodes, type Graph } from '../../src/index.js';
import { layeredDag, makespanLowerBound, prng, type LayeredDag } from './random-dag.js';
import type { Figure } from './report.js';

/** Children of the makespan bench, their durations (uniform 5-50) and the run's concurrency. */
const MAKESPAN_CHILDREN = 1_000;
const MAKESPAN_CONCURRENCY = 8;
const MAKESPAN_SEEDS = 20;

/**
 * The makespan bench's workflow for one seed: a 10-node prefix (a random layered DAG of 2 layers of
 * 5, durations 5-50), then a fan-out over 1,000 items that depends on the prefix's last layer;
 * child k takes `durations[k]`. Also returned as a plain DAG (the children as nodes depending on
 * the fan-out's deps), which is what the lower bound is computed on.
 */
export function fanoutWorkload(seed: number): { prefix: LayeredDag; durations: number[]; dag: LayeredDag } {
  const random = prng(seed);
  const prefix = layeredDag(random, { layers: 2, width: 5, minDuration: 5, maxDuration: 50 });
  const durations = Array.from({ length: MAKESPAN_CHILDREN }, () => 5 + Math.floor(random() * 46));
  const sinks = prefix.nodes.filter((n) => n.id.startsWith('L1')).map((n) => n.id);
  const dag: LayeredDag = { nodes: [...prefix.nodes, ...durations.map((duration, k) => ({ id: `fan[${k}]`, deps: sinks, duration }))] };
  return { prefix, durations, dag };
}

/**
 * `fanout_makespan_ratio`: makespan of the prefix + 1,000-child fan-out at concurrency 8, in
 * virtual time, against max(critical path, total work / 8) on the same DAG. Mean and worst over 20
 * seeds. That bound ignores that no child can start before the prefix's last layer ended (slots
 * the prefix leaves idle are lost to any schedule), so `fanout_makespan_ratio_tight` also divides by
 * the valid, tighter bound max(that, longest path to the fan-out's deps + children's work / 8).
 */
export async function fanoutMakespan(): Promise<Figure[]> {
  const ratios: number[] = [];
  const tightRatios: number[] = [];
  for (let seed = 1; seed <= MAKESPAN_SEEDS; seed++) {
    const { prefix, durations, dag } = fanoutWorkload(seed);
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const sinks = prefix.nodes.filter((n) => n.id.startsWith('L1')).map((n) => n.id);
    const g = graphFromNodes([
      ...prefix.nodes.map((node) => ({ id: node.id, deps: node.deps, estimate: node.duration, run: () => timer(node.duration, scheduler).pipe(map(() => node.id)) })),
    ]);
    // The prefix from graphFromNodes, then the fan-out on the builder (graphFromNodes takes no forEach).
    const full = withFanOut(g, sinks, durations, scheduler);
    let makespan = NaN;
    execute(full, { concurrency: MAKESPAN_CONCURRENCY, scheduler }).subscribe((e) => {
      if (e.type === 'run.completed') makespan = e.summary.makespanMs;
    });
    scheduler.flush();
    const { bound } = makespanLowerBound(dag, MAKESPAN_CONCURRENCY);
    ratios.push(makespan / bound);
    const childWork = durations.reduce((a, b) => a + b, 0);
    // No child starts before the fan-out's deps ended, at the earliest their longest path: a valid, tighter bound.
    tightRatios.push(makespan / Math.max(bound, longestPathTo(prefix, sinks) + childWork / MAKESPAN_CONCURRENCY));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return [
    {
      // The lower bound: no schedule beats the critical path, the work spread over the slots, or the
      // path to the fan-out's dependencies plus the children's work spread over the slots (no child
      // may start before them). The looser max(critical path, work / slots) is printed below.
      name: 'fanout_makespan_ratio',
      value: round(mean(tightRatios), 4),
      unit: 'x',
      note: `mean over ${MAKESPAN_SEEDS} seeds: 10-node prefix + ${MAKESPAN_CHILDREN.toLocaleString('en')}-child fan-out (5-50), concurrency ${MAKESPAN_CONCURRENCY}, vs max(critical path, work / ${MAKESPAN_CONCURRENCY}, longest path to the fan-out's deps + children's work / ${MAKESPAN_CONCURRENCY}); worst ${round(Math.max(...tightRatios), 4)}; target <= 1.01`,
    },
    {
      name: 'fanout_makespan_ratio_simple_bound',
      value: round(mean(ratios), 4),
      unit: 'x',
      note: `the same runs vs max(critical path, work / ${MAKESPAN_CONCURRENCY}), a bound no schedule reaches here (the prefix leaves slots idle while no child may start); worst ${round(Math.max(...ratios), 4)}`,
    },
  ];
}

/** The earliest time all of `targets` can have ended: the longest path (by durations) ending at one of them. */
function longestPathTo(dag: LayeredDag, targets: readonly string[]): number {
  const finish = new Map<string, number>();
  for (const node of dag.nodes) finish.set(node.id, Math.max(0, ...node.deps.map((d) => finish.get(d)!)) + node.duration);
  return Math.max(...targets.map((t) => finish.get(t)!));
}

/** The prefix graph's nodes plus a fan-out `fan` over `durations` depending on `sinks`. */
function withFanOut(prefix: Graph, sinks: readonly string[], durations: readonly number[], scheduler: VirtualTimeScheduler): Graph {
  let b = graph() as unknown as { node(id: string, spec: object): typeof b; forEach(id: string, spec: object): typeof b; build(): Graph };
  for (const node of prefix.nodes) b = b.node(node.id, { deps: node.deps, estimate: node.estimate, run: node.run, timeout: false });
  b = b.forEach('fan', {
    deps: sinks,
    items: () => durations,
    run: ({ item }: { item: number }) => timer(item, scheduler).pipe(map(() => item)),
    estimate: 27.5, // the children's mean duration
    timeout: false,
  });
  return b.build();
}

/** Children / nodes of the overhead bench, and its concurrency (that of `overhead_per_node`). */
const OVERHEAD_SIZE = 10_000;
const OVERHEAD_CONCURRENCY = 4;

/** Median wall time of `runs` runs of `g` (after `warmup` runs), counting every event. */
async function medianRunMs(g: Graph, warmup: number, runs: number): Promise<{ ms: number; events: number }> {
  const runOnce = async () => {
    const t0 = performance.now();
    const events = await lastValueFrom(execute(g, { concurrency: OVERHEAD_CONCURRENCY }).pipe(count()));
    return { ms: performance.now() - t0, events };
  };
  for (let i = 0; i < warmup; i++) await runOnce();
  const samples: { ms: number; events: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await runOnce());
  samples.sort((a, b) => a.ms - b.ms);
  return samples[Math.floor(samples.length / 2)]!;
}

/**
 * `fanout_overhead_per_child`: wall time per child of a 10,000-child fan-out with instant children,
 * events on (subscribed and counted), real scheduler; against `overhead_per_node` measured the
 * same way, in the same process, on a flat graph of 10,000 instant nodes. Target: within 1.5x.
 */
export async function fanoutOverhead(): Promise<Figure[]> {
  const items = Array.from({ length: OVERHEAD_SIZE }, (_, k) => k);
  const fan = graph()
    .node('plan', { run: () => [items] })
    .forEach('fan', { deps: ['plan'], items: ({ plan }) => plan, run: ({ item }) => of(item) })
    .build();
  const flat = graphFromNodes(items.map((k) => ({ id: `n${k}`, run: () => of(k) })));
  // Interleaved, so both see the same JIT state and machine load.
  await medianRunMs(fan, 5, 0);
  await medianRunMs(flat, 5, 0);
  const fanRuns: number[] = [];
  const flatRuns: number[] = [];
  let fanEvents = 0;
  let flatEvents = 0;
  for (let i = 0; i < 15; i++) {
    const f = await medianRunMs(fan, 0, 1);
    const n = await medianRunMs(flat, 0, 1);
    fanRuns.push(f.ms);
    flatRuns.push(n.ms);
    fanEvents = f.events;
    flatEvents = n.events;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const perChildUs = (median(fanRuns) * 1000) / OVERHEAD_SIZE;
  const perNodeUs = (median(flatRuns) * 1000) / OVERHEAD_SIZE;
  return [
    { name: 'fanout_overhead_per_child', value: round(perChildUs, 2), unit: 'us', note: `median of 15 runs, ${OVERHEAD_SIZE.toLocaleString('en')} instant children, ${fanEvents} events per run` },
    { name: 'fanout_overhead_flat_per_node', value: round(perNodeUs, 2), unit: 'us', note: `same process, flat graph of ${OVERHEAD_SIZE.toLocaleString('en')} instant nodes, ${flatEvents} events per run` },
    { name: 'fanout_overhead_ratio', value: round(perChildUs / perNodeUs, 2), unit: 'x', note: 'per child / per node; target <= 1.5' },
  ];
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
