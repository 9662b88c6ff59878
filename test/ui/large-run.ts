/**
 * A synthetic run of 2,000 nodes for the dashboard's browser tests: 20 layers of 100 (`fetch_0000` …
 * `write_1999`, four families of 500), each node queued, started, streaming three tokens, reporting
 * usage and ending; a known set of them fails, times out, falls back or is retried (the problems the
 * page must find), and two wait for approval at the end (so the run is still going).
 */
import type { RunEvent } from 'rx-orchestra';

/** What a node of the synthetic run went through. */
export type Fate = 'succeeded' | 'failed' | 'timedOut' | 'fellBack' | 'retried' | 'waiting';

export interface SyntheticRun {
  events: RunEvent[];
  ids: string[];
  /** Each node's fate, by id. */
  fates: Map<string, Fate>;
  /** The ids of the nodes that failed, timed out, fell back or were retried. */
  problems: string[];
  waiting: string[];
}

const FAMILIES = ['fetch', 'parse', 'score', 'write'] as const;

/** The fate of node `i` of `n`: a fixed pattern (about 2 % fail, 1 % time out, 1 % fall back, 2 % are retried; two wait). */
function fateOf(i: number, n: number): Fate {
  if (i === n - 3 || i === n - 8) return 'waiting';
  if (i % 47 === 5) return 'failed';
  if (i % 89 === 11) return 'timedOut';
  if (i % 131 === 17) return 'fellBack';
  if (i % 61 === 23) return 'retried';
  return 'succeeded';
}

/**
 * The events of a `layers` × `width` run (defaults: 20 × 100), in time order layer by layer.
 *
 * ```ts
 * const run = syntheticRun();
 * run.events.forEach((event) => events$.next(event));
 * ```
 */
export function syntheticRun(options: { layers?: number; width?: number; runId?: string } = {}): SyntheticRun {
  const layers = options.layers ?? 20;
  const width = options.width ?? 100;
  const runId = options.runId ?? 'large-2000';
  const n = layers * width;
  const ids = Array.from({ length: n }, (_, i) => `${FAMILIES[Math.floor((i / n) * FAMILIES.length)]}_${String(i).padStart(4, '0')}`);
  const events: RunEvent[] = [];
  const fates = new Map<string, Fate>();
  events.push({
    type: 'run.started',
    runId,
    at: 0,
    concurrency: width,
    nodes: ids.map((id, i) => {
      const layer = Math.floor(i / width);
      const k = i % width;
      const deps = layer === 0 ? [] : [...new Set([ids[(layer - 1) * width + k]!, ids[(layer - 1) * width + ((k * 7 + 3) % width)]!])];
      return { id, deps };
    }),
  });
  for (let layer = 0; layer < layers; layer++) {
    const base = layer * 1_000 + 1;
    for (let k = 0; k < width; k++) {
      const i = layer * width + k;
      const nodeId = ids[i]!;
      const fate = fateOf(i, n);
      fates.set(nodeId, fate);
      const start = base + (k % 10) * 20;
      const took = 300 + ((i * 37) % 500);
      events.push({ type: 'node.queued', runId, nodeId, at: base, priority: layers - layer });
      if (fate === 'waiting') {
        events.push({ type: 'node.waiting', runId, nodeId, at: start, payload: { action: `publish ${nodeId}` }, timeoutMs: null });
        continue;
      }
      events.push({ type: 'node.started', runId, nodeId, at: start, attempt: 1 });
      let attempts = 1;
      let from = start;
      if (fate === 'retried') {
        events.push({ type: 'node.retrying', runId, nodeId, at: start + 100, attempt: 1, delayMs: 150, error: { name: 'Error', message: 'overloaded (529)', code: 'OVERLOADED', status: 529 } });
        from = start + 250;
        attempts = 2;
        events.push({ type: 'node.started', runId, nodeId, at: from, attempt: 2 });
      }
      for (let t = 0; t < 3; t++) events.push({ type: 'node.token', runId, nodeId, at: from + 10 * (t + 1), attempt: attempts, text: `${nodeId} part ${t}. ` });
      const end = from + took;
      events.push({ type: 'node.usage', runId, nodeId, at: end, attempt: attempts, model: 'claude-haiku-4-5', usage: { inputTokens: 120, outputTokens: 40 }, costUsd: 0.0002 });
      const ended = { runId, nodeId, at: end, attempts, startedAt: start, durationMs: end - start };
      if (fate === 'failed') events.push({ type: 'node.failed', ...ended, error: { name: 'Error', message: `upstream answered 503 for ${nodeId}`, code: 'HTTP_503', status: 503 } });
      else if (fate === 'timedOut') events.push({ type: 'node.timedOut', ...ended, timeoutMs: 700, error: { name: 'TimeoutError', message: 'timed out after 700 ms', code: 'TIMEOUT' } });
      else if (fate === 'fellBack') events.push({ type: 'node.fellBack', ...ended, value: 'cached answer', reason: 'failed', via: 0, error: { name: 'Error', message: 'model down', code: 'DOWN' } });
      else events.push({ type: 'node.succeeded', ...ended, value: `done ${nodeId}` });
    }
  }
  const problems = ids.filter((id) => ['failed', 'timedOut', 'fellBack', 'retried'].includes(fates.get(id)!));
  const waiting = ids.filter((id) => fates.get(id) === 'waiting');
  return { events, ids, fates, problems, waiting };
}
