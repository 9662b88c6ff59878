/**
 * The dashboard benches' synthetic run: a 10,000-node layered DAG (100 x 100; per node: queued,
 * started, streamed tokens, usage, succeeded), its events in order, layer by layer (a layer's 100
 * nodes run together). Shared by dashboard.bench.ts and dashboard-late.bench.ts.
 */
import type { Page } from 'playwright-core';
import type { RunEvent } from '../../src/index.js';
import { layeredDag, prng } from './random-dag.js';

/** The synthetic run's shape. */
export interface SyntheticRunOptions {
  /** Events in all (tokens are spread to fill it). */
  total: number;
  /** Characters of each node's value (its answer): ~1 KB makes a snapshot of ~1-2 KB per node. @default a few */
  valueChars?: number;
  /** Characters of each streamed token. @default a few */
  tokenChars?: number;
}

/** The synthetic run's events in order, with tokens spread to fill `total`. */
export function* syntheticRun({ total, valueChars = 0, tokenChars = 0 }: SyntheticRunOptions): Generator<RunEvent> {
  const dag = layeredDag(prng(7), { layers: 100, width: 100 });
  const runId = 'bench-10k';
  const n = dag.nodes.length;
  const tokensPerNode = Math.max(1, Math.ceil((total - 2 - 5 * n) / n));
  const pad = (chars: number) => (chars > 0 ? ` ${'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, chars)}` : '');
  const tokenPad = pad(tokenChars);
  let at = 0;
  yield { type: 'run.started', runId, at, concurrency: 100, nodes: dag.nodes.map((node) => ({ id: node.id, deps: node.deps, meta: { agent: `agent_${node.id.slice(node.id.indexOf('N') + 1).padStart(2, '0').slice(-1)}` } })) };
  for (let layer = 0; layer < 100; layer++) {
    const ids = dag.nodes.slice(layer * 100, layer * 100 + 100).map((node) => node.id);
    const startedAt = (at += 1);
    for (const nodeId of ids) yield { type: 'node.queued', runId, nodeId, at, priority: 100 - layer };
    for (const nodeId of ids) yield { type: 'node.started', runId, nodeId, at, attempt: 1 };
    for (let t = 0; t < tokensPerNode; t++) {
      at += 1;
      for (const nodeId of ids) yield { type: 'node.token', runId, nodeId, at, attempt: 1, text: `tok${t}${tokenPad} ` };
    }
    at += 1;
    for (const nodeId of ids) {
      yield { type: 'node.usage', runId, nodeId, at, attempt: 1, model: 'claude-haiku-4-5', usage: { inputTokens: 40, outputTokens: tokensPerNode }, costUsd: 0.00004 + tokensPerNode * 0.000005 };
      yield { type: 'node.succeeded', runId, nodeId, at, attempts: 1, startedAt, durationMs: at - startedAt, value: `done ${nodeId}${pad(valueChars)}` };
    }
  }
  yield {
    type: 'run.completed',
    runId,
    at,
    summary: {
      status: 'succeeded',
      nodes: n,
      counts: { succeeded: n, failed: 0, timedOut: 0, skipped: 0, fellBack: 0 },
      makespanMs: at,
      attempts: n,
      retries: 0,
      usage: { total: { calls: n, inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, costUsd: 0 }, byNode: {}, byModel: {} },
    },
  };
}

/** Events of a synthetic run of `total` events, as an array (for runs fed at a pace). */
export const syntheticEvents = (options: SyntheticRunOptions): RunEvent[] => [...syntheticRun(options)];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Feeds `events` to `next` at `rate` events/s (in slices every few ms) from `from` on, until `until`
 * (index, exclusive) or the end; resolves with the index reached.
 */
export async function feedAtRate(events: readonly RunEvent[], next: (event: RunEvent) => void, rate: number, from: number, until = events.length): Promise<number> {
  const start = performance.now();
  let i = from;
  while (i < until) {
    const due = Math.min(until, from + Math.floor((rate * (performance.now() - start)) / 1_000));
    for (; i < due; i++) next(events[i]!);
    await sleep(2);
  }
  return i;
}

/**
 * Waits until the dashboard page has applied everything up to `lastAt` (its snapshot, at least),
 * laid the graph out and drawn a frame after that; resolves with the page's own clock then (ms since
 * its navigation started).
 */
export async function waitDrawn(page: Page, lastAt: number, timeout = 120_000): Promise<number> {
  await page.evaluate(() => delete (window as unknown as { rxoBenchDrawn?: unknown }).rxoBenchDrawn);
  const handle = await page.waitForFunction(
    (until) => {
      const w = window as unknown as { rxoDashboard?: { stats(): { lastAt?: number; frames: number } }; rxoBenchDrawn?: { frames: number } };
      const s = w.rxoDashboard?.stats();
      if (!s) return false;
      if (!w.rxoBenchDrawn) {
        if ((s.lastAt ?? -1) < until || document.querySelector('#dag[data-layout="done"]') === null) return false;
        w.rxoBenchDrawn = { frames: s.frames }; // applied and laid out: one more frame draws it
        return false;
      }
      return s.frames > w.rxoBenchDrawn.frames ? performance.now() : false;
    },
    lastAt,
    { polling: 'raf', timeout },
  );
  return (await handle.jsonValue()) as number;
}

/** When the page's stream opened, and its first batch (the snapshot) arrived and was applied: ms on the page's clock (the page's own `stats().join`). */
export interface JoinTimes {
  open?: number;
  firstBatch?: number;
  firstApplied?: number;
  firstBytes?: number;
}

/** The page's {@link JoinTimes}. */
export const joinTimes = (page: Page): Promise<JoinTimes> => page.evaluate(() => (window as unknown as { rxoDashboard: { stats(): { join: JoinTimes } } }).rxoDashboard.stats().join);
